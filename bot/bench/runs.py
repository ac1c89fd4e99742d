"""`entraide bench`: the real bot against the project's fake Bot API over HTTP on 127.0.0.1.

Scenarios (sizes shrink with --quick):
- overhead:   relayed copies per second through the bot (DB, encryption, handlers
              included) against a bare python-telegram-bot send loop on the same fake;
- fan-out:    an 8-member room, 50 ms per API call: time for all copies of one message,
              as a multiple of one call;
- room-burst: one member sends 50 messages in 5 s into a 10-member room under per-chat
              1/s and global 30/s limits: time until every member has all 50, 429s;
- burst:      thousands of check-ins at 20:00 while 10 rooms chat: live relay latency
              p50/p95/max, sustained send rate, 429s; again with a naive single FIFO;
- scale:      1,000 / 10,000 / 100,000 members (a tenth as many rooms) in the database: RSS,
              start-up with every schedule rebuilt, DB size, time to plan a 20:00 check-in
              wave; one result per size (--sizes to choose them).
- signal:     an 8-member Signal room, 100 ms per signal-cli daemon call: time for all copies
              of one message, as a multiple of one call (one multi-recipient send); then
              room-burst's 50 messages into a room of 5 Telegram and 5 Signal members: the
              same figures as room-burst, Telegram's limits on the Telegram side;
- detector:   the crisis detector alone: p95 per message at 500 and 4,096 characters, and
              the resident memory it adds (bot/bench/detector.py). The overhead scenario
              already runs with the detector on: every relayed message goes through it.
It measures and prints a table (or --json); a scenario that misses its target says which
criterion it missed, and the exit code tells: 0 every target met, 1 a target missed,
3 a scenario broke (2 is a usage error).
"""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections import deque
from collections.abc import Awaitable, Callable
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.cli.say import Say
from bot.core.config import Config
from bot.core.logs import RedactingFilter
from bot.ports.priorities import BULK
from bot.sandbox.fake_signal import FakeSignal, SignalPhone
from bot.sandbox.fake_telegram import FakeTelegram, Limits
from bot.sandbox.transport import FakeServer
from bot.services.delivery import Delivery

TARGETS = {
    "overhead": ("ratio to bare PTB (processor time; wall clock beside it)", "ratio >= 0.66 (processor time)"),
    "fan-out": ("multiple of one call", "multiple <= 2.0"),
    "room-burst": ("seconds to all 50 at every member", "all 50 at every member, <= 10 s, 0 x 429"),
    "burst": ("live p95 (s); ratio to FIFO", "p95 <= 2 s, >= 28 msg/s, 0 x 429, >= 50x FIFO"),
    "scale": (
        "per size: RSS MB, start-up s, DB MB, wave plan s",
        "<= 300 MB, <= 5 s at 100,000 members; growth <= linear",
    ),
    "signal": (
        "multiple of one daemon call; mixed-room burst seconds",
        "multiple <= 2.0, 1 send call a message; mixed: all 50 at every member, <= 10 s, 0 x 429",
    ),
    "detector": (
        "p95 ms of processor time at 500 / 4096 chars (wall clock beside it); added RSS",
        "p95 <= 20 ms at 500, <= 60 ms at 4096 (processor time), <= 150 MB",
    ),
}


# Emulated Telegram conditions, changed by --latency, --per-chat and --overall.
CONDITIONS: dict[str, Any] = {"latency": None, "per_chat": 1.0, "overall": 30.0}


def limits() -> Limits:
    return Limits(per_chat=CONDITIONS["per_chat"], overall=CONDITIONS["overall"])


def latency(default: float) -> float:
    return default if CONDITIONS["latency"] is None else CONDITIONS["latency"]


SAY = Say()  # the operator's language (LC_ALL, LC_MESSAGES, LANG), as the rest of the CLI


def progress(key: str, **params: object) -> None:
    """One line on stderr while the bench runs, in the operator's language."""
    print(f"[bench] {SAY(f'bench_progress_{key}', **params)}", file=sys.stderr, flush=True)


EXIT_OK, EXIT_MISSED, EXIT_FAILED = 0, 1, 3
WIDTH = 100  # the table fits a 100-column terminal


@dataclass
class Result:
    """One scenario's figures and the criteria of its target it missed (none: met)."""

    scenario: str
    values: dict = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def verdict(self) -> str:
        if self.error is not None:
            return "failed"
        return "missed target" if self.missed else "ok"


def judge(scenario: str, values: dict, checks: dict[str, bool]) -> Result:
    """A result whose `missed` lists each check (named as in TARGETS) that did not hold."""
    return Result(scenario, values, [name for name, held in checks.items() if not held])


