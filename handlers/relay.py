"""What a member writes (not a command) goes to their room; edits follow; `/supprimer`."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import Application, MessageHandler, filters

from bot.ports import kinds
from bot.services.relay import Incoming
from bot.telegram.adapter import media_of, message_of
from bot.telegram.context import EntraideContext
from bot.telegram.menus import MEMBER_COMMANDS
from handlers.choices import answered_a_list
from handlers.common import add_commands, new_message, replied, require_member, send

DELETE = next(c for c in MEMBER_COMMANDS if c.fr == "supprimer")

# Telegram's message fields -> the core's kinds. Order matters: an animation also carries
# a `document`, a venue a `location`.
_KINDS = {
    "text": kinds.TEXT,
    "photo": kinds.PHOTO,
    "sticker": kinds.STICKER,
    "voice": kinds.VOICE,
    "video_note": kinds.VIDEO_NOTE,
    "video": kinds.VIDEO,
    "animation": kinds.ANIMATION,
    "venue": kinds.VENUE,
    "document": kinds.DOCUMENT,
    "audio": kinds.AUDIO,
    "contact": kinds.CONTACT,
    "location": kinds.LOCATION,
    "poll": kinds.POLL,
    "dice": kinds.DICE,
    "game": kinds.GAME,
    "story": kinds.STORY,
}


def incoming(message: Message) -> Incoming:
    field = next((k for k in _KINDS if getattr(message, k, None)), None)
    kind = _KINDS[field] if field is not None else kinds.OTHER
    return Incoming(
        message=message_of(message.chat_id, message.message_id),
        kind=kind,
        text=message.text if kind == kinds.TEXT else message.caption,
        media=media_of(message),
        reply_to=message_of(message.chat_id, message.reply_to_message.message_id) if message.reply_to_message else None,
        quote_position=message.quote.position if message.quote else None,
    )


async def relay(update: Update, context: EntraideContext) -> None:
    """Relay a member's message to their room under their pseudonym (unless it answers a
    numbered list, where choices cannot be buttons)."""
    if await answered_a_list(update, context):
        return
    member = require_member(context)
    await send(update, context, await context.services.relay.relay(member, incoming(new_message(update))))


async def edited(update: Update, context: EntraideContext) -> None:
    """An edit updates every relayed copy; edits of anything else are ignored."""
    if context.member is None:
        return
    message = update.edited_message
    assert message is not None  # the handler's filter: edits only
    text = message.text if message.text is not None else (message.caption or "")
    await context.services.relay.edit(context.member, message_of(message.chat_id, message.message_id), text)


async def delete(update: Update, context: EntraideContext) -> None:
    reply = await context.services.relay.delete(require_member(context), replied(update))
    await send(update, context, reply)


def register(app: Application) -> None:
    add_commands(app, [(DELETE, delete)])
    app.add_handler(
        MessageHandler(filters.UpdateType.EDITED_MESSAGE & filters.ChatType.PRIVATE & ~filters.COMMAND, edited)
    )


def register_fallback(app: Application) -> None:
    """Registered last: everything else a member sends in private goes to the room."""
    app.add_handler(
        MessageHandler(
            filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE & ~filters.COMMAND & ~filters.StatusUpdate.ALL, relay
        )
    )
