"""Telegram's flood limits, kept by extending python-telegram-bot's rate limiter.

`PacedRateLimiter` is a `telegram.ext.BaseRateLimiter`: every Bot API call goes through
it. New messages are paced per private chat (about one a second; edits of an existing
message are not) and every send or edit overall (about 30 a second); among calls waiting
for the overall budget, the most urgent goes first — live relay, then safety and
moderation, then reminders, then check-ins and broadcasts. The priority of a call is the
one the delivery lane set in `PRIORITY` (a context variable), so the transport port needs
no Telegram-specific argument. A 429 is honoured
(`retry_after`) and retried; the limits are set so that it stays rare.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections import deque
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from bot.ports.priorities import PRIORITY, REMINDER

log = logging.getLogger(__name__)


PACED_PREFIXES = ("send", "copyMessage", "editMessage")  # the bot never forwards


def _paced(endpoint: str) -> bool:
    return endpoint.startswith(PACED_PREFIXES) and endpoint != "sendChatAction"


def _retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


class PacedRateLimiter(BaseRateLimiter[dict]):
    def __init__(
        self,
        overall_rate: float = 29.0,
        per_chat_interval: float = 1.0,
        max_retries: int = 5,
        *,
        clock: Callable[[], float] = time.monotonic,
        window: float = 1.02,
        sleep: Callable[[float], Coroutine[Any, Any, None]] = asyncio.sleep,
    ) -> None:
        self.overall_rate = overall_rate
        self.overall_interval = 1.0 / overall_rate if overall_rate > 0 else 0.0
        self.window = window
        self._sent_times: deque[tuple[float, int]] = deque()  # (answered at, priority)
        self._in_flight: list[int] = []  # priorities of sends not answered yet
        self._last_bulk = 0.0
        self.per_chat_interval = per_chat_interval
        self.max_retries = max_retries
        self.clock = clock
        self.sleep = sleep  # how a retry waits for Telegram's retry_after
        self._chat_next: dict[int, float] = {}
        self._waiting: list[tuple[int, int, asyncio.Future]] = []
        self._sequence = itertools.count()
        self._paused_until = 0.0
        self._gate: asyncio.Task | None = None
        self._wake = asyncio.Event()
        self.stats = {"retry_after": 0, "sent": 0}

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        if self._gate is not None:
            self._gate.cancel()
            self._gate = None
        for _, _, future in self._waiting:
            if not future.done():
                future.cancel()
        self._waiting.clear()

    # ---------------------------------------------------------------- per chat
    def chat_delay(self, chat_id: int) -> float:
        """Seconds before a send to this chat would be allowed."""
        return max(0.0, self._chat_next.get(chat_id, 0.0) - self.clock())

    async def ready(self, chat) -> None:
        """Wait (without reserving) until this chat may receive again: lanes use it to coalesce.
        `chat`: a lane's key, the port's chat reference ("telegram", id)."""
        transport, local = chat
        if transport != "telegram":
            return
        delay = self.chat_delay(int(local))
        if delay > 0:
            await asyncio.sleep(delay)

    async def _wait_chat(self, chat_id: int) -> None:
        while (delay := self.chat_delay(chat_id)) > 0:
            await asyncio.sleep(delay)

    def _stamp_chat(self, chat_id: int) -> None:
        """Called right before the request leaves: the next one to this chat waits from now."""
        self._chat_next[chat_id] = self.clock() + self.per_chat_interval
        if len(self._chat_next) > 50_000:
            now = self.clock()
            self._chat_next = {k: v for k, v in self._chat_next.items() if v > now}

    # ------------------------------------------------------------------ global
    def _answered(self, priority: int) -> None:
        """A granted send got its answer: it now counts in the window from this moment."""
        if priority in self._in_flight:
            self._in_flight.remove(priority)
            self._sent_times.append((self.clock(), priority))
            self._wake.set()

    async def _acquire_global(self, priority: int) -> None:
        if self.overall_interval <= 0:
            return
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiting, (priority, next(self._sequence), future))
        if self._gate is None or self._gate.done():
            self._gate = asyncio.create_task(self._run_gate())
        self._wake.set()
        await future

    async def _run_gate(self) -> None:
        while True:
            while not self._waiting:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), 30)
                except TimeoutError:
                    if not self._waiting:
                        return
            # A sliding window: at most `overall_rate` sends in any `window` seconds, so a
            # burst goes out at once while the budget lasts (as Telegram allows). Reminders
            # and bulk sends are spread evenly and leave room for the live traffic seen in
            # the last window, so a live burst finds its budget free.
            now = self.clock()
            while self._sent_times and self._sent_times[0][0] <= now - self.window:
                self._sent_times.popleft()
            # A send counts from the moment it leaves until `window` after Telegram's
            # answer: it reached Telegram somewhere in between, so whatever the network
            # delays, no second holds more than the budget there.
            priority = self._waiting[0][0]
            used = len(self._sent_times) + len(self._in_flight)
            live_recent = sum(1 for _, p in self._sent_times if p < REMINDER) + sum(
                1 for p in self._in_flight if p < REMINDER
            )
            limit = int(self.overall_rate)
            start = self._paused_until
            bulk_used = used - live_recent
            if used >= limit or (priority >= REMINDER and bulk_used >= limit - live_recent):
                # Full, or the bulk share is: a place frees when the oldest answered send
                # leaves the window, or when a send in flight is answered (which wakes us).
                start = max(start, self._sent_times[0][0] + self.window if self._sent_times else now + 0.05)
            if priority >= REMINDER:
                start = max(start, self._last_bulk + self.overall_interval)
            if now < start:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), start - now)
                except TimeoutError:
                    pass
                continue
            priority, _, future = heapq.heappop(self._waiting)
            if future.done():
                continue
            future.set_result(None)
            if priority >= REMINDER:
                self._last_bulk = now
            self._in_flight.append(priority)

    # ------------------------------------------------------------------ requests
    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict | list[dict]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: dict | None,
    ) -> bool | dict | list[dict]:
        priority = (rate_limit_args or {}).get("priority", PRIORITY.get())
        chat_id = data.get("chat_id")
        try:
            chat_id = int(chat_id) if chat_id is not None else None
        except (TypeError, ValueError):
            chat_id = None
        paced = _paced(endpoint)
        for attempt in range(self.max_retries + 1):
            # The chat this call is paced in, if any (edits of an existing message are not).
            in_chat = paced and chat_id is not None and chat_id > 0 and not endpoint.startswith("editMessage")
            per_chat = chat_id if in_chat else None
            if paced:
                if per_chat is not None:
                    await self._wait_chat(per_chat)
                await self._acquire_global(priority)
                if per_chat is not None:
                    await self._wait_chat(per_chat)  # another send to this chat may have gone meanwhile
                    self._stamp_chat(per_chat)
            try:
                result = await callback(*args, **kwargs)
                if paced:
                    self.stats["sent"] += 1
                return result
            except RetryAfter as error:
                per_chat = None  # the chat's next slot is set from Telegram's answer below
                self.stats["retry_after"] += 1
                wait = _retry_seconds(error) + 0.1
                if attempt == self.max_retries:
                    raise
                log.info("Telegram asked to wait %.1f s before the next send", wait)
                if chat_id is not None and chat_id > 0:
                    self._chat_next[chat_id] = self.clock() + wait  # other sends to this chat wait too
                else:
                    self._paused_until = self.clock() + wait
                # This call waits what Telegram asked, whatever the method: an edit (never
                # paced per chat) or a call that skips the overall budget would else come
                # back at once and be refused again.
                await self.sleep(wait)
            finally:
                if paced and self.overall_interval > 0:
                    self._answered(priority)
                if per_chat is not None:
                    # Counted again from the answer: Telegram saw this message before it
                    # answered, so the next one can never reach it less than a slot later.
                    self._stamp_chat(per_chat)
        raise AssertionError("unreachable")
