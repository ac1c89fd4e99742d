"""Releases of /tendances figures, kept so that a restart cannot reset the release rule.

Respondents are kept as keyed hashes made for one room and one week (HMAC with the
blind-index key): sets can be compared with the people answering now, but no member id is
stored and one person's hashes in two weeks or two rooms have nothing in common. The
figures are the ones published (a count and a distribution of five or more people).
"""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Tx

HASH_BYTES = 16
MOODS = 5


@dataclass(frozen=True)
class TrendRelease:
    respondents: frozenset[bytes]  # keyed hashes, for this room and week only
    people: int
    moods: tuple[int, ...]  # how many answered 1, 2, 3, 4, 5


class TrendRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    def respondents(self, room_id: int, week: str, member_ids) -> frozenset[bytes]:
        """The set of these members as a release of this room's week keeps it."""
        namespace = f"trends:{room_id}:{week}"
        return frozenset(self.tx.keys.blind_index(namespace, int(m))[:HASH_BYTES] for m in member_ids)

    async def releases(self, room_id: int, week: str) -> list[TrendRelease]:
        """Every release of a room's week, oldest first."""
        rows = await self.tx.all(
            "SELECT respondents, people, moods FROM trend_releases WHERE room_id = ? AND week = ? ORDER BY id",
            (room_id, week),
        )
        return [
            TrendRelease(
                frozenset(blob[i : i + HASH_BYTES] for i in range(0, len(blob), HASH_BYTES)),
                people,
                tuple(int(n) for n in moods.split(",")),
            )
            for blob, people, moods in rows
        ]

    async def release(self, room_id: int, week: str, respondents: frozenset[bytes], moods: tuple[int, ...]) -> None:
        if len(moods) != MOODS:
            raise ValueError("a distribution counts the five moods")
        await self.tx.execute(
            "INSERT INTO trend_releases (room_id, week, people, moods, respondents) VALUES (?, ?, ?, ?, ?)",
            (room_id, week, len(respondents), ",".join(str(n) for n in moods), b"".join(sorted(respondents))),
        )

    async def purge_before(self, week: str) -> int:
        """Forget the releases of weeks before `week` (no longer shown)."""
        return await self.tx.execute("DELETE FROM trend_releases WHERE week < ?", (week,))
