"""Workshops (*ateliers*): scheduled by facilitators, answered by members, reminded.

Reminders go 24 h before, 1 h before and at the start to members who answered yes or
maybe and consented to reminders. Each reminder is claimed in the database before it
goes, so a restart never doubles it; at start, missed ones are sent late only if the
workshop has not started yet. After the workshop, the room is invited to pool what helped.
"""

from __future__ import annotations

from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

from bot.core.buttons import PressTokens
from bot.core.clock import Clock
from bot.core.errors import Refusal
from bot.core.i18n import Translator
from bot.core.presses import (
    CancelWorkshop,
    ConfirmCancelWorkshop,
    ConfirmWhen,
    MoveWorkshop,
    Rsvp,
    SkipWorkshopDescription,
)
from bot.monitoring import metrics
from bot.ports.refs import chat_ref, message_ref
from bot.ports.replies import Reply
from bot.ports.scheduler import Scheduler
from bot.ports.transport import Button, Transport
from bot.services.delivery import REMINDER, Delivery, claimed_once, ignore_gone
from bot.services.notify import Notifier
from bot.services.rooms import room_or_active
from storage.database import Database
from storage.members import Member
from storage.rooms import Room
from storage.workshops import KINDS, Workshop

OFFSETS = {"24h": -24 * 3600, "1h": -3600, "start": 0, "after": 90 * 60}
START_GRACE = 10 * 60
MAX_TITLE = 80
MAX_DESCRIPTION = 500
ANSWERS = {"y": "yes", "m": "maybe", "n": "no"}


def when_text(moment: int, tz: str, locale: str) -> str:
    """« jeudi 19 novembre à 19 h », « mardi 1er décembre à 18 h 30 » (no-break spaces in
    the hour, so it never breaks before its « h »), "Thursday, November 19 at 7:00 PM"."""
    local = datetime.fromtimestamp(moment, UTC).astimezone(ZoneInfo(tz))
    if locale == "en":
        return format_datetime(local, "EEEE, MMMM d 'at' h:mm a", locale="en_CA")
    day = format_datetime(local, "EEEE d MMMM", locale="fr_CA")
    if local.day == 1:
        day = day.replace(" 1 ", " 1er ", 1)
    hour = f"{local.hour}\u00a0h" + (f"\u00a0{local.minute:02d}" if local.minute else "")
    return f"{day} à {hour}"


@dataclass
class Draft:
    room_id: int
    title: str = ""
    starts_at: int = 0
    workshop_id: int | None = None  # set when changing an existing workshop's date


class Reminder:
    """What a scheduled reminder holds until its moment: which workshop and which kind.

    Four per workshop, all held in memory: a slotted object (about 60 bytes) rather than a
    closure (a function, its cells and their tuple, about 300).
    """

    __slots__ = ("service", "workshop_id", "kind")

    def __init__(self, service: WorkshopService, workshop_id: int, kind: str) -> None:
        self.service = service
        self.workshop_id = workshop_id
        self.kind = kind

    def __call__(self) -> Coroutine[Any, Any, None]:
        return self.service.fire(self.workshop_id, self.kind)


