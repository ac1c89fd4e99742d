"""`/signaler` in reply to a relayed message; facilitators lift a pause."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.core import presses
from bot.core.errors import Refusal
from bot.telegram.context import EntraideContext
from bot.telegram.menus import MEMBER_COMMANDS
from handlers.common import add_commands, answer_press, button, pressed, replied, require_member, send

REPORT = next(c for c in MEMBER_COMMANDS if c.fr == "signaler")
_REASON, _LIFT = presses.REPORT_REASON, presses.REPORT_LIFT


async def report(update: Update, context: EntraideContext) -> None:
    await send(update, context, await context.services.reports.start(require_member(context), replied(update)))


async def reason_press(update: Update, context: EntraideContext) -> None:
    member = require_member(context)
    match = _REASON.match(pressed(context))
    if match is None:
        raise Refusal("common.stale_button")
    reply = await context.services.reports.choose(member, match.group(1), int(match.group(2)))
    await answer_press(update, context, reply)


async def lift_press(update: Update, context: EntraideContext) -> None:
    member = require_member(context)
    match = _LIFT.match(pressed(context))
    if match is None:
        raise Refusal("common.stale_button")
    await answer_press(update, context, await context.services.reports.lift(member, int(match.group(1))))


def register(app: Application) -> None:
    add_commands(app, [(REPORT, report)])
    app.add_handler(button(reason_press, r"^rp:"))
    app.add_handler(button(lift_press, r"^unpause:"))
