"""Buttons of crisis care: send anyway / don't send / talk with a facilitator; answering."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import Application

from bot.core.presses import AnswerSupport, HeldChoice
from bot.telegram.context import EntraideContext
from handlers.common import answer_press, button, pressed_as, pressed_message, query_of, require_member


async def held_press(update: Update, context: EntraideContext) -> None:
    """The member decides what happens to their held message."""
    member = require_member(context)
    query = query_of(update)
    press = pressed_as(context, HeldChoice)
    reply = await context.services.safety.press(member, press.action, press.token)
    message = pressed_message(update)
    shown = query.message
    if message is not None and isinstance(shown, Message) and shown.text:
        # Keep the resources on screen, take the used buttons away.
        context.services.answers.edit(message, shown.text, member_id=member.id, or_send=False)
    await answer_press(update, context, reply)


async def support_press(update: Update, context: EntraideContext) -> None:
    """A facilitator answers a member who may need support, privately."""
    member = require_member(context)
    press = pressed_as(context, AnswerSupport)
    await answer_press(update, context, await context.services.safety.answer(member, press.support_id))


def register(app: Application) -> None:
    app.add_handler(button(held_press, HeldChoice))
    app.add_handler(button(support_press, AnswerSupport))
