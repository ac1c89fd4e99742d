"""What a message passes before it is relayed: the per-member flood gate and the crisis detector."""

from __future__ import annotations

import asyncio
from collections import deque

from bot.core.clock import Clock
from bot.services.crisis import NONE, Assessment, assess

LONG_TEXT = 600  # characters: above this the crisis detector runs in a worker thread


class FloodGate:
    """At most `limit` messages a minute per member; counted in memory only."""

    def __init__(self, limit: int, clock: Clock) -> None:
        self.limit = limit
        self.clock = clock
        self._seen: dict[int, deque[float]] = {}

    def allow(self, member_id: int) -> bool:
        now = self.clock.now()
        window = self._seen.setdefault(member_id, deque())
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= self.limit:
            return False
        window.append(now)
        return True


class CrisisGate:
    """The crisis detector, run so that a long message does not hold the event loop."""

    @staticmethod
    async def assess(text: str | None) -> Assessment:
        """The crisis detector: inline for an ordinary message (a few milliseconds), in a
        worker thread for a long one (tens of milliseconds the event loop keeps for sending)."""
        if not text or not text.strip():
            return NONE
        if len(text) <= LONG_TEXT:
            return assess(text)
        return await asyncio.to_thread(assess, text)