class FifoDelivery(Delivery):
    """The naive baseline: one queue for everything, in arrival order, no priorities."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.pop("pacer", None)
        super().__init__(*args, **kwargs)
        self._queue: deque = deque()
        self._workers: list[asyncio.Task] = []

    def submit(self, chat_id, job, member_id=None, *, priority=0) -> None:
        self._queue.append((job, member_id))
        self._idle.clear()
        self._workers = [w for w in self._workers if not w.done()]
        while len(self._workers) < 30:
            self._workers.append(asyncio.create_task(self._work()))

    async def _work(self) -> None:
        while self._queue:
            job, member_id = self._queue.popleft()
            await self._attempt(job, member_id)
        if not self._queue and all(w.done() or w is asyncio.current_task() for w in self._workers):
            self._idle.set()


class PlanOnlyDelivery(Delivery):
    """Counts what is queued, sends nothing: the scale run measures planning, not Telegram's pacing."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.watched: set[int] = set()
        self.checked_in: set[int] = set()  # watched members with a check-in (a BULK send) queued

    def watch(self, members: set[int]) -> None:
        """Count from now the check-ins queued for `members`: other sends the start may queue
        meanwhile (a join notice at its random moment) are not the wave's."""
        self.watched, self.checked_in = members, set()

    def submit(self, chat_id, job, member_id=None, *, priority=0) -> None:
        if priority == BULK and member_id in self.watched:
            self.checked_in.add(member_id)


class Receipts:
    """When each relayed line reached each phone (lines of coalesced copies counted apart)."""

    def __init__(self, api: FakeTelegram) -> None:
        self.times: dict[tuple[int, str], float] = {}
        self.counts: dict[int, int] = {}
        self.tokens: set[str] = set()
        api.watchers.append(self._seen)

    def _seen(self, phone, message) -> None:
        now = time.perf_counter()
        for line in (message.get("text") or "").split("\n"):
            if " : " in line or ": " in line:
                token = line.rsplit(" ", 1)[-1]
                self.times.setdefault((phone.user_id, token), now)
                self.tokens.add(token)
                self.counts[phone.user_id] = self.counts.get(phone.user_id, 0) + 1


class SignalReceipts:
    """When each relayed line first showed on each Signal phone (read from the daemon's
    recorder, latest revisions included: a coalesced copy may grow by edits)."""

    def __init__(self, phones: list[SignalPhone]) -> None:
        self.phones = phones
        self.times: dict[tuple[str, str], float] = {}

    def look(self) -> None:
        now = time.perf_counter()
        for phone in self.phones:
            for message in phone.received():
                for line in (message.text or "").split("\n"):
                    if " : " in line or ": " in line:
                        self.times.setdefault((phone.aci, line.rsplit(" ", 1)[-1]), now)

    def has(self, phone: SignalPhone, token: str) -> bool:
        return (phone.aci, token) in self.times


@asynccontextmanager
async def live_bot(
    data_dir: Path,
    *,
    latency: float = 0.0,
    limits: Limits | None = None,
    fifo: bool = False,
    daemon: FakeSignal | None = None,
    **config_changes,
):
    """The fake on 127.0.0.1 and the real bot polling it, as `entraide run` does; with
    `daemon` (a fake signal-cli), the bot runs on Signal too, both behind one router."""
    from bot.signal.inbound_run import SignalSide
    from bot.telegram.context import SERVICES_KEY
    from bot.telegram.runner import open_database, start_bot, stop_bot

    api = FakeTelegram()
    server = FakeServer(api)
    await server.start()
    if daemon is not None:
        config_changes.update(signal_rpc=await daemon.serve(), signal_account=daemon.account)
    config = Config(
        token=api.token,
        api_url=server.base_url,
        data_dir=data_dir,
        poll_timeout=2,
        member_messages_per_minute=100_000,
        **config_changes,
    )
    db = await open_database(config)
    options: dict[str, Any] = {}
    if fifo:
        from bot.telegram.baseline import stock_rate_limiter

        options = {"rate_limiter": stock_rate_limiter(max_retries=5), "delivery_class": FifoDelivery}
    side = SignalSide(config) if daemon is not None else None
    if side is not None:
        await side.connect()
    app = await start_bot(config, db, signal=side, **options)
    api.latency, api.limits = latency, limits
    try:
        yield api, app.bot_data[SERVICES_KEY], app
    finally:
        api.latency, api.limits = 0.0, None
        if daemon is not None:
            daemon.latency = 0.0
        await stop_bot(app, drain_seconds=1, signal=side)
        await db.close()
        await server.stop()
        if daemon is not None:
            await daemon.stop()


