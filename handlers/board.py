"""The shared knowledge board: `/partager`, `/ressources`, withdraw, pin and remove."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.core import presses
from bot.core.errors import Refusal
from bot.telegram.adapter import message_of
from bot.telegram.context import EntraideContext
from bot.telegram.menus import MEMBER_COMMANDS
from handlers.common import add_commands, answer_press, args_text, button, new_message, pressed, require_member, send

_CMD = {c.fr: c for c in MEMBER_COMMANDS}
_WITHDRAW, _MODERATE = presses.BOARD_WITHDRAW, presses.BOARD_MODERATE


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
    match = _WITHDRAW.match(pressed(context))
    if match is None:
        raise Refusal("common.stale_button")
    await answer_press(
        update, context, await context.services.board.withdraw(member, int(match.group(1)), match.group(2))
    )


async def moderate_press(update: Update, context: EntraideContext) -> None:
    member = require_member(context)
    match = _MODERATE.match(pressed(context))
    if match is None:
        raise Refusal("common.stale_button")
    await answer_press(
        update,
        context,
        await context.services.board.moderate(member, match.group(1), int(match.group(2)), match.group(3)),
    )


def register(app: Application) -> None:
    add_commands(app, [(_CMD["partager"], share), (_CMD["ressources"], resources)])
    app.add_handler(button(withdraw_press, r"^bdw:"))
    app.add_handler(button(moderate_press, r"^bd:"))
