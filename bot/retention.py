"""Retention: what the law and the privacy model no longer allow us to keep goes away."""

from __future__ import annotations

from bot.clock import Clock
from bot.config import Config
from bot.services.relay import MAP_HOURS
from storage.database import Database, resolve_master_key
from storage.invites import InviteRepo
from storage.relays import RelayRepo


async def apply_retention(db: Database, clock: Clock) -> dict[str, int]:
    """Delete expired rows, then reclaim the space; returns counts by kind."""
    now = int(clock.now())
    async with db.transaction() as tx:
        counts = {
            "message map entries (older than 48 h)": await RelayRepo(tx).purge_before(now - MAP_HOURS * 3600),
            "invitations (used or expired)": await InviteRepo(tx).purge(now),
        }
    await db.vacuum()
    return counts


async def purge_now(config: Config) -> dict[str, int]:
    db = await Database.open(config.data_dir, resolve_master_key(config.data_dir, config.master_key, create=False))
    try:
        return await apply_retention(db, Clock(config.tz))
    finally:
        await db.close()
