"""Check-ins as a phone sees them, in the in-process harness."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

MTL = ZoneInfo("America/Montreal")


def is_question(message) -> bool:
    """A check-in question: it carries the five mood buttons."""
    return any(
        (b.get("callback_data") or "").startswith("ci:m:")
        for row in message.get("reply_markup", {}).get("inline_keyboard", [])
        for b in row
    )


def checkins_received(phone):
    """Check-in messages that reached this phone (answered ones are edited, so count sends)."""
    sent = [m for m in phone.inbox if m.get("_question") or is_question(m)]
    for message in sent:
        message["_question"] = True  # remember it even after the bot edits it
    return sent


async def press_latest(h, phone, prefix: str) -> None:
    """Press the button starting with `prefix` on the latest check-in."""
    message = checkins_received(phone)[-1]
    await phone.press(message, next(d for _, d in phone.buttons(message) if d.startswith(prefix)))
    await h.pump()


async def first_checkin(h, phone):
    await h.cmd(phone, "bilan", "20:00")
    now = datetime.fromtimestamp(h.clock.now(), MTL)
    target = now.replace(hour=20, minute=0, second=0) + timedelta(seconds=200)
    if target <= now:
        target += timedelta(days=1)
    await h.tick(target.timestamp() - h.clock.now())
    return checkins_received(phone)[-1]
