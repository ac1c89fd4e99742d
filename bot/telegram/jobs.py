"""Recurring jobs on PTB's JobQueue (APScheduler): the hourly map purge and the nightly
retention. Jobs carry opaque names, replace any job of the same name, and only call
services. What is scheduled per person (check-ins, reminders) lives in the database, is
rebuilt at start, and runs on `bot.ports.scheduler.LoopScheduler`."""

from __future__ import annotations

import logging
from datetime import time

from telegram.ext import Application

from bot.services.retention import apply_retention
from bot.telegram.context import SERVICES_KEY

log = logging.getLogger(__name__)


async def _purge_map(context) -> None:
    services = context.application.bot_data[SERVICES_KEY]
    removed = await services.relay.purge()
    if removed:
        log.info("message map: %d entries past 48 h forgotten", removed)


async def _nightly(context) -> None:
    services = context.application.bot_data[SERVICES_KEY]
    counts = await apply_retention(
        services.db,
        services.clock,
        notify_inactive=lambda member: services.notifier.send(member, "privacy.inactive_notice"),
    )
    log.info("nightly retention: %s", ", ".join(f"{k}={v}" for k, v in counts.items()))


def schedule(app: Application) -> None:
    services = app.bot_data[SERVICES_KEY]
    queue = app.job_queue
    queue.run_repeating(
        _purge_map, interval=3600, first=60, name="map-purge", job_kwargs={"id": "map-purge", "replace_existing": True}
    )
    queue.run_daily(
        _nightly,
        time(3, 30, tzinfo=services.clock.tz),
        name="nightly-retention",
        job_kwargs={"id": "nightly-retention", "replace_existing": True},
    )
