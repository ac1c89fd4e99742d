"""How urgent a send is. The delivery lanes set `PRIORITY` (a context variable) and the
transport reads it, so no transport-specific argument crosses the port.

Lower is more urgent: live relay first, then safety and moderation, then reminders, then
check-ins and broadcasts; `PLANNING` is scheduled work deciding what to send, whose
database turns come last.
"""

from __future__ import annotations

import contextvars

LIVE, SAFETY, REMINDER, BULK = 0, 1, 2, 3
PLANNING = 4
PRIORITY: contextvars.ContextVar[int] = contextvars.ContextVar("entraide_priority", default=SAFETY)
