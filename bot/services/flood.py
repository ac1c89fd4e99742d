"""Commands, button presses and edits per member are limited like messages: a burst
only ever costs its sender (every press and every edit of a relayed message turns into
Bot API calls that share the bot's overall budget with everyone's messages)."""

from __future__ import annotations

from bot.core.clock import Clock
from bot.services.relay import FloodGate

# What a member is told, on any messenger, when a kind of action goes over its limit.
SLOW_DOWN = {
    "command": "common.slow_down_commands",
    "press": "common.slow_down_presses",
    "edit": "common.slow_down_edits",
}


class CommandGate:
    """At most `limit` commands a minute per person (memory only). The first command
    over the limit is answered kindly; the next ones are dropped without an answer until
    the minute has passed, so a flood cannot be turned into a flood of refusals."""

    def __init__(self, limit: int, clock: Clock) -> None:
        self._gate = FloodGate(limit, clock)
        self._told: set[int] = set()

    def check(self, key: int) -> str:
        """ "ok", "refuse" (say so) or "drop" (already said)."""
        if self._gate.allow(key):
            self._told.discard(key)
            return "ok"
        if key in self._told:
            return "drop"
        self._told.add(key)
        return "refuse"


class ActionGates:
    """One gate per kind of action: commands, presses, edits (limits a minute)."""

    def __init__(self, clock: Clock, *, commands: int, presses: int, edits: int) -> None:
        self._gates = {
            "command": CommandGate(commands, clock),
            "press": CommandGate(presses, clock),
            "edit": CommandGate(edits, clock),
        }

    def check(self, kind: str, key: int) -> str:
        return self._gates[kind].check(key)
