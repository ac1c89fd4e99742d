"""Edits: an edited message is followed by every copy (text lines or captions)."""

from __future__ import annotations

from bot.core.text import join_lines
from bot.ports.refs import MessageRef, message_ref
from bot.services.delivery import ignore_gone
from bot.services.relay.coalescing import CombinedLines
from bot.services.relay.incoming import COPIED_WITH_LABEL
from bot.services.relay.labels import Labels
from storage.members import Member
from storage.relays import Relay


class Edits(Labels, CombinedLines):
    """Every copy of an edited message follows it."""

    async def edit(self, author: Member, message: MessageRef, new_text: str) -> None:
        """An edited message: every copy follows (text lines or captions)."""
        async with self.db.transaction() as tx:
            relay = await tx.relays.by_author_message(author.id, message.id)
            if relay is None or relay.kind in COPIED_WITH_LABEL:
                return
            room = await tx.rooms.get(relay.room_id)
            seat = await tx.rooms.seat(relay.room_id, author.id)
            if room is None or seat is None:
                return
            recipients = await self._recipients(tx, relay)
            counts = await tx.rooms.seat_counts([m.id for m in recipients])
        for member in recipients:
            name = self.name(member.locale, seat, room, counts.get(member.id, 0) > 1)
            self.delivery.submit(member.chat, self._editor(relay, member, name, new_text), member.id)

    async def _recipients(self, tx, relay: Relay) -> list[Member]:
        ids = {s.member_id for s in await tx.rooms.seats(relay.room_id)}
        ids |= {c.member_id for c in await tx.relays.copies(relay.id)}
        ids.discard(relay.author_id)
        return await tx.members.many(sorted(ids))

    async def _copies_of(self, relay_id: int, member: Member) -> list[tuple[int, MessageRef]]:
        """(part, message) of each copy of a relay in a member's chat."""
        async with self.db.transaction() as tx:
            return [
                (c.part, message_ref(member.chat, c.message_id))
                for c in await tx.relays.copies(relay_id)
                if c.member_id == member.id
            ]

    def _editor(self, relay: Relay, member: Member, name: str, text: str):
        async def run() -> None:
            copies = await self._copies_of(relay.id, member)
            if not copies:
                return
            chat = member.chat
            caps = self.transport.capabilities_for(chat)
            if relay.kind == "text":
                lines = self.lines(member.locale, name, text, caps)
                combined = self.combined.get(copies[0][1])
                if combined is not None or await self._is_shared(member.id, copies[0][1]):
                    await self._edit_line(member, copies[0][1], relay.id, join_lines(lines))
                    return
                for part, message in copies:
                    if part < len(lines):
                        await ignore_gone(self.transport.edit(message, lines[part].text, entities=lines[part].entities))
                    else:
                        await ignore_gone(self.transport.delete(message))
                        async with self.db.transaction() as tx:
                            await tx.relays.remove_copy(relay.id, member.id, part)
                for part in range(len(copies), len(lines)):
                    sent = await self.transport.send(
                        chat, lines[part].text, protect=True, entities=lines[part].entities
                    )
                    async with self.db.transaction() as tx:
                        await tx.relays.add_copy(relay.id, member.id, part, sent.message.id)
            else:
                caption = self.caption(member.locale, name, text)
                if not caps.fits_caption(caption.text):
                    caption = self.caption(member.locale, name, "")
                await ignore_gone(self.transport.edit_caption(copies[0][1], caption.text, entities=caption.entities))

        return run
