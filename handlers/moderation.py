"""Facilitators' moderation by reply: `/avertir`, `/sourdine`, `/exclure`, and `/annonce`."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.telegram.context import EntraideContext
from bot.telegram.menus import FACILITATOR_COMMANDS
from handlers.common import add_commands, args_text, replied, require_member, send

_CMD = {c.fr: c for c in FACILITATOR_COMMANDS}


async def warn(update: Update, context: EntraideContext) -> None:
    reply = await context.services.moderation.warn(require_member(context), replied(update), args_text(update))
    await send(update, context, reply)


async def mute(update: Update, context: EntraideContext) -> None:
    reply = await context.services.moderation.mute(require_member(context), replied(update), args_text(update))
    await send(update, context, reply)


async def ban(update: Update, context: EntraideContext) -> None:
    reply = await context.services.moderation.ban(require_member(context), replied(update), args_text(update))
    await send(update, context, reply)


async def announce(update: Update, context: EntraideContext) -> None:
    reply = await context.services.moderation.announce(require_member(context), args_text(update), replied(update))
    await send(update, context, reply)


def register(app: Application) -> None:
    add_commands(
        app, [(_CMD["avertir"], warn), (_CMD["sourdine"], mute), (_CMD["exclure"], ban), (_CMD["annonce"], announce)]
    )
