"""What a service answers: plain text and buttons, already in the person's language."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.transport import Keyboard


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: Keyboard | None = None
    # For a button press: a short notice shown by Telegram, and whether to edit in place.
    notice: str | None = None
    edit: bool = True


@dataclass
class Replies:
    """Several messages to send to the person, in order."""

    items: list[Reply] = field(default_factory=list)

    def add(self, reply: Reply | None) -> "Replies":
        if reply is not None:
            self.items.append(reply)
        return self
