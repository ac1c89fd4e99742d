"""Purging: the relay map keeps message ids for 48 hours, no longer."""

from __future__ import annotations

from bot.services.relay.base import RelayBase

MAP_HOURS = 48


class Purging(RelayBase):
    """Forgets the relay map's old rows."""

    async def purge(self, now: float | None = None) -> int:
        """Forget message ids older than 48 hours."""
        cutoff = int((now if now is not None else self.clock.now()) - MAP_HOURS * 3600)
        async with self.db.transaction() as tx:
            return await tx.relays.purge_before(cutoff)
