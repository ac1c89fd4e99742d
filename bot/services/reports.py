"""`/signaler`: a member flags a relayed message to the room's facilitators, anonymously.

The report keeps the room, the reported seat's member, a reason and a date — never the
message text; facilitators see the message (their own copy), the pseudonym and the
room, never who reported. A member reported by several people is paused until a
facilitator decides.
"""

from __future__ import annotations

import logging

from bot.core.clock import Clock
from bot.core.errors import DeliveryError, Refusal
from bot.core.i18n import Translator
from bot.core.presses import LiftPause, ReportReason
from bot.ports.refs import MessageRef, chat_ref, message_ref
from bot.ports.replies import Reply
from bot.ports.transport import Button, Transport
from bot.services.delivery import SAFETY
from bot.services.notify import Notifier
from storage.database import Database, Tx
from storage.members import Member

REASONS = ("respect", "identity", "risk", "spam", "other")
PAUSE_AFTER = 3  # distinct reporters ...
PAUSE_WINDOW = 7 * 86400  # ... within a week
PAUSE_SECONDS = 30 * 86400
RETENTION_DAYS = 30

log = logging.getLogger(__name__)


async def room_facilitators(tx: Tx, room_id: int, exclude: int | None = None) -> list[Member]:
    """The facilitators seated in a room, else every facilitator."""
    seats = await tx.rooms.seats(room_id)
    ids = [s.member_id for s in seats if s.is_facilitator and s.member_id != exclude]
    people = await tx.members.many(ids) if ids else []
    if not people:
        people = [m for m in await tx.members.facilitators() if m.id != exclude]
    return people


