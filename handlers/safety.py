"""Buttons of crisis care: send anyway / don't send / talk with a facilitator; answering."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import Application

from bot.core import presses
from bot.core.errors import Refusal
from bot.telegram.context import EntraideContext
from handlers.common import answer_press, button, pressed, pressed_message, query_of, require_member

_HELD, _SUPPORT = presses.HELD, presses.SUPPORT


async def held_press(update: Update, context: EntraideContext) -> None:
    """The member decides what happens to their held message."""
    member = require_member(context)
    query = query_of(update)
    match = _HELD.match(pressed(context))
    if match is None:
        raise Refusal("common.stale_button")
    reply = await context.services.safety.press(member, match.group(1), match.group(2))
    message = pressed_message(update)
    shown = query.message
    if message is not None and isinstance(shown, Message) and shown.text:
        # Keep the resources on screen, take the used buttons away.
        context.services.answers.edit(message, shown.text, member_id=member.id, or_send=False)
    await answer_press(update, context, reply)


async def support_press(update: Update, context: EntraideContext) -> None:
    """A facilitator answers a member who may need support, privately."""
    member = require_member(context)
    match = _SUPPORT.match(pressed(context))
    if match is None:
        raise Refusal("common.stale_button")
    await answer_press(update, context, await context.services.safety.answer(member, int(match.group(1))))


def register(app: Application) -> None:
    app.add_handler(button(held_press, r"^cr:"))
    app.add_handler(button(support_press, r"^sup:"))
