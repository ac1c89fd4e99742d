"""The scheduler port: run a callback at a moment, by an opaque name that replaces any
job of the same name. `LoopScheduler` implements it in production (PTB's JobQueue keeps
the few recurring jobs, bot/telegram/jobs.py); tests use `ManualScheduler` and an injected
clock, so nothing sleeps."""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Protocol

Callback = Callable[[], Awaitable[None]]
log = logging.getLogger(__name__)


class Scheduler(Protocol):
    def at(self, name: str, when: float, callback: Callback) -> None:
        """Run `callback` at epoch second `when` (now if past); replaces a job of that name."""

    def cancel(self, name: str) -> None:
        """Forget the job of that name, if any."""


class ManualScheduler:
    """Jobs run when told: `run_due(now)` runs, in time order, every job due by `now`."""

    def __init__(self) -> None:
        self.jobs: dict[str, tuple[float, Callback]] = {}

    def at(self, name: str, when: float, callback: Callback) -> None:
        self.jobs[name] = (when, callback)

    def cancel(self, name: str) -> None:
        self.jobs.pop(name, None)

    async def run_due(
        self,
        now: float,
        move_clock: Callable[[float], None] | None = None,
        after: Callable[[], Awaitable[None]] | None = None,
    ) -> int:
        """Run jobs due by `now` in time order; `move_clock(when)` first sets the clock to
        each job's time, `after()` runs once each job is done (e.g. let deliveries finish)."""
        ran = 0
        while True:
            due = sorted((when, name) for name, (when, _) in self.jobs.items() if when <= now)
            if not due:
                return ran
            when, name = due[0]
            _, callback = self.jobs.pop(name)
            if move_clock is not None:
                move_clock(when)
            await callback()
            if after is not None:
                await after()
            ran += 1


class LoopScheduler:
    """The scheduler port on the event loop itself, for the many per-person jobs (check-ins,
    reminders): one heap of (time, name) and a single timer, so 100,000 members schedule
    in a fraction of a second and a few megabytes (APScheduler keeps a heavy object per
    job and inspects the callback's signature each time). Wall-clock times: the timer
    sleeps at most a minute before it looks at the clock again, so clock changes and
    suspends are caught up. Jobs that are due, or past, run in time order, at most
    MAX_RUNNING at once (a 20:00 wave of 33,000 check-ins, or a restart after it, then
    holds a queue of callbacks, not 33,000 tasks in wait); one that fails is logged and
    the others go on."""

    MAX_SLEEP = 60.0
    MAX_RUNNING = 64

    def __init__(self, now: Callable[[], float] = time.time) -> None:
        self.now = now
        self._jobs: dict[str, tuple[float, int, Callback]] = {}
        self._heap: list[tuple[float, int, str]] = []
        self._sequence = itertools.count()
        self._timer: asyncio.TimerHandle | None = None
        self._armed_for: float | None = None
        self._running: set[asyncio.Task] = set()
        self._due: deque[Callback] = deque()
        self._stopped = False

    def __len__(self) -> int:
        return len(self._jobs)

    def at(self, name: str, when: float, callback: Callback) -> None:
        sequence = next(self._sequence)
        self._jobs[name] = (when, sequence, callback)
        heapq.heappush(self._heap, (when, sequence, name))
        if len(self._heap) > 2 * len(self._jobs) + 1024:  # replaced entries pile up: compact
            self._heap = [(w, s, n) for n, (w, s, _) in self._jobs.items()]
            heapq.heapify(self._heap)
        self._arm()

    def cancel(self, name: str) -> None:
        self._jobs.pop(name, None)  # its heap entry is skipped when it comes up

    def _live(self, entry: tuple[float, int, str]) -> bool:
        job = self._jobs.get(entry[2])
        return job is not None and job[1] == entry[1]

    def _arm(self) -> None:
        if self._stopped:
            return
        while self._heap and not self._live(self._heap[0]):
            heapq.heappop(self._heap)
        if not self._heap:
            return
        when = self._heap[0][0]
        if self._timer is not None and self._armed_for is not None and self._armed_for <= when:
            return  # already waking up in time
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # armed by the first job scheduled once the loop runs
        if self._timer is not None:
            self._timer.cancel()
        delay = min(max(when - self.now(), 0.0), self.MAX_SLEEP)
        self._armed_for = self.now() + delay
        self._timer = loop.call_later(delay, self._wake)

    def _wake(self) -> None:
        self._timer = self._armed_for = None
        now = self.now()
        while self._heap and self._heap[0][0] <= now:
            entry = heapq.heappop(self._heap)
            if not self._live(entry):
                continue
            _, _, callback = self._jobs.pop(entry[2])
            self._due.append(callback)
        loop = asyncio.get_running_loop()
        while self._due and len(self._running) < self.MAX_RUNNING:
            task = loop.create_task(self._run_due())
            self._running.add(task)
            task.add_done_callback(self._running.discard)
        self._arm()

    async def _run_due(self) -> None:
        """One of the runners: due jobs one after the other, while there are any."""
        while self._due and not self._stopped:
            callback = self._due.popleft()
            try:
                await callback()
            except Exception:
                log.exception("a scheduled job failed")
            await asyncio.sleep(0)  # live work gets its turn between two jobs
        # Out of the count at once (not when the done callback runs): a wake-up right now
        # then starts a runner for what it finds due.
        self._running.discard(asyncio.current_task())

    async def stop(self) -> None:
        """At shutdown: no more wake-ups; jobs still running are cancelled (they are claimed
        in the database right before they send, so the next start recomputes them)."""
        self._stopped = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._due.clear()
        for task in list(self._running):
            task.cancel()
        await asyncio.gather(*self._running, return_exceptions=True)
