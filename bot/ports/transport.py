"""The transport port: everything the core needs to reach people, on any messenger.

The Telegram adapter (`bot/telegram/adapter.py`) implements it with python-telegram-bot;
a Signal adapter implements it over signal-cli; `bot/sandbox/memory.py` is an in-memory
one for tests. Every adapter passes the same contract suite (`tests/contract/`).

Chats and messages are opaque references (`bot.ports.refs`); what a transport can do is
its `Capabilities` (`bot.ports.capabilities`), read by the core instead of assuming one
messenger's limits. Operations say what is meant: send a text or a photo, relay a
member's media to someone else (however the platform does it: a server-side copy, or
the bytes sent again), edit, delete, acknowledge a choice, fetch a member's attachment.

Implementations raise the delivery errors of `bot.core.errors`: `Unreachable` (the
person blocked the bot), `RateLimited` (wait `retry_after` seconds), `Transient` (5xx,
network), `Gone` (the message no longer exists or can no longer be changed),
`NotModified` (an edit changed nothing), `Rejected` (the content itself was refused).

Choices (`Button`s) carry short stable ids, never translated labels. A transport without
buttons never receives any: the core renders them as a numbered list first
(`bot.ports.choices`). Text goes without any parse mode; the only formatting is the
`entities` the bot computes itself (UTF-16 offsets, `bot.core.text.Entity`): a label in
bold that nothing a member types can produce.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.core.text import Entity, Styled
from bot.ports.capabilities import Capabilities
from bot.ports.refs import ChatRef, Media, MessageRef


@dataclass(frozen=True)
class Button:
    label: str
    data: str | None = None
    url: str | None = None


Keyboard = list[list[Button]]


@dataclass(frozen=True)
class Sent:
    """What a send returned: the new message, and for media a reference the same
    transport can send again to someone else without the bytes (None if it cannot)."""

    message: MessageRef
    media: Media | None = None


class Transport(Protocol):
    name: str
    capabilities: Capabilities

    def capabilities_for(self, chat: ChatRef) -> Capabilities:
        """What the transport that reaches `chat` can do."""

    async def send(
        self,
        chat: ChatRef,
        text: str,
        *,
        buttons: Keyboard | None = None,
        reply_to: MessageRef | None = None,
        protect: bool = False,
        entities: Sequence[Entity] = (),
    ) -> Sent:
        """Send plain text (no parse mode: nothing typed can become formatting), with the
        bot's own entities if any. `reply_to` a message of the same chat; one that no
        longer exists is no reason to fail. `protect` where the platform can."""

    async def send_photo(
        self,
        chat: ChatRef,
        photo: bytes | Media,
        *,
        caption: str | None = None,
        reply_to: MessageRef | None = None,
        protect: bool = False,
        entities: Sequence[Entity] = (),
    ) -> Sent:
        """Send a photo from bytes, or from the `Sent.media` of an earlier send."""

    async def send_document(self, chat: ChatRef, data: bytes, filename: str, *, caption: str | None = None) -> Sent:
        """Send a file (data exports)."""

    async def relay_media(
        self,
        chat: ChatRef,
        media: Media,
        *,
        caption: str | None = None,
        reply_to: MessageRef | None = None,
        protect: bool = False,
        entities: Sequence[Entity] = (),
    ) -> Sent:
        """Give a member's media (a voice note, a video...) to someone else, with the bot's
        caption, with no link to its origin (never a forward)."""

    async def edit(
        self,
        message: MessageRef,
        text: str,
        *,
        buttons: Keyboard | None = None,
        entities: Sequence[Entity] = (),
    ) -> None:
        """Replace the text (and buttons, and entities) of a message the bot sent."""

    async def edit_caption(self, message: MessageRef, caption: str | None, *, entities: Sequence[Entity] = ()) -> None:
        """Replace the caption of a media message the bot sent."""

    async def recall(self, message: MessageRef) -> Styled | None:
        """The text and entities of a text message the bot sent, as the platform holds it
        now (None if it cannot tell). Used, in memory only, to take one line out of a
        combined copy after a restart; nothing of it is kept."""

    async def delete(self, message: MessageRef) -> None:
        """Delete a message the bot sent, or one a member sent where the platform lets the bot."""

    async def acknowledge(self, press: str | None, notice: str | None = None, *, alert: bool = False) -> None:
        """Acknowledge a choice (`press`: the transport's id for it, None when the choice
        was answered by a number), optionally with a short notice, cut to what fits."""

    async def fetch_attachment(self, media: Media) -> bytes:
        """Download what a member sent."""

    async def ping(self) -> bool:
        """The platform answers (for readiness checks); raises a delivery error otherwise."""
