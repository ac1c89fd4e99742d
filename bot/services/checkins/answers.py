"""Answers: a mood, tags, or snooze / skip / pause / stop under a check-in."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from bot.core.errors import Refusal
from bot.core.presses import (
    CheckinControl,
    CheckinDone,
    CheckinMood,
    CheckinTag,
    unpack,
)
from bot.ports.replies import Reply
from bot.ports.transport import Button
from bot.services.checkins.common import (
    PAUSE,
    SNOOZE,
    TAGS,
    local_day,
    period,
)
from bot.services.checkins.settings import Settings
from storage.checkins import CheckinSettings
from storage.members import Member


class Answers(Settings):
    """What a member answers under a check-in of today or yesterday."""

    def _check_day(self, day: str, tz: str) -> None:
        try:
            answered = date.fromisoformat(day)
        except ValueError as exc:
            raise Refusal("common.stale_button") from exc
        today = date.fromisoformat(local_day(self.clock.now(), tz))
        if not timedelta(0) <= today - answered <= timedelta(days=1):
            raise Refusal("checkins.too_old")

    async def answer(self, member: Member, data: str) -> Reply:
        """A button under a check-in: a mood, a tag, or snooze / skip / pause / stop."""
        press = unpack(data, CheckinMood, CheckinTag, CheckinDone, CheckinControl)
        if not member.consents.checkins:
            raise Refusal("checkins.not_on")  # an old check-in after stopping: nothing is kept
        settings = await self._load(member)
        locale = member.locale
        if isinstance(press, CheckinMood):
            day, mood = press.day, press.mood
            self._check_day(day, settings.tz)
            async with self.db.transaction() as tx:
                await tx.checkins.answer(member.id, day, mood)
            text = self.t(locale, "checkins.thanks")
            if mood == 1:
                text += "\n\n" + self.t(locale, "checkins.gentle_resources")
            return Reply(text, self._tag_buttons(locale, day, 0))
        if isinstance(press, CheckinTag):
            day, tag = press.day, press.tag
            if tag not in {bit for _, bit in TAGS}:
                raise Refusal("common.stale_button")
            self._check_day(day, settings.tz)
            async with self.db.transaction() as tx:
                tags = await tx.checkins.toggle_tag(member.id, day, tag)
            if tags is None:
                raise Refusal("common.stale_button")
            return Reply(self.t(locale, "checkins.thanks"), self._tag_buttons(locale, day, tags))
        if isinstance(press, CheckinDone):
            return Reply(self.t(locale, f"checkins.done_{period(self.clock.now(), settings.tz)}"))
        if isinstance(press, CheckinControl):
            self._check_day(press.day, settings.tz)
            return await self._control(member, settings, press.action)
        raise Refusal("common.stale_button")

    def _tag_buttons(self, locale: str, day: str, tags: int):
        row = [
            Button(("☑ " if tags & bit else "") + self.t(locale, f"checkins.tag_{name}"), CheckinTag(bit, day).pack())
            for name, bit in TAGS
        ]
        return [row[:3], row[3:], [Button(self.t(locale, "checkins.button_done"), CheckinDone(day).pack())]]

    async def _control(self, member: Member, settings: CheckinSettings, action: str) -> Reply:
        now = self.clock.now()
        locale = member.locale
        if action == "snooze":
            settings = replace(settings, snooze_until=int(now + SNOOZE))
            await self._save(settings)
            self.scheduler.at(f"ci:{member.id}:snooze", now + SNOOZE, self._firer(member.id, snoozed=True))
            return Reply(self.t(locale, "checkins.snoozed"))
        if action == "skip":
            return Reply(self.t(locale, "checkins.skipped"))
        if action == "pause":
            await self._save(replace(settings, paused_until=int(now + PAUSE), snooze_until=0))
            await self.reschedule(member.id)
            return Reply(self.t(locale, "checkins.paused"))
        await self._save(replace(settings, snooze_until=0))
        await self._set_consent(member, False)
        await self.reschedule(member.id)
        return Reply(self.t(locale, "checkins.stopped"))
