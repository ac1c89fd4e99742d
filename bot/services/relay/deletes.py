"""Deletes: `/supprimer` takes every copy away; an erased author's copies are taken down."""

from __future__ import annotations

from bot.core.errors import Refusal
from bot.ports.refs import MessageRef, message_ref
from bot.ports.replies import Reply
from bot.services.delivery import ignore_gone
from bot.services.relay.edits import Edits
from bot.services.relay.purging import MAP_HOURS
from storage.members import Member


class Deletes(Edits):
    """Every copy of a message deleted, a coalesced copy's other lines kept."""

    async def delete(self, author: Member, reply_to: MessageRef | None) -> Reply:
        """`/supprimer` in reply to one's own message: every copy is deleted."""
        if reply_to is None:
            raise Refusal("relay.delete_usage")
        async with self.db.transaction() as tx:
            relays = tx.relays
            relay = await relays.by_author_message(author.id, reply_to.id)
            if relay is None:
                if await relays.by_copy(author.id, reply_to.id) is not None:
                    raise Refusal("relay.delete_not_own")
                raise Refusal("relay.delete_unknown", hours=MAP_HOURS)
            recipients = await self._recipients(tx, relay)
        for member in recipients:
            self.delivery.submit(member.chat, self._deleter(relay.id, member), member.id)
        return Reply(self.t(author.locale, "relay.deleted"))

    def _deleter(self, relay_id: int, member: Member):
        async def run() -> None:
            for part, message in await self._copies_of(relay_id, member):
                if message in self.combined or await self._is_shared(member.id, message):
                    if not await self._delete_line(member, message, relay_id):
                        continue  # the line stays, so does its place in the map
                else:
                    await ignore_gone(self.transport.delete(message))
                async with self.db.transaction() as tx:
                    await tx.relays.remove_copy(relay_id, member.id, part)

        return run

    def take_down(self, person: Member, message_id: int, relay_id: int, sharing: list[tuple[int, int]]) -> None:
        """Remove an erased author's copy from a person's chat: their line only, when the
        message holds other people's lines too (`sharing`, read before the map rows went).
        `message_id`: the copy's id in that chat, as the relay map keeps it."""
        message = message_ref(person.chat, message_id)

        async def run() -> None:
            if message in self.combined or len(sharing) > 1:
                await self._delete_line(person, message, relay_id, sharing)
            else:
                await ignore_gone(self.transport.delete(message))

        self.delivery.submit(person.chat, run, person.id)
