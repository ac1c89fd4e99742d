"""The shared knowledge board: `/partager`, `/ressources`, withdraw, pin and remove."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.core.presses import PinEntry, RemoveEntry, WithdrawEntry
from bot.telegram.adapter import message_of
from bot.telegram.context import EntraideContext
from bot.telegram.menus import MEMBER_COMMANDS
from handlers.common import add_commands, answer_press, args_text, button, new_message, pressed_as, require_member, send

_CMD = {c.fr: c for c in MEMBER_COMMANDS}


async def share(update: Update, context: EntraideContext) -> None:
    """`/partager titre | quelques lignes | lien`: a tip or a resource for the room."""
    member = require_member(context)
    reply = await context.services.board.share(
        member, args_text(update), message_of(new_message(update).chat_id, new_message(update).message_id)
    )
    await send(update, context, reply)


async def resources(update: Update, context: EntraideContext) -> None:
    await send(update, context, await context.services.board.resources(require_member(context)))


async def withdraw_press(update: Update, context: EntraideContext) -> None:
    member = require_member(context)
    press = pressed_as(context, WithdrawEntry)
    await answer_press(update, context, await context.services.board.withdraw(member, press.entry_id, press.token))


async def moderate_press(update: Update, context: EntraideContext) -> None:
    member = require_member(context)
    press = pressed_as(context, PinEntry, RemoveEntry)
    if isinstance(press, RemoveEntry):
        reply = await context.services.board.moderate(member, "del", press.entry_id, press.token)
    else:
        assert isinstance(press, PinEntry)
        reply = await context.services.board.moderate(member, "pin", press.entry_id)
    await answer_press(update, context, reply)


def register(app: Application) -> None:
    add_commands(app, [(_CMD["partager"], share), (_CMD["ressources"], resources)])
    app.add_handler(button(withdraw_press, WithdrawEntry))
    app.add_handler(button(moderate_press, PinEntry, RemoveEntry))
