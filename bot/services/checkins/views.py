"""Views: one's own `/humeur` (30 days, a chart) and facilitators' `/tendances` (counts, never people)."""

from __future__ import annotations

import io
from collections import Counter
from datetime import date, timedelta

from babel.numbers import format_decimal

from bot.core.errors import Refusal
from bot.core.i18n import BABEL_LOCALES, format_day
from bot.ports.replies import Reply
from bot.services.checkins.common import (
    SPARK,
    TAGS,
    TRENDS_CHANGE,
    TRENDS_KEPT_DAYS,
    TRENDS_MINIMUM,
    local_day,
)
from bot.services.checkins.settings import Settings
from bot.services.rooms import room_or_active
from storage.database import Tx
from storage.members import Member


class Views(Settings):
    """What the answers show, to the member and, in aggregate only, to facilitators."""

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
