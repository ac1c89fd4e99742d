"""Evening check-in settings and answers (a mood level and tags; never free text)."""

from __future__ import annotations

from dataclasses import dataclass

from storage.database import Tx

ALL_DAYS = 0b1111111


@dataclass(frozen=True, slots=True)
class CheckinSettings:
    member_id: int
    minute_of_day: int = 20 * 60
    days: int = ALL_DAYS
    tz: str = "America/Montreal"
    paused_until: int = 0
    snooze_until: int = 0
    last_sent_day: str = ""


@dataclass(frozen=True, slots=True)
class Answer:
    day: str
    mood: int
    tags: int


_COLUMNS = "member_id, minute_of_day, days, tz, paused_until, snooze_until, last_sent_day"


class CheckinRepo:
    def __init__(self, tx: Tx) -> None:
        self.tx = tx

    async def settings(self, member_id: int, default_tz: str = "America/Montreal") -> CheckinSettings:
        row = await self.tx.one(f"SELECT {_COLUMNS} FROM checkin_settings WHERE member_id = ?", (member_id,))
        return CheckinSettings(*row) if row else CheckinSettings(member_id, tz=default_tz)

    async def save(self, settings: CheckinSettings) -> None:
        await self.tx.execute(
            f"INSERT OR REPLACE INTO checkin_settings ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                settings.member_id,
                settings.minute_of_day,
                settings.days,
                settings.tz,
                settings.paused_until,
                settings.snooze_until,
                settings.last_sent_day,
            ),
        )

    async def enabled(self) -> list[CheckinSettings]:
        """Settings of every member whose check-in consent is on (defaults if never set)."""
        rows = await self.tx.all(
            "SELECT m.id, s.minute_of_day, s.days, s.tz, s.paused_until, s.snooze_until, s.last_sent_day "
            "FROM members m LEFT JOIN checkin_settings s ON s.member_id = m.id WHERE m.consent_checkins = 1"
        )
        found = []
        for row in rows:
            if row[1] is None:
                found.append(CheckinSettings(row[0]))
            else:
                found.append(CheckinSettings(*row))
        return found

    async def claim_day(self, member_id: int, day: str) -> bool:
        """Mark today's check-in sent; True only once per member and day."""
        await self.tx.execute("INSERT OR IGNORE INTO checkin_settings (member_id) VALUES (?)", (member_id,))
        changed = await self.tx.execute(
            "UPDATE checkin_settings SET last_sent_day = ? WHERE member_id = ? AND last_sent_day <> ?",
            (day, member_id, day),
        )
        return changed == 1

    async def answer(self, member_id: int, day: str, mood: int) -> None:
        await self.tx.execute(
            "INSERT INTO checkin_answers (member_id, day, mood) VALUES (?, ?, ?) "
            "ON CONFLICT (member_id, day) DO UPDATE SET mood = excluded.mood",
            (member_id, day, mood),
        )

    async def toggle_tag(self, member_id: int, day: str, tag: int) -> int | None:
        changed = await self.tx.execute(
            "UPDATE checkin_answers SET tags = (tags | ?) - (tags & ?) WHERE member_id = ? AND day = ?",
            (tag, tag, member_id, day),
        )
        if not changed:
            return None
        return int(
            await self.tx.scalar("SELECT tags FROM checkin_answers WHERE member_id = ? AND day = ?", (member_id, day))
        )

    async def answers(self, member_id: int, since_day: str) -> list[Answer]:
        rows = await self.tx.all(
            "SELECT day, mood, tags FROM checkin_answers WHERE member_id = ? AND day >= ? ORDER BY day",
            (member_id, since_day),
        )
        return [Answer(*row) for row in rows]

    async def room_answers(self, member_ids: list[int], since_day: str, until_day: str) -> list[tuple[int, int]]:
        """(member, mood) for answers in [since, until] of these members."""
        if not member_ids:
            return []
        marks = ",".join("?" * len(member_ids))
        rows = await self.tx.all(
            f"SELECT member_id, mood FROM checkin_answers WHERE member_id IN ({marks}) AND day >= ? AND day <= ?",
            (*member_ids, since_day, until_day),
        )
        return [tuple(row) for row in rows]

    async def purge_before(self, day: str) -> int:
        return await self.tx.execute("DELETE FROM checkin_answers WHERE day < ?", (day,))
