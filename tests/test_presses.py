"""Button data: each kind of choice packs and unpacks to itself, stays within Telegram's 64
bytes once sealed, reads anything else as None, and is the only source of handlers' patterns."""

import dataclasses
import re

import pytest
from telegram.ext import CallbackQueryHandler, ConversationHandler

from bot.core import presses as p
from bot.core.buttons import ButtonSeal
from bot.core.presses import CALLBACK_LIMIT, Press, fits, unpack
from handlers.common import PressPattern

TOKEN = "Ab-_0123456z"
DAY = "2026-12-01"
CODE = "ABCDEFGHIJKLMNOP"

EXAMPLES: list[Press] = [
    p.ListRooms(),
    p.OpenRoom(),
    p.JoinRoom(3),
    p.WaitForRoom(12),
    p.LeaveRoom(7),
    p.SkipTheme(),
    p.SkipDescription(),
    p.SkipPlaces(),
    p.Places(12),
    p.OnboardingLanguage("en", CODE),
    p.OnboardingCharter("fr", ""),
    p.OnboardingAge("fr", 1, CODE),
    p.OnboardingToggle("en", 5, 2, ""),
    p.OnboardingDone("fr", 7, CODE),
    p.OnboardingDecline("en"),
    p.ChooseLanguage("en", "a1B2-_c3"),
    p.ToggleConsent(4),
    p.ForgetMe(TOKEN),
    p.KeepMe(),
    p.CheckinsOn(),
    p.CheckinsOff(),
    p.CheckinHour(21),
    p.CheckinDay(6),
    p.CheckinZone(4),
    p.CheckinMood(5, DAY),
    p.CheckinTag(32, DAY),
    p.CheckinDone(DAY),
    p.CheckinControl("pause", DAY),
    p.WithdrawEntry(9, "0123456789abcdef"),
    p.PinEntry(9),
    p.RemoveEntry(9, TOKEN),
    p.HeldChoice("talk", TOKEN),
    p.AnswerSupport(2),
    p.ConfirmWhen("again"),
    p.SkipWorkshopDescription(),
    p.MoveWorkshop(4),
    p.CancelWorkshop(4),
    p.ConfirmCancelWorkshop(4, TOKEN),
    p.Rsvp(4, "m"),
    p.ReportReason("respect", 123),
    p.LiftPause(123),
    p.Noop(),
]


def test_the_examples_cover_every_kind_of_choice():
    assert {type(e) for e in EXAMPLES} == set(Press.KINDS)
    assert len(Press.KINDS) == len(EXAMPLES)


@pytest.mark.parametrize("press", EXAMPLES, ids=lambda e: type(e).__name__)
def test_each_kind_round_trips_and_is_read_as_itself_only(press):
    data = press.pack()
    assert type(press).unpack(data) == press
    assert unpack(data, *Press.KINDS) == press  # no other kind reads it
    assert [k for k in Press.KINDS if k.matches(data)] == [type(press)]


def test_the_data_the_bot_builds_today_keeps_its_shape():
    """What buttons already sent carry: presses of older messages keep working."""
    assert p.JoinRoom(3).pack() == "join:3"
    assert p.ListRooms().pack() == "rooms:list" and p.OpenRoom().pack() == "ro:new"
    assert p.OnboardingCharter("fr", "").pack() == "ob:c:fr:"
    assert p.OnboardingToggle("fr", 3, 4, CODE).pack() == f"ob:t:fr:3:4:{CODE}"
    assert p.CheckinControl("snooze", DAY).pack() == f"ci:snooze:{DAY}"
    assert p.CheckinMood(2, DAY).pack() == f"ci:m:2:{DAY}"
    assert p.RemoveEntry(1, TOKEN).pack() == f"bd:del:1:{TOKEN}"
    assert p.ConfirmCancelWorkshop(1, TOKEN).pack() == f"wsc:1:{TOKEN}"
    assert p.ForgetMe(TOKEN).pack() == f"fg:yes:{TOKEN}"
    assert p.ReportReason("respect", 5).pack() == "rp:respect:5"


