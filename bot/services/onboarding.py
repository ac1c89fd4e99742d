"""Onboarding: language, charter, age, consent per purpose.

Nothing is stored until the person accepts to take part: the steps travel in the
buttons' callback data (``ob:<step>:<lang>:...``), so a person under 14, or one who
says no, leaves nothing behind.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.i18n import Translator
from bot.core.presses import (
    ONBOARDING,
    OnboardingAge,
    OnboardingCharter,
    OnboardingDecline,
    OnboardingDone,
    OnboardingLanguage,
    OnboardingToggle,
    unpack,
)
from bot.ports.refs import ChatRef
from bot.ports.replies import Reply
from bot.ports.transport import Button
from bot.services.invites import CODE_PATTERN, InviteService
from bot.services.members import MemberService
from bot.services.rooms import LIST_BUTTON, OPEN_BUTTON, RoomService
from storage.members import Consents, Member, UserKey

CONSENT_VERSION = 1
MIN_AGE = 14
OPTIONAL = (("reminders", 1), ("checkins", 2), ("alerts", 4))


def consents_from_bits(bits: int) -> Consents:
    return Consents(rooms=True, reminders=bool(bits & 1), checkins=bool(bits & 2), alerts=bool(bits & 4))


def bits_from_consents(consents: Consents) -> int:
    return (1 if consents.reminders else 0) | (2 if consents.checkins else 0) | (4 if consents.alerts else 0)


@dataclass(frozen=True)
class Step:
    reply: Reply
    member: Member | None = None
    became_facilitator: bool = False


class Onboarding:
    def __init__(self, t: Translator, members: MemberService, invites: InviteService, rooms: RoomService) -> None:
        self.t = t
        self.members = members
        self.invites = invites
        self.rooms = rooms

    # ---------------------------------------------------------------- screens
    def welcome_screen(self, locale: str, code: str = "") -> Reply:
        """The first screen: welcome and charter in the phone's language, the other one a tap away."""
        other = "en" if locale == "fr" else "fr"
        return Reply(
            self.t(locale, "onboarding.welcome") + "\n\n" + self.t(locale, "onboarding.charter"),
            [
                [Button(self.t(locale, "onboarding.charter_ok"), OnboardingCharter(locale, code).pack())],
                [Button(self.t(other, "onboarding.in_this_language"), OnboardingLanguage(other, code).pack())],
            ],
        )

    def age_screen(self, locale: str, code: str = "") -> Reply:
        return Reply(
            self.t(locale, "onboarding.age", age=MIN_AGE),
            [
                [Button(self.t(locale, "onboarding.age_ok", age=MIN_AGE), OnboardingAge(locale, 1, code).pack())],
                [Button(self.t(locale, "onboarding.age_young", age=MIN_AGE), OnboardingAge(locale, 0, code).pack())],
            ],
        )

    def consent_screen(self, locale: str, bits: int = 0, code: str = "") -> Reply:
        """Toggles read as toggles (a box and « oui » / « non »); the confirmation as an action."""
        rows = []
        for purpose, bit in OPTIONAL:
            state = "onboarding.toggle_on" if bits & bit else "onboarding.toggle_off"
            label = self.t(locale, state, purpose=self.t(locale, f"consent.{purpose}"))
            rows.append([Button(label, OnboardingToggle(locale, bits, bit, code).pack())])
        rows.append([Button(self.t(locale, "onboarding.consent_done"), OnboardingDone(locale, bits, code).pack())])
        rows.append([Button(self.t(locale, "onboarding.consent_no"), OnboardingDecline(locale).pack())])
        return Reply(self.t(locale, "onboarding.consent", version=CONSENT_VERSION), rows)

    def reconsent_screen(self, member: Member, locale: str) -> Reply:
        """The consent screen again (new version), with the member's current choices ticked."""
        return self.consent_screen(locale, bits_from_consents(member.consents))

    # ----------------------------------------------------------------- flows
    def needs_consent(self, member: Member) -> bool:
        return member.consent_version < CONSENT_VERSION or not member.consents.rooms

    async def start(self, member: Member | None, locale: str, payload: str) -> Step:
        """`/start [payload]`: begin onboarding, or welcome back (and redeem an invitation)."""
        code = payload.strip() if CODE_PATTERN.match(payload.strip() or "") else ""
        if member is None:
            return Step(self.welcome_screen(locale, code))
        if self.needs_consent(member):
            return Step(self.consent_screen(locale, bits_from_consents(member.consents), code))

        if payload.strip():
            return await self._redeem(member, locale, payload.strip())
        return Step(
            Reply(
                self.t(locale, "onboarding.welcome_back"), [[Button(self.t(locale, "rooms.button_list"), LIST_BUTTON)]]
            )
        )

    @staticmethod
    def language_of(data: str) -> str | None:
        """The language an onboarding screen is in, from one of its choices (before anything
        is stored, the steps carry it)."""
        press = unpack(data, *ONBOARDING)
        return press.locale if press is not None and not isinstance(press, OnboardingLanguage) else None

    async def press(self, data: str, user_id: UserKey, chat: ChatRef, member: Member | None) -> Step | None:
        """A button of the onboarding flow; None when the data is not a valid step."""
        press = unpack(data, *ONBOARDING)
        if isinstance(press, OnboardingLanguage):
            return Step(self.welcome_screen(press.locale, press.code))
        if isinstance(press, OnboardingCharter):
            return Step(self.age_screen(press.locale, press.code))
        if isinstance(press, OnboardingAge):
            if not press.old_enough:
                return Step(Reply(self.t(press.locale, "onboarding.too_young", age=MIN_AGE)))
            bits = bits_from_consents(member.consents) if member else 0
            return Step(self.consent_screen(press.locale, bits, press.code))
        if isinstance(press, OnboardingToggle):
            return Step(self.consent_screen(press.locale, press.bits ^ press.bit, press.code))
        if isinstance(press, OnboardingDone):
            locale, code = press.locale, press.code
            enrolled = await self.members.enroll(user_id, chat, locale, consents_from_bits(press.bits), CONSENT_VERSION)
            if code:
                outcome = await self._redeem(enrolled, locale, code, first_time=True)
                return Step(outcome.reply, outcome.member, outcome.became_facilitator)
            return Step(await self.first_rooms(enrolled, self.t(locale, "onboarding.done")), enrolled)
        if isinstance(press, OnboardingDecline):
            return Step(Reply(self.t(press.locale, "onboarding.declined")))
        return None

    async def first_rooms(self, member: Member, text: str) -> Reply:
        """The end of onboarding: the open rooms with their join buttons, and « Voir les salles »."""
        listing = await self.rooms.list(member)
        buttons = list(listing.buttons or [])
        if not any(b.data == LIST_BUTTON for row in buttons for b in row):
            buttons.append([Button(self.t(member.locale, "rooms.button_list"), LIST_BUTTON)])
        return Reply(f"{text}\n\n{listing.text}", buttons)

    def facilitator_welcome(self, locale: str, text: str) -> Reply:
        """How to open a room: the guided /ouvrir a tap away, the one-line form beside it."""
        return Reply(
            text,
            [
                [Button(self.t(locale, "rooms.button_open"), OPEN_BUTTON)],
                [Button(self.t(locale, "rooms.button_list"), LIST_BUTTON)],
            ],
        )

    async def _redeem(self, member: Member, locale: str, code: str, first_time: bool = False) -> Step:
        done = "" if not first_time else self.t(locale, "onboarding.done") + "\n\n"
        if member.is_facilitator:
            return Step(self.facilitator_welcome(locale, done + self.t(locale, "invite.already")), member)
        if await self.invites.redeem(member.id, code):
            refreshed = await self.members.get(member.id)
            return Step(self.facilitator_welcome(locale, done + self.t(locale, "invite.accepted")), refreshed, True)
        # Used, expired or made up: one neutral answer that reveals nothing.
        if first_time:
            return Step(await self.first_rooms(member, done + self.t(locale, "invite.invalid")), member)
        return Step(Reply(done + self.t(locale, "invite.invalid")), member)
