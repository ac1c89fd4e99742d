"""Crisis care, at two levels chosen by the detector (bot.services.crisis).

`hold`: a message that suggests a risk to life is held, never posted to the room.
`gentle`: the message goes to the room, and the sender privately gets a short, warm note
with the resources (at most once an hour, whatever the level).

The sender privately gets a short, warm, scripted message with Quebec resources (at
most once an hour) and three buttons: send it anyway, don't send it, talk with a
facilitator. Talking with a facilitator (or the alert consent given at onboarding)
tells the room's facilitators that *a member of the room* may need support; they answer
in a private one-to-one room under pseudonyms, and never learn who it is.

Held messages live in memory only (no message bodies at rest); after a restart the
buttons say kindly that the message has to be sent again.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.core.clock import Clock
from bot.core.errors import Refusal
from bot.core.i18n import Translator
from bot.core.presses import AnswerSupport, HeldChoice
from bot.monitoring import metrics
from bot.ports.replies import Reply
from bot.ports.transport import Button
from bot.services import pseudonyms
from bot.services.notify import Notifier
from bot.services.reports import room_facilitators
from storage.database import Database
from storage.members import Member
from storage.rooms import Room

RESOURCES_EVERY = 3600
# Sends a member's held message to their room, past the crisis gate (RelayService.relay, checked).
Release = Callable[[Member, object], Awaitable[object]]
HOLD_SECONDS = 3600
SUPPORT_THEME = "Soutien · Support"


@dataclass
class Hold:
    member_id: int
    room_id: int
    incoming: object  # bot.services.relay.Incoming
    created: float
    support_room_id: int | None = None


class SafetyService:
    def __init__(
        self, db: Database, clock: Clock, t: Translator, notifier: Notifier, release: Release | None = None
    ) -> None:
        self.db = db
        self.clock = clock
        self.t = t
        self.notifier = notifier
        self._holds: dict[str, Hold] = {}
        self._resources_sent: dict[int, float] = {}
        self._waiting: dict[int, list[tuple[int, object]]] = {}
        self.release = release  # sends a held message to the room, past the crisis gate

    async def _release(self, member: Member, incoming) -> None:
        if self.release is not None:
            await self.release(member, incoming)

    # ------------------------------------------------------------------ hold
    def _buttons(self, locale: str, token: str) -> list[list[Button]]:
        return [
            [Button(self.t(locale, "safety.button_talk"), HeldChoice("talk", token).pack())],
            [Button(self.t(locale, "safety.button_send"), HeldChoice("send", token).pack())],
            [Button(self.t(locale, "safety.button_drop"), HeldChoice("drop", token).pack())],
        ]

    async def hold(self, member: Member, room: Room, incoming) -> Reply:
        """Keep the message back and answer the sender privately."""
        metrics.crisis_care("hold")
        now = self.clock.now()
        self._expire(now)
        token = secrets.token_urlsafe(9)
        hold = Hold(member.id, room.id, incoming, now)
        self._holds[token] = hold
        if member.consents.alerts and not room.is_support:
            hold.support_room_id = await self._alert(member, room, asked=False)
        locale = member.locale
        if self._resources_due(member.id, now):
            text = self.t(locale, "safety.held") + "\n\n" + self.t(locale, "safety.resources")
        else:
            text = self.t(locale, "safety.held_again")
        return Reply(text, self._buttons(locale, token), edit=False)

    def gentle(self, member: Member) -> Reply | None:
        """A message that was relayed, and still worries: a short private note with the
        resources, at most once an hour (a hold's resources count too)."""
        if not self._resources_due(member.id, self.clock.now()):
            return None
        metrics.crisis_care("gentle")
        locale = member.locale
        return Reply(self.t(locale, "safety.gentle") + "\n\n" + self.t(locale, "safety.resources"), edit=False)

    def _resources_due(self, member_id: int, now: float) -> bool:
        """True (and noted) if this member has not been sent the resources this hour."""
        last = self._resources_sent.get(member_id)
        if last is not None and now - last < RESOURCES_EVERY:
            return False
        self._resources_sent[member_id] = now
        return True

    def _expire(self, now: float) -> None:
        for token in [k for k, h in self._holds.items() if now - h.created > HOLD_SECONDS]:
            del self._holds[token]

    def _take(self, member: Member, token: str) -> Hold:
        hold = self._holds.get(token)
        if hold is None or hold.member_id != member.id:
            raise Refusal("safety.expired")
        return hold

    async def press(self, member: Member, action: str, token: str) -> Reply:
        """One of the three buttons under a held message."""
        hold = self._take(member, token)
        locale = member.locale
        if action == "drop":
            del self._holds[token]
            return Reply(self.t(locale, "safety.dropped"), edit=False)
        if action == "send":
            del self._holds[token]
            await self._release(member, hold.incoming)
            return Reply(self.t(locale, "safety.sent"), edit=False)
        if action == "talk":
            async with self.db.transaction() as tx:
                room = await tx.rooms.get(hold.room_id)
            if room is None:
                raise Refusal("safety.expired")
            support_id = hold.support_room_id or await self._alert(member, room, asked=True)
            hold.support_room_id = support_id
            async with self.db.transaction() as tx:
                await tx.members.set_active_room(member.id, support_id)
            return Reply(self.t(locale, "safety.talk_started"), edit=False)
        raise Refusal("common.stale_button")

    # ---------------------------------------------------------------- support
    async def _alert(self, member: Member, room: Room, *, asked: bool) -> int:
        """Open a private support room for the member and tell the room's facilitators."""
        async with self.db.transaction() as tx:
            rooms = tx.rooms
            support = await rooms.open(SUPPORT_THEME, "", 2, self.clock.day(), kind="support", locale=member.locale)
            own = {s.pseudonym for s in await rooms.seats_of(member.id)}
            pseudonym = pseudonyms.draw(support.locale, set(), own)
            await rooms.add_seat(support.id, member.id, pseudonym, False, self.clock.day())
            facilitators = await room_facilitators(tx, room.id, exclude=member.id)
        key = "safety.alert_asked" if asked else "safety.alert"
        for facilitator in facilitators:
            self.notifier.send(
                facilitator,
                key,
                theme=room.theme,
                buttons=lambda loc: [[Button(self.t(loc, "safety.button_answer"), AnswerSupport(support.id).pack())]],
            )
        return support.id

    def wait_for_facilitator(self, room_id: int, member_id: int, incoming) -> None:
        """Words written to a support room before a facilitator arrives wait in memory."""
        self._waiting.setdefault(room_id, []).append((member_id, incoming))

    async def answer(self, facilitator: Member, room_id: int) -> Reply:
        """A facilitator takes the private support conversation."""
        if not facilitator.is_facilitator:
            raise Refusal("common.facilitators_only")
        async with self.db.transaction() as tx:
            rooms = tx.rooms
            room = await rooms.get(room_id)
            if room is None or not room.is_support or not room.is_open:
                raise Refusal("safety.support_closed")
            seats = await rooms.seats(room_id)
            mine = next((s for s in seats if s.member_id == facilitator.id), None)
            if mine is None:
                if any(s.is_facilitator for s in seats):
                    raise Refusal("safety.support_taken")
                own = {s.pseudonym for s in await rooms.seats_of(facilitator.id)}
                pseudonym = pseudonyms.draw(room.locale, await rooms.pseudonyms(room_id), own)
                await rooms.add_seat(room_id, facilitator.id, pseudonym, True, self.clock.day())
            else:
                pseudonym = mine.pseudonym
            await tx.members.set_active_room(facilitator.id, room_id)
            person = next((s for s in seats if not s.is_facilitator), None)
            waiting_member = await tx.members.get(person.member_id) if person else None
        for member_id, incoming in self._waiting.pop(room_id, []):
            if waiting_member is not None and waiting_member.id == member_id:
                await self._release(waiting_member, incoming)
        return Reply(
            self.t(
                facilitator.locale,
                "safety.answering",
                pseudonym=person.pseudonym if person else "?",
                own=pseudonym,
                id=room_id,
            )
        )
