"""Answers to what a person just did, sent through their delivery lane.

A handler never waits for a chat's pacing (about one message a second per chat): it
queues its answer in the person's own lane and returns, so one member's burst of
commands only ever delays that member's own answers. Lanes keep each chat's order,
retry rate limits and server errors, and never stop on a person who blocked the bot.
"""

from __future__ import annotations

from bot.core.errors import Gone, NotModified, Rejected
from bot.core.i18n import Translator
from bot.ports.choices import Answer, OutOfRange
from bot.ports.refs import ChatRef, MessageRef
from bot.ports.replies import Reply
from bot.ports.transport import Keyboard, Transport
from bot.services.delivery import LIVE, Delivery


class Answers:
    def __init__(self, transport: Transport, delivery: Delivery) -> None:
        self.transport = transport
        self.delivery = delivery

    def text(
        self,
        chat: ChatRef,
        text: str,
        *,
        buttons: Keyboard | None = None,
        member_id: int | None = None,
        reply_to: MessageRef | None = None,
    ) -> None:
        async def job() -> None:
            await self.transport.send(chat, text, buttons=buttons, reply_to=reply_to)

        self.delivery.submit(chat, job, member_id, priority=LIVE)

    def reply(self, chat: ChatRef, reply: Reply | None, *, member_id: int | None = None) -> None:
        """A service's answer to what the person just did (nothing for None)."""
        if reply is not None:
            self.text(chat, reply.text, buttons=reply.buttons, member_id=member_id)

    async def pressed(
        self,
        chat: ChatRef,
        press: str | None,
        message: MessageRef | None,
        reply: Reply | None,
        *,
        member_id: int | None = None,
    ) -> None:
        """Answer a choice (a button pressed, or a number written under a list): acknowledge
        it, then show the result in place of the question (`message`) or as a new message."""
        await self.transport.acknowledge(press, reply.notice if reply else None)
        if reply is None or not reply.text:
            return
        if reply.edit and message is not None:
            self.edit(message, reply.text, buttons=reply.buttons, member_id=member_id)
        else:
            self.text(chat, reply.text, buttons=reply.buttons, member_id=member_id)

    def photo(self, chat: ChatRef, photo: bytes, *, caption: str | None = None, member_id: int | None = None) -> None:
        async def job() -> None:
            await self.transport.send_photo(chat, photo, caption=caption)

        self.delivery.submit(chat, job, member_id, priority=LIVE)

    def document(
        self, chat: ChatRef, data: bytes, filename: str, *, caption: str | None = None, member_id: int | None = None
    ) -> None:
        async def job() -> None:
            await self.transport.send_document(chat, data, filename, caption=caption)

        self.delivery.submit(chat, job, member_id, priority=LIVE)

    def edit(
        self,
        message: MessageRef,
        text: str,
        *,
        buttons: Keyboard | None = None,
        member_id: int | None = None,
        or_send: bool = True,
    ) -> None:
        """Show the result of a press in place; if that message can no longer be edited (too
        old, deleted), the result comes as a new message: what was done is always said."""

        async def job() -> None:
            try:
                await self.transport.edit(message, text, buttons=buttons)
            except NotModified:
                pass
            except (Gone, Rejected):
                if or_send:
                    await self.transport.send(message.chat, text, buttons=buttons)

        self.delivery.submit(message.chat, job, member_id, priority=LIVE)


def unanswered(t: Translator, answer: Answer, locale: str, onboarding_locale: str | None = None) -> str:
    """The kind answer to a number that answers no open list (too late, or out of range).
    `onboarding_locale`: before anything is stored, the language of the screen it answered."""
    if isinstance(answer, OutOfRange):
        return t.plural(onboarding_locale or locale, "choices.out_of_range", answer.count)
    return t(locale, "choices.stale")
