"""Where a message goes: the replied message's room, else the author's active room, and that room's view."""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import Refusal
from bot.ports.refs import MessageRef
from bot.services.relay.base import RelayBase
from storage.cache import ReadCache
from storage.members import Member, first_voice_note
from storage.relays import Relay
from storage.rooms import Room, Seat


@dataclass(frozen=True)
class _RoomView:
    """A room as the relay needs it: its seats, their members and how many rooms each has."""

    room: Room
    seats: list[Seat]
    members: dict[int, Member]
    counts: dict[int, int]

    def seat_of(self, member_id: int) -> Seat | None:
        return next((seat for seat in self.seats if seat.member_id == member_id), None)


class Routing(RelayBase):
    """The destination room of a message, and the room's seats and members (cached)."""

    _views: ReadCache[int, _RoomView]

    async def _destination(
        self, author: Member, reply_to: MessageRef | None, quote_position: int | None = None
    ) -> tuple[int, Relay | None]:
        """The room a message goes to (the replied message's, else the active one)."""
        if reply_to is None and author.active_room_id is not None:
            return author.active_room_id, None
        async with self.db.transaction() as tx:
            replied = None
            room_id = author.active_room_id
            if reply_to is not None:
                relays = tx.relays
                combined = self.combined.get(reply_to)
                line_relay = combined.relay_at(quote_position) if combined and combined.lines else None
                replied = await relays.by_copy(author.id, reply_to.id, line_relay) or await relays.by_author_message(
                    author.id, reply_to.id
                )
                if replied is not None:
                    room_id = replied.room_id
            if room_id is None:
                seats = await tx.rooms.seats_of(author.id)
                if len(seats) == 1:
                    room_id = seats[0].room_id
                    await tx.members.set_active_room(author.id, room_id)
                elif seats:
                    raise Refusal("relay.choose_room")
                else:
                    raise Refusal("relay.no_room")
        return room_id, replied

    async def _first_voice_note(self, member_id: int) -> bool:
        async with self.db.transaction() as tx:
            return await first_voice_note(tx, member_id)

    async def _load_view(self, room_id: int) -> _RoomView:
        async with self.db.transaction() as tx:
            rooms = tx.rooms
            room = await rooms.get(room_id)
            if room is None:
                raise Refusal("relay.no_room")
            seats = await rooms.seats(room_id)
            members = {m.id: m for m in await tx.members.many([s.member_id for s in seats])}
            counts = await rooms.seat_counts(list(members))
        return _RoomView(room, seats, members, counts)
