"""The transport port: everything the core needs to reach people.

The Telegram adapter implements it with python-telegram-bot; a Signal adapter will
implement it later. Implementations raise the delivery errors of `bot.core.errors`:
`Unreachable` (the person blocked the bot), `RateLimited` (wait `retry_after`
seconds), `Transient` (5xx, network), `Gone` (the message no longer exists),
`NotModified` (an edit changed nothing). Chat ids are plain integers; buttons carry
short stable ids, never translated labels. Text goes without any parse mode; the only
formatting is the `entities` the bot computes itself (UTF-16 offsets, `bot.core.text.Entity`):
a label in bold that nothing a member types can produce.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.core.text import Entity, Styled


@dataclass(frozen=True)
class Button:
    label: str
    data: str | None = None
    url: str | None = None


Keyboard = list[list[Button]]


@dataclass(frozen=True)
class Sent:
    """What a send returned: the new message id, and a reusable file reference for media."""

    message_id: int
    file_ref: str | None = None


class Transport(Protocol):
    async def send_text(
        self,
        chat_id: int,
        text: str,
        *,
        buttons: Keyboard | None = None,
        reply_to: int | None = None,
        protect: bool = False,
        entities: Sequence[Entity] = (),
    ) -> Sent:
        """Send plain text (no parse mode: nothing typed can become formatting), with the
        bot's own entities if any."""

    async def send_photo(
        self,
        chat_id: int,
        photo: bytes | str,
        *,
        caption: str | None = None,
        reply_to: int | None = None,
        protect: bool = False,
        entities: Sequence[Entity] = (),
    ) -> Sent:
        """Send a photo from bytes or from a file reference returned earlier."""

    async def send_document(self, chat_id: int, data: bytes, filename: str, *, caption: str | None = None) -> Sent:
        """Send a file (data exports)."""

    async def copy(
        self,
        chat_id: int,
        from_chat_id: int,
        message_id: int,
        *,
        caption: str | None = None,
        reply_to: int | None = None,
        protect: bool = False,
        entities: Sequence[Entity] = (),
    ) -> Sent:
        """Copy a message without any link to its origin (never a forward)."""

    async def edit_text(
        self,
        chat_id: int,
        message_id: int,
        text: str,
        *,
        buttons: Keyboard | None = None,
        entities: Sequence[Entity] = (),
    ) -> None:
        """Replace the text (and buttons, and entities) of a message the bot sent."""

    async def edit_caption(
        self, chat_id: int, message_id: int, caption: str | None, *, entities: Sequence[Entity] = ()
    ) -> None:
        """Replace the caption of a media message the bot sent."""

    async def recall(self, chat_id: int, message_id: int) -> Styled | None:
        """The text and entities of a text message the bot sent, as the platform holds it
        now (None if it cannot tell). Used, in memory only, to take one line out of a
        combined copy after a restart; nothing of it is kept."""

    async def delete(self, chat_id: int, message_id: int) -> None:
        """Delete a message in a chat."""

    async def answer(self, callback_id: str, text: str | None = None, *, alert: bool = False) -> None:
        """Acknowledge a button press, optionally with a short notice."""

    async def fetch_file(self, file_ref: str) -> bytes:
        """Download a file a person sent."""

    async def ping(self) -> bool:
        """The platform answers (for readiness checks); raises a delivery error otherwise."""
