"""Read caches for the hot path: what a transaction read, kept while it cannot be stale.

Every relayed message needs the writer's member row, their room, its seats and the
other members. Reading them each time costs several trips to the database thread, and
on a busy event loop each trip costs far more than the query. A `ReadCache` keeps
those values until `Database.changes_seen()` moves on, that is until anyone (this
process or another) writes to a watched table: members, rooms, seats or bans. Values
stay in memory only, like the update being handled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

from storage.database import Database

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class ReadCache(Generic[K, V]):
    def __init__(self, db: Database, limit: int = 10_000) -> None:
        self._db = db
        self._limit = limit
        self._items: dict[K, V] = {}
        self._changes = -1

    async def get(self, key: K, load: Callable[[], Awaitable[V]], fresh: Callable[[V], bool] = lambda value: True) -> V:
        """The cached value, or `load()`'s (kept only if nothing changed while it ran)."""
        changes = await self._db.changes_seen()
        if changes != self._changes:
            self._items.clear()
            self._changes = changes
        if key in self._items and fresh(self._items[key]):
            return self._items[key]
        value = await load()
        if self._db.changes == changes:
            if len(self._items) >= self._limit:
                self._items.clear()
            self._items[key] = value
        return value
