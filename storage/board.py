"""The shared knowledge board of a room: entries with no author, pinned or not."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Tx


@dataclass(frozen=True)
class Entry:
    id: int
    room_id: int
    title: str
    body: str
    link: str
    pinned: bool
    created_day: str


_COLUMNS = "id, room_id, title, body, link, pinned, created_day"


class BoardRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def add(self, room_id: int, title: str, body: str, link: str, withdraw_hash: bytes, day: str) -> Entry:
        entry_id = await self.tx.insert(
            "INSERT INTO board_entries (room_id, title, body, link, withdraw_hash, created_day) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (room_id, title, body, link, withdraw_hash, day),
        )
        return Entry(entry_id, room_id, title, body, link, False, day)

    async def get(self, entry_id: int) -> Entry | None:
        row = await self.tx.one(f"SELECT {_COLUMNS} FROM board_entries WHERE id = ?", (entry_id,))
        return Entry(*row) if row else None

    async def of_room(self, room_id: int, limit: int = 15) -> list[Entry]:
        rows = await self.tx.all(
            f"SELECT {_COLUMNS} FROM board_entries WHERE room_id = ? ORDER BY pinned DESC, id DESC LIMIT ?",
            (room_id, limit),
        )
        return [Entry(*row) for row in rows]

    async def withdraw(self, entry_id: int, withdraw_hash: bytes) -> bool:
        return (
            await self.tx.execute(
                "DELETE FROM board_entries WHERE id = ? AND withdraw_hash = ?", (entry_id, withdraw_hash)
            )
            == 1
        )

    async def remove(self, entry_id: int) -> bool:
        return await self.tx.execute("DELETE FROM board_entries WHERE id = ?", (entry_id,)) == 1

    async def toggle_pin(self, entry_id: int) -> bool:
        await self.tx.execute("UPDATE board_entries SET pinned = 1 - pinned WHERE id = ?", (entry_id,))
        return bool(await self.tx.scalar("SELECT pinned FROM board_entries WHERE id = ?", (entry_id,)))