class ReportService:
    def __init__(self, db: Database, clock: Clock, t: Translator, notifier: Notifier, transport: Transport) -> None:
        self.db = db
        self.clock = clock
        self.t = t
        self.notifier = notifier
        self.transport = transport

    async def _relay_for(self, tx: Tx, reporter: Member, replied: MessageRef | None):
        if replied is None:
            raise Refusal("reports.reply_needed")
        relay = await tx.relays.by_copy(reporter.id, replied.id)
        if relay is None:
            if await tx.relays.by_author_message(reporter.id, replied.id):
                raise Refusal("reports.own")
            raise Refusal("reports.unknown")
        if relay.author_id is None:
            raise Refusal("reports.unknown")
        return relay

    async def _received(self, tx: Tx, reporter: Member, relay_id: int):
        """A relay whose copy the reporter received (the press names it by the bot's own id)."""
        relay = await tx.relays.get(relay_id)
        if relay is None or relay.author_id is None or relay.author_id == reporter.id:
            raise Refusal("reports.unknown")
        if not any(c.member_id == reporter.id for c in await tx.relays.copies(relay_id)):
            raise Refusal("reports.unknown")
        return relay

    async def start(self, reporter: Member, replied: MessageRef | None) -> Reply:
        async with self.db.transaction() as tx:
            relay = await self._relay_for(tx, reporter, replied)
        locale = reporter.locale
        buttons = [[Button(self.t(locale, f"reports.reason_{r}"), ReportReason(r, relay.id).pack())] for r in REASONS]
        return Reply(self.t(locale, "reports.ask"), buttons)

    async def choose(self, reporter: Member, reason: str, relay_id: int) -> Reply:
        if reason not in REASONS:
            raise Refusal("common.stale_button")
        now = int(self.clock.now())
        async with self.db.transaction() as tx:
            relay = await self._received(tx, reporter, relay_id)
            room = await tx.rooms.get(relay.room_id)
            seat = await tx.rooms.seat(relay.room_id, relay.author_id)
            if room is None or seat is None:
                raise Refusal("reports.unknown")
            reports = tx.reports
            if not await reports.add(room.id, relay.author_id, reporter.id, relay.id, reason, self.clock.day(), now):
                return Reply(self.t(reporter.locale, "reports.already"))
            distinct = await reports.distinct_reporters(room.id, relay.author_id, now - PAUSE_WINDOW)
            paused = distinct >= PAUSE_AFTER and seat.muted_until < now + 3600
            if paused:
                await tx.rooms.mute(room.id, relay.author_id, now + PAUSE_SECONDS)
            facilitators = await room_facilitators(tx, room.id, exclude=relay.author_id)
            copies = {c.member_id: c.message_id for c in await tx.relays.copies(relay.id) if c.part == 0}
            author = await tx.members.get(relay.author_id)
        tracker = _Tracker(self, reporter, len(facilitators))
        for facilitator in facilitators:
            text = self.t(
                facilitator.locale,
                "reports.to_facilitators",
                theme=room.theme,
                pseudonym=seat.pseudonym,
                reason=self.t(facilitator.locale, f"reports.reason_{reason}"),
            )
            if paused:
                text += "\n" + self.t(facilitator.locale, "reports.paused", pseudonym=seat.pseudonym)
            buttons = (
                [[Button(self.t(facilitator.locale, "reports.button_lift"), LiftPause(relay.id).pack())]]
                if paused
                else None
            )
            # As a reply to the facilitator's own copy when they have one; else from what the
            # bot knows (room, pseudonym, reason). Never a copy of the reporter's: relayed
            # copies are protected, and Telegram refuses to copy them.
            self._send(facilitator, text, buttons, copies.get(facilitator.id), tracker)
        if paused and author is not None:
            self.notifier.send(author, "reports.paused_author", theme=room.theme)
        if not facilitators:
            log.warning("a report found no facilitator to receive it")
            return Reply(self.t(reporter.locale, "reports.nobody"))
        return Reply(self.t(reporter.locale, "reports.thanks"))

    def _send(self, facilitator: Member, text: str, buttons, own_copy: int | str | None, tracker: _Tracker) -> None:
        reply_to = message_ref(facilitator.chat, own_copy) if own_copy is not None else None

        async def send() -> None:
            try:
                await self.transport.send(
                    chat_ref(facilitator.chat), text, buttons=buttons, reply_to=reply_to, protect=True
                )
            except DeliveryError as error:
                log.warning("a report could not reach a facilitator: %s", type(error).__name__)
                raise
            tracker.delivered = True

        self.notifier.delivery.submit(facilitator.chat, _ReportJob(send, tracker), facilitator.id, priority=SAFETY)

    async def lift(self, facilitator: Member, relay_id: int) -> Reply:
        """A facilitator lifts the pause that reports put on a member."""
        if not facilitator.is_facilitator:
            raise Refusal("common.facilitators_only")
        async with self.db.transaction() as tx:
            relay = await tx.relays.get(relay_id)
            if relay is None or relay.author_id is None:
                raise Refusal("common.stale_button")
            # Only those the report went to (the room's facilitators) may lift its pause.
            if facilitator.id not in {m.id for m in await room_facilitators(tx, relay.room_id)}:
                raise Refusal("reports.not_your_room")
            seat = await tx.rooms.seat(relay.room_id, relay.author_id)
            if seat is None:
                raise Refusal("moderation.gone")
            await tx.rooms.mute(relay.room_id, relay.author_id, 0)
            author = await tx.members.get(relay.author_id)
            room = await tx.rooms.get(relay.room_id)
        if author is not None and room is not None:
            self.notifier.send(author, "reports.lifted_author", theme=room.theme)
        return Reply(self.t(facilitator.locale, "reports.lifted", pseudonym=seat.pseudonym))


class _Tracker:
    """Whether a report reached at least one facilitator, known once every send is settled;
    if none did, the reporter is told the truth."""

    def __init__(self, service: ReportService, reporter: Member, count: int) -> None:
        self.service = service
        self.reporter = reporter
        self.left = count
        self.delivered = False

    def settled(self) -> None:
        self.left -= 1
        if self.left == 0 and not self.delivered:
            log.warning("a report reached no facilitator; the reporter is told")
            self.service.notifier.send(self.reporter, "reports.undelivered", priority=SAFETY)


class _ReportJob:
    """One facilitator's copy of a report, for the delivery lanes (`settled` when done or given up)."""

    def __init__(self, send, tracker: _Tracker) -> None:
        self.send = send
        self.tracker = tracker

    async def __call__(self) -> None:
        await self.send()

    def settled(self) -> None:
        self.tracker.settled()
