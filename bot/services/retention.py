"""Retention: what the privacy model no longer allows us to keep goes away, then the
space is reclaimed. Run nightly by the scheduler and on demand by `entraide purge`."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, timedelta

from bot.core.clock import Clock
from bot.core.config import Config
from bot.services.checkins import RETENTION_DAYS as CHECKIN_DAYS
from bot.services.checkins import TRENDS_KEPT_DAYS
from bot.services.relay import MAP_HOURS
from bot.services.reports import RETENTION_DAYS as REPORT_DAYS
from storage.database import Database, resolve_master_key
from storage.members import Member

log = logging.getLogger(__name__)

INACTIVE_DAYS = 365
NOTICE_DAYS = 30
CLOSED_ROOM_DAYS = 30


async def apply_retention(
    db: Database, clock: Clock, *, notify_inactive: Callable[[Member], None] | None = None
) -> dict[str, int]:
    """Delete what retention no longer allows; returns counts by kind.

    Members inactive for 12 months are told first (when a notifier is given, i.e. in the
    running bot), then erased 30 days later if they did not come back.
    """
    now = int(clock.now())
    today = date.fromisoformat(clock.day())
    inactive_before = (today - timedelta(days=INACTIVE_DAYS)).isoformat()
    notice_before = (today - timedelta(days=NOTICE_DAYS)).isoformat()
    closed_before = (today - timedelta(days=CLOSED_ROOM_DAYS)).isoformat()
    told = erased = 0
    async with db.transaction() as tx:
        counts = {
            "message map entries (older than 48 h)": await tx.relays.purge_before(now - MAP_HOURS * 3600),
            "invitations (used or expired)": await tx.invites.purge(now),
            "reports (older than 30 days)": await tx.reports.purge_before(now - REPORT_DAYS * 86400),
            "check-in answers (older than 90 days)": await tx.checkins.purge_before(
                (today - timedelta(days=CHECKIN_DAYS)).isoformat()
            ),
            "closed rooms (after 30 days)": await tx.rooms.purge_closed_before(closed_before),
            "published trends (weeks no longer shown)": await tx.trends.purge_before(
                (today - timedelta(days=TRENDS_KEPT_DAYS)).isoformat()
            ),
        }
        for member_id, notice_day in await tx.members.inactive_since(inactive_before):
            if notice_day is None:
                if notify_inactive is not None:
                    member = await tx.members.get(member_id)
                    if member is not None:
                        notify_inactive(member)
                    await tx.members.note_inactivity_notice(member_id, today.isoformat())
                    told += 1
            elif notice_day <= notice_before:
                await tx.members.erase(member_id)
                erased += 1
    counts["inactive members told (erased in 30 days)"] = told
    counts["inactive members erased"] = erased
    await db.vacuum()
    return counts


async def purge_now(config: Config) -> dict[str, int]:
    db = await Database.open(config.data_dir, resolve_master_key(config.data_dir, config.master_key, create=False))
    try:
        return await apply_retention(db, Clock(config.tz))
    finally:
        await db.close()


async def purge_map(services) -> int:
    """The hourly job: message-map entries past 48 h are forgotten."""
    removed = await services.relay.purge()
    if removed:
        log.info("message map: %d entries past 48 h forgotten", removed)
    return removed


async def nightly(services) -> dict[str, int]:
    """The nightly job: retention applied, inactive members told through their messenger."""
    counts = await apply_retention(
        services.db,
        services.clock,
        notify_inactive=lambda member: services.notifier.send(member, "privacy.inactive_notice"),
    )
    log.info("nightly retention: %s", ", ".join(f"{k}={v}" for k, v in counts.items()))
    return counts
