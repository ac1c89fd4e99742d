"""Messages the bot sends on its own to members (announcements, notices), via delivery lanes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from bot.core.i18n import Translator
from bot.core.text import Entity
from bot.ports.refs import chat_ref
from bot.ports.transport import Keyboard, Transport
from bot.services.delivery import LIVE, Delivery
from storage.members import Member


class Notifier:
    def __init__(self, transport: Transport, delivery: Delivery, t: Translator) -> None:
        self.transport = transport
        self.delivery = delivery
        self.t = t

    def send(
        self,
        member: Member,
        key: str,
        *,
        buttons: Callable[[str], Keyboard] | None = None,
        priority: int = LIVE,
        **params: object,
    ) -> None:
        """Queue a localized message to one member, in order with their relayed messages."""
        text = self.t(member.locale, key, **params)
        self.send_text(member, text, buttons(member.locale) if buttons else None, priority=priority)

    def send_text(
        self,
        member: Member,
        text: str,
        buttons: Keyboard | None = None,
        protect: bool = False,
        priority: int = LIVE,
        entities: Sequence[Entity] = (),
    ) -> None:
        async def job() -> None:
            await self.transport.send(chat_ref(member.chat), text, buttons=buttons, protect=protect, entities=entities)

        self.delivery.submit(member.chat, job, member.id, priority=priority)
