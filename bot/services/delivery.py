"""Ordered, resilient, prioritised delivery: one FIFO lane per recipient chat.

Jobs for one chat run one after the other (order kept per recipient); lanes for
different chats run concurrently (fan-out). Each job carries a priority (live relay,
safety and moderation, reminders, bulk check-ins) that the rate limiter uses to share
the platform's overall budget (on Telegram: bot/telegram/ratelimit.py). While a chat waits for its pacing slot,
relay copies queued for it may be coalesced into one message (`absorb`), so a burst
reaches people as a live room, not a queue. A job that meets a rate limit waits the
time the platform asked and runs again; a transient failure is retried with back-off; a
recipient who blocked the bot is reported through `on_unreachable`, never crashes a lane.
"""

from __future__ import annotations

import asyncio
import heapq
import logging
import time
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass, field

from bot.core.errors import Gone, NotModified, RateLimited, Rejected, Transient, Unreachable
from bot.monitoring import metrics
from bot.ports.priorities import BULK, LIVE, PRIORITY, REMINDER, SAFETY

log = logging.getLogger(__name__)

Job = Callable[[], Awaitable[None]]
LOW = BULK
__all__ = ["Delivery", "LIVE", "SAFETY", "REMINDER", "BULK", "LOW", "claimed_once", "ignore_gone"]


@dataclass
class DeliveryStats:
    done: int = 0
    retried_rate_limit: int = 0
    retried_transient: int = 0
    unreachable: int = 0
    gone: int = 0
    failed: int = 0


@dataclass
class _Lane:
    jobs: deque = field(default_factory=deque)
    task: asyncio.Task | None = None


