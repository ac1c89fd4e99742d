"""Workshops, their posts in each member's chat, and RSVPs (answers, never who to others)."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Tx

KINDS = ("24h", "1h", "start", "after")
_FLAG = {"24h": "sent_24h", "1h": "sent_1h", "start": "sent_start", "after": "sent_after"}
_COLUMNS = "id, room_id, title, description, starts_at, tz, status, sent_24h, sent_1h, sent_start, sent_after"


@dataclass(frozen=True, slots=True)
class Workshop:
    id: int
    room_id: int
    title: str
    description: str
    starts_at: int
    tz: str
    status: str
    sent_24h: bool
    sent_1h: bool
    sent_start: bool
    sent_after: bool

    def sent(self, kind: str) -> bool:
        return bool(getattr(self, _FLAG[kind]))

    @property
    def is_scheduled(self) -> bool:
        return self.status == "scheduled"


class WorkshopRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def create(self, room_id: int, title: str, description: str, starts_at: int, tz: str, day: str) -> Workshop:
        workshop_id = await self.tx.insert(
            "INSERT INTO workshops (room_id, title, description, starts_at, tz, created_day) VALUES (?, ?, ?, ?, ?, ?)",
            (room_id, title, description, starts_at, tz, day),
        )
        return await self.get(workshop_id)  # type: ignore[return-value]

    async def get(self, workshop_id: int) -> Workshop | None:
        row = await self.tx.one(f"SELECT {_COLUMNS} FROM workshops WHERE id = ?", (workshop_id,))
        return Workshop(*row) if row else None

    async def upcoming(self, room_ids: list[int], now: int) -> list[Workshop]:
        if not room_ids:
            return []
        marks = ",".join("?" * len(room_ids))
        rows = await self.tx.all(
            f"SELECT {_COLUMNS} FROM workshops WHERE status = 'scheduled' AND starts_at > ? "
            f"AND room_id IN ({marks}) ORDER BY starts_at",
            (now, *room_ids),
        )
        return [Workshop(*row) for row in rows]

    async def pending(self, since: int) -> list[Workshop]:
        """Scheduled workshops whose reminders may still be due (rebuilt at start)."""
        rows = await self.tx.all(
            f"SELECT {_COLUMNS} FROM workshops WHERE status = 'scheduled' AND starts_at > ? "
            "AND NOT (sent_24h AND sent_1h AND sent_start AND sent_after) ORDER BY starts_at",
            (since,),
        )
        return [Workshop(*row) for row in rows]

    async def claim(self, workshop_id: int, kind: str) -> bool:
        """Mark a reminder sent; True only for the one caller that changed it (never twice)."""
        flag = _FLAG[kind]
        changed = await self.tx.execute(
            f"UPDATE workshops SET {flag} = 1 WHERE id = ? AND {flag} = 0 AND status = 'scheduled'", (workshop_id,)
        )
        return changed == 1

    async def deliver_once(self, workshop_id: int, kind: str, member_id: int) -> bool:
        """Claim one reminder for one person; True only the first time."""
        return (
            await self.tx.execute(
                "INSERT OR IGNORE INTO reminder_deliveries (workshop_id, kind, member_id) VALUES (?, ?, ?)",
                (workshop_id, kind, member_id),
            )
            == 1
        )

    async def cancel(self, workshop_id: int) -> None:
        await self.tx.execute("UPDATE workshops SET status = 'cancelled' WHERE id = ?", (workshop_id,))

    async def move(self, workshop_id: int, starts_at: int) -> None:
        await self.tx.execute("DELETE FROM reminder_deliveries WHERE workshop_id = ?", (workshop_id,))
        await self.tx.execute(
            "UPDATE workshops SET starts_at = ?, sent_24h = 0, sent_1h = 0, sent_start = 0, sent_after = 0 "
            "WHERE id = ?",
            (starts_at, workshop_id),
        )

    async def set_post(self, workshop_id: int, member_id: int, message_id: int | str) -> None:
        await self.tx.execute(
            "INSERT OR REPLACE INTO workshop_posts (workshop_id, member_id, message_id) VALUES (?, ?, ?)",
            (workshop_id, member_id, message_id),
        )

    async def posts(self, workshop_id: int) -> list[tuple[int, int]]:
        return [
            tuple(r)
            for r in await self.tx.all(
                "SELECT member_id, message_id FROM workshop_posts WHERE workshop_id = ?", (workshop_id,)
            )
        ]

    async def answer(self, workshop_id: int, member_id: int, answer: str, day: str) -> None:
        await self.tx.execute(
            "INSERT OR REPLACE INTO rsvps (workshop_id, member_id, answer, day) VALUES (?, ?, ?, ?)",
            (workshop_id, member_id, answer, day),
        )

    async def answer_of(self, workshop_id: int, member_id: int) -> str | None:
        return await self.tx.scalar(
            "SELECT answer FROM rsvps WHERE workshop_id = ? AND member_id = ?", (workshop_id, member_id)
        )

    async def counts(self, workshop_id: int) -> dict[str, int]:
        rows = await self.tx.all(
            "SELECT answer, count(*) FROM rsvps WHERE workshop_id = ? GROUP BY answer", (workshop_id,)
        )
        found = {"yes": 0, "maybe": 0, "no": 0}
        found.update({answer: count for answer, count in rows})
        return found

    async def answered(self, workshop_id: int, answers: tuple[str, ...]) -> list[int]:
        marks = ",".join("?" * len(answers))
        rows = await self.tx.all(
            f"SELECT member_id FROM rsvps WHERE workshop_id = ? AND answer IN ({marks})", (workshop_id, *answers)
        )
        return [row[0] for row in rows]

    async def answers_of(self, member_id: int) -> list[tuple[int, str, str, str]]:
        rows = await self.tx.all(
            "SELECT w.id, w.title, r.answer, r.day FROM rsvps r JOIN workshops w ON w.id = r.workshop_id "
            "WHERE r.member_id = ? ORDER BY w.starts_at",
            (member_id,),
        )
        return [tuple(row) for row in rows]
