"""Settings: `/bilan` and its buttons (on or off, hour, days, time zone)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.core.errors import Refusal
from bot.core.i18n import format_day
from bot.core.presses import (
    CheckinDay,
    CheckinHour,
    CheckinsOff,
    CheckinsOn,
    CheckinZone,
    unpack,
)
from bot.ports.replies import Reply
from bot.ports.transport import Button
from bot.services.checkins.common import (
    HOURS,
    ZONES,
    local_day,
    zone_name,
)
from bot.services.checkins.scheduling import Scheduling
from bot.services.onboarding import CONSENT_VERSION
from storage.checkins import CheckinSettings
from storage.members import Member


class Settings(Scheduling):
    """A member's check-in settings, shown and changed."""

    async def _load(self, member: Member) -> CheckinSettings:
        async with self.db.transaction() as tx:
            return await tx.checkins.settings(member.id, self.clock.tz.key)

    async def _save(self, settings: CheckinSettings) -> None:
        async with self.db.transaction() as tx:
            await tx.checkins.save(settings)

    async def _set_consent(self, member: Member, on: bool) -> Member:
        async with self.db.transaction() as tx:
            await tx.members.set_consents(member.id, replace(member.consents, checkins=on), CONSENT_VERSION)
            return await tx.members.get(member.id)  # type: ignore[return-value]

    async def screen(self, member: Member, notice: str | None = None) -> Reply:
        """`/bilan`: the settings, with buttons for each choice."""
        settings = await self._load(member)
        locale = member.locale
        on = member.consents.checkins
        hour = f"{settings.minute_of_day // 60:02d}:{settings.minute_of_day % 60:02d}"
        day_names = self.t(locale, "checkins.day_letters").split()
        chosen = " ".join(n for i, n in enumerate(day_names) if settings.days & (1 << i)) or "—"
        paused = settings.paused_until > self.clock.now()
        key = "checkins.screen_on" if on else "checkins.screen_off"
        text = self.t(locale, key, hour=hour, days=chosen, tz=self.zone_name(settings.tz, locale))
        if on and paused:
            day = date.fromisoformat(local_day(settings.paused_until, settings.tz))
            text += "\n" + self.t(locale, "checkins.paused_until", day=format_day(day, locale))
        rows = [
            [
                Button(
                    self.t(locale, "checkins.button_off" if on else "checkins.button_on"),
                    (CheckinsOff() if on else CheckinsOn()).pack(),
                )
            ]
        ]
        rows.append(
            [
                Button(("• " if settings.minute_of_day == h * 60 else "") + f"{h}:00", CheckinHour(h).pack())
                for h in HOURS
            ]
        )
        rows.append(
            [
                Button(("• " if settings.days & (1 << i) else "") + name, CheckinDay(i).pack())
                for i, name in enumerate(day_names)
            ]
        )
        rows.append(
            [
                Button(("• " if settings.tz == z else "") + self.zone_name(z, locale), CheckinZone(i).pack())
                for i, z in enumerate(ZONES)
            ]
        )
        return Reply(text, rows, notice=notice)

    def zone_name(self, tz: str, locale: str) -> str:
        return zone_name(self.t, tz, locale)

    async def command(self, member: Member, args: str) -> Reply:
        """`/bilan 21:30` sets a precise hour; `/bilan Europe/Paris` a time zone."""
        args = args.strip()
        if not args:
            return await self.screen(member)
        settings = await self._load(member)
        if ":" in args or args.lower().endswith("h") or "h" in args.lower():
            hour, _, minute = args.lower().replace("h", ":").partition(":")
            try:
                hours, minutes = int(hour), int(minute or 0)
            except ValueError as exc:
                raise Refusal("checkins.usage") from exc
            if not (0 <= hours <= 23 and 0 <= minutes <= 59):
                raise Refusal("checkins.usage")
            settings = replace(settings, minute_of_day=hours * 60 + minutes)
        else:
            try:
                ZoneInfo(args)
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise Refusal("checkins.usage") from exc
            settings = replace(settings, tz=args)
        await self._save(settings)
        member = await self._set_consent(member, True)
        await self.reschedule(member.id)
        return await self.screen(member, self.t(member.locale, "checkins.saved"))

    async def press(self, member: Member, data: str) -> Reply:
        """A settings button (`cis:...`)."""
        settings = await self._load(member)
        press = unpack(data, CheckinsOn, CheckinsOff, CheckinHour, CheckinDay, CheckinZone)
        if isinstance(press, CheckinsOn | CheckinsOff):
            member = await self._set_consent(member, isinstance(press, CheckinsOn))
            if isinstance(press, CheckinsOn):
                settings = replace(settings, paused_until=0)
        elif isinstance(press, CheckinHour) and press.hour in HOURS:
            settings = replace(settings, minute_of_day=press.hour * 60)
        elif isinstance(press, CheckinDay):
            settings = replace(settings, days=settings.days ^ (1 << press.weekday))
        elif isinstance(press, CheckinZone) and press.zone < len(ZONES):
            settings = replace(settings, tz=ZONES[press.zone])
        else:
            raise Refusal("common.stale_button")
        await self._save(settings)
        await self.reschedule(member.id)
        return await self.screen(member, self.t(member.locale, "checkins.saved"))
