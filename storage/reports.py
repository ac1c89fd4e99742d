"""Reports: who was reported in which room, why and when — never the message text."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Tx


@dataclass(frozen=True)
class Report:
    room_id: int
    reason: str
    day: str


class ReportRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(
        self, room_id: int, reported_id: int, reporter_id: int, relay_id: int, reason: str, day: str, now: int
    ) -> bool:
        """False when this person already reported this message."""
        changed = await self.tx.execute(
            "INSERT OR IGNORE INTO reports (room_id, reported_id, reporter_id, relay_id, reason, day, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (room_id, reported_id, reporter_id, relay_id, reason, day, now),
        )
        return changed == 1

    async def distinct_reporters(self, room_id: int, reported_id: int, since: int) -> int:
        return int(
            await self.tx.scalar(
                "SELECT count(DISTINCT reporter_id) FROM reports WHERE room_id = ? AND reported_id = ? "
                "AND created_at >= ?",
                (room_id, reported_id, since),
            )
        )

    async def about(self, member_id: int) -> list[Report]:
        rows = await self.tx.all(
            "SELECT room_id, reason, day FROM reports WHERE reported_id = ? ORDER BY id", (member_id,)
        )
        return [Report(*row) for row in rows]

    async def made_by(self, member_id: int) -> list[Report]:
        rows = await self.tx.all(
            "SELECT room_id, reason, day FROM reports WHERE reporter_id = ? ORDER BY id", (member_id,)
        )
        return [Report(*row) for row in rows]

    async def purge_before(self, cutoff: int) -> int:
        return await self.tx.execute("DELETE FROM reports WHERE created_at < ?", (cutoff,))
