"""Dates as people type them, in Quebec French and English, in a room's time zone.

« jeudi 19 h », « demain 18h30 », « 3 décembre 19:00 », "Thursday 7pm", "Dec 3 at 7:30 pm",
ISO « 2026-12-03 19:00 ». A date without a year is the next one to come; a weekday is the
next one (today if the hour is still ahead). A date without an hour is not guessed.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo


class DateError(ValueError):
    """`key` names the localized explanation (``dates.past``, ``dates.no_time``...)."""

    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


WEEKDAYS = {
    "lundi": 0,
    "mardi": 1,
    "mercredi": 2,
    "jeudi": 3,
    "vendredi": 4,
    "samedi": 5,
    "dimanche": 6,
    "monday": 0,
    "tuesday": 1,
    "wednesday": 2,
    "thursday": 3,
    "friday": 4,
    "saturday": 5,
    "sunday": 6,
    "mon": 0,
    "tue": 1,
    "tues": 1,
    "wed": 2,
    "thu": 3,
    "thur": 3,
    "thurs": 3,
    "fri": 4,
    "sat": 5,
    "sun": 6,
    "lun": 0,
    "mer": 2,
    "jeu": 3,
    "ven": 4,
    "sam": 5,
    "dim": 6,
}
MONTHS = {
    "janvier": 1,
    "janv": 1,
    "fevrier": 2,
    "fevr": 2,
    "fev": 2,
    "mars": 3,
    "avril": 4,
    "avr": 4,
    "mai": 5,
    "juin": 6,
    "juillet": 7,
    "juil": 7,
    "aout": 8,
    "septembre": 9,
    "sept": 9,
    "octobre": 10,
    "oct": 10,
    "novembre": 11,
    "nov": 11,
    "decembre": 12,
    "dec": 12,
    "january": 1,
    "jan": 1,
    "february": 2,
    "feb": 2,
    "march": 3,
    "mar": 3,
    "april": 4,
    "apr": 4,
    "may": 5,
    "june": 6,
    "jun": 6,
    "july": 7,
    "jul": 7,
    "august": 8,
    "aug": 8,
    "september": 9,
    "sep": 9,
    "october": 10,
    "november": 11,
    "december": 12,
}
RELATIVE = {
    "aujourd hui": 0,
    "aujourdhui": 0,
    "ce soir": 0,
    "cet apres midi": 0,
    "ce matin": 0,
    "today": 0,
    "tonight": 0,
    "this evening": 0,
    "this afternoon": 0,
    "apres demain": 2,
    "demain": 1,
    "day after tomorrow": 2,
    "tomorrow": 1,
}

_TIME_PATTERNS = [
    re.compile(r"\b(?P<h>\d{1,2})\s*(?::|h)\s*(?P<m>\d{2})\s*(?P<ampm>am|pm)?\b"),
    re.compile(r"\b(?P<h>\d{1,2})\s*(?P<ampm>am|pm)\b"),
    re.compile(r"\b(?P<h>\d{1,2})\s*h\b"),
]
_NAMED_TIMES = {"midi": time(12), "noon": time(12), "minuit": time(0), "midnight": time(0)}


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.replace("'", " ").replace("’", " ").replace("-", " ").replace(",", " ")
    text = re.sub(r"\b(\d{1,2})(er|e|st|nd|rd|th)\b", r"\1", text)
    text = re.sub(r"\b(le|a|at|on|the|vers|around|prochain|prochaine|next|this|ce|cette)\b", " ", text)
    text = text.replace(".", " ")
    return re.sub(r"\s+", " ", text).strip()


def _take_time(text: str) -> tuple[time | None, str]:
    for word, value in _NAMED_TIMES.items():
        if re.search(rf"\b{word}\b", text):
            return value, re.sub(rf"\b{word}\b", " ", text)
    for pattern in _TIME_PATTERNS:
        match = pattern.search(text)
        if match:
            hour = int(match.group("h"))
            minute = int(match.groupdict().get("m") or 0)
            ampm = match.groupdict().get("ampm")
            if ampm:
                if not 1 <= hour <= 12:
                    raise DateError("dates.nonsense")
                hour = hour % 12 + (12 if ampm == "pm" else 0)
            if hour > 23 or minute > 59:
                raise DateError("dates.nonsense")
            return time(hour, minute), text[: match.start()] + " " + text[match.end() :]
    return None, text


def parse_when(text: str, now: datetime, tz: ZoneInfo, locale: str = "fr") -> datetime:
    """The moment meant by `text`, as an aware datetime in `tz`; raises DateError."""
    raw = text.strip()
    local_now = now.astimezone(tz)
    iso = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})[ t](\d{1,2}):(\d{2})(?::\d{2})?", raw.lower())
    if iso:
        try:
            year, month, day_n, hour, minute = map(int, iso.groups())
            moment = datetime(year, month, day_n, hour, minute, tzinfo=tz)
        except ValueError as exc:
            raise DateError("dates.nonsense") from exc
        return _future(moment, local_now)
    folded = _fold(raw)
    if not folded:
        raise DateError("dates.nonsense")
    at, rest = _take_time(folded)
    part_of_day = re.compile(r"\b(soir|soiree|matin|apres midi|evening|morning|afternoon|night)\b")
    tonight = bool(part_of_day.search(rest))
    rest = re.sub(r"\s+", " ", part_of_day.sub(" ", rest)).strip()
    if tonight and not rest:
        rest = "today"
    day = _take_day(rest, local_now, at, locale)
    if at is None:
        raise DateError("dates.no_time")
    moment = datetime.combine(day, at, tzinfo=tz)
    # A wall time skipped by a daylight-saving change moves forward with the clocks.
    moment = datetime.fromtimestamp(moment.timestamp(), tz)
    return _future(moment, local_now)


def _take_day(rest: str, now: datetime, at: time | None, locale: str) -> date:
    today = now.date()
    if not rest:
        if at is None:
            raise DateError("dates.nonsense")
        return today if datetime.combine(today, at, tzinfo=now.tzinfo) > now else today + timedelta(days=1)
    for phrase, offset in sorted(RELATIVE.items(), key=lambda kv: -len(kv[0])):
        if rest == phrase:
            return today + timedelta(days=offset)
    if rest in WEEKDAYS:
        ahead = (WEEKDAYS[rest] - today.weekday()) % 7
        candidate = today + timedelta(days=ahead)
        if ahead == 0 and at is not None and datetime.combine(candidate, at, tzinfo=now.tzinfo) <= now:
            candidate += timedelta(days=7)
        return candidate
    words = rest.split()
    if words and words[0] in WEEKDAYS:  # « jeudi 3 décembre »: the weekday is a courtesy
        words = words[1:]
    numeric = re.fullmatch(r"(\d{1,2})/(\d{1,2})(?:/(\d{2,4}))?", " ".join(words))
    if numeric:
        first, second, given_year = numeric.groups()
        numeric_day, numeric_month = (int(second), int(first)) if locale == "en" else (int(first), int(second))
        return _dated(numeric_day, numeric_month, given_year, today)
    day_n = month = year = None
    for word in words:
        if word.isdigit() and len(word) == 4:
            year = word
        elif word.isdigit() and day_n is None:
            day_n = int(word)
        elif word in MONTHS and month is None:
            month = MONTHS[word]
        else:
            raise DateError("dates.nonsense")
    if day_n is None or month is None:
        raise DateError("dates.nonsense")
    return _dated(day_n, month, year, today)


def _dated(day_n: int, month: int, year: str | None, today: date) -> date:
    try:
        if year is not None:
            return date(int(year) + (2000 if len(year) == 2 else 0), month, day_n)
        candidate = date(today.year, month, day_n)
        return candidate if candidate >= today else date(today.year + 1, month, day_n)
    except ValueError as exc:
        raise DateError("dates.nonsense") from exc


def _future(moment: datetime, now: datetime) -> datetime:
    if moment <= now:
        raise DateError("dates.past")
    if moment - now > timedelta(days=366):
        raise DateError("dates.too_far")
    return moment
