"""Small helpers shared by the handler modules: arguments, replies, command registration."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

from telegram import CallbackQuery, Message, Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core.buttons import plain
from bot.core.errors import Refusal
from bot.core.presses import Press, unpack
from bot.ports.refs import ChatRef, MessageRef
from bot.ports.replies import Reply
from bot.telegram.adapter import chat_of, message_of
from bot.telegram.context import EntraideContext
from bot.telegram.menus import Command

# A handler; those of a conversation return its next state.
Callback = Callable[[Update, EntraideContext], Coroutine[Any, Any, object]]

# Commands only from new messages in private chats: an edited "/fermer" must not run twice.
COMMAND_FILTER = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE


def command(cmd: Command, callback: Callback) -> CommandHandler:
    return CommandHandler(cmd.names(), callback, filters=COMMAND_FILTER)


def add_commands(app: Application, pairs: list[tuple[Command, Callback]]) -> None:
    for cmd, callback in pairs:
        app.add_handler(command(cmd, callback))


P = TypeVar("P", bound=Press)


@dataclass(frozen=True)
class PressPattern:
    """A handler's pattern: the data (without its seal) is exactly one of its kinds of choice."""

    kinds: tuple[type[Press], ...]

    def __call__(self, data: object) -> bool:
        return isinstance(data, str) and any(kind.matches(plain(data)) for kind in self.kinds)


def button(callback: Callback, *kinds: type[Press]) -> CallbackQueryHandler:
    """A handler for presses of these kinds (bot/core/presses.py), its pattern theirs.

    The seal itself was checked once for every press by the identity middleware."""
    return CallbackQueryHandler(callback, pattern=PressPattern(kinds))


def pressed(context: EntraideContext) -> str:
    """The data of the button pressed, as the bot issued it (checked by the middleware)."""
    return context.press or ""


def pressed_as(context: EntraideContext, *kinds: type[P]) -> P:
    """The choice pressed, read as one of `kinds`; a stale one gets the kind answer."""
    press = unpack(pressed(context), *kinds)
    if press is None:
        raise Refusal("common.stale_button")
    return press


def new_message(update: Update) -> Message:
    """The new message a command or message handler was given (its filters let no other update through)."""
    message = update.message
    assert message is not None, "a message handler was given an update without a new message"
    return message


def query_of(update: Update) -> CallbackQuery:
    """The press a button handler was given."""
    query = update.callback_query
    assert query is not None, "a button handler was given an update without a press"
    return query


def chat_id_of(update: Update) -> int:
    """Telegram's id of the chat the update came from (the handlers here only see private chats)."""
    where = update.effective_chat
    assert where is not None, "a handler was given an update without a chat"
    return where.id


def user_id_of(update: Update) -> int:
    user = update.effective_user
    assert user is not None, "a handler was given an update without a person"
    return user.id


def args_text(update: Update) -> str:
    """Everything after the command word, as typed (not split on spaces)."""
    message = update.effective_message
    text = (message.text if message is not None else None) or ""
    parts = text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


def chat(update: Update) -> ChatRef:
    """The chat the update came from."""
    return chat_of(chat_id_of(update))


def replied(update: Update) -> MessageRef | None:
    """The message the person's message replies to, if any."""
    message = update.effective_message
    reply = message.reply_to_message if message is not None else None
    if message is None or reply is None:
        return None
    return message_of(message.chat_id, reply.message_id)


def pressed_message(update: Update) -> MessageRef | None:
    """The message whose button was pressed (None if Telegram no longer says)."""
    message = update.callback_query.message if update.callback_query else None
    return message_of(message.chat.id, message.message_id) if message is not None else None


def require_member(context: EntraideContext):
    if context.member is None:
        raise Refusal("common.start_first")
    return context.member


def member_id(context: EntraideContext) -> int | None:
    return context.member.id if context.member is not None else None


async def send(update: Update, context: EntraideContext, reply: Reply | None) -> None:
    """Answer in the chat the update came from, through that chat's delivery lane."""
    context.services.answers.reply(chat(update), reply, member_id=member_id(context))


async def answer_press(update: Update, context: EntraideContext, reply: Reply | None) -> None:
    """Answer a button press: acknowledge it, then edit the message in place or send anew."""
    await context.services.answers.pressed(
        chat(update), query_of(update).id, pressed_message(update), reply, member_id=member_id(context)
    )
