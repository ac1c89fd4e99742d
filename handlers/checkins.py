"""Evening check-ins: `/bilan` settings, answers, `/humeur`, and facilitators' `/tendances`."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.core.presses import CHECKIN_ANSWERS, CHECKIN_SETTINGS
from bot.telegram.context import EntraideContext
from bot.telegram.menus import FACILITATOR_COMMANDS, MEMBER_COMMANDS
from handlers.common import add_commands, answer_press, args_text, button, chat, pressed, require_member, send

_CMD = {c.fr: c for c in MEMBER_COMMANDS + FACILITATOR_COMMANDS}


async def settings(update: Update, context: EntraideContext) -> None:
    """`/bilan`: opt in or out, hour, days, time zone."""
    await send(update, context, await context.services.checkins.command(require_member(context), args_text(update)))


async def settings_press(update: Update, context: EntraideContext) -> None:
    reply = await context.services.checkins.press(require_member(context), pressed(context))
    await answer_press(update, context, reply)


async def answer_press_handler(update: Update, context: EntraideContext) -> None:
    """A mood, a tag, or snooze / skip / pause / stop under a check-in."""
    reply = await context.services.checkins.answer(require_member(context), pressed(context))
    await answer_press(update, context, reply)


async def mood(update: Update, context: EntraideContext) -> None:
    """`/humeur`: one's own last 30 days, with a chart."""
    member = require_member(context)
    reply, chart = await context.services.checkins.history(member)
    if chart is None:
        await send(update, context, reply)
        return
    context.services.answers.photo(chat(update), chart, caption=reply.text, member_id=member.id)


async def trends(update: Update, context: EntraideContext) -> None:
    await send(update, context, await context.services.checkins.trends(require_member(context), args_text(update)))


def register(app: Application) -> None:
    add_commands(app, [(_CMD["bilan"], settings), (_CMD["humeur"], mood), (_CMD["tendances"], trends)])
    app.add_handler(button(settings_press, *CHECKIN_SETTINGS))
    app.add_handler(button(answer_press_handler, *CHECKIN_ANSWERS))
