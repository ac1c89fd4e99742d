"""What reaches the relay: a member's message, and the kinds of content it relays or refuses."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ports import kinds
from bot.ports.refs import Media, MessageRef

COPIED = {kinds.VOICE, kinds.VIDEO, kinds.ANIMATION}
COPIED_WITH_LABEL = {kinds.STICKER, kinds.VIDEO_NOTE}
REFUSED = kinds.ALL - {kinds.TEXT, kinds.PHOTO} - COPIED - COPIED_WITH_LABEL


@dataclass(frozen=True)
class Incoming:
    """A message a member sent to the bot, reduced to what the relay needs."""

    message: MessageRef
    kind: str  # one of bot.ports.kinds
    text: str | None = None
    media: Media | None = None
    reply_to: MessageRef | None = None
    quote_position: int | None = None  # a quoted part of a coalesced copy picks its line