async def seat_members(
    services,
    api: FakeTelegram,
    count: int,
    room_theme: str = "Banc d'essai",
    *,
    first_user: int = 7_000_000_000,
    consents=None,
) -> tuple[int, list]:
    """Members created straight in storage (onboarding is not what is measured)."""
    from storage.members import Consents

    phones = []
    async with services.db.transaction() as tx:
        room = await tx.rooms.open(room_theme, "", min(12, max(2, count)), services.clock.day())
        for index in range(count):
            user_id = first_user + index
            phone = api.phone(user_id, f"P{index}", language_code="fr")
            phone.started = True
            member = await tx.members.create(
                user_id, user_id, "fr", consents or Consents(rooms=True), 1, services.clock.day()
            )
            await tx.rooms.add_seat(room.id, member.id, f"Pseudo {index}", False, services.clock.day())
            await tx.members.set_active_room(member.id, room.id)
            phones.append(phone)
    return room.id, phones


async def seat_signal_members(
    services, daemon: FakeSignal, count: int, room_id: int | None = None, room_theme: str = "Banc d'essai"
) -> tuple[int, list[SignalPhone]]:
    """Signal members created straight in storage, keyed on their ACI like the inbound path
    keys them; seated in `room_id` (or a new room)."""
    from bot.signal.adapter import SIGNAL
    from storage.members import Consents

    phones = []
    async with services.db.transaction() as tx:
        if room_id is None:
            room_id = (await tx.rooms.open(room_theme, "", min(12, max(2, count)), services.clock.day())).id
        for index in range(count):
            phone = daemon.phone(f"S{index}")
            who = (SIGNAL, phone.aci)
            member = await tx.members.create(who, who, "fr", Consents(rooms=True), 1, services.clock.day())
            await tx.rooms.add_seat(room_id, member.id, f"Signal {index}", False, services.clock.day())
            await tx.members.set_active_room(member.id, room_id)
            phones.append(phone)
    return room_id, phones


async def wait_until(predicate, timeout: float) -> bool:
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if predicate():
            return True
        await asyncio.sleep(0.01)
    return predicate()


# --------------------------------------------------------------------------- scenarios
async def overhead(work: Path, quick: bool) -> Result:
    messages = 30 if quick else 300
    progress("overhead", messages=messages)
    api = FakeTelegram()
    server = FakeServer(api)
    await server.start()
    from bot.telegram.baseline import bare_send_rate

    chats = [api.phone(7_100_000_000 + i, f"B{i}") for i in range(7)]
    for phone in chats:
        phone.started = True
    cpu = time.process_time()
    bare = await bare_send_rate(api.token, server.base_url, [p.user_id for p in chats], messages)
    bare_cpu = time.process_time() - cpu
    await server.stop()

    # One message per copy, as the bare loop sends: coalescing (measured by room-burst)
    # would otherwise merge copies that wait while updates are handled.
    overhead_bot = live_bot(work / "overhead", per_chat_interval=0, overall_max_rate=0, coalesce_copies=False)
    async with overhead_bot as (api, services, app):
        receipts = Receipts(api)
        _, phones = await seat_members(services, api, 8)
        author = phones[0]
        sends_before = api.counts["sendMessage"]
        cpu, started = time.process_time(), time.perf_counter()
        for i in range(messages):
            await author.send(f"message t{i}")
        await wait_until(lambda: sum(receipts.counts.get(p.user_id, 0) for p in phones[1:]) >= 7 * messages, 120)
        ours = 7 * messages / (time.perf_counter() - started)
        bot_cpu = time.process_time() - cpu
        sends = api.counts["sendMessage"] - sends_before
    ratio = ours / bare
    # The same ratio in processor time (this process holds the fake, the bot and the bare loop):
    # on a machine shared with other work, the wall clock measures the neighbours as much as the bot.
    cpu_ratio = bare_cpu / bot_cpu if bot_cpu > 0 else 0.0
    return judge(
        "overhead",
        {
            "bare_copies_per_s": round(bare, 1),
            "bot_copies_per_s": round(ours, 1),
            "bot_send_calls": sends,
            "ratio": round(ratio, 2),
            "bare_cpu_ms_per_copy": round(1000 * bare_cpu / (7 * messages), 3),
            "bot_cpu_ms_per_copy": round(1000 * bot_cpu / (7 * messages), 3),
            "cpu_ratio": round(cpu_ratio, 2),
        },
        {"ratio >= 0.66": cpu_ratio >= 0.66},
    )


