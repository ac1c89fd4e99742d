"""The relay map: which copy of which message sits in whose chat. Ids only, 48 h."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import RowBatch, Tx

# A message's id in its chat, as the transport gives it (bot.ports.refs.MessageRef.id); kept
# as an integer where it is one (Telegram message ids, Signal timestamps).
MessageId = int | str


@dataclass(frozen=True)
class Relay:
    id: int
    room_id: int
    author_id: int | None
    author_msg_id: MessageId | None
    kind: str
    created_at: int


@dataclass(frozen=True)
class Copy:
    relay_id: int
    member_id: int
    part: int
    message_id: MessageId


_RELAY = "id, room_id, author_id, author_msg_id, kind, created_at"
# Map rows written in batches, later: a room closed or a person forgotten by then
# leaves no row (and no failed batch behind).
_RELAY_ROWS = RowBatch(
    "INSERT INTO relays (id, room_id, author_id, author_msg_id, kind, created_at, pending) "
    "SELECT v.column1, r.id, (SELECT id FROM members WHERE id = v.column3), v.column4, v.column5, "
    "v.column6, v.column7 FROM (VALUES {rows}) v JOIN rooms r ON r.id = v.column2",
    width=7,
    stage=0,
)
# Copies all settled: the relay is no longer pending (written after the rows above).
_SETTLED_ROWS = RowBatch(
    "UPDATE relays SET pending = 0 WHERE id IN (SELECT column1 FROM (VALUES {rows}))", width=1, stage=2
)
_COPY_ROWS = RowBatch(
    "INSERT OR REPLACE INTO relay_copies (relay_id, member_id, part, message_id, line) "
    "SELECT r.id, m.id, v.column3, v.column4, v.column5 FROM (VALUES {rows}) v "
    "JOIN relays r ON r.id = v.column1 JOIN members m ON m.id = v.column2",
    width=5,
    stage=1,
)
_RELAY_R = ", ".join("r." + column.strip() for column in _RELAY.split(","))


class RelayRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    @staticmethod
    async def defer_create(
        db,
        room_id: int,
        author_id: int | None,
        author_msg_id: MessageId | None,
        kind: str,
        now: int,
        *,
        pending: bool = False,
    ) -> Relay:
        """A new relay without a transaction of its own: its id comes from the database's
        counter and the row is written with the next batch (see Database.defer).
        `pending`: marked as having copies still to send (see `defer_settled`)."""
        relay_id = await db.next_id("relays")
        db.defer(_RELAY_ROWS, (relay_id, room_id, author_id, author_msg_id, kind, now, int(pending)))
        return Relay(relay_id, room_id, author_id, author_msg_id, kind, now)

    @staticmethod
    def defer_settled(db, relay_id: int) -> None:
        """Every copy of a relay is settled: it is no longer pending."""
        db.defer(_SETTLED_ROWS, (relay_id,))

    async def pending(self) -> list[Relay]:
        """Relays a stopped process left with copies not all sent, oldest first."""
        rows = await self.tx.all(f"SELECT {_RELAY} FROM relays WHERE pending = 1 ORDER BY id")
        return [Relay(*row) for row in rows]

    async def get(self, relay_id: int) -> Relay | None:
        row = await self.tx.one(f"SELECT {_RELAY} FROM relays WHERE id = ?", (relay_id,))
        return Relay(*row) if row else None

    async def add_copy(self, relay_id: int, member_id: int, part: int, message_id: MessageId, line: int = 0) -> None:
        await self.tx.execute(
            "INSERT OR REPLACE INTO relay_copies (relay_id, member_id, part, message_id, line) VALUES (?, ?, ?, ?, ?)",
            (relay_id, member_id, part, message_id, line),
        )

    @staticmethod
    def defer_copy(db, relay_id: int, member_id: int, part: int, message_id: MessageId, line: int = 0) -> None:
        """Record a delivered copy without a transaction of its own (see Database.defer).
        A relay purged or a recipient forgotten by then leaves no row."""
        db.defer(_COPY_ROWS, (relay_id, member_id, part, message_id, line))

    async def sharing(self, member_id: int, message_id: MessageId) -> list[tuple[int, int]]:
        """(relay id, line) of every relay shown in one (coalesced) message of a member's chat."""
        rows = await self.tx.all(
            "SELECT relay_id, line FROM relay_copies WHERE member_id = ? AND message_id = ? ORDER BY line",
            (member_id, message_id),
        )
        return [tuple(row) for row in rows]

    async def remove_copy(self, relay_id: int, member_id: int, part: int) -> None:
        await self.tx.execute(
            "DELETE FROM relay_copies WHERE relay_id = ? AND member_id = ? AND part = ?",
            (relay_id, member_id, part),
        )

    async def by_author_message(self, author_id: int, message_id: MessageId) -> Relay | None:
        row = await self.tx.one(
            f"SELECT {_RELAY} FROM relays WHERE author_id = ? AND author_msg_id = ? ORDER BY id DESC LIMIT 1",
            (author_id, message_id),
        )
        return Relay(*row) if row else None

    async def by_copy(self, member_id: int, message_id: MessageId, relay_id: int | None = None) -> Relay | None:
        """The relay behind a copy; for a coalesced copy, `relay_id` picks a line, else the last."""
        row = await self.tx.one(
            f"SELECT {_RELAY_R} FROM relay_copies c "
            "JOIN relays r ON r.id = c.relay_id WHERE c.member_id = ? AND c.message_id = ? "
            "AND (? IS NULL OR c.relay_id = ?) ORDER BY c.line DESC LIMIT 1",
            (member_id, message_id, relay_id, relay_id),
        )
        return Relay(*row) if row else None

    async def copies(self, relay_id: int) -> list[Copy]:
        rows = await self.tx.all(
            "SELECT relay_id, member_id, part, message_id FROM relay_copies WHERE relay_id = ? "
            "ORDER BY member_id, part",
            (relay_id,),
        )
        return [Copy(*row) for row in rows]

    async def delete(self, relay_id: int) -> None:
        await self.tx.execute("DELETE FROM relays WHERE id = ?", (relay_id,))

    async def purge_before(self, cutoff: int) -> int:
        return await self.tx.execute("DELETE FROM relays WHERE created_at < ?", (cutoff,))

    async def purge_room(self, room_id: int) -> int:
        return await self.tx.execute("DELETE FROM relays WHERE room_id = ?", (room_id,))

    async def count(self) -> int:
        return int(await self.tx.scalar("SELECT count(*) FROM relays"))

    async def authored(self, author_id: int) -> list[tuple[int, int]]:
        """(relay id, room id) of every mapped relay a member wrote."""
        return [
            tuple(row) for row in await self.tx.all("SELECT id, room_id FROM relays WHERE author_id = ?", (author_id,))
        ]

    async def received_count(self, member_id: int) -> int:
        """How many mapped relays a member received a copy of."""
        sql = "SELECT count(DISTINCT relay_id) FROM relay_copies WHERE member_id = ?"
        return int(await self.tx.scalar(sql, (member_id,)) or 0)
