"""What every part of check-ins shares: tags, hours, zones, periods, local days, when the next one is due."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_location

from bot.core.i18n import BABEL_LOCALES, Translator
from storage.checkins import CheckinSettings

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