async def fan_out(work: Path, quick: bool) -> Result:
    progress("fan_out")
    call = latency(0.05)
    async with live_bot(work / "fanout", latency=call, per_chat_interval=0, overall_max_rate=0) as (api, services, app):
        receipts = Receipts(api)
        _, phones = await seat_members(services, api, 8)
        times = []
        for i in range(3 if quick else 5):
            token = f"f{i}"
            started = time.perf_counter()
            await phones[0].send(f"bonjour {token}")
            await wait_until(lambda token=token: all((p.user_id, token) in receipts.times for p in phones[1:]), 30)
            times.append(max(receipts.times[(p.user_id, token)] for p in phones[1:]) - started)
            await asyncio.sleep(0.2)
        best = statistics.median(times)
    multiple = best / max(call, 1e-3)
    return judge(
        "fan-out",
        {"call_s": call, "median_s": round(best, 3), "multiple_of_one_call": round(multiple, 2)},
        {"multiple <= 2.0": multiple <= 2.0},
    )


async def room_burst(work: Path, quick: bool) -> Result:
    progress("room_burst")
    async with live_bot(work / "roomburst", latency=latency(0.0), limits=limits()) as (api, services, app):
        receipts = Receipts(api)
        _, phones = await seat_members(services, api, 10)
        author, others = phones[0], phones[1:]
        started = time.perf_counter()
        for i in range(50):
            await author.send(f"rafale r{i}")
            await asyncio.sleep(0.1)
        done = await wait_until(
            lambda: all(all((p.user_id, f"r{i}") in receipts.times for i in range(50)) for p in others), 120
        )
        elapsed = (
            max(
                receipts.times[(p.user_id, f"r{i}")]
                for p in others
                for i in range(50)
                if (p.user_id, f"r{i}") in receipts.times
            )
            - started
        )
        too_many = api.errors_sent[429]
        copies = sum(len(p.inbox) for p in others)
    return judge(
        "room-burst",
        {"seconds_to_all": round(elapsed, 2), "complete": done, "messages_received": copies, "http_429": too_many},
        {"all 50 at every member": done, "<= 10 s": elapsed <= 10, "0 x 429": too_many == 0},
    )


async def signal(work: Path, quick: bool) -> Result:
    """Signal's fan-out (one multi-recipient call), then room-burst in a mixed room."""
    progress("signal")
    call = latency(0.1)
    daemon = FakeSignal(receive_mode="manual")  # as README runs it: the bot subscribes
    # One copy a message (coalescing, measured by the mixed burst below, would make the
    # next message an edit of the last copy: still one call, but not a message's own).
    unpaced = live_bot(work / "signal", daemon=daemon, per_chat_interval=0, overall_max_rate=0, coalesce_copies=False)
    async with unpaced as (api, services, app):
        _, phones = await seat_signal_members(services, daemon, 8)
        receipts = SignalReceipts(phones[1:])

        def arrived(token: str) -> bool:
            receipts.look()
            return all(receipts.has(p, token) for p in phones[1:])

        await phones[0].send("bonjour warm")  # the first message waits for the crisis model to load
        await wait_until(lambda: arrived("warm"), 60)
        daemon.latency = call  # from here on, every daemon call takes this long
        times, calls = [], []
        for i in range(3 if quick else 5):
            token = f"s{i}"
            sends = daemon.counts["send"]
            started = time.perf_counter()
            await phones[0].send(f"bonjour {token}")
            await wait_until(lambda token=token: arrived(token), 30)
            times.append(max(receipts.times[(p.aci, token)] for p in phones[1:]) - started)
            await asyncio.sleep(call * 2)  # the copies' calls are all answered
            calls.append(daemon.counts["send"] - sends)
        best = statistics.median(times)
        widest = max((len(c.params.get("recipient") or []) for c in daemon.calls if c.method == "send"), default=0)
    multiple = best / max(call, 1e-3)

    progress("signal_mixed")
    daemon = FakeSignal(receive_mode="manual")  # as README runs it: the bot subscribes
    async with live_bot(work / "signal-mixed", daemon=daemon, latency=latency(0.0), limits=limits()) as (
        api,
        services,
        app,
    ):
        telegram = Receipts(api)
        room, members = await seat_members(services, api, 5)
        _, signal_members = await seat_signal_members(services, daemon, 5, room_id=room)
        signal_receipts = SignalReceipts(signal_members)
        author, others = members[0], members[1:]
        tokens = [f"m{i}" for i in range(50)]
        daemon_sends = daemon.counts["send"]
        started = time.perf_counter()
        for token in tokens:
            await author.send(f"rafale {token}")
            signal_receipts.look()
            await asyncio.sleep(0.1)

        def complete() -> bool:
            signal_receipts.look()
            return all((p.user_id, t) in telegram.times for p in others for t in tokens) and all(
                signal_receipts.has(p, t) for p in signal_members for t in tokens
            )

        done = await wait_until(complete, 120)
        seen_telegram = [
            telegram.times[(p.user_id, t)] for p in others for t in tokens if (p.user_id, t) in telegram.times
        ]
        seen_signal = [
            signal_receipts.times[(p.aci, t)] for p in signal_members for t in tokens if signal_receipts.has(p, t)
        ]
        telegram_s = max(seen_telegram, default=started) - started
        signal_s = max(seen_signal, default=started) - started
        too_many = api.errors_sent[429]
        daemon_sends = daemon.counts["send"] - daemon_sends
    elapsed = max(telegram_s, signal_s)
    return judge(
        "signal",
        {
            "call_s": call,
            "median_s": round(best, 3),
            "multiple_of_one_call": round(multiple, 2),
            "send_calls_per_message": max(calls),
            "recipients_per_call": widest,
            "mixed_seconds_to_all": round(elapsed, 2),
            "mixed_telegram_s": round(telegram_s, 2),
            "mixed_signal_s": round(signal_s, 2),
            "mixed_daemon_sends": daemon_sends,
            "mixed_complete": done,
            "mixed_http_429": too_many,
        },
        {
            "multiple <= 2.0": multiple <= 2.0,
            "1 send call a message": max(calls) == 1,
            "mixed: all 50 at every member": done,
            "<= 10 s": elapsed <= 10,
            "0 x 429": too_many == 0,
        },
    )


