"""Evening check-ins (*bilan du soir*): off until the member opts in; no streaks, no guilt.

Each member has an hour, days and a time zone; the next check-in is computed in that
zone (daylight-saving changes included) and claimed in the database for the local day
before it goes, so one day never gets two. Check-ins go through the low-priority lane,
spread over a few minutes, so live rooms stay live at 20:00.
"""

from __future__ import annotations

import hashlib
import io
from collections import Counter
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import get_timezone_location
from babel.numbers import format_decimal

from bot.core.clock import Clock
from bot.core.errors import Refusal
from bot.core.i18n import BABEL_LOCALES, Translator, format_day
from bot.core.presses import (
    CheckinControl,
    CheckinDay,
    CheckinDone,
    CheckinHour,
    CheckinMood,
    CheckinsOff,
    CheckinsOn,
    CheckinTag,
    CheckinZone,
    unpack,
)
from bot.monitoring import metrics
from bot.ports.priorities import PLANNING, PRIORITY
from bot.ports.refs import chat_ref
from bot.ports.replies import Reply
from bot.ports.scheduler import Scheduler
from bot.ports.transport import Button, Transport
from bot.services.delivery import BULK, Delivery, claimed_once
from bot.services.onboarding import CONSENT_VERSION
from bot.services.rooms import room_or_active
from storage.checkins import CheckinSettings
from storage.database import Database, Tx
from storage.members import Member

SPREAD_SECONDS = 180
SNOOZE = 3600
PAUSE = 7 * 86400
TAGS = (("sleep", 1), ("money", 2), ("loneliness", 4), ("health", 8), ("relations", 16), ("work", 32))
HOURS = (18, 19, 20, 21, 22)
ZONES = ("America/Montreal", "America/Halifax", "America/Winnipeg", "America/Vancouver", "Europe/Paris")
# The zones of the buttons are named in the catalogs (CLDR calls America/Montreal « Toronto »);
# any other zone by Babel's exemplar city in the member's language.
ZONE_KEYS = {
    "America/Montreal": "montreal",
    "America/Toronto": "toronto",
    "America/Halifax": "halifax",
    "America/Winnipeg": "winnipeg",
    "America/Vancouver": "vancouver",
    "Europe/Paris": "paris",
}
PERIODS = ((5, "morning"), (12, "afternoon"), (17, "evening"), (22, "night"))
TRENDS_MINIMUM = 5
TRENDS_CHANGE = 2  # people in or out between two releases of a week's figures
TRENDS_KEPT_DAYS = 35  # a week's releases are kept while /tendances shows it (4 weeks)
SPARK = "▁▂▄▆█"
RETENTION_DAYS = 90


def next_checkin(settings: CheckinSettings, after: float) -> float | None:
    """The first check-in moment strictly after `after` (epoch seconds), or None if no day is chosen."""
    if not settings.days:
        return None
    tz = ZoneInfo(settings.tz)
    start = max(after, settings.paused_until - 1)
    local_day = datetime.fromtimestamp(start, UTC).astimezone(tz).date()
    for offset in range(0, 15):
        day = local_day + timedelta(days=offset)
        if not settings.days & (1 << day.weekday()):
            continue
        wall = datetime(
            day.year, day.month, day.day, settings.minute_of_day // 60, settings.minute_of_day % 60, tzinfo=tz
        )
        moment = wall.timestamp()
        if moment > start and moment > after:
            return moment
    return None


def spread(member_id: int) -> int:
    """A stable offset in [0, 180) s so thousands of 20:00 check-ins do not go at once."""
    return int.from_bytes(hashlib.sha256(f"spread:{member_id}".encode()).digest()[:4], "big") % SPREAD_SECONDS


def zone_name(t: Translator, tz: str, locale: str) -> str:
    """« Montréal », "Montreal", « Paris »: a zone as the member would name it."""
    key = ZONE_KEYS.get(tz)
    if key is not None:
        return t(locale, f"checkins.zone_{key}")
    try:
        return get_timezone_location(tz, locale=BABEL_LOCALES.get(locale, "fr_CA"), return_city=True)
    except LookupError:
        return tz


