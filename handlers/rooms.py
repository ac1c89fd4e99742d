"""Rooms: `/salles`, `/rejoindre`, `/quitter`, `/pseudo`, and facilitators' `/ouvrir`, `/fermer`."""

from __future__ import annotations

import re

from telegram import Update
from telegram.ext import Application

from bot.commands import FACILITATOR_COMMANDS, MEMBER_COMMANDS
from bot.context import EntraideContext
from bot.errors import Refusal
from bot.services.rooms import parse_room_ref
from handlers.common import add_commands, answer_press, args_text, button, pressed, require_member, send

_CMD = {c.fr: c for c in MEMBER_COMMANDS + FACILITATOR_COMMANDS}
_PRESS = re.compile(r"^(join|wait|leave):(\d{1,9})$")


async def list_rooms(update: Update, context: EntraideContext) -> None:
    """Open rooms with places left, and a button for each."""
    await send(update, context, await context.services.rooms.list(require_member(context)))


async def join(update: Update, context: EntraideContext) -> None:
    """`/rejoindre 3` joins room 3; without a number, the list of rooms."""
    member = require_member(context)
    args = args_text(update).strip()
    if not args:
        await send(update, context, await context.services.rooms.list(member))
        return
    room_id = parse_room_ref(args)
    if room_id is None:
        raise Refusal("rooms.join_usage")
    await send(update, context, await context.services.rooms.join(member, room_id))


async def leave(update: Update, context: EntraideContext) -> None:
    await send(update, context, await context.services.rooms.leave(require_member(context), args_text(update)))


async def pseudo(update: Update, context: EntraideContext) -> None:
    await send(update, context, await context.services.rooms.redraw(require_member(context)))


async def open_room(update: Update, context: EntraideContext) -> None:
    await send(update, context, await context.services.rooms.open(require_member(context), args_text(update)))


async def close_room(update: Update, context: EntraideContext) -> None:
    await send(update, context, await context.services.rooms.close(require_member(context), args_text(update)))


async def room_press(update: Update, context: EntraideContext) -> None:
    """Join / wait / leave buttons: the room id is checked by the service."""
    member = require_member(context)
    match = _PRESS.match(pressed(context))
    if match is None:
        raise Refusal("common.stale_button")
    action, room_id = match.group(1), int(match.group(2))
    rooms = context.services.rooms
    if action == "join":
        reply = await rooms.join(member, room_id)
    elif action == "wait":
        reply = await rooms.wait(member, room_id)
    else:
        reply = await rooms.leave_room(member, room_id)
    await answer_press(update, context, reply)


def register(app: Application) -> None:
    add_commands(app, [
        (_CMD["salles"], list_rooms), (_CMD["rejoindre"], join), (_CMD["quitter"], leave),
        (_CMD["pseudo"], pseudo), (_CMD["ouvrir"], open_room), (_CMD["fermer"], close_room),
    ])
    app.add_handler(button(room_press, r"^(join|wait|leave):"))
