"""The pseudonymous relay: a member's words reach their room, under a per-room pseudonym.

Text is sent as a new message « Pseudonyme : texte » (no parse mode; the pseudonym is set
in bold by an entity the bot computes, and every further line of the member's words is
marked as a continuation, so nothing typed can pass for another speaker); photos are
re-encoded without metadata; voice notes, stickers, animations and videos are copied
(never forwarded); other content is refused with a reason. Every relayed message is
protected. Only message ids are mapped (48 h), so edits, deletes and replies reach every copy.

The package, one module per responsibility: incoming (what arrives), gate (flood, crisis
detector), routing, labels, plans and runs (per recipient), coalescing, edits, deletes,
pending (copies not sent yet), purging; service assembles them into RelayService.
"""

from bot.services.relay.coalescing import Combined, CombinedCopies
from bot.services.relay.gate import LONG_TEXT, FloodGate
from bot.services.relay.incoming import COPIED, COPIED_WITH_LABEL, REFUSED, Incoming
from bot.services.relay.purging import MAP_HOURS
from bot.services.relay.service import RelayService

__all__ = [
    "COPIED",
    "COPIED_WITH_LABEL",
    "LONG_TEXT",
    "MAP_HOURS",
    "REFUSED",
    "Combined",
    "CombinedCopies",
    "FloodGate",
    "Incoming",
    "RelayService",
]
