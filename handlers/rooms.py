"""Rooms: `/salles`, `/rejoindre`, `/quitter`, `/pseudo`, and facilitators' `/ouvrir`, `/fermer`."""

from __future__ import annotations

import warnings

from telegram import Update
from telegram.ext import Application, CommandHandler, ConversationHandler, MessageHandler, filters
from telegram.warnings import PTBUserWarning

from bot.core.errors import Refusal
from bot.core.presses import (
    JoinRoom,
    LeaveRoom,
    ListRooms,
    OpenRoom,
    Places,
    SkipDescription,
    SkipPlaces,
    SkipTheme,
    WaitForRoom,
)
from bot.ports.replies import Reply
from bot.services.rooms import parse_room_ref
from bot.telegram.context import EntraideContext
from bot.telegram.menus import FACILITATOR_COMMANDS, MEMBER_COMMANDS, Command
from handlers.common import (
    COMMAND_FILTER,
    add_commands,
    answer_press,
    args_text,
    button,
    pressed,
    pressed_as,
    require_member,
    send,
)

_CMD = {c.fr: c for c in MEMBER_COMMANDS + FACILITATOR_COMMANDS}
CANCEL = Command("annuler", "cancel", "menu.cancel")
THEME, DESCRIPTION, PLACES = range(3)
TEXT = filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE


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


async def open_room(update: Update, context: EntraideContext) -> int:
    """`/ouvrir thème | description | places` opens at once; `/ouvrir` alone guides, step by step."""
    member, args = require_member(context), args_text(update)
    if args.strip():
        await send(update, context, await context.services.rooms.open(member, args))
        return ConversationHandler.END
    await send(update, context, context.services.rooms.begin_open(member))
    return THEME


async def open_press(update: Update, context: EntraideContext) -> int:
    """« Ouvrir une salle » (in a facilitator's welcome or an empty /salles): the guided /ouvrir."""
    await answer_press(update, context, context.services.rooms.begin_open(require_member(context)))
    return THEME


async def _answer(update: Update, context: EntraideContext, reply: Reply) -> None:
    if update.callback_query is not None:
        await answer_press(update, context, reply)
    else:
        await send(update, context, reply)


def _typed(update: Update) -> str | None:
    """What was typed, or None for « Passer »."""
    return update.message.text if update.message is not None else None


async def theme(update: Update, context: EntraideContext) -> int:
    await _answer(update, context, context.services.rooms.set_theme(require_member(context), _typed(update)))
    return DESCRIPTION


async def description(update: Update, context: EntraideContext) -> int:
    await _answer(update, context, context.services.rooms.set_description(require_member(context), _typed(update)))
    return PLACES


async def places(update: Update, context: EntraideContext) -> int:
    places = _typed(update)
    if update.callback_query is not None:
        press = Places.unpack(pressed(context))
        places = str(press.places) if press else None
    await _answer(update, context, await context.services.rooms.set_places(require_member(context), places))
    return ConversationHandler.END


async def abandon(update: Update, context: EntraideContext) -> int:
    await send(update, context, context.services.rooms.abandon_open(require_member(context)))
    return ConversationHandler.END


async def timeout(update: Update, context: EntraideContext) -> None:
    if context.member is not None:
        context.services.rooms.drafts.pop(context.member.id, None)


async def close_room(update: Update, context: EntraideContext) -> None:
    await send(update, context, await context.services.rooms.close(require_member(context), args_text(update)))


async def list_press(update: Update, context: EntraideContext) -> None:
    """« Voir les salles »: the list, as a new message under the one pressed."""
    reply = await context.services.rooms.list(require_member(context))
    await answer_press(update, context, Reply(reply.text, reply.buttons, edit=False))


async def room_press(update: Update, context: EntraideContext) -> None:
    """Join / wait / leave buttons: the room id is checked by the service."""
    member = require_member(context)
    press = pressed_as(context, JoinRoom, WaitForRoom, LeaveRoom)
    await answer_press(update, context, await context.services.rooms.choose(member, press.PREFIX, press.room_id))


def register(app: Application) -> None:
    with warnings.catch_warnings():
        # Tracking per chat and user, not per message, is what this exchange wants.
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        app.add_handler(_conversation())
    add_commands(
        app,
        [
            (_CMD["salles"], list_rooms),
            (_CMD["rejoindre"], join),
            (_CMD["quitter"], leave),
            (_CMD["pseudo"], pseudo),
            (_CMD["fermer"], close_room),
        ],
    )
    app.add_handler(button(room_press, JoinRoom, WaitForRoom, LeaveRoom))
    app.add_handler(button(list_press, ListRooms))


def _conversation() -> ConversationHandler:
    return ConversationHandler(
        entry_points=[
            CommandHandler(_CMD["ouvrir"].names(), open_room, filters=COMMAND_FILTER),
            button(open_press, OpenRoom),
        ],
        states={
            THEME: [MessageHandler(TEXT, theme), button(theme, SkipTheme)],
            DESCRIPTION: [MessageHandler(TEXT, description), button(description, SkipDescription)],
            PLACES: [MessageHandler(TEXT, places), button(places, SkipPlaces, Places)],
            ConversationHandler.TIMEOUT: [MessageHandler(filters.ALL, timeout)],
        },
        fallbacks=[CommandHandler(CANCEL.names(), abandon, filters=COMMAND_FILTER)],
        allow_reentry=True,  # `/ouvrir …` in the middle of the guided one starts over
        conversation_timeout=15 * 60,
        name="room-draft",
        persistent=False,
    )
