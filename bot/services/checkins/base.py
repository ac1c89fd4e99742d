"""What every part of the check-in service holds (the parts are mixins of CheckinService)."""

from __future__ import annotations

import asyncio

from bot.core.clock import Clock
from bot.core.i18n import Translator
from bot.ports.scheduler import Scheduler
from bot.ports.transport import Keyboard, Transport
from bot.services.delivery import Delivery
from storage.database import Database


class CheckinBase:
    """The collaborators the check-ins' parts share."""

    db: Database
    clock: Clock
    t: Translator
    transport: Transport
    delivery: Delivery
    scheduler: Scheduler
    keyboards: dict[tuple[str, str], Keyboard]  # the check-in's buttons by language and day, shared
    planning: asyncio.Semaphore  # how many check-ins are planned at once (scheduling.PLANNING_AT_ONCE)
