"""The rate limiter extending PTB's: priorities, per-chat pacing, retry_after honoured, no loss."""

import asyncio
import itertools
import time
from datetime import timedelta

import pytest
from telegram.error import RetryAfter

from bot.ports.priorities import BULK, LIVE, PRIORITY
from bot.telegram.ratelimit import PacedRateLimiter


def recorder(log, tag):
    async def callback():
        log.append((tag, time.monotonic()))
        return True

    return callback


async def call(limiter, callback, chat_id, priority, endpoint="sendMessage"):
    PRIORITY.set(priority)
    return await limiter.process_request(callback, (), {}, endpoint, {"chat_id": chat_id}, None)


async def test_live_goes_before_waiting_bulk_and_nothing_is_lost():
    limiter = PacedRateLimiter(overall_rate=10, per_chat_interval=0, window=0.2)
    log = []
    bulk = [asyncio.create_task(call(limiter, recorder(log, f"bulk{i}"), 1000 + i, BULK)) for i in range(12)]
    await asyncio.sleep(0.01)
    live = asyncio.create_task(call(limiter, recorder(log, "live"), 1, LIVE))
    await asyncio.gather(*bulk, live)
    order = [tag for tag, _ in log]
    assert sorted(order) == sorted([f"bulk{i}" for i in range(12)] + ["live"])  # no loss, no duplicate
    assert order.index("live") < 11  # it overtook the bulk still waiting
    await limiter.shutdown()


async def test_never_more_than_the_budget_in_a_window():
    limiter = PacedRateLimiter(overall_rate=5, per_chat_interval=0, window=0.2)
    log = []
    await asyncio.gather(*(call(limiter, recorder(log, i), 2000 + i, LIVE) for i in range(15)))
    times = [t for _, t in log]
    for t in times:
        assert sum(1 for u in times if t <= u < t + 0.19) <= 5
    await limiter.shutdown()


async def test_per_chat_pacing_keeps_order_and_spacing():
    limiter = PacedRateLimiter(overall_rate=0, per_chat_interval=0.05)
    log = []
    for i in range(4):
        await call(limiter, recorder(log, i), 42, LIVE)
    gaps = [b[1] - a[1] for a, b in itertools.pairwise(log)]
    assert [tag for tag, _ in log] == [0, 1, 2, 3]
    assert all(gap >= 0.045 for gap in gaps)
    # Edits of an existing message are not paced per chat.
    started = time.monotonic()
    for i in range(3):
        await call(limiter, recorder([], i), 42, LIVE, endpoint="editMessageText")
    assert time.monotonic() - started < 0.05


async def test_retry_after_is_honoured_then_retried():
    limiter = PacedRateLimiter(overall_rate=0, per_chat_interval=0, max_retries=2)
    attempts = []

    async def flaky():
        attempts.append(time.monotonic())
        if len(attempts) == 1:
            raise RetryAfter(timedelta(seconds=0))  # Telegram said: wait (here 0 s + 0.1)
        return "ok"

    assert await call(limiter, flaky, 7, LIVE) == "ok"
    assert len(attempts) == 2 and attempts[1] - attempts[0] >= 0.09
    assert limiter.stats["retry_after"] == 1

    async def always():
        raise RetryAfter(timedelta(seconds=0))

    with pytest.raises(RetryAfter):
        await call(limiter, always, 7, LIVE)
