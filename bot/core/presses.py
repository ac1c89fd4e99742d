"""What each button carries: one small frozen dataclass per kind of choice.

A kind of choice is a literal prefix and typed fields, each field with the pattern it
may take (`JoinRoom(room_id=3)` packs to ``join:3``). `pack()` builds a button's data
and checks it fits Telegram's 64 bytes once sealed (bot/core/buttons.py adds the seal);
`unpack()` reads a press back, None for anything the kind does not describe exactly
(stale or made up: the handler answers it kindly and changes nothing). A handler's
pattern is its kinds' own (handlers/common.py `button`), so no pattern is written twice.

Choices that change something irreversible carry a single-use token bound to the member
that expires (`PressTokens`, or a token kept hashed with what it removes): erasing
oneself, removing a board entry, withdrawing one's own, cancelling a workshop, what
happens to a held message.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Any, ClassVar, Self, TypeVar

from bot.core.buttons import SEPARATOR, TAG_CHARS
from bot.core.i18n import LOCALES

CALLBACK_LIMIT = 64  # bytes: Telegram's limit for a button's data, the seal included
SEALED_EXTRA = len(SEPARATOR.encode()) + TAG_CHARS


def field_of(pattern: str) -> Any:
    """A field of a kind of choice, and the pattern its value takes in the data."""
    return dataclasses.field(metadata={"pattern": pattern})


def one_of(*values: str) -> str:
    return "|".join(re.escape(value) for value in values)


ID = r"\d{1,9}"  # a row of the database (rooms, workshops, board entries, support requests)
TOKEN = r"[A-Za-z0-9_-]{12}"  # PressTokens, a held message
DAY = r"\d{4}-\d{2}-\d{2}"  # a local day, ISO
LOCALE = one_of(*LOCALES)
INVITE = r"(?:[A-Z2-7]{16})?"  # an invitation code carried through onboarding, or none


def fits(data: str) -> bool:
    """Whether data, once sealed, stays within Telegram's limit."""
    return len(data.encode()) + SEALED_EXTRA <= CALLBACK_LIMIT


