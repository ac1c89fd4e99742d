"""`/signaler` in reply to a relayed message; facilitators lift a pause."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.core.presses import LiftPause, ReportReason
from bot.telegram.context import EntraideContext
from bot.telegram.menus import MEMBER_COMMANDS
from handlers.common import add_commands, answer_press, button, pressed_as, replied, require_member, send

REPORT = next(c for c in MEMBER_COMMANDS if c.fr == "signaler")


async def report(update: Update, context: EntraideContext) -> None:
    await send(update, context, await context.services.reports.start(require_member(context), replied(update)))


async def reason_press(update: Update, context: EntraideContext) -> None:
    member = require_member(context)
    press = pressed_as(context, ReportReason)
    reply = await context.services.reports.choose(member, press.reason, press.relay_id)
    await answer_press(update, context, reply)


async def lift_press(update: Update, context: EntraideContext) -> None:
    member = require_member(context)
    press = pressed_as(context, LiftPause)
    await answer_press(update, context, await context.services.reports.lift(member, press.relay_id))


def register(app: Application) -> None:
    add_commands(app, [(REPORT, report)])
    app.add_handler(button(reason_press, ReportReason))
    app.add_handler(button(lift_press, LiftPause))
