"""Commands typed on Signal (`/salles`, `/rooms`...): the same names as Telegram's menus
(bot/core/commands.py), French or English whatever the member's language, each calling the
service Telegram's handler calls, with the same arguments."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.commands import CANCEL, FACILITATOR_COMMANDS, MEMBER_COMMANDS
from bot.core.errors import Refusal
from bot.ports.replies import Reply
from bot.services.rooms import parse_room_ref
from bot.signal.inbound_flows import Flows
from bot.signal.inbound_turn import Turn

Action = Callable[[Turn, Flows], Awaitable[None]]


async def start(turn: Turn, flows: Flows) -> None:
    step = await turn.services.onboarding.start(turn.member, turn.locale, turn.args)
    await turn.send(step.reply)


async def help_command(turn: Turn, flows: Flows) -> None:
    t, locale = turn.services.t, turn.locale
    text = t(locale, "help.member")
    if turn.member is not None and turn.member.is_facilitator:
        text += "\n\n" + t(locale, "help.facilitator")
    await turn.send(Reply(text + "\n\n" + t(locale, "help.signal")))


async def list_rooms(turn: Turn, flows: Flows) -> None:
    await turn.send(await turn.services.rooms.list(turn.require_member()))


async def join(turn: Turn, flows: Flows) -> None:
    member, args = turn.require_member(), turn.args.strip()
    if not args:
        await turn.send(await turn.services.rooms.list(member))
        return
    room_id = parse_room_ref(args)
    if room_id is None:
        raise Refusal("rooms.join_usage")
    await turn.send(await turn.services.rooms.join(member, room_id))


async def leave(turn: Turn, flows: Flows) -> None:
    await turn.send(await turn.services.rooms.leave(turn.require_member(), turn.args))


async def pseudo(turn: Turn, flows: Flows) -> None:
    await turn.send(await turn.services.rooms.redraw(turn.require_member()))


async def workshops(turn: Turn, flows: Flows) -> None:
    await turn.send(await turn.services.workshops.upcoming(turn.require_member()))


async def share(turn: Turn, flows: Flows) -> None:
    member = turn.require_member()
    if turn.message is None:
        raise Refusal("board.usage")
    await turn.send(await turn.services.board.share(member, turn.args, turn.message))


async def resources(turn: Turn, flows: Flows) -> None:
    await turn.send(await turn.services.board.resources(turn.require_member()))


async def checkin(turn: Turn, flows: Flows) -> None:
    await turn.send(await turn.services.checkins.command(turn.require_member(), turn.args))


async def mood(turn: Turn, flows: Flows) -> None:
    member = turn.require_member()
    reply, chart = await turn.services.checkins.history(member)
    if chart is None:
        await turn.send(reply)
        return
    turn.services.answers.photo(turn.chat, chart, caption=reply.text, member_id=member.id)


async def delete(turn: Turn, flows: Flows) -> None:
    await turn.send(await turn.services.relay.delete(turn.require_member(), turn.replied))


async def report(turn: Turn, flows: Flows) -> None:
    await turn.send(await turn.services.reports.start(turn.require_member(), turn.replied))


async def privacy(turn: Turn, flows: Flows) -> None:
    await turn.send(turn.services.privacy.overview(turn.require_member()))


async def my_data(turn: Turn, flows: Flows) -> None:
    member, services = turn.require_member(), turn.services
    data = await services.privacy.export(member)
    services.answers.document(
        turn.chat,
        data,
        services.t(member.locale, "privacy.export_filename"),
        caption=services.t(member.locale, "privacy.export_caption"),
        member_id=member.id,
    )


async def forget(turn: Turn, flows: Flows) -> None:
    await turn.send(turn.services.privacy.forget_prompt(turn.require_member()))


async def language(turn: Turn, flows: Flows) -> None:
    await turn.send(turn.services.language.prompt(turn.require_member(), turn.locale))


async def open_room(turn: Turn, flows: Flows) -> None:
    member = turn.require_member()
    if turn.args.strip():
        flows.end(member.id)
        await turn.send(await turn.services.rooms.open(member, turn.args))
        return
    await turn.send(turn.services.rooms.begin_open(member))
    flows.begin(member.id, Flows.THEME)


async def close_room(turn: Turn, flows: Flows) -> None:
    await turn.send(await turn.services.rooms.close(turn.require_member(), turn.args))


async def workshop(turn: Turn, flows: Flows) -> None:
    member = turn.require_member()
    await turn.send(await turn.services.workshops.begin(member, turn.args))
    flows.begin(member.id, Flows.TITLE)


async def announce(turn: Turn, flows: Flows) -> None:
    await turn.send(await turn.services.moderation.announce(turn.require_member(), turn.args, turn.replied))


async def trends(turn: Turn, flows: Flows) -> None:
    await turn.send(await turn.services.checkins.trends(turn.require_member(), turn.args))


async def warn(turn: Turn, flows: Flows) -> None:
    await turn.send(await turn.services.moderation.warn(turn.require_member(), turn.replied, turn.args))


async def mute(turn: Turn, flows: Flows) -> None:
    await turn.send(await turn.services.moderation.mute(turn.require_member(), turn.replied, turn.args))


async def ban(turn: Turn, flows: Flows) -> None:
    await turn.send(await turn.services.moderation.ban(turn.require_member(), turn.replied, turn.args))


async def cancel(turn: Turn, flows: Flows) -> None:
    await flows.abandon(turn)


_ACTIONS: dict[str, Action] = {
    "start": start,
    "aide": help_command,
    "salles": list_rooms,
    "rejoindre": join,
    "quitter": leave,
    "pseudo": pseudo,
    "ateliers": workshops,
    "partager": share,
    "ressources": resources,
    "bilan": checkin,
    "humeur": mood,
    "supprimer": delete,
    "signaler": report,
    "confidentialite": privacy,
    "mesdonnees": my_data,
    "oublier": forget,
    "langue": language,
    "ouvrir": open_room,
    "fermer": close_room,
    "atelier": workshop,
    "annonce": announce,
    "tendances": trends,
    "avertir": warn,
    "sourdine": mute,
    "exclure": ban,
    "annuler": cancel,
}

# Every name a command answers to (French and English), to its action.
COMMANDS: dict[str, Action] = {
    name: _ACTIONS[command.fr]
    for command in (*MEMBER_COMMANDS, *FACILITATOR_COMMANDS, CANCEL)
    for name in command.names()
}


def command_word(text: str) -> str | None:
    """`/Salles 3` -> "salles"; None when the text is not a command. A Telegram-style
    `/salles@bot` suffix is dropped."""
    if not text.startswith("/") or len(text) < 2:
        return None
    word = text[1:].split(maxsplit=1)[0] if text[1:].strip() else ""
    return word.split("@", 1)[0].casefold() or None


async def run_command(turn: Turn, flows: Flows) -> None:
    """Run the command `turn.text` names; an unknown one gets the same answer as on Telegram."""
    action = COMMANDS.get(command_word(turn.text) or "")
    if action is None:
        raise Refusal("common.unknown_command")
    await action(turn, flows)
