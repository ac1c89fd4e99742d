"""One thing a Signal member did, as the inbound path hands it to a command or a choice:
who (their chat and member), in which language, what they wrote, what it answers.

The Telegram side has the same pieces in its `Update` and `EntraideContext`; here they are
plain values, and the answers go through the same `Answers` as Telegram's handlers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.core.errors import Refusal
from bot.ports.refs import ChatRef, MessageRef
from bot.ports.replies import Reply

if TYPE_CHECKING:
    from bot.services import Services
    from storage.members import Member


@dataclass
class Turn:
    services: Services
    chat: ChatRef  # the member's private chat with the bot: ("signal", their ACI)
    member: Member | None
    locale: str
    text: str = ""  # what was written, as typed
    message: MessageRef | None = None  # the member's own message
    replied: MessageRef | None = None  # the message it quotes
    # A choice answered by number: its data, the id `acknowledge` knows it by, and the list.
    press: str = ""
    press_id: str | None = None
    pressed: MessageRef | None = None

    @property
    def user(self) -> tuple[str, str]:
        """Who the person is, for the blind index (the same as their chat on Signal)."""
        return (self.chat.transport, self.chat.id)

    @property
    def args(self) -> str:
        """Everything after the command word, as typed (not split on spaces)."""
        parts = self.text.split(maxsplit=1)
        return parts[1] if len(parts) > 1 else ""

    @property
    def member_id(self) -> int | None:
        return self.member.id if self.member is not None else None

    def require_member(self) -> Member:
        if self.member is None:
            raise Refusal("common.start_first")
        return self.member

    def say(self, key: str, **params) -> None:
        """A short message from the catalogs, in the person's language."""
        self.services.answers.text(self.chat, self.services.t(self.locale, key, **params), member_id=self.member_id)

    async def send(self, reply: Reply | None) -> None:
        self.services.answers.reply(self.chat, reply, member_id=self.member_id)

    async def answer_press(self, reply: Reply | None) -> None:
        await self.services.answers.pressed(self.chat, self.press_id, self.pressed, reply, member_id=self.member_id)
