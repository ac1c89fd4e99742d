"""What every part of the relay service holds (the parts are mixins of RelayService)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.core.clock import Clock
from bot.core.i18n import Translator
from bot.ports.transport import Transport
from bot.services.delivery import Delivery
from bot.services.notify import Notifier
from storage.database import Database

if TYPE_CHECKING:
    from bot.services.relay.coalescing import CombinedCopies
    from bot.services.relay.gate import FloodGate
    from bot.services.safety import SafetyService


class RelayBase:
    """The collaborators and the state in memory shared by the relay's parts."""

    db: Database
    clock: Clock
    t: Translator
    transport: Transport
    delivery: Delivery
    notifier: Notifier
    flood: FloodGate
    combined: CombinedCopies
    coalesce: bool
    _outstanding: dict[int, int]
    safety: SafetyService