async def _burst_once(work: Path, members: int, fifo: bool, chat_seconds: float) -> dict:
    from storage.members import Consents

    label = "FIFO baseline" if fifo else "prioritised pipeline"
    async with live_bot(
        work / ("burst-fifo" if fifo else "burst"), latency=latency(0.01), limits=limits(), fifo=fifo
    ) as (api, services, app):
        receipts = Receipts(api)
        progress("burst", label=label, members=members)
        rooms = []
        for r in range(10):
            _, phones = await seat_members(services, api, 3, f"Salle {r}", first_user=7_200_000_000 + r * 10)
            rooms.append(phones)
        await seat_members(
            services, api, members, "Bilan", first_user=7_300_000_000, consents=Consents(rooms=True, checkins=True)
        )

        async with services.db.transaction() as tx:
            ids = [m.id for m in await tx.members.many(list(range(1, 10 * 3 + members + 1))) if m.consents.checkins]
        api.errors_sent.clear()
        calls_before = sum(api.counts[m] for m in ("sendMessage", "copyMessage", "sendPhoto", "editMessageText"))
        started = time.perf_counter()
        # 20:00, worst case: every check-in fires at the same instant (production spreads
        # them over three minutes, bot.services.checkins.spread).
        firing = [asyncio.create_task(services.checkins.fire(member_id)) for member_id in ids]
        sent: dict[str, float] = {}
        i = 0
        while time.perf_counter() - started < chat_seconds:
            for r, phones in enumerate(rooms):
                token = f"b{r}x{i}"
                sent[token] = time.perf_counter()
                await phones[i % 3].send(f"on jase {token}")
            i += 1
            await asyncio.sleep(1.0)
        elapsed = time.perf_counter() - started
        calls = (
            sum(api.counts[m] for m in ("sendMessage", "copyMessage", "sendPhoto", "editMessageText")) - calls_before
        )
        await wait_until(lambda: all(t in receipts.tokens for t in sent), 30)  # stragglers
        for task in firing:
            task.cancel()
        ended = time.perf_counter()
        latencies = []
        for r, phones in enumerate(rooms):
            for token, t0 in sent.items():
                if not token.startswith(f"b{r}x"):
                    continue
                for phone in phones:
                    if (phone.user_id, token) in receipts.times:
                        latencies.append(receipts.times[(phone.user_id, token)] - t0)
                    elif not phone.sent or all(token not in (m.get("text") or "") for m in phone.sent):
                        latencies.append(ended - t0)  # not arrived yet: at least this long
        latencies.sort()
        return {
            "live_p50_s": round(statistics.median(latencies), 3),
            "live_p95_s": round(latencies[int(len(latencies) * 0.95) - 1], 3),
            "live_max_s": round(latencies[-1], 3),
            "sends_per_s": round(calls / elapsed, 1),
            "http_429": api.errors_sent[429],
            "limit_hits": dict(api.limit_hits),
        }


