"""A chat reference as it is kept at rest: (transport, the transport's own id for the chat),
sealed under the member's data key as "transport:id". The core knows it as
`bot.ports.refs.ChatRef` (this very class: storage imports nothing from bot). Rows written
before references existed hold a bare Telegram chat id, read as ("telegram", id)."""

from __future__ import annotations

from typing import NamedTuple

SEPARATOR = ":"


class ChatRef(NamedTuple):
    transport: str
    id: str

    def __str__(self) -> str:
        return f"{self.transport}{SEPARATOR}{self.id}"


def chat_text(chat: tuple[str, str] | int) -> str:
    """The stored form of a reference (an int is a Telegram chat id)."""
    if isinstance(chat, int):
        return f"telegram{SEPARATOR}{int(chat)}"
    transport, local = chat
    if not transport or SEPARATOR in transport or not local:
        raise ValueError("not a chat reference")
    return f"{transport}{SEPARATOR}{local}"


def chat_from_text(text: str) -> ChatRef:
    """A reference from its stored form; a bare number is a Telegram chat."""
    transport, separator, local = text.partition(SEPARATOR)
    if not separator:
        if text.lstrip("-").isdigit():
            return ChatRef("telegram", text)
        raise ValueError("not a chat reference")
    if not transport or not local:
        raise ValueError("not a chat reference")
    return ChatRef(transport, local)
