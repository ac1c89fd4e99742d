"""CheckinService: evening check-ins, assembled from their parts."""

from __future__ import annotations

import asyncio

from bot.core.clock import Clock
from bot.core.i18n import Translator
from bot.ports.scheduler import Scheduler
from bot.ports.transport import Transport
from bot.services.checkins.answers import Answers
from bot.services.checkins.scheduling import PLANNING_AT_ONCE
from bot.services.checkins.views import Views
from bot.services.delivery import Delivery
from storage.database import Database


class CheckinService(Answers, Views):
    """Evening check-ins: settings, scheduling, answers and views."""

    def __init__(
        self, db: Database, clock: Clock, t: Translator, transport: Transport, delivery: Delivery, scheduler: Scheduler
    ) -> None:
        self.db = db
        self.clock = clock
        self.t = t
        self.transport = transport
        self.delivery = delivery
        self.scheduler = scheduler
        self.planning = asyncio.Semaphore(PLANNING_AT_ONCE)
        self.keyboards = {}
