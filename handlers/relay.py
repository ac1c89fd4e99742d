"""What a member writes (not a command) goes to their room; edits follow; `/supprimer`."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import Application, MessageHandler, filters

from bot.services.relay import Incoming
from bot.telegram.context import EntraideContext
from bot.telegram.menus import MEMBER_COMMANDS
from handlers.common import add_commands, replied_id, require_member, send

DELETE = next(c for c in MEMBER_COMMANDS if c.fr == "supprimer")

# Order matters: an animation also carries a `document`, a venue a `location`.
_KINDS = (
    "text",
    "photo",
    "sticker",
    "voice",
    "video_note",
    "video",
    "animation",
    "venue",
    "document",
    "audio",
    "contact",
    "location",
    "poll",
    "dice",
    "game",
    "story",
)


def incoming(message: Message) -> Incoming:
    kind = next((k for k in _KINDS if getattr(message, k, None)), "other")
    file_ref = message.photo[-1].file_id if kind == "photo" else None
    return Incoming(
        message_id=message.message_id,
        kind=kind,
        text=message.text if kind == "text" else message.caption,
        file_ref=file_ref,
        reply_to=replied_id_of(message),
        quote_position=message.quote.position if message.quote else None,
        file_size=message.photo[-1].file_size if kind == "photo" else None,
    )


def replied_id_of(message: Message) -> int | None:
    return message.reply_to_message.message_id if message.reply_to_message else None


async def relay(update: Update, context: EntraideContext) -> None:
    """Relay a member's message to their room under their pseudonym."""
    member = require_member(context)
    await send(update, context, await context.services.relay.relay(member, incoming(update.message)))


async def edited(update: Update, context: EntraideContext) -> None:
    """An edit updates every relayed copy; edits of anything else are ignored."""
    if context.member is None:
        return
    message = update.edited_message
    text = message.text if message.text is not None else (message.caption or "")
    await context.services.relay.edit(context.member, message.message_id, text)


async def delete(update: Update, context: EntraideContext) -> None:
    reply = await context.services.relay.delete(require_member(context), replied_id(update))
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
