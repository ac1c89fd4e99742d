"""Topic rooms, their members under per-room pseudonyms, bans and waiting lists."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Tx


@dataclass(frozen=True, slots=True)
class Room:
    id: int
    theme: str
    description: str
    capacity: int
    status: str
    created_day: str
    member_count: int = 0
    kind: str = "topic"
    locale: str = "fr"  # the language its pseudonyms are drawn in

    @property
    def is_support(self) -> bool:
        return self.kind == "support"

    @property
    def is_open(self) -> bool:
        return self.status == "open"

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - self.member_count)


@dataclass(frozen=True, slots=True)
class Seat:
    """A member's place in a room, known to others only by its pseudonym."""

    room_id: int
    member_id: int
    pseudonym: str
    is_facilitator: bool
    muted_until: int
    warnings: int
    pseudo_day: str
    pseudo_draws: int


_ROOM = (
    "r.id, r.theme, r.description, r.capacity, r.status, r.created_day, "
    "(SELECT count(*) FROM room_members m WHERE m.room_id = r.id AND m.is_facilitator = 0), "
    "r.kind, r.locale"
)
_SEAT = "room_id, member_id, pseudonym, is_facilitator, muted_until, warnings, pseudo_day, pseudo_draws"


def _seat(row: tuple) -> Seat:
    return Seat(row[0], row[1], row[2], bool(row[3]), row[4], row[5], row[6], row[7])


class RoomRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def open(
        self, theme: str, description: str, capacity: int, day: str, kind: str = "topic", locale: str = "fr"
    ) -> Room:
        room_id = await self.tx.insert(
            "INSERT INTO rooms (theme, description, capacity, created_day, kind, locale) VALUES (?, ?, ?, ?, ?, ?)",
            (theme, description, capacity, day, kind, locale),
        )
        room = await self.get(room_id)
        assert room is not None
        return room

    async def get(self, room_id: int) -> Room | None:
        row = await self.tx.one(f"SELECT {_ROOM} FROM rooms r WHERE r.id = ?", (room_id,))
        return Room(*row) if row else None

    async def list_open(self) -> list[Room]:
        rows = await self.tx.all(
            f"SELECT {_ROOM} FROM rooms r WHERE r.status = 'open' AND r.kind = 'topic' ORDER BY r.id"
        )
        return [Room(*row) for row in rows]

    async def close(self, room_id: int, day: str) -> None:
        await self.tx.execute("UPDATE rooms SET status = 'closed', closed_day = ? WHERE id = ?", (day, room_id))
        await self.tx.execute("DELETE FROM room_members WHERE room_id = ?", (room_id,))
        await self.tx.execute("DELETE FROM waitlist WHERE room_id = ?", (room_id,))
        await self.tx.execute("UPDATE members SET active_room_id = NULL WHERE active_room_id = ?", (room_id,))

    async def seats(self, room_id: int) -> list[Seat]:
        rows = await self.tx.all(
            f"SELECT {_SEAT} FROM room_members WHERE room_id = ? ORDER BY joined_day, rowid",
            (room_id,),
        )
        return [_seat(row) for row in rows]

    async def seat(self, room_id: int, member_id: int) -> Seat | None:
        row = await self.tx.one(
            f"SELECT {_SEAT} FROM room_members WHERE room_id = ? AND member_id = ?",
            (room_id, member_id),
        )
        return _seat(row) if row else None

    async def seats_of(self, member_id: int) -> list[Seat]:
        rows = await self.tx.all(f"SELECT {_SEAT} FROM room_members WHERE member_id = ? ORDER BY room_id", (member_id,))
        return [_seat(row) for row in rows]

    async def add_seat(self, room_id: int, member_id: int, pseudonym: str, is_facilitator: bool, day: str) -> None:
        await self.tx.execute(
            "INSERT INTO room_members (room_id, member_id, pseudonym, is_facilitator, joined_day) "
            "VALUES (?, ?, ?, ?, ?)",
            (room_id, member_id, pseudonym, int(is_facilitator), day),
        )
        await self.tx.execute("DELETE FROM waitlist WHERE room_id = ? AND member_id = ?", (room_id, member_id))

    async def remove_seat(self, room_id: int, member_id: int) -> bool:
        removed = await self.tx.execute(
            "DELETE FROM room_members WHERE room_id = ? AND member_id = ?", (room_id, member_id)
        )
        await self.tx.execute(
            "UPDATE members SET active_room_id = NULL WHERE id = ? AND active_room_id = ?",
            (member_id, room_id),
        )
        return removed == 1

    async def seat_counts(self, member_ids: list[int]) -> dict[int, int]:
        """How many rooms each of these members sits in."""
        if not member_ids:
            return {}
        marks = ",".join("?" * len(member_ids))
        rows = await self.tx.all(
            f"SELECT member_id, count(*) FROM room_members WHERE member_id IN ({marks}) GROUP BY member_id", member_ids
        )
        return {member_id: count for member_id, count in rows}

    async def pseudonyms(self, room_id: int) -> set[str]:
        rows = await self.tx.all("SELECT pseudonym FROM room_members WHERE room_id = ?", (room_id,))
        return {row[0] for row in rows}

    async def rename(self, room_id: int, member_id: int, pseudonym: str, day: str, draws: int) -> None:
        await self.tx.execute(
            "UPDATE room_members SET pseudonym = ?, pseudo_day = ?, pseudo_draws = ? "
            "WHERE room_id = ? AND member_id = ?",
            (pseudonym, day, draws, room_id, member_id),
        )

    async def mute(self, room_id: int, member_id: int, until: int) -> None:
        await self.tx.execute(
            "UPDATE room_members SET muted_until = ? WHERE room_id = ? AND member_id = ?",
            (until, room_id, member_id),
        )

    async def warn(self, room_id: int, member_id: int) -> int:
        await self.tx.execute(
            "UPDATE room_members SET warnings = warnings + 1 WHERE room_id = ? AND member_id = ?",
            (room_id, member_id),
        )
        return int(
            await self.tx.scalar(
                "SELECT warnings FROM room_members WHERE room_id = ? AND member_id = ?", (room_id, member_id)
            )
            or 0
        )

    async def ban(self, room_id: int, member_id: int) -> None:
        await self.tx.execute(
            "INSERT OR IGNORE INTO room_bans (room_id, member_id) VALUES (?, ?)",
            (room_id, member_id),
        )
        await self.remove_seat(room_id, member_id)
        await self.tx.execute("DELETE FROM waitlist WHERE room_id = ? AND member_id = ?", (room_id, member_id))

    async def is_banned(self, room_id: int, member_id: int) -> bool:
        return (
            await self.tx.one("SELECT 1 FROM room_bans WHERE room_id = ? AND member_id = ?", (room_id, member_id))
            is not None
        )

    async def wait_for_place(self, room_id: int, member_id: int, day: str) -> None:
        await self.tx.execute(
            "INSERT OR IGNORE INTO waitlist (room_id, member_id, since_day) VALUES (?, ?, ?)",
            (room_id, member_id, day),
        )

    async def waiting(self, room_id: int) -> list[int]:
        rows = await self.tx.all(
            "SELECT member_id FROM waitlist WHERE room_id = ? ORDER BY since_day, rowid", (room_id,)
        )
        return [row[0] for row in rows]

    async def stop_waiting(self, room_id: int, member_id: int) -> None:
        await self.tx.execute("DELETE FROM waitlist WHERE room_id = ? AND member_id = ?", (room_id, member_id))

    async def waitlists_of(self, member_id: int) -> list[tuple[int, str, str]]:
        """(room id, theme, since day) of every waiting list a member is on."""
        rows = await self.tx.all(
            "SELECT w.room_id, r.theme, w.since_day FROM waitlist w JOIN rooms r ON r.id = w.room_id "
            "WHERE w.member_id = ?",
            (member_id,),
        )
        return [tuple(row) for row in rows]

    async def banned_from(self, member_id: int) -> list[int]:
        """The rooms a member was removed from."""
        rows = await self.tx.all("SELECT room_id FROM room_bans WHERE member_id = ?", (member_id,))
        return [row[0] for row in rows]

    async def purge_closed_before(self, day: str) -> int:
        """Delete rooms closed before `day`; returns how many."""
        return await self.tx.execute("DELETE FROM rooms WHERE status = 'closed' AND closed_day < ?", (day,))
