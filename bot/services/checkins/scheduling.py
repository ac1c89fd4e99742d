"""Scheduling: the next check-in of each member, planned in their zone, claimed once per local day."""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import replace
from typing import Any

from bot.core.presses import (
    CheckinControl,
    CheckinMood,
)
from bot.monitoring import metrics
from bot.ports.priorities import PLANNING, PRIORITY
from bot.ports.refs import chat_ref
from bot.ports.transport import Button, Keyboard
from bot.services.checkins.base import CheckinBase
from bot.services.checkins.common import (
    local_day,
    next_checkin,
    period,
    spread,
)
from bot.services.delivery import BULK, claimed_once
from storage.checkins import CheckinSettings
from storage.members import Member

# How many check-ins are planned at the same moment (each in its own transaction, in turn):
# enough to keep the database busy, few enough that a 20:00 wave of 33,000 does not hold
# 33,000 transactions in wait (about 2 KB each).
PLANNING_AT_ONCE = 32

# Keyboards kept (a language and a day each): a few days' worth for two languages.
KEYBOARDS_KEPT = 8


class Due:
    """What a scheduled check-in holds until its moment: whose it is, nothing more.

    One per member with a check-in, all held in memory: a slotted object of three fields
    (about 60 bytes) rather than a closure (a function, its cells and their tuple, about 300).
    """

    __slots__ = ("service", "member_id", "snoozed")

    def __init__(self, service: Scheduling, member_id: int, snoozed: bool) -> None:
        self.service = service
        self.member_id = member_id
        self.snoozed = snoozed

    def __call__(self) -> Coroutine[Any, Any, None]:
        return self.service.fire(self.member_id, snoozed=self.snoozed)


class Scheduling(CheckinBase):
    """Plans, fires and sends check-ins (the low-priority lane, spread over a few minutes)."""

    async def rebuild(self) -> int:
        async with self.db.transaction() as tx:
            everyone = await tx.checkins.enabled()
        for settings in everyone:
            self._plan(settings)
        return len(everyone)

    async def reschedule(self, member_id: int) -> None:
        async with self.db.transaction() as tx:
            member = await tx.members.get(member_id)
            settings = await tx.checkins.settings(member_id, self.clock.tz.key)
        if member is None or not member.consents.checkins:
            self.scheduler.cancel(f"ci:{member_id}")
            self.scheduler.cancel(f"ci:{member_id}:snooze")
            return
        self._plan(settings)

    def _plan(self, settings: CheckinSettings) -> None:
        now = self.clock.now()
        # Today's moment may have passed while the bot was down: within the hour it still goes.
        moment = next_checkin(settings, now - 3600)
        if moment is not None and moment <= now and local_day(moment, settings.tz) == settings.last_sent_day:
            moment = next_checkin(settings, now)
        if moment is None:
            self.scheduler.cancel(f"ci:{settings.member_id}")
        else:
            self.scheduler.at(
                f"ci:{settings.member_id}",
                moment + spread(settings.member_id),
                self._firer(settings.member_id, snoozed=False),
            )
        if settings.snooze_until > now:
            self.scheduler.at(
                f"ci:{settings.member_id}:snooze", settings.snooze_until, self._firer(settings.member_id, snoozed=True)
            )

    def _firer(self, member_id: int, snoozed: bool) -> Due:
        return Due(self, member_id, snoozed)

    async def fire(self, member_id: int, *, snoozed: bool = False) -> None:
        """Send the check-in (at most once a local day), then plan the next one. At most
        PLANNING_AT_ONCE are planned at a time: the others wait at the door, cheaply,
        instead of each holding a transaction in wait (their turn comes no later: every
        plan takes its turn in the one database connection anyway)."""
        token = PRIORITY.set(PLANNING)
        try:
            async with self.planning:
                await self._fire(member_id, snoozed)
        finally:
            PRIORITY.reset(token)

    async def _fire(self, member_id: int, snoozed: bool) -> None:
        now = self.clock.now()
        async with self.db.transaction() as tx:
            member = await tx.members.get(member_id)
            if member is None or not member.consents.checkins:
                return
            repo = tx.checkins
            settings = await repo.settings(member_id, self.clock.tz.key)
            day = local_day(now - spread(member_id), settings.tz)
            if snoozed:
                await repo.save(replace(settings, snooze_until=0))
                send = True
            else:
                send = settings.paused_until <= now and settings.last_sent_day != day
        if send:
            # The day is claimed by the delivery itself, right before it goes: a restart in
            # between recomputes it from the database, and it never goes twice.
            self._send(member, day, settings.tz, claim=not snoozed)
        if not snoozed:  # nothing in this path changed the settings read above
            self.scheduler.at(
                f"ci:{member_id}",
                (next_checkin(settings, now) or now + 86400) + spread(member_id),
                self._firer(member_id, snoozed=False),
            )

    def _keyboard(self, locale: str, day: str) -> Keyboard:
        """The check-in's buttons: the same for everyone of a language on a day, so made
        once and shared (never changed once made): a wave of 33,000 would otherwise make,
        and queue, 33,000 copies of nine buttons."""
        keyboard = self.keyboards.get((locale, day))
        if keyboard is None:
            if len(self.keyboards) >= KEYBOARDS_KEPT:
                self.keyboards.clear()
            moods = [
                Button(self.t(locale, f"checkins.mood_{level}"), CheckinMood(level, day).pack())
                for level in range(1, 6)
            ]
            keyboard = self.keyboards[(locale, day)] = [
                moods[:3],
                moods[3:],
                [
                    Button(self.t(locale, "checkins.button_snooze"), CheckinControl("snooze", day).pack()),
                    Button(self.t(locale, "checkins.button_skip"), CheckinControl("skip", day).pack()),
                ],
                [
                    Button(self.t(locale, "checkins.button_pause"), CheckinControl("pause", day).pack()),
                    Button(self.t(locale, "checkins.button_stop"), CheckinControl("stop", day).pack()),
                ],
            ]
        return keyboard

    def _send(self, member: Member, day: str, tz: str, claim: bool = False) -> None:
        locale = member.locale
        buttons = self._keyboard(locale, day)
        text = self.t(locale, f"checkins.question_{period(self.clock.now(), tz)}")  # no « ce soir » at 9 a.m.

        async def claim_day() -> bool:
            async with self.db.transaction() as tx:
                return await tx.checkins.claim_day(member.id, day)

        async def send() -> None:
            await self.transport.send(chat_ref(member.chat), text, buttons=buttons)
            metrics.checkin_sent()

        job = claimed_once(claim_day, send) if claim else send
        self.delivery.submit(member.chat, job, member.id, priority=BULK)
