"""Events that would link one person's pseudonyms across rooms, spread out in time.

Someone who sits in two rooms sees each room's events. If one person's joins, leaves or
erasure showed in both rooms at the same second, the two pseudonyms would be linked by
their timing alone. So each room's notice (or each room's share of an erasure) goes at
its own random moment within a window, through the scheduler.
"""

from __future__ import annotations

import secrets

from bot.ports.scheduler import Callback, Scheduler

WINDOW = 10 * 60  # the default (Config.unlink_window): notices, and each room's share of an erasure
STEP = 15  # the rooms of one erasure go at distinct moments, this far apart at least

_random = secrets.SystemRandom()


def later(scheduler: Scheduler | None, now: float, window: int, job: Callback, label: str) -> None:
    """Run `job` at a random moment within `window` seconds (now without a scheduler)."""
    if scheduler is None:
        _soon(job)
        return
    scheduler.at(f"spread:{label}:{secrets.token_hex(6)}", now + _random.randrange(max(1, window)), job)


def apart(scheduler: Scheduler | None, now: float, window: int, jobs: list[tuple[str, Callback]]) -> list[str]:
    """Run each job at its own random moment within `window`, no two at the same moment;
    returns the scheduler's names of the jobs."""
    names = []
    step = max(1, min(STEP, window // max(1, len(jobs))))
    slots = list(range(0, max(1, window), step))
    offsets = _random.sample(slots, len(jobs)) if len(jobs) <= len(slots) else [_random.randrange(window) for _ in jobs]
    for (label, job), offset in zip(jobs, offsets, strict=True):
        if scheduler is None:
            _soon(job)
        else:
            names.append(f"spread:{label}:{secrets.token_hex(6)}")
            scheduler.at(names[-1], now + offset + _random.randrange(step), job)
    return names


def _soon(job: Callback) -> None:
    import asyncio

    asyncio.ensure_future(job(), loop=asyncio.get_running_loop())
