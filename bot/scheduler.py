"""The scheduler port: run a callback at a moment, by an opaque name that replaces any
job of the same name. PTB's JobQueue implements it in production (bot/scheduling.py);
tests use `ManualScheduler` and an injected clock, so nothing sleeps."""

from __future__ import annotations

from typing import Awaitable, Callable, Protocol

Callback = Callable[[], Awaitable[None]]


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

    async def run_due(self, now: float, move_clock: Callable[[float], None] | None = None,
                      after: Callable[[], Awaitable[None]] | None = None) -> int:
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