@dataclass(frozen=True)
class Press:
    """A kind of choice: `PREFIX` then each field, separated by « : »."""

    PREFIX: ClassVar[str]
    KINDS: ClassVar[list[type[Press]]] = []
    _patterns: ClassVar[dict[type, re.Pattern[str]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "PREFIX" in cls.__dict__:  # a kind of choice, not a base shared by several
            Press.KINDS.append(cls)

    @classmethod
    def pattern(cls) -> re.Pattern[str]:
        """The exact shape of this kind's data (the handler's pattern)."""
        compiled = Press._patterns.get(cls)
        if compiled is None:
            parts = [re.escape(cls.PREFIX)]
            parts += [f":(?P<{f.name}>{f.metadata['pattern']})" for f in dataclasses.fields(cls)]
            compiled = Press._patterns[cls] = re.compile("".join(parts))
        return compiled

    def pack(self) -> str:
        data = ":".join([self.PREFIX, *(str(getattr(self, f.name)) for f in dataclasses.fields(self))])
        if self.pattern().fullmatch(data) is None:
            raise ValueError(f"{type(self).__name__}: a field is out of its pattern")
        if not fits(data):
            raise ValueError(f"{type(self).__name__}: longer than a button's data may be")
        return data

    @classmethod
    def unpack(cls, data: str | None) -> Self | None:
        """The choice, if `data` is exactly this kind's; None otherwise."""
        match = cls.pattern().fullmatch(data or "")
        if match is None:
            return None
        values = {
            f.name: int(match[f.name]) if f.type in ("int", int) else match[f.name] for f in dataclasses.fields(cls)
        }
        return cls(**values)

    @classmethod
    def matches(cls, data: str | None) -> bool:
        return cls.pattern().fullmatch(data or "") is not None


P = TypeVar("P", bound="Press")


def unpack(data: str | None, *kinds: type[P]) -> P | None:
    """The first of `kinds` that `data` is exactly, else None."""
    for kind in kinds:
        press = kind.unpack(data)
        if press is not None:
            return press
    return None


# ------------------------------------------------------------------ rooms
@dataclass(frozen=True)
class ListRooms(Press):
    PREFIX = "rooms:list"  # « Voir les salles »


@dataclass(frozen=True)
class OpenRoom(Press):
    PREFIX = "ro:new"  # « Ouvrir une salle », the guided /ouvrir


@dataclass(frozen=True)
class RoomChoice(Press):
    """A choice about one room; its prefix is the action (bot.services.rooms `choose`)."""

    room_id: int = field_of(ID)


@dataclass(frozen=True)
class JoinRoom(RoomChoice):
    PREFIX = "join"


@dataclass(frozen=True)
class WaitForRoom(RoomChoice):
    PREFIX = "wait"  # a full room: be told when a place frees up


@dataclass(frozen=True)
class LeaveRoom(RoomChoice):
    PREFIX = "leave"  # which room to leave, when one sits in several (one can join again)


@dataclass(frozen=True)
class SkipTheme(Press):
    PREFIX = "ro:skip:t"


@dataclass(frozen=True)
class SkipDescription(Press):
    PREFIX = "ro:skip:d"


@dataclass(frozen=True)
class SkipPlaces(Press):
    PREFIX = "ro:skip:p"


@dataclass(frozen=True)
class Places(Press):
    PREFIX = "ro:p"
    places: int = field_of(r"\d{1,2}")


# ------------------------------------------------------------------ onboarding
@dataclass(frozen=True)
class OnboardingStep(Press):
    """A step of onboarding: its screen's language first (nothing is stored before the end)."""

    locale: str = field_of(LOCALE)


@dataclass(frozen=True)
class OnboardingLanguage(OnboardingStep):
    PREFIX = "ob:l"  # the welcome in the other language
    code: str = field_of(INVITE)


@dataclass(frozen=True)
class OnboardingCharter(OnboardingStep):
    PREFIX = "ob:c"
    code: str = field_of(INVITE)


@dataclass(frozen=True)
class OnboardingAge(OnboardingStep):
    PREFIX = "ob:a"
    old_enough: int = field_of("[01]")
    code: str = field_of(INVITE)


@dataclass(frozen=True)
class OnboardingToggle(OnboardingStep):
    PREFIX = "ob:t"
    bits: int = field_of("[0-7]")  # the optional consents chosen so far
    bit: int = field_of("[124]")
    code: str = field_of(INVITE)


@dataclass(frozen=True)
class OnboardingDone(OnboardingStep):
    PREFIX = "ob:d"
    bits: int = field_of("[0-7]")
    code: str = field_of(INVITE)


@dataclass(frozen=True)
class OnboardingDecline(OnboardingStep):
    PREFIX = "ob:x"


ONBOARDING: tuple[type[OnboardingStep], ...] = (
    OnboardingLanguage,
    OnboardingCharter,
    OnboardingAge,
    OnboardingToggle,
    OnboardingDone,
    OnboardingDecline,
)


def is_onboarding(data: str | None) -> bool:
    """A choice of onboarding's screens (pressed before, or while, consenting)."""
    return unpack(data, *ONBOARDING) is not None


@dataclass(frozen=True)
class ChooseLanguage(Press):
    PREFIX = "lang"
    locale: str = field_of(LOCALE)
    nonce: str = field_of(r"[A-Za-z0-9_-]{8}")  # the latest /langue message's


# ------------------------------------------------------------------ privacy
@dataclass(frozen=True)
class ToggleConsent(Press):
    PREFIX = "pv"
    bit: int = field_of("[124]")


@dataclass(frozen=True)
class ForgetMe(Press):
    PREFIX = "fg:yes"  # irreversible: the token of a live request of one's own
    token: str = field_of(TOKEN)


@dataclass(frozen=True)
class KeepMe(Press):
    PREFIX = "fg:no"


# ------------------------------------------------------------------ check-ins
@dataclass(frozen=True)
class CheckinsOn(Press):
    PREFIX = "cis:on"


@dataclass(frozen=True)
class CheckinsOff(Press):
    PREFIX = "cis:off"


@dataclass(frozen=True)
class CheckinHour(Press):
    PREFIX = "cis:h"
    hour: int = field_of(r"\d{1,2}")


@dataclass(frozen=True)
class CheckinDay(Press):
    PREFIX = "cis:d"
    weekday: int = field_of("[0-6]")


@dataclass(frozen=True)
class CheckinZone(Press):
    PREFIX = "cis:z"
    zone: int = field_of(r"\d{1,2}")  # an index in bot.services.checkins.ZONES


CHECKIN_SETTINGS: tuple[type[Press], ...] = (CheckinsOn, CheckinsOff, CheckinHour, CheckinDay, CheckinZone)


@dataclass(frozen=True)
class CheckinMood(Press):
    PREFIX = "ci:m"
    mood: int = field_of("[1-5]")
    day: str = field_of(DAY)


@dataclass(frozen=True)
class CheckinTag(Press):
    PREFIX = "ci:t"
    tag: int = field_of(r"\d{1,3}")
    day: str = field_of(DAY)


@dataclass(frozen=True)
class CheckinDone(Press):
    PREFIX = "ci:done"
    day: str = field_of(DAY)


@dataclass(frozen=True)
class CheckinControl(Press):
    PREFIX = "ci"
    action: str = field_of(one_of("snooze", "skip", "pause", "stop"))
    day: str = field_of(DAY)


CHECKIN_ANSWERS: tuple[type[Press], ...] = (CheckinMood, CheckinTag, CheckinDone, CheckinControl)


# ------------------------------------------------------------------ board
@dataclass(frozen=True)
class WithdrawEntry(Press):
    PREFIX = "bdw"  # irreversible: the author's own token, kept hashed with the entry
    entry_id: int = field_of(ID)
    token: str = field_of(r"[A-Za-z0-9_-]{16}")


@dataclass(frozen=True)
class PinEntry(Press):
    PREFIX = "bd:pin"
    entry_id: int = field_of(ID)


@dataclass(frozen=True)
class RemoveEntry(Press):
    PREFIX = "bd:del"  # irreversible: a facilitator's single-use token
    entry_id: int = field_of(ID)
    token: str = field_of(TOKEN)


# ------------------------------------------------------------------ crisis care
@dataclass(frozen=True)
class HeldChoice(Press):
    PREFIX = "cr"  # what becomes of a held message: the hold's own token, once
    action: str = field_of(one_of("talk", "send", "drop"))
    token: str = field_of(TOKEN)


@dataclass(frozen=True)
class AnswerSupport(Press):
    PREFIX = "sup"
    support_id: int = field_of(ID)


# ------------------------------------------------------------------ workshops
@dataclass(frozen=True)
class ConfirmWhen(Press):
    PREFIX = "wsd"
    answer: str = field_of(one_of("ok", "again"))


@dataclass(frozen=True)
class SkipWorkshopDescription(Press):
    PREFIX = "wsd:skip"


@dataclass(frozen=True)
class MoveWorkshop(Press):
    PREFIX = "wsm"
    workshop_id: int = field_of(ID)


@dataclass(frozen=True)
class CancelWorkshop(Press):
    PREFIX = "wsc"  # asks first
    workshop_id: int = field_of(ID)


@dataclass(frozen=True)
class ConfirmCancelWorkshop(Press):
    PREFIX = "wsc"  # irreversible: a facilitator's single-use token
    workshop_id: int = field_of(ID)
    token: str = field_of(TOKEN)


@dataclass(frozen=True)
class Rsvp(Press):
    PREFIX = "rsvp"
    workshop_id: int = field_of(ID)
    answer: str = field_of(one_of("y", "m", "n"))


# ------------------------------------------------------------------ reports
@dataclass(frozen=True)
class ReportReason(Press):
    PREFIX = "rp"
    reason: str = field_of(r"[a-z]{2,10}")
    relay_id: int = field_of(r"\d{1,10}")


@dataclass(frozen=True)
class LiftPause(Press):
    PREFIX = "unpause"
    relay_id: int = field_of(r"\d{1,12}")


# ------------------------------------------------------------------ transport
@dataclass(frozen=True)
class Noop(Press):
    PREFIX = "noop"  # a placeholder a transport shows while a message loses its buttons
