"""A choice answered by number on Signal (« 2 » under a numbered list): its data, the same
short stable id a Telegram button carries, goes to the service that Telegram's press
handler calls, with the same checks (the service checks the ids it is given belong to the
person; data of a shape nobody issues is a stale choice)."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from bot.core import presses
from bot.core.errors import Refusal
from bot.ports.replies import Reply
from bot.services.rooms import LIST_BUTTON
from bot.signal.inbound_flows import Flows
from bot.signal.inbound_turn import Turn

Press = Callable[[Turn, re.Match], Awaitable[None]]


async def onboarding(turn: Turn, match: re.Match) -> None:
    step = await turn.services.onboarding.press(turn.press, turn.user, turn.chat, turn.member)
    if step is None:
        raise Refusal("common.stale_button")
    if step.member is not None:
        turn.member, turn.locale = step.member, step.member.locale
    await turn.answer_press(step.reply)


async def language(turn: Turn, match: re.Match) -> None:
    member = turn.require_member()
    choice = await turn.services.language.choose(member, turn.press)
    turn.locale = choice
    await turn.answer_press(Reply(turn.services.t(choice, "language.set")))


async def room(turn: Turn, match: re.Match) -> None:
    await turn.answer_press(
        await turn.services.rooms.choose(turn.require_member(), match.group(1), int(match.group(2)))
    )


async def room_list(turn: Turn, match: re.Match) -> None:
    reply = await turn.services.rooms.list(turn.require_member())
    await turn.answer_press(Reply(reply.text, reply.buttons, edit=False))


async def checkin_settings(turn: Turn, match: re.Match) -> None:
    await turn.answer_press(await turn.services.checkins.press(turn.require_member(), turn.press))


async def checkin_answer(turn: Turn, match: re.Match) -> None:
    await turn.answer_press(await turn.services.checkins.answer(turn.require_member(), turn.press))


async def board_withdraw(turn: Turn, match: re.Match) -> None:
    reply = await turn.services.board.withdraw(turn.require_member(), int(match.group(1)), match.group(2))
    await turn.answer_press(reply)


async def board_moderate(turn: Turn, match: re.Match) -> None:
    reply = await turn.services.board.moderate(
        turn.require_member(), match.group(1), int(match.group(2)), match.group(3)
    )
    await turn.answer_press(reply)


async def privacy_toggle(turn: Turn, match: re.Match) -> None:
    await turn.answer_press(await turn.services.privacy.toggle(turn.require_member(), int(match.group(1))))


async def forget(turn: Turn, match: re.Match) -> None:
    member = turn.require_member()
    if match.group(1) == "yes" and match.group(2):
        reply = await turn.services.privacy.forget(member, match.group(2))
    elif match.group(1) == "no" and not match.group(2):
        reply = Reply(turn.services.t(member.locale, "privacy.forget_cancelled"))
    else:
        raise Refusal("common.stale_button")
    await turn.answer_press(reply)


async def report_reason(turn: Turn, match: re.Match) -> None:
    reply = await turn.services.reports.choose(turn.require_member(), match.group(1), int(match.group(2)))
    await turn.answer_press(reply)


async def report_lift(turn: Turn, match: re.Match) -> None:
    await turn.answer_press(await turn.services.reports.lift(turn.require_member(), int(match.group(1))))


async def held(turn: Turn, match: re.Match) -> None:
    """Send anyway / don't send / talk with a facilitator: the list is used up."""
    member = turn.require_member()
    reply = await turn.services.safety.press(member, match.group(1), match.group(2))
    if turn.pressed is not None:
        turn.services.choices.close(turn.pressed)  # the resources stay on screen; the numbers are spent
    await turn.answer_press(Reply(reply.text, reply.buttons, notice=reply.notice, edit=False) if reply else None)


async def support(turn: Turn, match: re.Match) -> None:
    await turn.answer_press(await turn.services.safety.answer(turn.require_member(), int(match.group(1))))


async def rsvp(turn: Turn, match: re.Match) -> None:
    reply = await turn.services.workshops.answer(turn.require_member(), int(match.group(1)), match.group(2))
    await turn.answer_press(reply)


async def workshop_cancel(turn: Turn, match: re.Match) -> None:
    member, workshops = turn.require_member(), turn.services.workshops
    if match.group(2):
        reply = await workshops.cancel(member, int(match.group(1)), match.group(2))
    else:
        reply = await workshops.cancel_prompt(member, int(match.group(1)))
    await turn.answer_press(reply)


PRESSES: list[tuple[re.Pattern, Press]] = [
    (re.compile(r"^ob:"), onboarding),
    (re.compile(r"^lang:"), language),
    (presses.ROOM, room),
    (re.compile(f"^{re.escape(LIST_BUTTON)}$"), room_list),
    (re.compile(r"^cis:"), checkin_settings),
    (re.compile(r"^ci:"), checkin_answer),
    (presses.BOARD_WITHDRAW, board_withdraw),
    (presses.BOARD_MODERATE, board_moderate),
    (re.compile(r"^pv:([124])$"), privacy_toggle),
    (re.compile(r"^fg:(yes|no)(?::([A-Za-z0-9_-]+))?$"), forget),
    (presses.REPORT_REASON, report_reason),
    (presses.REPORT_LIFT, report_lift),
    (presses.HELD, held),
    (presses.SUPPORT, support),
    (presses.RSVP, rsvp),
    (presses.WORKSHOP_CANCEL, workshop_cancel),
]


async def run_press(turn: Turn, flows: Flows) -> None:
    """Run the choice `turn.press`; data nobody issued in this shape is a stale choice."""
    if turn.member is not None and await flows.press(turn):
        return
    for pattern, action in PRESSES:
        match = pattern.match(turn.press)
        if match is not None:
            await action(turn, match)
            return
    raise Refusal("common.stale_button")