async def burst(work: Path, quick: bool) -> Result:
    members = 500 if quick else 5000
    seconds = 15 if quick else 30
    ours = await _burst_once(work, members, False, seconds)
    fifo = await _burst_once(work, members, True, seconds)
    ratio = fifo["live_p95_s"] / max(ours["live_p95_s"], 1e-3)
    values = {
        "members": members,
        **ours,
        "fifo_live_p95_s": fifo["live_p95_s"],
        "fifo_http_429": fifo["http_429"],
        "p95_ratio_vs_fifo": round(ratio, 1),
    }
    return judge(
        "burst",
        values,
        {
            "p95 <= 2 s": ours["live_p95_s"] <= 2,
            ">= 28 msg/s": ours["sends_per_s"] >= 28,
            "0 x 429": ours["http_429"] == 0,
            ">= 50x FIFO": ratio >= 50,
        },
    )


SCALE_SIZES = (1_000, 10_000, 100_000)
QUICK_SCALE_SIZES = (1_000, 3_000)
SCALE_RSS_MB, SCALE_STARTUP_S = 300, 5.0  # targets at 100,000 members (met a fortiori below)
LINEAR_SLACK = 1.3  # measured growth may exceed the members' growth by this much (noise, not a trend)
# Growth from one size to the next is judged only from figures large enough to measure it.
# The wave's cost is its processor time (every thread of the bot's process): on a shared
# machine its wall-clock time measures the neighbours too, so that one is reported, not judged.
GROWTH_FLOORS = {"startup_s": 0.25, "wave_plan_cpu_s": 0.25, "db_mb": 1.0}
GROWTH_REPORTED = (*GROWTH_FLOORS, "wave_plan_s")


WAVE_TIMEOUT = 600.0  # seconds: a check-in that never queues is reported (wave_queued), not waited for


