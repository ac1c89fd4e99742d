"""Choices answered by number where the transport shows no buttons (bot/ports/choices.py):
« 2 » under a numbered list is the press of its second choice, handled by the same
handler and checks as a button press; a number that answers nothing open gets a kind
answer and goes nowhere else."""

from __future__ import annotations

from telegram import CallbackQuery, Message, Update

from bot.ports.choices import OutOfRange, Picked
from bot.services.answers import unanswered
from bot.telegram.adapter import chat_of
from bot.telegram.context import EntraideContext
from handlers.common import member_id, replied


async def answered_a_list(update: Update, context: EntraideContext) -> bool:
    """True if the member's message answered (or tried to answer) a numbered list."""
    message = update.message
    if message is None or message.text is None:
        return False
    services = context.services
    answer = services.choices.answer(chat_of(message.chat_id), message.text, replied(update))
    if answer is None:
        return False
    if isinstance(answer, Picked):
        await _press(update, context, answer)
        return True
    language = None
    if isinstance(answer, OutOfRange) and context.member is None and answer.list is not None:
        language = services.onboarding.language_of(answer.list.choices[0].data)  # onboarding: the screen's
    text = unanswered(services.t, answer, context.locale, language)
    services.answers.text(chat_of(message.chat_id), text, member_id=member_id(context))
    return True


async def _press(update: Update, context: EntraideContext, picked: Picked) -> None:
    """Run the pick through the application as the press it stands for (middleware included:
    the data is sealed for this chat, as a button's would be)."""
    message, bot, user = update.message, context.bot, update.effective_user
    if message is None or user is None:
        return
    shown = Message(
        message_id=int(picked.list.message.id),
        date=message.date,
        chat=message.chat,
        text=picked.list.text,
        from_user=bot.bot if bot.bot is not None else None,
    )
    query = CallbackQuery(
        id=picked.press,
        from_user=user,
        chat_instance=f"numbered:{message.chat_id}",
        message=shown,
        data=context.services.seal.seal(message.chat_id, picked.data),
    )
    shown.set_bot(bot)
    query.set_bot(bot)
    await context.application.process_update(Update(update.update_id, callback_query=query))
