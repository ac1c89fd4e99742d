"""Pure functions: text splitting, pseudonyms, argument parsing."""

import random

import pytest

from bot.core.errors import Refusal
from bot.core.text import split_text, utf16_len
from bot.services import pseudonyms
from bot.services.moderation import parse_duration
from bot.services.rooms import parse_open, parse_room_ref


@pytest.mark.parametrize(
    "text,limit",
    [("a" * 10_000, 4096), ("mot " * 3000, 1000), ("😀" * 3000, 4096), ("", 10), ("court", 10), ("ligne\n" * 900, 500)],
)
def test_split_text_respects_limit_and_loses_nothing(text, limit):
    pieces = split_text(text, limit)
    assert all(utf16_len(p) <= limit for p in pieces)
    joined = "".join(pieces)
    assert joined.replace(" ", "").replace("\n", "") == text.replace(" ", "").replace("\n", "")


def test_pseudonyms_are_unique_in_room_and_share_no_word_across_rooms():
    rng = random.Random(7)
    taken: set[str] = set()
    for _ in range(12):
        name = pseudonyms.draw("fr", taken, set(), choice=rng.choice)
        assert name not in taken
        taken.add(name)
    own = {"Héron calme", "Érable sincère"}
    for _ in range(200):
        name = pseudonyms.draw("fr", set(), own, choice=rng.choice)
        assert not {w.lower() for w in name.split()} & {"héron", "calme", "érable", "sincère"}
    assert pseudonyms.draw("en", set(), set(), choice=rng.choice).split()[0] in pseudonyms.EN_QUALITIES


def test_word_lists_are_kind_and_distinct():
    for words in (pseudonyms.FR_NOUNS, pseudonyms.FR_QUALITIES, pseudonyms.EN_NOUNS, pseudonyms.EN_QUALITIES):
        assert len(words) == len(set(words)) >= 20


def test_open_arguments():
    assert parse_open("Stress et argent | Parler d'argent | 6") == parse_open("Stress et argent|Parler d'argent|6")
    request = parse_open("Stress et argent")
    assert (request.theme, request.description, request.capacity) == ("Stress et argent", "", 8)
    assert parse_open("Solitude | 12").capacity == 12
    for bad in ("", "  | x", "A | b | c | 5", "A | 13", "A | 1", "x" * 61):
        with pytest.raises(Refusal):
            parse_open(bad)


def test_room_refs_and_durations():
    assert parse_room_ref("#3") == 3 and parse_room_ref(" 12 ") == 12 and parse_room_ref("trois") is None
    assert parse_duration("") == 3600 and parse_duration("30m") == 1800 and parse_duration("2h") == 7200
    assert parse_duration("1j") == parse_duration("1d") == 86400 and parse_duration("45") == 2700
    for bad in ("0m", "31j", "demain", "-5"):
        with pytest.raises(Refusal):
            parse_duration(bad)
