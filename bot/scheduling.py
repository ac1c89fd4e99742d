"""Recurring jobs on PTB's JobQueue (APScheduler). Jobs carry opaque names, replace any
job of the same name, and only call services; anything scheduled per person lives in
the database and is rebuilt here at start."""

from __future__ import annotations

import logging
from datetime import datetime, time, timezone

from telegram.ext import Application

from bot.context import SERVICES_KEY
from bot.retention import apply_retention
from bot.scheduler import Callback

log = logging.getLogger(__name__)


async def _purge_map(context) -> None:
    services = context.application.bot_data[SERVICES_KEY]
    removed = await services.relay.purge()
    if removed:
        log.info("message map: %d entries past 48 h forgotten", removed)


async def _nightly(context) -> None:
    services = context.application.bot_data[SERVICES_KEY]
    counts = await apply_retention(
        services.db, services.clock,
        notify_inactive=lambda member: services.notifier.send(member, "privacy.inactive_notice"),
    )
    log.info("nightly retention: %s", ", ".join(f"{k}={v}" for k, v in counts.items()))


def schedule(app: Application) -> None:
    services = app.bot_data[SERVICES_KEY]
    queue = app.job_queue
    queue.run_repeating(_purge_map, interval=3600, first=60, name="map-purge",
                        job_kwargs={"id": "map-purge", "replace_existing": True})
    queue.run_daily(_nightly, time(3, 30, tzinfo=services.clock.tz), name="nightly-retention",
                    job_kwargs={"id": "nightly-retention", "replace_existing": True})


class JobQueueScheduler:
    """The scheduler port on PTB's JobQueue (APScheduler, in memory: rebuilt at start)."""

    def __init__(self, app: Application) -> None:
        self.app = app

    def at(self, name: str, when: float, callback: Callback) -> None:
        async def run(context) -> None:
            await callback()

        moment = datetime.fromtimestamp(when, timezone.utc)
        now = datetime.now(timezone.utc)
        self.app.job_queue.run_once(run, when=max(moment, now), name=name,
                                    job_kwargs={"id": name, "replace_existing": True,
                                                "misfire_grace_time": None})

    def cancel(self, name: str) -> None:
        for job in self.app.job_queue.get_jobs_by_name(name):
            job.schedule_removal()
