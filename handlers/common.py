"""Small helpers shared by the handler modules: arguments, replies, command registration."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, filters

from bot.core.buttons import plain
from bot.core.errors import Refusal
from bot.ports.refs import ChatRef, MessageRef
from bot.ports.replies import Reply
from bot.telegram.adapter import chat_of, message_of
from bot.telegram.context import EntraideContext
from bot.telegram.menus import Command

Callback = Callable[[Update, EntraideContext], Awaitable[None]]

# Commands only from new messages in private chats: an edited "/fermer" must not run twice.
COMMAND_FILTER = filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE


def command(cmd: Command, callback: Callback) -> CommandHandler:
    return CommandHandler(cmd.names(), callback, filters=COMMAND_FILTER)


def add_commands(app: Application, pairs: list[tuple[Command, Callback]]) -> None:
    for cmd, callback in pairs:
        app.add_handler(command(cmd, callback))


def button(callback: Callback, pattern: str) -> CallbackQueryHandler:
    """A handler for presses whose data (without its seal) matches `pattern`.

    The seal itself was checked once for every press by the identity middleware."""
    regex = re.compile(pattern)
    return CallbackQueryHandler(
        callback, pattern=lambda data: isinstance(data, str) and regex.match(plain(data)) is not None
    )


def pressed(context: EntraideContext) -> str:
    """The data of the button pressed, as the bot issued it (checked by the middleware)."""
    return context.press or ""


def args_text(update: Update) -> str:
    """Everything after the command word, as typed (not split on spaces)."""
    text = update.effective_message.text or ""
    parts = text.split(maxsplit=1)
    return parts[1] if len(parts) > 1 else ""


def chat(update: Update) -> ChatRef:
    """The chat the update came from."""
    return chat_of(update.effective_chat.id)


def replied(update: Update) -> MessageRef | None:
    """The message the person's message replies to, if any."""
    message = update.effective_message
    reply = message.reply_to_message
    return message_of(message.chat_id, reply.message_id) if reply else None


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
        chat(update), update.callback_query.id, pressed_message(update), reply, member_id=member_id(context)
    )
