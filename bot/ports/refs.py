"""Opaque references to a chat and to a message, the same for every transport.

A `ChatRef` is a transport's name and that transport's own id for the chat, both strings
(Telegram: ("telegram", "123456"); Signal: ("signal", an ACI), never a phone number). It
is a named tuple: hashable, comparable, and what `storage/` seals at rest under the
member's data key; the class itself lives in `storage/refs.py`, a leaf with no SQL, so
that storage builds it without importing the port.

A `MessageRef` is the chat and the transport's id for one message in it, unique within
that chat (Telegram: the message id; Signal: the sender timestamp in ms, the author
being the member for theirs and the bot for its own). The relay map keeps only that id.

A `Media` is an attachment a member sent, as the transport hands it over: enough for the
transport to fetch its bytes or to relay it to someone else, nothing the core reads.
"""

from __future__ import annotations

from typing import NamedTuple

from storage.refs import ChatRef, chat_from_text

__all__ = ["ChatRef", "Media", "MessageRef", "chat_ref", "message_ref"]


def chat_ref(value: ChatRef | tuple[str, str] | str) -> ChatRef:
    """A reference from its stored form ("telegram:123"; a bare number is a Telegram chat,
    as every row written before references existed), or from a plain tuple."""
    if isinstance(value, ChatRef):
        return value
    if isinstance(value, tuple):
        transport, local = value
        return ChatRef(str(transport), str(local))
    return chat_from_text(str(value))


class MessageRef(NamedTuple):
    chat: ChatRef
    id: str

    @property
    def transport(self) -> str:
        return self.chat.transport


def message_ref(chat: ChatRef | tuple[str, str], local: int | str) -> MessageRef:
    """The reference of the message `local` (as the relay map keeps it) in `chat`."""
    return MessageRef(chat_ref(chat), str(local))


class Media(NamedTuple):
    """An attachment a member sent. `source` is the message that carried it; `id` the
    transport's handle for the file (Telegram: a file_id; Signal: an attachment id)."""

    transport: str
    id: str
    source: MessageRef | None = None
    size: int | None = None  # bytes, as the platform announced it, when it says
