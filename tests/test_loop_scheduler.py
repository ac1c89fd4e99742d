"""The production scheduler: order, replacement, cancellation, failures isolated, shutdown."""

import asyncio

from bot.ports.scheduler import LoopScheduler


async def until(predicate, timeout=5.0):
    async def loop():
        while not predicate():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(loop(), timeout)


def recorder(ran, label, fail=False):
    async def job():
        ran.append(label)
        if fail:
            raise RuntimeError("boom")

    return job


async def test_jobs_run_in_time_order_replaced_and_cancelled_by_name():
    clock = [1_000.0]
    scheduler = LoopScheduler(now=lambda: clock[0])
    ran = []
    scheduler.at("c", 1_000.03, recorder(ran, "c"))
    scheduler.at("a", 1_000.01, recorder(ran, "a-old"))
    scheduler.at("a", 1_000.01, recorder(ran, "a"))  # same name: replaces
    scheduler.at("b", 1_000.02, recorder(ran, "b"))
    scheduler.at("gone", 1_000.0, recorder(ran, "gone"))
    scheduler.cancel("gone")
    scheduler.at("past", 900.0, recorder(ran, "past"))  # already due: runs now
    assert len(scheduler) == 4
    await until(lambda: ran == ["past"])
    clock[0] = 1_000.05  # the clock moves on: everything due runs, in time order
    scheduler.at("poke", 2_000.0, recorder(ran, "late"))  # (re-arms the timer)
    await until(lambda: len(ran) == 4)
    assert ran == ["past", "a", "b", "c"]
    assert len(scheduler) == 1
    await scheduler.stop()


async def test_a_failing_job_does_not_stop_the_others_and_stop_ends_everything(caplog):
    clock = [0.0]
    scheduler = LoopScheduler(now=lambda: clock[0])
    ran = []
    scheduler.at("bad", 0.0, recorder(ran, "bad", fail=True))
    scheduler.at("good", 0.0, recorder(ran, "good"))
    await until(lambda: sorted(ran) == ["bad", "good"])
    assert "a scheduled job failed" in caplog.text and "boom" not in caplog.text.split("failed")[0]
    blocked = asyncio.Event()

    async def long_job():
        ran.append("long")
        await blocked.wait()

    scheduler.at("long", 0.0, long_job)
    await until(lambda: "long" in ran)
    scheduler.at("later", 10.0, recorder(ran, "later"))
    await scheduler.stop()  # cancels the running job, no wake-up afterwards
    clock[0] = 20.0
    scheduler.at("after-stop", 0.0, recorder(ran, "after-stop"))
    await asyncio.sleep(0)
    assert "later" not in ran and "after-stop" not in ran


async def test_many_replacements_keep_the_heap_small():
    scheduler = LoopScheduler(now=lambda: 0.0)
    for round_ in range(5):
        for member in range(1_000):
            scheduler.at(f"ci:{member}", 10_000.0 + round_, recorder([], member))
    assert len(scheduler) == 1_000
    assert len(scheduler._heap) <= 2 * 1_000 + 1_024
    await scheduler.stop()


async def test_a_wave_due_at_once_runs_in_time_order_a_bounded_number_at_a_time():
    scheduler = LoopScheduler(now=lambda: 100.0)
    started, finished = [], []
    gate = asyncio.Event()

    def job(label):
        async def run():
            started.append(label)
            await gate.wait()
            finished.append(label)

        return run

    wave = 3 * LoopScheduler.MAX_RUNNING + 5
    for label in range(wave):
        scheduler.at(f"ci:{label}", 50.0 + label / 1_000, job(label))  # all past: due at once
    await until(lambda: len(started) == LoopScheduler.MAX_RUNNING)
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(started) == LoopScheduler.MAX_RUNNING  # the others wait in the queue, no task each
    assert len(scheduler._running) == LoopScheduler.MAX_RUNNING
    gate.set()
    await until(lambda: len(finished) == wave)
    assert started == list(range(wave))  # in time order
    scheduler.at("next", 99.0, job("next"))  # the runners are gone: a new wake-up starts one
    await until(lambda: finished[-1:] == ["next"])
    await scheduler.stop()


async def test_stop_drops_the_due_jobs_not_started_yet():
    scheduler = LoopScheduler(now=lambda: 100.0)
    started = []
    gate = asyncio.Event()

    def job(label):
        async def run():
            started.append(label)
            await gate.wait()

        return run

    for label in range(LoopScheduler.MAX_RUNNING + 10):
        scheduler.at(f"ci:{label}", 50.0, job(label))
    await until(lambda: len(started) == LoopScheduler.MAX_RUNNING)
    await scheduler.stop()
    gate.set()
    for _ in range(20):
        await asyncio.sleep(0)
    assert len(started) == LoopScheduler.MAX_RUNNING  # the rest are recomputed at the next start