async def scale(work: Path, quick: bool) -> list[Result]:
    """Each size in its own database and its own process: RSS, start-up, size, wave plan."""
    sizes = CONDITIONS.get("sizes") or (QUICK_SCALE_SIZES if quick else SCALE_SIZES)
    results: list[Result] = []
    previous: dict | None = None
    for members in sizes:
        rooms = max(1, members // 10)
        progress("scale", members=members, rooms=rooms)
        data_dir = work / f"scale-{members}"
        await _populate(data_dir, members, rooms)
        child = subprocess.run(
            [sys.executable, "-m", "bot.bench", "--scale-child", str(data_dir)],
            capture_output=True,
            text=True,
            timeout=1800,
        )
        shutil.rmtree(data_dir, ignore_errors=True)
        if child.returncode != 0:
            results.append(Result("scale", {"members": members}, error=child.stderr[-300:]))
            continue
        values = {"members": members, "rooms": rooms, **json.loads(child.stdout.strip().splitlines()[-1])}
        checks = {
            f"<= {SCALE_RSS_MB} MB": values["rss_mb"] <= SCALE_RSS_MB,
            f"<= {SCALE_STARTUP_S:g} s": values["startup_s"] <= SCALE_STARTUP_S,
        }
        if previous is not None:
            growth = members / previous["members"]
            judged = []
            for name in GROWTH_REPORTED:
                ratio = values[name] / max(previous[name], 1e-3)
                values[f"{name}_growth"] = round(ratio / growth, 2)  # 1.0 = exactly linear
                floor = GROWTH_FLOORS.get(name)
                if floor is not None and previous[name] >= floor:  # below it, fixed costs and noise are all there is
                    judged.append(values[f"{name}_growth"] <= LINEAR_SLACK)
            if judged:
                checks["growth <= linear"] = all(judged)
        results.append(judge("scale", values, checks))
        previous = values
    return results


async def _populate(data_dir: Path, members: int, rooms: int) -> None:
    from bot.core.clock import Clock
    from storage.checkins import CheckinSettings
    from storage.database import Database, resolve_master_key
    from storage.members import Consents

    db = await Database.open(data_dir, resolve_master_key(data_dir, None))
    day = Clock().day()
    ids = []
    for start in range(0, members, 1000):
        async with db.transaction() as tx:
            for i in range(start, min(members, start + 1000)):
                member = await tx.members.create(
                    8_000_000_000 + i, 8_000_000_000 + i, "fr", Consents(rooms=True, checkins=i % 3 == 0), 1, day
                )
                ids.append(member.id)
                if i % 3 == 0:
                    await tx.checkins.save(CheckinSettings(member.id))
        if len(ids) % max(1000, members // 10 // 1000 * 1000) == 0 or len(ids) == members:
            progress("scale_members", members=len(ids))
    async with db.transaction() as tx:
        for r in range(rooms):
            room = await tx.rooms.open(f"Salle {r}", "", 12, day)
            for k in range(10):
                await tx.rooms.add_seat(room.id, ids[(r * 10 + k) % len(ids)], f"P{r}-{k}", False, day)
            await tx.workshops.create(room.id, "Atelier", "", int(time.time()) + 3 * 86400, "America/Montreal", day)
    await db.close()


async def scale_child(data_dir: Path) -> None:
    """Start the bot on a populated database (every schedule rebuilt), then plan a 20:00
    check-in wave: every member's check-in job made due at the same instant, run by the
    bot's own scheduler as at 20:00, each deciding and queueing its message (counted, not
    sent: sending is paced by Telegram, see docs/performance.md). Prints JSON."""
    from bot.services.checkins.scheduling import Due
    from bot.telegram.context import SERVICES_KEY
    from bot.telegram.runner import open_database, start_bot, stop_bot

    api = FakeTelegram()
    server = FakeServer(api)
    await server.start()
    config = Config(token=api.token, api_url=server.base_url, data_dir=data_dir, poll_timeout=1)
    started = time.perf_counter()
    db = await open_database(config)
    app = await start_bot(config, db, delivery_class=PlanOnlyDelivery)
    startup = time.perf_counter() - started
    services = app.bot_data[SERVICES_KEY]
    assert app.job_queue is not None
    jobs = len(app.job_queue.jobs()) + len(services.scheduler)
    rss_started = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    async with db.transaction() as tx:
        wave = [settings.member_id for settings in await tx.checkins.enabled()]
    services.delivery.watch(set(wave))
    now = time.time()
    for member_id in wave:  # the job the bot holds for each of them (same name, same callback), due now
        services.scheduler.at(f"ci:{member_id}", now, Due(services.checkins, member_id, snoozed=False))
    planning = time.perf_counter()  # nothing runs before the loop gets its turn, below
    processor = time.process_time()
    deadline = planning + WAVE_TIMEOUT
    while len(services.delivery.checked_in) < len(wave) and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    wave_plan = time.perf_counter() - planning
    wave_cpu = time.process_time() - processor
    queued = len(services.delivery.checked_in)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    await stop_bot(app, drain_seconds=1)
    await db.close()
    await server.stop()
    size = sum(f.stat().st_size for f in data_dir.iterdir() if f.name.startswith("entraide.db"))
    print(
        json.dumps(
            {
                "rss_mb": round(rss, 1),
                "rss_started_mb": round(rss_started, 1),
                "startup_s": round(startup, 2),
                "scheduled_jobs": jobs,
                "db_mb": round(size / 1e6, 1),
                "wave": len(wave),
                "wave_queued": queued,
                "wave_plan_s": round(wave_plan, 2),
                "wave_plan_cpu_s": round(wave_cpu, 2),
            }
        )
    )


async def detector(work: Path, quick: bool) -> Result:
    from bot.bench import detector as bench_crisis

    progress("detector")
    values = await asyncio.to_thread(bench_crisis.measure, quick)
    return judge("detector", values, bench_crisis.checks(values))


SCENARIOS: dict[str, Callable[[Path, bool], Awaitable[Result | list[Result]]]] = {
    "overhead": overhead,
    "fan-out": fan_out,
    "room-burst": room_burst,
    "burst": burst,
    "scale": scale,
    "signal": signal,
    "detector": detector,
}


def machine() -> dict:
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


class _AsProgress(logging.Handler):
    """While the bench runs, log records become progress lines on stderr, never in the table."""

    def emit(self, record: logging.LogRecord) -> None:
        progress("log", level=record.levelname.lower(), message=record.getMessage())


@contextmanager
def logs_as_progress():
    root = logging.getLogger()
    saved = root.handlers[:]
    handler = _AsProgress(logging.WARNING)
    handler.addFilter(RedactingFilter())
    root.handlers[:] = [handler]
    levels = {name: logging.getLogger(name).level for name in ("telegram", "entraide")}
    for name in levels:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        yield
    finally:
        root.handlers[:] = saved
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)


async def run(names: list[str], quick: bool) -> list[Result]:
    results: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="entraide-bench-") as work:
        for name in names:
            try:
                outcome = await SCENARIOS[name](Path(work), quick)
                results.extend(outcome if isinstance(outcome, list) else [outcome])
            except Exception as error:  # a scenario that breaks is reported, the others still run
                results.append(Result(name, error=f"{type(error).__name__}: {error}"[:200]))
            progress("done", name=name, verdict=SAY(VERDICT_KEYS[results[-1].verdict]))
    return results