def period(epoch: float, tz: str) -> str:
    """The time of day where the member is: morning, afternoon, evening or night."""
    hour = datetime.fromtimestamp(epoch, UTC).astimezone(ZoneInfo(tz)).hour
    name = "night"
    for start, label in PERIODS:
        if hour >= start:
            name = label
    return name


def local_day(epoch: float, tz: str) -> str:
    return datetime.fromtimestamp(epoch, UTC).astimezone(ZoneInfo(tz)).date().isoformat()


class CheckinService:
    def __init__(
        self, db: Database, clock: Clock, t: Translator, transport: Transport, delivery: Delivery, scheduler: Scheduler
    ) -> None:
        self.db = db
        self.clock = clock
        self.t = t
        self.transport = transport
        self.delivery = delivery
        self.scheduler = scheduler

    # --------------------------------------------------------------- settings
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

    # ------------------------------------------------------------- scheduling
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

    def _firer(self, member_id: int, snoozed: bool):
        async def fire() -> None:
            await self.fire(member_id, snoozed=snoozed)

        return fire

    async def fire(self, member_id: int, *, snoozed: bool = False) -> None:
        """Send the check-in (at most once a local day), then plan the next one."""
        token = PRIORITY.set(PLANNING)
        try:
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

    def _send(self, member: Member, day: str, tz: str, claim: bool = False) -> None:
        locale = member.locale
        moods = [
            Button(self.t(locale, f"checkins.mood_{level}"), CheckinMood(level, day).pack()) for level in range(1, 6)
        ]
        buttons = [
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
        text = self.t(locale, f"checkins.question_{period(self.clock.now(), tz)}")  # no « ce soir » at 9 a.m.

        async def claim_day() -> bool:
            async with self.db.transaction() as tx:
                return await tx.checkins.claim_day(member.id, day)

        async def send() -> None:
            await self.transport.send(chat_ref(member.chat), text, buttons=buttons)
            metrics.checkin_sent()

        job = claimed_once(claim_day, send) if claim else send
        self.delivery.submit(member.chat, job, member.id, priority=BULK)

    # ---------------------------------------------------------------- answers
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

    # ------------------------------------------------------------------ views
    async def history(self, member: Member) -> tuple[Reply, bytes | None]:
        """`/humeur`: the last 30 days as a sparkline, a one-line summary and a chart."""
        settings = await self._load(member)
        today = date.fromisoformat(local_day(self.clock.now(), settings.tz))
        first = today - timedelta(days=29)
        async with self.db.transaction() as tx:
            answers = await tx.checkins.answers(member.id, first.isoformat())
        locale = member.locale
        if not answers:
            return Reply(self.t(locale, "checkins.no_history")), None
        by_day = {a.day: a for a in answers}
        days = [(first + timedelta(days=i)).isoformat() for i in range(30)]
        line = "".join(SPARK[by_day[d].mood - 1] if d in by_day else "·" for d in days)
        average = sum(a.mood for a in answers) / len(answers)
        tag_counts = Counter(name for a in answers for name, bit in TAGS if a.tags & bit)
        summary = self.t.plural(
            locale,
            "checkins.summary",
            len(answers),
            average=format_decimal(average, "0.0", locale=BABEL_LOCALES[locale]),
        )
        if tag_counts:
            summary += " " + self.t(
                locale, "checkins.summary_tag", tag=self.t(locale, f"checkins.tag_{tag_counts.most_common(1)[0][0]}")
            )
        text = f"{self.t(locale, 'checkins.history_title')}\n{line}\n{summary}"
        return Reply(text), mood_chart([by_day[d].mood if d in by_day else 0 for d in days])

    async def _release(
        self, tx: Tx, room_id: int, week: str, rows: list[tuple[int, int]]
    ) -> tuple[int, Counter] | None:
        """The figures of one room's week that may be shown, resisting differencing.

        New figures are released only for 5 or more respondents whose set differs by at
        least 2 people from every set released before for that week: comparing any two
        releases (before and after someone leaves, say) then mixes two people or more.
        Otherwise the latest release is shown again, unchanged. None: nothing to show.
        Releases are kept at rest, restarts included (storage/trends.py: keyed hashes of
        the respondents for that room and week, the published figures, no member id)."""
        respondents = tx.trends.respondents(room_id, week, {member for member, _ in rows})
        earlier = await tx.trends.releases(room_id, week)
        if len(respondents) >= TRENDS_MINIMUM and all(
            len(respondents ^ seen.respondents) >= TRENDS_CHANGE for seen in earlier
        ):
            counts = Counter(mood for _, mood in rows)
            moods = tuple(counts.get(level, 0) for level in range(1, 6))
            await tx.trends.release(room_id, week, respondents, moods)
            return len(respondents), counts
        if not earlier:
            return None
        latest = earlier[-1]
        return latest.people, Counter({level: n for level, n in zip(range(1, 6), latest.moods, strict=True) if n})

    async def trends(self, actor: Member, args: str) -> Reply:
        """`/tendances`: weekly mood distribution of a room, only for 5 or more respondents,
        released so that two looks never single one person out (`_release`)."""
        if not actor.is_facilitator:
            raise Refusal("common.facilitators_only")
        room_id = room_or_active(actor, args)
        async with self.db.transaction() as tx:
            room = await tx.rooms.get(room_id) if room_id else None
            if room is None or room.is_support:
                raise Refusal("checkins.trends_room")
            seats = await tx.rooms.seats(room.id)
            people = [
                m
                for m in await tx.members.many([s.member_id for s in seats if not s.is_facilitator])
                if m.consents.checkins
            ]
            today = date.fromisoformat(self.clock.day())
            monday = today - timedelta(days=today.weekday())
            weeks = []
            for back in range(4):
                start = monday - timedelta(days=7 * back)
                rows = await tx.checkins.room_answers(
                    [m.id for m in people], start.isoformat(), (start + timedelta(days=6)).isoformat()
                )
                weeks.append((start, await self._release(tx, room.id, start.isoformat(), rows)))
            await tx.trends.purge_before((monday - timedelta(days=TRENDS_KEPT_DAYS)).isoformat())  # no longer shown
        locale = actor.locale
        lines = [self.t(locale, "checkins.trends_title", theme=room.theme)]
        hidden = False
        for start, release in weeks:
            week = format_day(start, locale)
            if release is None:
                lines.append(self.t(locale, "checkins.trends_week_hidden", week=week))
                hidden = True
                continue
            respondents, counts = release
            spread_text = "  ".join(f"{SPARK[level - 1]} {counts.get(level, 0)}" for level in range(1, 6))
            lines.append(
                self.t(locale, "checkins.trends_week", week=week, people=respondents, distribution=spread_text)
            )
        if hidden:  # the rule, once for every hidden week
            lines.append(self.t(locale, "checkins.trends_rule", minimum=TRENDS_MINIMUM))
        return Reply("\n".join(lines))


def mood_chart(moods: list[int]) -> bytes:
    """A small bar chart of 30 days (0 = no answer) as PNG."""
    from PIL import Image, ImageDraw

    width, height, pad = 600, 220, 20
    image = Image.new("RGB", (width, height), (250, 248, 243))
    draw = ImageDraw.Draw(image)
    colours = {1: (196, 90, 80), 2: (222, 150, 90), 3: (220, 200, 110), 4: (140, 185, 120), 5: (90, 160, 140)}
    bar = (width - 2 * pad) / len(moods)
    for level in range(1, 6):
        y = height - pad - (height - 2 * pad) * level / 5
        draw.line([(pad, y), (width - pad, y)], fill=(225, 222, 215))
    for index, mood in enumerate(moods):
        x = pad + index * bar
        if mood:
            top = height - pad - (height - 2 * pad) * mood / 5
            draw.rectangle([x + 2, top, x + bar - 2, height - pad], fill=colours[mood])
        else:
            draw.ellipse([x + bar / 2 - 2, height - pad - 4, x + bar / 2 + 2, height - pad], fill=(200, 196, 188))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()