class WorkshopService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        t: Translator,
        transport: Transport,
        delivery: Delivery,
        notifier: Notifier,
        scheduler: Scheduler,
        tokens: PressTokens | None = None,
    ) -> None:
        self.db = db
        self.tokens = tokens or PressTokens(clock)
        self.clock = clock
        self.t = t
        self.transport = transport
        self.delivery = delivery
        self.notifier = notifier
        self.scheduler = scheduler
        self.drafts: dict[int, Draft] = {}

    # ------------------------------------------------------------ guided steps
    async def begin(self, actor: Member, args: str) -> Reply:
        """`/atelier [room]`: start the guided exchange for the facilitator's room."""
        if not actor.is_facilitator:
            raise Refusal("common.facilitators_only")
        room_id = room_or_active(actor, args)
        async with self.db.transaction() as tx:
            room = await tx.rooms.get(room_id) if room_id else None
        if room is None or not room.is_open or room.is_support:
            raise Refusal("workshops.no_room")
        self.drafts[actor.id] = Draft(room.id)
        return Reply(self.t(actor.locale, "workshops.ask_title", theme=room.theme))

    def draft(self, actor: Member) -> Draft:
        draft = self.drafts.get(actor.id)
        if draft is None:
            raise Refusal("workshops.no_draft")
        return draft

    def set_title(self, actor: Member, title: str) -> Reply:
        title = title.strip()
        if not title or len(title) > MAX_TITLE:
            raise Refusal("workshops.title_length", max=MAX_TITLE)
        self.draft(actor).title = title
        return Reply(self.t(actor.locale, "workshops.ask_when"))

    async def set_when(self, actor: Member, text: str, parse) -> Reply:
        """Parse the date in the room's time zone and ask to confirm it."""
        draft = self.draft(actor)
        now = datetime.fromtimestamp(self.clock.now(), UTC)
        moment = parse(text, now, self.clock.tz, actor.locale)
        draft.starts_at = int(moment.timestamp())
        shown = when_text(draft.starts_at, self.clock.tz.key, actor.locale)
        return Reply(
            self.t(actor.locale, "workshops.confirm_when", when=shown),
            [
                [
                    Button(self.t(actor.locale, "workshops.button_yes"), ConfirmWhen("ok").pack()),
                    Button(self.t(actor.locale, "workshops.button_again"), ConfirmWhen("again").pack()),
                ]
            ],
        )

    def ask_description(self, actor: Member) -> Reply:
        return Reply(
            self.t(actor.locale, "workshops.ask_description"),
            [[Button(self.t(actor.locale, "workshops.button_skip"), SkipWorkshopDescription().pack())]],
        )

    def abandon(self, actor: Member) -> Reply:
        self.drafts.pop(actor.id, None)
        return Reply(self.t(actor.locale, "workshops.abandoned"))

    # ------------------------------------------------------------------ save
    async def save(self, actor: Member, description: str) -> Reply:
        draft = self.draft(actor)
        description = description.strip()
        if len(description) > MAX_DESCRIPTION:
            raise Refusal("workshops.description_long", max=MAX_DESCRIPTION)
        if draft.starts_at <= self.clock.now():
            raise Refusal("dates.past")
        async with self.db.transaction() as tx:
            workshop = await tx.workshops.create(
                draft.room_id, draft.title, description, draft.starts_at, self.clock.tz.key, self.clock.day()
            )
            room = await tx.rooms.get(draft.room_id)
            assert room is not None  # the draft's room, checked when the draft began
            seats = await tx.rooms.seats(draft.room_id)
            people = await tx.members.many([s.member_id for s in seats])
        del self.drafts[actor.id]
        self._schedule(workshop)
        for person in people:
            self._post(workshop, person, {"yes": 0, "maybe": 0, "no": 0})
        return Reply(
            self.t(
                actor.locale,
                "workshops.saved",
                title=workshop.title,
                theme=room.theme,
                when=when_text(workshop.starts_at, workshop.tz, actor.locale),
            )
        )

    async def move(self, actor: Member) -> Reply:
        """Save a new date for an existing workshop; those who answered are told."""
        draft = self.draft(actor)
        async with self.db.transaction() as tx:
            repo = tx.workshops
            workshop = await repo.get(draft.workshop_id or 0)
            if workshop is None or not workshop.is_scheduled:
                raise Refusal("workshops.unknown")
            await repo.move(workshop.id, draft.starts_at)
            workshop = await repo.get(workshop.id)
            assert workshop is not None  # just moved, in this transaction
            answered = await tx.members.many(await repo.answered(workshop.id, ("yes", "maybe", "no")))
        del self.drafts[actor.id]
        self._schedule(workshop)
        for person in answered:
            self.notifier.send(
                person,
                "workshops.moved_notice",
                title=workshop.title,
                when=when_text(workshop.starts_at, workshop.tz, person.locale),
            )
        await self._refresh_posts(workshop.id)
        return Reply(
            self.t(
                actor.locale,
                "workshops.moved",
                title=workshop.title,
                when=when_text(workshop.starts_at, workshop.tz, actor.locale),
            )
        )

    def begin_move(self, actor: Member, workshop_id: int, room_id: int) -> Reply:
        self.drafts[actor.id] = Draft(room_id, workshop_id=workshop_id)
        return Reply(self.t(actor.locale, "workshops.ask_when"))

    async def check_facilitated(self, actor: Member, workshop_id: int) -> Workshop:
        if not actor.is_facilitator:
            raise Refusal("common.facilitators_only")
        async with self.db.transaction() as tx:
            workshop = await tx.workshops.get(workshop_id)
            seat = await tx.rooms.seat(workshop.room_id, actor.id) if workshop else None
        if workshop is None or not workshop.is_scheduled or workshop.starts_at <= self.clock.now():
            raise Refusal("workshops.unknown")
        if seat is None or not seat.is_facilitator:
            raise Refusal("workshops.not_your_room")
        return workshop

    async def cancel_prompt(self, actor: Member, workshop_id: int) -> Reply:
        """Ask before cancelling; the answer carries a single-use token."""
        workshop = await self.check_facilitated(actor, workshop_id)
        token = self.tokens.issue(actor.id, f"wsc:{workshop.id}")
        locale = actor.locale
        return Reply(
            self.t(locale, "workshops.cancel_confirm", title=workshop.title),
            [[Button(self.t(locale, "workshops.button_cancel_yes"), ConfirmCancelWorkshop(workshop.id, token).pack())]],
            edit=False,
        )

    async def cancel(self, actor: Member, workshop_id: int, token: str) -> Reply:
        workshop = await self.check_facilitated(actor, workshop_id)
        if not self.tokens.redeem(actor.id, f"wsc:{workshop.id}", token):
            raise Refusal("common.confirm_again")
        async with self.db.transaction() as tx:
            repo = tx.workshops
            await repo.cancel(workshop.id)
            answered = await tx.members.many(await repo.answered(workshop.id, ("yes", "maybe", "no")))
        for kind in KINDS:
            self.scheduler.cancel(f"ws:{workshop.id}:{kind}")
        for person in answered:
            self.notifier.send(
                person,
                "workshops.cancelled_notice",
                title=workshop.title,
                when=when_text(workshop.starts_at, workshop.tz, person.locale),
            )
        await self._refresh_posts(workshop.id)
        return Reply(self.t(actor.locale, "workshops.cancelled", title=workshop.title))

    async def room_closed(self, room: Room) -> None:
        """The room closed: its workshops to come are off, those who said they would come
        (or maybe) are told, and no post keeps live answer buttons."""
        now = int(self.clock.now())
        async with self.db.transaction() as tx:
            repo = tx.workshops
            workshops = await repo.upcoming([room.id], 0)  # every one still scheduled, begun or not
            told: dict[int, list[Member]] = {}
            for workshop in workshops:
                if workshop.starts_at > now:
                    await repo.cancel(workshop.id)
                    told[workshop.id] = await tx.members.many(await repo.answered(workshop.id, ("yes", "maybe")))
        for workshop in workshops:
            for kind in KINDS:
                self.scheduler.cancel(f"ws:{workshop.id}:{kind}")
            for person in told.get(workshop.id, []):
                self.notifier.send(
                    person,
                    "workshops.room_closed_notice",
                    title=workshop.title,
                    theme=room.theme,
                    when=when_text(workshop.starts_at, workshop.tz, person.locale),
                )
            await self._refresh_posts(workshop.id, buttons=False)

    # ------------------------------------------------------------------ posts
    def _post_text(self, workshop: Workshop, locale: str, counts: dict[str, int]) -> str:
        key = "workshops.post" if workshop.is_scheduled else "workshops.post_cancelled"
        text = self.t(
            locale,
            key,
            title=workshop.title,
            when=when_text(workshop.starts_at, workshop.tz, locale),
            yes=counts["yes"],
            maybe=counts["maybe"],
        )
        return f"{text}\n\n{workshop.description}" if workshop.description else text

    def _rsvp_buttons(self, workshop: Workshop, locale: str):
        if not workshop.is_scheduled:
            return None
        return [
            [
                Button(self.t(locale, f"workshops.rsvp_{code}"), Rsvp(workshop.id, code).pack())
                for code in ("y", "m", "n")
            ]
        ]

    def _post(self, workshop: Workshop, person: Member, counts: dict[str, int]) -> None:
        text = self._post_text(workshop, person.locale, counts)
        buttons = self._rsvp_buttons(workshop, person.locale)

        async def job() -> None:
            sent = await self.transport.send(chat_ref(person.chat), text, buttons=buttons, protect=True)
            async with self.db.transaction() as tx:
                await tx.workshops.set_post(workshop.id, person.id, sent.message.id)

        self.delivery.submit(person.chat, job, person.id)

    async def _refresh_posts(self, workshop_id: int, *, buttons: bool = True) -> None:
        async with self.db.transaction() as tx:
            repo = tx.workshops
            workshop = await repo.get(workshop_id)
            if workshop is None:
                return
            counts = await repo.counts(workshop_id)
            posts = await repo.posts(workshop_id)
            people = {m.id: m for m in await tx.members.many([member_id for member_id, _ in posts])}
        for member_id, message_id in posts:
            person = people.get(member_id)
            if person is None:
                continue
            text = self._post_text(workshop, person.locale, counts)
            rsvp = self._rsvp_buttons(workshop, person.locale) if buttons else None

            async def job(person=person, message_id=message_id, text=text, rsvp=rsvp) -> None:
                await ignore_gone(self.transport.edit(message_ref(person.chat, message_id), text, buttons=rsvp))

            self.delivery.submit(person.chat, job, person.id)

    async def answer(self, member: Member, workshop_id: int, code: str) -> Reply:
        """An RSVP button: the post shows how many are coming, never who."""
        answer = ANSWERS.get(code)
        if answer is None:
            raise Refusal("common.stale_button")
        async with self.db.transaction() as tx:
            repo = tx.workshops
            workshop = await repo.get(workshop_id)
            if workshop is None or not workshop.is_scheduled or workshop.starts_at <= self.clock.now():
                raise Refusal("workshops.unknown")
            if await tx.rooms.seat(workshop.room_id, member.id) is None:
                raise Refusal("rooms.not_member")
            await repo.answer(workshop_id, member.id, answer, self.clock.day())
        await self._refresh_posts(workshop_id)
        key = {"yes": "workshops.answer_yes", "maybe": "workshops.answer_maybe", "no": "workshops.answer_no"}[answer]
        note = self.t(member.locale, key)
        if answer != "no" and not member.consents.reminders:
            note += " " + self.t(member.locale, "workshops.no_reminders")
        return Reply("", notice=note[:190])

    async def upcoming(self, member: Member) -> Reply:
        """`/ateliers`: upcoming workshops of the member's rooms."""
        async with self.db.transaction() as tx:
            seats = await tx.rooms.seats_of(member.id)
            themes = {s.room_id: room.theme for s in seats if (room := await tx.rooms.get(s.room_id)) is not None}
            workshops = await tx.workshops.upcoming(list(themes), int(self.clock.now()))
            answers = {w.id: await tx.workshops.answer_of(w.id, member.id) for w in workshops}
        locale = member.locale
        if not workshops:
            return Reply(self.t(locale, "workshops.none"))
        lines, buttons = [self.t(locale, "workshops.list_title")], []
        short = self.transport.capabilities_for(chat_ref(member.chat)).short
        for w in workshops:
            mine = answers[w.id]
            status = self.t(locale, f"workshops.mine_{mine}") if mine else ""
            lines.append(
                self.t(
                    locale,
                    "workshops.line",
                    title=w.title,
                    theme=themes[w.room_id],
                    when=when_text(w.starts_at, w.tz, locale),
                )
                + (f" — {status}" if status else "")
            )
            if member.is_facilitator:
                buttons.append(
                    [
                        Button(
                            self.t(locale, "workshops.button_move", title=short(w.title)), MoveWorkshop(w.id).pack()
                        ),
                        Button(self.t(locale, "workshops.button_cancel"), CancelWorkshop(w.id).pack()),
                    ]
                )
            else:
                buttons.append(
                    [Button(self.t(locale, f"workshops.rsvp_{c}"), Rsvp(w.id, c).pack()) for c in ("y", "m", "n")]
                )
        return Reply("\n\n".join(lines), buttons or None)

    # -------------------------------------------------------------- reminders
    def _schedule(self, workshop: Workshop, *, recompute: bool = False) -> None:
        """Plan each reminder kind not sent yet; at start (`recompute`), also fire again the
        kinds already begun whose time is not past: what did not go, goes."""
        now = self.clock.now()
        for kind in KINDS:
            name = f"ws:{workshop.id}:{kind}"
            due = workshop.starts_at + OFFSETS[kind]
            if workshop.sent(kind) and not (recompute and due <= now and not self._late(workshop, kind, now)):
                self.scheduler.cancel(name)
                continue
            self.scheduler.at(name, max(due, now), self._firer(workshop.id, kind))

    def _firer(self, workshop_id: int, kind: str) -> Reminder:
        return Reminder(self, workshop_id, kind)

    async def rebuild(self) -> int:
        """At start: schedule what is still due, from the database."""
        async with self.db.transaction() as tx:
            pending = await tx.workshops.pending(int(self.clock.now()) - 2 * 86400)
        for workshop in pending:
            self._schedule(workshop, recompute=True)
        return len(pending)

    def _late(self, workshop: Workshop, kind: str, now: float) -> bool:
        return (
            (kind in ("24h", "1h") and now >= workshop.starts_at)
            or (kind == "start" and now > workshop.starts_at + START_GRACE)
            or (kind == "after" and now > workshop.starts_at + 86400)
        )

    async def fire(self, workshop_id: int, kind: str) -> None:
        """Send one reminder kind; late only while the workshop has not started.

        Each person's reminder is claimed right before it goes (never twice); firing
        again after a restart sends only what did not go.
        """
        now = self.clock.now()
        async with self.db.transaction() as tx:
            repo = tx.workshops
            workshop = await repo.get(workshop_id)
            if workshop is None or not workshop.is_scheduled:
                return
            if workshop.starts_at + OFFSETS[kind] > now + 1:
                self._schedule(workshop)  # moved later meanwhile
                return
            await repo.claim(workshop_id, kind)
            if self._late(workshop, kind, now):
                return  # dropped
            room = await tx.rooms.get(workshop.room_id)
            seated = {s.member_id for s in await tx.rooms.seats(workshop.room_id)}
            if kind == "after":
                people = await tx.members.many(sorted(seated))
            else:
                ids = await repo.answered(workshop_id, ("yes", "maybe"))
                people = [m for m in await tx.members.many(ids) if m.consents.reminders and m.id in seated]
        for person in people:
            self._remind(workshop, kind, person, room.theme if room else "")

    def _remind(self, workshop: Workshop, kind: str, person: Member, theme: str) -> None:
        text = self.t(
            person.locale,
            f"workshops.reminder_{kind}",
            title=workshop.title,
            theme=theme,
            when=when_text(workshop.starts_at, workshop.tz, person.locale),
        )

        async def claim() -> bool:
            async with self.db.transaction() as tx:
                return await tx.workshops.deliver_once(workshop.id, kind, person.id)

        async def send() -> None:
            await self.transport.send(chat_ref(person.chat), text)
            metrics.reminder_sent()

        self.delivery.submit(person.chat, claimed_once(claim, send), person.id, priority=REMINDER)
