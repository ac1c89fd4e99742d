"""Copies not sent yet: a relay stays pending until every copy is settled; after a stop, the sender is told."""

from __future__ import annotations

from bot.ports.refs import message_ref
from bot.services.delivery import SAFETY
from bot.services.relay.base import RelayBase
from storage.members import Member
from storage.relays import Relay, RelayRepo


class Pending(RelayBase):
    """The pending mark of each relay, settled copy by copy."""

    def settled(self, relay_id: int) -> None:
        """One recipient's copy is settled (sent, or never sendable: a blocked bot)."""
        left = self._outstanding.get(relay_id, 0) - 1
        if left > 0:
            self._outstanding[relay_id] = left
            return
        self._outstanding.pop(relay_id, None)
        RelayRepo.defer_settled(self.db, relay_id)

    async def report_pending(self) -> int:
        """At start: tell each sender which of their messages may not have reached the room
        (the process stopped before every copy was sent), as a reply to that message in
        their own chat. Ids only: the bot never had the words to resend them."""
        async with self.db.transaction() as tx:
            pending = await tx.relays.pending()
            authors = {
                m.id: m
                for m in await tx.members.many(sorted({r.author_id for r in pending if r.author_id is not None}))
            }
        for relay in pending:
            author = authors.get(relay.author_id) if relay.author_id is not None else None
            if author is None or relay.author_msg_id is None:
                RelayRepo.defer_settled(self.db, relay.id)  # nobody left to tell
                continue
            self.delivery.submit(author.chat, self._teller(author, relay), author.id, priority=SAFETY)
        return len(pending)

    def _teller(self, author: Member, relay: Relay):
        async def run() -> None:
            original = message_ref(author.chat, relay.author_msg_id) if relay.author_msg_id is not None else None
            await self.transport.send(author.chat, self.t(author.locale, "relay.maybe_lost"), reply_to=original)
            RelayRepo.defer_settled(self.db, relay.id)  # told: not again at the next start

        return run
