"""What a service answers: plain text and buttons, already in the person's language."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ports.transport import Keyboard


@dataclass(frozen=True)
class Reply:
    text: str
    buttons: Keyboard | None = None
    # For a button press: a short notice shown by Telegram, and whether to edit in place.
    notice: str | None = None
    edit: bool = True
