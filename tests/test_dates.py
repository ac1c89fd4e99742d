"""Dates typed in French and English, parsed in the room's time zone (table-driven)."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from bot.services.dates import DateError, parse_when

MTL = ZoneInfo("America/Montreal")
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=MTL)  # Wednesday 25 November 2026, 10:00


@pytest.mark.parametrize(
    "text,locale,expected",
    [
        ("jeudi 19 h", "fr", (2026, 11, 26, 19, 0)),
        ("jeudi 19h", "fr", (2026, 11, 26, 19, 0)),
        ("Jeudi à 19 h 30", "fr", (2026, 11, 26, 19, 30)),
        ("jeudi prochain 19h", "fr", (2026, 11, 26, 19, 0)),
        ("demain 18h30", "fr", (2026, 11, 26, 18, 30)),
        ("demain à 18:30", "fr", (2026, 11, 26, 18, 30)),
        ("après-demain 10 h", "fr", (2026, 11, 27, 10, 0)),
        ("aujourd'hui 15h", "fr", (2026, 11, 25, 15, 0)),
        ("ce soir 19h", "fr", (2026, 11, 25, 19, 0)),
        ("3 décembre 19:00", "fr", (2026, 12, 3, 19, 0)),
        ("le 3 décembre à 19 h", "fr", (2026, 12, 3, 19, 0)),
        ("3 déc 19h", "fr", (2026, 12, 3, 19, 0)),
        ("1er décembre 18 h", "fr", (2026, 12, 1, 18, 0)),
        ("jeudi 3 décembre 19 h", "fr", (2026, 12, 3, 19, 0)),
        ("12 janvier 19h", "fr", (2027, 1, 12, 19, 0)),
        ("3/12 19h", "fr", (2026, 12, 3, 19, 0)),
        ("mercredi 9h", "fr", (2026, 12, 2, 9, 0)),
        ("mercredi 13 h", "fr", (2026, 11, 25, 13, 0)),
        ("samedi midi", "fr", (2026, 11, 28, 12, 0)),
        ("vendredi 19 h 45", "fr", (2026, 11, 27, 19, 45)),
        ("dimanche 10h", "fr", (2026, 11, 29, 10, 0)),
        ("2026-12-03 19:00", "fr", (2026, 12, 3, 19, 0)),
        ("2026-12-03T19:00", "en", (2026, 12, 3, 19, 0)),
        ("Thursday 7pm", "en", (2026, 11, 26, 19, 0)),
        ("thursday at 7 pm", "en", (2026, 11, 26, 19, 0)),
        ("next Thursday 7:30pm", "en", (2026, 11, 26, 19, 30)),
        ("tomorrow 6:30 pm", "en", (2026, 11, 26, 18, 30)),
        ("tomorrow at 18:30", "en", (2026, 11, 26, 18, 30)),
        ("tonight 8pm", "en", (2026, 11, 25, 20, 0)),
        ("December 3 7pm", "en", (2026, 12, 3, 19, 0)),
        ("Dec 3rd at 7:00 pm", "en", (2026, 12, 3, 19, 0)),
        ("3 December 19:00", "en", (2026, 12, 3, 19, 0)),
        ("12/3 7pm", "en", (2026, 12, 3, 19, 0)),
        ("Friday noon", "en", (2026, 11, 27, 12, 0)),
        ("sat 10am", "en", (2026, 11, 28, 10, 0)),
        ("19h", "fr", (2026, 11, 25, 19, 0)),
        ("9h", "fr", (2026, 11, 26, 9, 0)),
    ],
)
def test_phrases(text, locale, expected):
    assert parse_when(text, NOW, MTL, locale) == datetime(*expected, tzinfo=MTL)


@pytest.mark.parametrize(
    "text,key",
    [
        ("hier 19h", "dates.nonsense"),
        ("2026-11-01 19:00", "dates.past"),
        ("aujourd'hui 8h", "dates.past"),
        ("jeudi", "dates.no_time"),
        ("demain", "dates.no_time"),
        ("n'importe quoi", "dates.nonsense"),
        ("31 février 19h", "dates.nonsense"),
        ("jeudi 25h", "dates.nonsense"),
        ("13pm", "dates.nonsense"),
        ("2030-01-01 10:00", "dates.too_far"),
        ("", "dates.nonsense"),
    ],
)
def test_refusals(text, key):
    with pytest.raises(DateError) as caught:
        parse_when(text, NOW, MTL, "fr")
    assert caught.value.key == key


def test_other_time_zone_and_dst():
    paris = ZoneInfo("Europe/Paris")
    moment = parse_when("demain 19h", NOW, paris)
    assert moment.utcoffset().total_seconds() == 3600 and moment.hour == 19
    # 8 March 2026, 2:30 does not exist in Montreal: it moves forward to 3:30.
    before = datetime(2026, 3, 7, 12, 0, tzinfo=MTL)
    assert parse_when("demain 2h30", before, MTL).hour == 3