class Delivery:
    """Per-chat FIFO lanes with retries."""

    def __init__(
        self,
        on_unreachable: Callable[[int], Awaitable[None]] | None = None,
        on_delivered: Callable[[int], Awaitable[None]] | None = None,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        max_transient_retries: int = 5,
        max_rate_retries: int = 20,
        low_rate: float = 25.0,
        live_backlog: int = 20,
        pacer=None,
    ) -> None:
        self._lanes: dict[Hashable, _Lane] = {}
        self._low: list = []
        self._low_sequence = 0
        self._pacer = pacer  # has `async ready(chat)`: the rate limiter's per-chat pacing (chat: a ChatRef)
        self._low_task: asyncio.Task | None = None
        self._low_rate = low_rate
        self._live_backlog = live_backlog
        self._on_unreachable = on_unreachable
        self._on_delivered = on_delivered
        self._sleep = sleep
        self._max_transient = max_transient_retries
        self._max_rate = max_rate_retries
        self.stats = DeliveryStats()
        self._idle = asyncio.Event()
        self._idle.set()

    def submit(self, chat_id: Hashable, job: Job, member_id: int | None = None, *, priority: int = LIVE) -> None:
        """Queue a job for one chat; it runs after every job queued before it for that chat.

        Reminders and bulk jobs (check-ins) wait in a shared queue, most urgent first, and
        enter the lanes at a gentle rate while the live backlog is small: at 20:00 a
        room stays live.
        """
        if priority >= REMINDER:
            self._low_sequence += 1
            heapq.heappush(self._low, (priority, self._low_sequence, chat_id, job, member_id, time.monotonic()))
            self._idle.clear()
            if self._low_task is None or self._low_task.done():
                self._low_task = asyncio.create_task(self._feed_low())
            return
        self._enqueue(chat_id, job, member_id, priority)

    async def _feed_low(self) -> None:
        while self._low:
            if self.pending > self._live_backlog:
                await asyncio.sleep(0.05)
                continue
            priority, _, chat_id, job, member_id, queued = heapq.heappop(self._low)
            self._enqueue(chat_id, job, member_id, priority, queued)
            if self._low:
                await asyncio.sleep(1 / self._low_rate)
        if not self._lanes:
            self._idle.set()

    def _enqueue(
        self, chat_id: Hashable, job: Job, member_id: int | None, priority: int = LIVE, queued: float | None = None
    ) -> None:
        lane = self._lanes.setdefault(chat_id, _Lane())
        lane.jobs.append((job, member_id, priority, time.monotonic() if queued is None else queued))
        self._idle.clear()
        if lane.task is None or lane.task.done():
            lane.task = asyncio.create_task(self._run(chat_id, lane))

    @property
    def pending(self) -> int:
        return sum(len(lane.jobs) for lane in self._lanes.values())

    def depth_by_priority(self) -> Counter[int]:
        """Jobs waiting (in the lanes and in the shared queue), counted per priority."""
        depth = Counter(entry[0] for entry in self._low)
        depth.update(entry[2] for lane in self._lanes.values() for entry in lane.jobs)
        return depth

    async def abandon(self) -> int:
        """At shutdown, after `drain`: drop what is still queued (claimed work is recomputed
        at the next start; live copies not yet sent are lost with the process anyway)."""
        dropped = len(self._low) + self.pending
        self._low.clear()
        tasks = [lane.task for lane in self._lanes.values() if lane.task is not None]
        if self._low_task is not None:
            tasks.append(self._low_task)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._lanes.clear()
        self._idle.set()
        return dropped

    async def drain(self, timeout: float | None = None) -> bool:
        """Wait until every queued job has run; False if the timeout came first."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
            return True
        except TimeoutError:
            return False

    async def _run(self, chat_id: Hashable, lane: _Lane) -> None:
        try:
            while lane.jobs:
                if self._pacer is not None:
                    await self._pacer.ready(chat_id)
                job, member_id, priority, queued = lane.jobs[0]
                absorb = getattr(job, "absorb", None)
                while absorb is not None and len(lane.jobs) > 1 and absorb(lane.jobs[1][0]):
                    del lane.jobs[1]  # coalesced into the head job
                PRIORITY.set(priority)
                if await self._attempt(job, member_id):
                    metrics.delivered(time.monotonic() - queued)
                lane.jobs.popleft()
                settled = getattr(job, "settled", None)
                if settled is not None:
                    settled()  # done or given up: not lost to a stop (that is `abandon`)
        finally:
            if not lane.jobs:
                self._lanes.pop(chat_id, None)
            if not self._lanes and not self._low:
                self._idle.set()

    async def _attempt(self, job: Job, member_id: int | None) -> bool:
        """Run a job until it is done (True) or given up (False)."""
        transient = rate = 0
        while True:
            try:
                await job()
            except RateLimited as error:
                rate += 1
                self.stats.retried_rate_limit += 1
                if rate > self._max_rate:
                    self.stats.failed += 1
                    log.warning("delivery given up after repeated rate limits")
                    return False
                await self._sleep(max(error.retry_after, 0.05))
                continue
            except Transient as error:
                log.debug("transient delivery failure: %s", error)
                transient += 1
                self.stats.retried_transient += 1
                if transient > self._max_transient:
                    self.stats.failed += 1
                    log.warning("delivery given up after repeated server errors")
                    return False
                await self._sleep(min(0.25 * 2**transient, 8.0))
                continue
            except Unreachable:
                self.stats.unreachable += 1
                if self._on_unreachable and member_id is not None:
                    await self._guard(self._on_unreachable(member_id))
                return False
            except (Gone, NotModified):
                self.stats.gone += 1
                return False
            except Rejected:
                self.stats.failed += 1
                log.error("the platform rejected a message the bot built")
                return False
            except Exception:  # a bug in one job must not stop the lane
                self.stats.failed += 1
                log.exception("delivery job failed")
                return False
            self.stats.done += 1
            if self._on_delivered and member_id is not None:
                await self._guard(self._on_delivered(member_id))
            return True

    @staticmethod
    async def _guard(awaitable: Awaitable[None]) -> None:
        try:
            await awaitable
        except Exception:
            log.exception("delivery callback failed")


def claimed_once(claim: Callable[[], Awaitable[bool]], send: Job) -> Job:
    """A job that first claims its work in the database (once, even if the send is
    retried) and sends only if the claim was its own: never twice, and a restart before
    the claim leaves the work to be recomputed."""
    state = {"claimed": False}

    async def job() -> None:
        if not state["claimed"]:
            if not await claim():
                return
            state["claimed"] = True
        await send()

    return job


async def ignore_gone(awaitable: Awaitable[None]) -> None:
    """Run an edit or delete whose target may be gone or unchanged: both are fine."""
    try:
        await awaitable
    except (Gone, NotModified):
        pass