VERDICT_KEYS = {"ok": "bench_verdict_ok", "missed target": "bench_verdict_missed", "failed": "bench_verdict_failed"}


def target_of(scenario: str) -> str:
    """A scenario's target as the operator reads it (TARGETS holds the same criteria for the JSON)."""
    return SAY(f"bench_target_{scenario.replace('-', '_')}") if scenario in TARGETS else ""


def table(results: list[Result], width: int = WIDTH) -> str:
    """One block per scenario: name, verdict and target, then its figures, wrapped to `width`."""
    heading = SAY("bench_table_scenario")
    name_width = max([len(heading), *(len(r.scenario) for r in results)]) + 2
    indent = " " * name_width
    columns = SAY("bench_table_columns")
    lines = [f"{heading.ljust(name_width)}{columns}", "-" * min(width, 60)]
    for result in results:
        target = target_of(result.scenario)
        if result.error is not None:
            head = SAY("bench_line_failed", error=result.error)
        elif result.missed:
            head = SAY("bench_line_missed", criteria=", ".join(result.missed), target=target)
        else:
            head = SAY("bench_line_ok", target=target)
        lines += textwrap.wrap(
            head,
            width,
            initial_indent=result.scenario.ljust(name_width),
            subsequent_indent=indent,
            break_on_hyphens=False,
        )
        measured = "  ".join(f"{k}={v}" for k, v in result.values.items())
        if measured:
            lines += textwrap.wrap(
                measured, width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
            )
    missed = [r.scenario for r in results if r.verdict == "missed target"]
    failed = [r.scenario for r in results if r.verdict == "failed"]
    summary = SAY.plural("bench_summary", len(results) - len(missed) - len(failed), total=len(results))
    if missed:
        summary += SAY("bench_summary_missed", names=", ".join(missed))
    if failed:
        summary += SAY("bench_summary_failed", names=", ".join(failed))
    lines += ["", *textwrap.wrap(summary + ".", width)]
    return "\n".join(lines)


def exit_code(results: list[Result]) -> int:
    if any(r.verdict == "failed" for r in results):
        return EXIT_FAILED
    return EXIT_MISSED if any(r.missed for r in results) else EXIT_OK


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="entraide bench", epilog=SAY("bench_exit_codes"))
    parser.add_argument("scenarios", nargs="*", help=SAY("bench_scenarios"))
    parser.add_argument("--quick", action="store_true", help=SAY("bench_quick"))
    parser.add_argument("--json", action="store_true", help=SAY("bench_json"))
    parser.add_argument("--latency", type=float, help=SAY("bench_latency"))
    parser.add_argument("--per-chat", type=float, default=1.0, help=SAY("bench_per_chat"))
    parser.add_argument("--overall", type=float, default=30.0, help=SAY("bench_overall"))
    parser.add_argument("--sizes", help=SAY("bench_sizes"))
    parser.add_argument("--scale-child", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.scale_child:
        asyncio.run(scale_child(Path(args.scale_child)))
        return 0
    CONDITIONS.update(latency=args.latency, per_chat=args.per_chat, overall=args.overall)
    if args.sizes:
        try:
            sizes = tuple(int(size.replace("_", "")) for size in args.sizes.split(","))
        except ValueError:
            parser.error(SAY("bench_err_sizes_numbers"))
        if not sizes or min(sizes) < 10 or list(sizes) != sorted(set(sizes)):
            parser.error(SAY("bench_err_sizes_order"))
        CONDITIONS["sizes"] = sizes
    names = args.scenarios or list(SCENARIOS)
    unknown = [n for n in names if n not in SCENARIOS]
    if unknown:
        parser.error(SAY("bench_err_unknown", names=", ".join(unknown)))
    with logs_as_progress():
        results = asyncio.run(run(names, args.quick))
        gc.collect()  # whatever a collected task would still log, it logs now, not amid the table
        sys.stderr.flush()
        if args.json:
            report = {
                "machine": machine(),
                "quick": args.quick,
                "conditions": CONDITIONS,
                "results": [
                    {
                        "scenario": r.scenario,
                        "verdict": r.verdict,
                        "missed": r.missed,
                        **({"error": r.error} if r.error else {}),
                        **r.values,
                    }
                    for r in results
                ],
            }
            sys.stdout.write(json.dumps(report, indent=2) + "\n")
        else:
            sys.stdout.write(table(results) + "\n")  # one write: nothing can land inside it
        sys.stdout.flush()
    return exit_code(results)


if __name__ == "__main__":
    sys.exit(main())