def _longest(kind: type[Press]) -> Press:
    """The kind with each field at the longest its pattern allows."""
    values = {}
    for f in dataclasses.fields(kind):
        pattern = f.metadata["pattern"]
        if f.type in ("int", int):
            width = max(int(n) for n in re.findall(r"\{\d+,(\d+)\}", pattern) or ["1"])
            values[f.name] = int("9" * width) if width > 1 else max(int(c) for c in re.findall(r"\d", pattern))
        else:
            words = [w for w in pattern.split("|") if re.fullmatch(r"[a-z]+", w)]
            width = max((int(n) for n in re.findall(r"\{(?:\d+,)?(\d+)\}", pattern)), default=0)
            if words:
                values[f.name] = max(words, key=len)
            elif "A-Z2-7" in pattern:
                values[f.name] = "A" * width
            elif f.name == "day":
                values[f.name] = DAY
            else:
                values[f.name] = "z" * width
    return kind(**values)


@pytest.mark.parametrize("kind", Press.KINDS, ids=lambda k: k.__name__)
def test_the_longest_data_of_each_kind_fits_telegrams_64_bytes_once_sealed(kind):
    press = _longest(kind)
    data = press.pack()
    sealed = ButtonSeal(b"k" * 32).seal(10**15, data)
    assert len(sealed.encode()) <= CALLBACK_LIMIT
    assert kind.unpack(data) == press


def test_the_64_byte_check_counts_the_seal():
    seal = ButtonSeal(b"k" * 32)
    for length in range(40, 60):
        data = "x" * length
        assert fits(data) == (len(seal.seal(1, data).encode()) <= 64)
    assert fits("x" * 52) and not fits("x" * 53)
    assert not fits("é" * 27)  # bytes, not characters


def test_a_choice_out_of_its_pattern_is_never_built():
    for bad in (p.JoinRoom(10**9), p.ToggleConsent(3), p.HeldChoice("keep", TOKEN), p.ForgetMe("short")):
        with pytest.raises(ValueError):
            bad.pack()


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "join",
        "join:",
        "join:x",
        "join:3:4",
        "join:-3",
        " join:3",
        "join:3\n",
        "JOIN:3",
        "ob:d:fr:8:",
        "ob:t:fr:3:3:",
        "ob:d:de:0:",
        "ob:c:fr:abcdefghijklmnop",
        "fg:yes",
        "fg:yes:",
        "fg:no:AAAAAAAAAAAA",
        "bd:del:1",
        "bd:pin:1:AAAAAAAAAAAA",
        "wsc:1:short",
        "ci:m:6:2026-12-01",
        "ci:m:3:yesterday",
        "cr:keep:AAAAAAAAAAAA",
        "rp:Respect:1",
        "noop:1",
        "join:3~tag",
    ],
)
def test_stale_or_made_up_data_unpacks_to_none(data):
    assert unpack(data, *Press.KINDS) is None


def _callback_handlers(handlers):
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            yield from _callback_handlers(handler.entry_points)
            for state in handler.states.values():
                yield from _callback_handlers(state)
            yield from _callback_handlers(handler.fallbacks)
        elif isinstance(handler, CallbackQueryHandler):
            yield handler


async def test_every_handlers_pattern_comes_from_kinds_of_choice(h):
    found = [handler for group in h.app.handlers.values() for handler in _callback_handlers(group)]
    catch_all = [handler for handler in found if handler.pattern is None]
    assert [handler.callback.__module__ for handler in catch_all] == ["handlers.errors"]  # the stale answer
    patterns = [handler.pattern for handler in found if handler.pattern is not None]
    assert patterns and all(isinstance(pattern, PressPattern) for pattern in patterns)
    claimed = {kind for pattern in patterns for kind in pattern.kinds}
    assert claimed == set(Press.KINDS) - {p.Noop}  # every choice the bot offers has its handler
    for press in EXAMPLES:
        data = press.pack()
        takers = [pattern for pattern in patterns if pattern(data)]
        assert takers if type(press) is not p.Noop else not takers
