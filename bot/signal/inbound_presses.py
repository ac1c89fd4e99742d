"""A choice answered by number on Signal (« 2 » under a numbered list): its data, the same
short stable id a Telegram button carries, goes to the service that Telegram's press
handler calls, with the same checks (the service checks the ids it is given belong to the
person; data of a shape nobody issues is a stale choice)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.errors import Refusal
from bot.core.presses import (
    CHECKIN_ANSWERS,
    CHECKIN_SETTINGS,
    ONBOARDING,
    AnswerSupport,
    CancelWorkshop,
    ChooseLanguage,
    ConfirmCancelWorkshop,
    ForgetMe,
    HeldChoice,
    JoinRoom,
    KeepMe,
    LeaveRoom,
    LiftPause,
    ListRooms,
    PinEntry,
    Press,
    RemoveEntry,
    ReportReason,
    RoomChoice,
    Rsvp,
    ToggleConsent,
    WaitForRoom,
    WithdrawEntry,
    unpack,
)
from bot.ports.replies import Reply
from bot.signal.inbound_flows import Flows
from bot.signal.inbound_turn import Turn

Action = Callable[[Turn, Press], Awaitable[None]]


async def onboarding(turn: Turn, press: Press) -> None:
    step = await turn.services.onboarding.press(turn.press, turn.user, turn.chat, turn.member)
    if step is None:
        raise Refusal("common.stale_button")
    if step.member is not None:
        turn.member, turn.locale = step.member, step.member.locale
    await turn.answer_press(step.reply)


async def language(turn: Turn, press: Press) -> None:
    member = turn.require_member()
    choice = await turn.services.language.choose(member, turn.press)
    turn.locale = choice
    await turn.answer_press(Reply(turn.services.t(choice, "language.set")))


async def room(turn: Turn, press: Press) -> None:
    assert isinstance(press, RoomChoice)
    await turn.answer_press(await turn.services.rooms.choose(turn.require_member(), press.PREFIX, press.room_id))


async def room_list(turn: Turn, press: Press) -> None:
    reply = await turn.services.rooms.list(turn.require_member())
    await turn.answer_press(Reply(reply.text, reply.buttons, edit=False))


async def checkin_settings(turn: Turn, press: Press) -> None:
    await turn.answer_press(await turn.services.checkins.press(turn.require_member(), turn.press))


async def checkin_answer(turn: Turn, press: Press) -> None:
    await turn.answer_press(await turn.services.checkins.answer(turn.require_member(), turn.press))


async def board_withdraw(turn: Turn, press: Press) -> None:
    assert isinstance(press, WithdrawEntry)
    reply = await turn.services.board.withdraw(turn.require_member(), press.entry_id, press.token)
    await turn.answer_press(reply)


async def board_moderate(turn: Turn, press: Press) -> None:
    board, member = turn.services.board, turn.require_member()
    if isinstance(press, RemoveEntry):
        reply = await board.moderate(member, "del", press.entry_id, press.token)
    else:
        assert isinstance(press, PinEntry)
        reply = await board.moderate(member, "pin", press.entry_id)
    await turn.answer_press(reply)


async def privacy_toggle(turn: Turn, press: Press) -> None:
    assert isinstance(press, ToggleConsent)
    await turn.answer_press(await turn.services.privacy.toggle(turn.require_member(), press.bit))


async def forget(turn: Turn, press: Press) -> None:
    member = turn.require_member()
    if isinstance(press, ForgetMe):
        reply = await turn.services.privacy.forget(member, press.token)
    else:
        reply = Reply(turn.services.t(member.locale, "privacy.forget_cancelled"))
    await turn.answer_press(reply)


async def report_reason(turn: Turn, press: Press) -> None:
    assert isinstance(press, ReportReason)
    reply = await turn.services.reports.choose(turn.require_member(), press.reason, press.relay_id)
    await turn.answer_press(reply)


async def report_lift(turn: Turn, press: Press) -> None:
    assert isinstance(press, LiftPause)
    await turn.answer_press(await turn.services.reports.lift(turn.require_member(), press.relay_id))


async def held(turn: Turn, press: Press) -> None:
    """Send anyway / don't send / talk with a facilitator: the list is used up."""
    assert isinstance(press, HeldChoice)
    member = turn.require_member()
    reply = await turn.services.safety.press(member, press.action, press.token)
    if turn.pressed is not None:
        turn.services.choices.close(turn.pressed)  # the resources stay on screen; the numbers are spent
    await turn.answer_press(Reply(reply.text, reply.buttons, notice=reply.notice, edit=False) if reply else None)


async def support(turn: Turn, press: Press) -> None:
    assert isinstance(press, AnswerSupport)
    await turn.answer_press(await turn.services.safety.answer(turn.require_member(), press.support_id))


async def rsvp(turn: Turn, press: Press) -> None:
    assert isinstance(press, Rsvp)
    reply = await turn.services.workshops.answer(turn.require_member(), press.workshop_id, press.answer)
    await turn.answer_press(reply)


async def workshop_cancel(turn: Turn, press: Press) -> None:
    member, workshops = turn.require_member(), turn.services.workshops
    if isinstance(press, ConfirmCancelWorkshop):
        reply = await workshops.cancel(member, press.workshop_id, press.token)
    else:
        assert isinstance(press, CancelWorkshop)
        reply = await workshops.cancel_prompt(member, press.workshop_id)
    await turn.answer_press(reply)


# The same kinds of choice as Telegram's handlers (handlers/*.py), each with its action.
PRESSES: list[tuple[tuple[type[Press], ...], Action]] = [
    (ONBOARDING, onboarding),
    ((ChooseLanguage,), language),
    ((JoinRoom, WaitForRoom, LeaveRoom), room),
    ((ListRooms,), room_list),
    (CHECKIN_SETTINGS, checkin_settings),
    (CHECKIN_ANSWERS, checkin_answer),
    ((WithdrawEntry,), board_withdraw),
    ((PinEntry, RemoveEntry), board_moderate),
    ((ToggleConsent,), privacy_toggle),
    ((ForgetMe, KeepMe), forget),
    ((ReportReason,), report_reason),
    ((LiftPause,), report_lift),
    ((HeldChoice,), held),
    ((AnswerSupport,), support),
    ((Rsvp,), rsvp),
    ((CancelWorkshop, ConfirmCancelWorkshop), workshop_cancel),
]


async def run_press(turn: Turn, flows: Flows) -> None:
    """Run the choice `turn.press`; data nobody issued in this shape is a stale choice."""
    if turn.member is not None and await flows.press(turn):
        return
    for kinds, action in PRESSES:
        press = unpack(turn.press, *kinds)
        if press is not None:
            await action(turn, press)
            return
    raise Refusal("common.stale_button")
