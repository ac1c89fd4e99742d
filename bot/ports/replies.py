"""What a service answers: plain text and choices, already in the person's language."""

from __future__ import annotations

from dataclasses import dataclass

from bot.ports.transport import Keyboard


@dataclass(frozen=True)
class Reply:
    """`buttons` are the choices offered (each a short stable id, never a translated label):
    buttons where the transport has them, a numbered list answered by number or by the
    choice's words where it does not (bot/ports/choices.py); the service never knows which."""

    text: str
    buttons: Keyboard | None = None
    # For a choice: a short notice (a toast on Telegram; a message where there are no
    # buttons), and whether to show the result in place of the question.
    notice: str | None = None
    edit: bool = True

    @property
    def choices(self) -> Keyboard:
        return self.buttons or []
