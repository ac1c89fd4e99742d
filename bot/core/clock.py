"""Time, injected: services never call time.time() directly, so tests need no sleeping."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


class Clock:
    def __init__(self, tz: str = "America/Montreal") -> None:
        self.tz = ZoneInfo(tz)

    def now(self) -> float:
        return time.time()

    def day(self) -> str:
        """Today's date in the organisation's time zone: what is kept where a day is enough."""
        return datetime.fromtimestamp(self.now(), UTC).astimezone(self.tz).date().isoformat()


class FixedClock(Clock):
    """A clock that only moves when told to."""

    def __init__(self, start: float, tz: str = "America/Montreal") -> None:
        super().__init__(tz)
        self.current = float(start)

    def now(self) -> float:
        return self.current

    def advance(self, seconds: float) -> None:
        self.current += seconds
