"""Recurring jobs on PTB's JobQueue (APScheduler): the hourly map purge and the nightly
retention. Jobs carry opaque names, replace any job of the same name, and only call
services. What is scheduled per person (check-ins, reminders) lives in the database, is
rebuilt at start, and runs on `bot.ports.scheduler.LoopScheduler`."""

from __future__ import annotations

from datetime import time

from telegram.ext import Application

from bot.services.retention import nightly, purge_map
from bot.telegram.context import SERVICES_KEY


async def _purge_map(context) -> None:
    await purge_map(context.application.bot_data[SERVICES_KEY])


async def _nightly(context) -> None:
    await nightly(context.application.bot_data[SERVICES_KEY])


def schedule(app: Application) -> None:
    services = app.bot_data[SERVICES_KEY]
    queue = app.job_queue
    assert queue is not None, "the application is built with its job queue"
    queue.run_repeating(
        _purge_map, interval=3600, first=60, name="map-purge", job_kwargs={"id": "map-purge", "replace_existing": True}
    )
    queue.run_daily(
        _nightly,
        time(3, 30, tzinfo=services.clock.tz),
        name="nightly-retention",
        job_kwargs={"id": "nightly-retention", "replace_existing": True},
    )
