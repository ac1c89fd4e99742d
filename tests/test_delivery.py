"""The delivery lanes: order per recipient, retries, priorities (no real Telegram)."""

import asyncio

from bot.core.errors import RateLimited, Transient, Unreachable
from bot.services.delivery import LOW, Delivery


async def test_order_per_chat_and_concurrency_across_chats():
    log = []
    delivery = Delivery(sleep=lambda s: asyncio.sleep(0))

    def job(chat, n):
        async def run():
            await asyncio.sleep(0.001 * (5 - n))
            log.append((chat, n))

        return run

    for n in range(5):
        for chat in (1, 2, 3):
            delivery.submit(chat, job(chat, n))
    assert await delivery.drain(5)
    for chat in (1, 2, 3):
        assert [n for c, n in log if c == chat] == list(range(5))


async def test_retry_after_is_honoured_and_nothing_is_lost_or_doubled():
    slept, attempts, done = [], {"n": 0}, []

    async def sleep(seconds):
        slept.append(seconds)

    delivery = Delivery(sleep=sleep)

    async def flaky():
        attempts["n"] += 1
        if attempts["n"] == 1:
            raise RateLimited(7)
        if attempts["n"] == 2:
            raise Transient("502")
        done.append("sent")

    delivery.submit(1, flaky)
    assert await delivery.drain(5)
    assert done == ["sent"] and slept[0] == 7 and delivery.stats.retried_rate_limit == 1


async def test_unreachable_is_reported_and_the_lane_goes_on():
    gone, sent = [], []

    async def on_unreachable(member_id):
        gone.append(member_id)

    delivery = Delivery(on_unreachable)

    async def blocked():
        raise Unreachable("403")

    async def fine():
        sent.append(1)

    delivery.submit(9, blocked, member_id=42)
    delivery.submit(9, fine, member_id=42)
    assert await delivery.drain(5)
    assert gone == [42] and sent == [1]


async def test_low_priority_waits_for_the_live_backlog():
    order = []
    delivery = Delivery(low_rate=1000, live_backlog=0)

    def job(tag):
        async def run():
            await asyncio.sleep(0.001)
            order.append(tag)

        return run

    for i in range(5):
        delivery.submit(100 + i, job(f"low{i}"), priority=LOW)
    for i in range(5):
        delivery.submit(i, job(f"live{i}"))
    assert await delivery.drain(5)
    assert all(tag.startswith("live") for tag in order[:5]), order
    assert len(order) == 10
