"""Commands per member are limited like messages: a burst only ever costs its sender."""

from __future__ import annotations

from bot.clock import Clock
from bot.services.relay import FloodGate


class CommandGate:
    """At most `limit` commands a minute per person (memory only). The first command
    over the limit is answered kindly; the next ones are dropped without an answer until
    the minute has passed, so a flood cannot be turned into a flood of refusals."""

    def __init__(self, limit: int, clock: Clock) -> None:
        self._gate = FloodGate(limit, clock)
        self._told: set[int] = set()

    def check(self, key: int) -> str:
        """"ok", "refuse" (say so) or "drop" (already said)."""
        if self._gate.allow(key):
            self._told.discard(key)
            return "ok"
        if key in self._told:
            return "drop"
        self._told.add(key)
        return "refuse"
