"""The pseudonymous relay: a member's words reach their room, under a per-room pseudonym.

Text is sent as a new message « Pseudonyme : texte » (no parse mode; the pseudonym is set
in bold by an entity the bot computes, and every further line of the member's words is
marked as a continuation, so nothing typed can pass for another speaker); photos are
re-encoded without metadata; voice notes, stickers, animations and videos are copied
(never forwarded); other content is refused with a reason. Every relayed message is
protected. Only message ids are mapped (48 h), so edits, deletes and replies reach every copy.
"""

from __future__ import annotations

import asyncio
import logging
from collections import OrderedDict, deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.core.clock import Clock
from bot.core.errors import Gone, Refusal, TooLarge
from bot.core.i18n import Translator
from bot.core.text import (
    Entity,
    Styled,
    join_lines,
    labelled,
    mark_lines,
    neutralise,
    split_labelled,
    utf16_len,
)
from bot.monitoring import metrics
from bot.ports import kinds
from bot.ports.capabilities import Capabilities
from bot.ports.refs import Media, MessageRef, message_ref
from bot.ports.replies import Reply
from bot.ports.transport import Transport
from bot.services.crisis import NONE, Assessment, assess
from bot.services.delivery import SAFETY, Delivery, ignore_gone
from bot.services.media import strip_photo
from bot.services.notify import Notifier
from bot.services.rooms import display_theme
from storage.cache import ReadCache
from storage.database import Database
from storage.members import Member, first_voice_note
from storage.relays import Relay, RelayRepo
from storage.rooms import Room, Seat

if TYPE_CHECKING:
    from bot.services.safety import SafetyService

COPIED = {kinds.VOICE, kinds.VIDEO, kinds.ANIMATION}
COPIED_WITH_LABEL = {kinds.STICKER, kinds.VIDEO_NOTE}
REFUSED = kinds.ALL - {kinds.TEXT, kinds.PHOTO} - COPIED - COPIED_WITH_LABEL
MAP_HOURS = 48
LONG_TEXT = 600  # characters: above this the crisis detector runs in a worker thread

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Incoming:
    """A message a member sent to the bot, reduced to what the relay needs."""

    message: MessageRef
    kind: str  # one of bot.ports.kinds
    text: str | None = None
    media: Media | None = None
    reply_to: MessageRef | None = None
    quote_position: int | None = None  # a quoted part of a coalesced copy picks its line


class FloodGate:
    """At most `limit` messages a minute per member; counted in memory only."""

    def __init__(self, limit: int, clock: Clock) -> None:
        self.limit = limit
        self.clock = clock
        self._seen: dict[int, deque[float]] = {}

    def allow(self, member_id: int) -> bool:
        now = self.clock.now()
        window = self._seen.setdefault(member_id, deque())
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= self.limit:
            return False
        window.append(now)
        return True


@dataclass
class _Plan:
    """What one recipient will receive for one relayed message, step by step."""

    relay_id: int
    recipient: Member
    media: Media | None
    photo: bytes | None
    shared: dict
    replied: Relay | None
    steps: list = field(default_factory=list)
    done: int = 0
    mark: int = 0  # the database's deferred-row count once this relay's pending mark was deferred


@dataclass(frozen=True)
class _RoomView:
    """A room as the relay needs it: its seats, their members and how many rooms each has."""

    room: Room
    seats: list[Seat]
    members: dict[int, Member]
    counts: dict[int, int]

    def seat_of(self, member_id: int) -> Seat | None:
        return next((seat for seat in self.seats if seat.member_id == member_id), None)


class RelayService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        t: Translator,
        transport: Transport,
        delivery: Delivery,
        notifier: Notifier,
        messages_per_minute: int = 20,
        *,
        safety: SafetyService,
        coalesce: bool = True,
    ) -> None:
        self.db = db
        self.clock = clock
        self.t = t
        self.transport = transport
        self.delivery = delivery
        self.notifier = notifier
        self.flood = FloodGate(messages_per_minute, clock)
        self.combined = CombinedCopies()
        self.coalesce = coalesce  # off only where one message per copy is what is measured (bench)
        self._views: ReadCache[int, _RoomView] = ReadCache(db, limit=1_000)
        self._outstanding: dict[int, int] = {}  # relay id -> copies not settled yet
        self.safety = safety  # the crisis gate (holds, gentle notes)

    # --------------------------------------------------------------- labels
    def name(self, locale: str, seat: Seat, room: Room, multi_room: bool) -> str:
        name = neutralise(seat.pseudonym).replace("\n", " ")
        if seat.is_facilitator:
            name += self.t(locale, "relay.facilitator_mark")
        if multi_room:
            name = (
                self.t(
                    locale,
                    "relay.room_prefix",
                    theme=neutralise(display_theme(self.t, locale, room)).replace("\n", " "),
                )
                + name
            )
        return name

    def line(self, locale: str, name: str, words: str) -> Styled:
        """« **name** : words » (words already marked by `mark_lines`)."""
        return labelled(lambda x: self.t(locale, "relay.line", name=name, text=x), words)

    def caption(self, locale: str, name: str, body: str) -> Styled:
        if not body:
            return Styled(name, (Entity("bold", 0, utf16_len(name)),))
        return self.line(locale, name, mark_lines(body, self.t(locale, "relay.continuation")))

    def lines(self, locale: str, name: str, body: str, caps: Capabilities) -> list[Styled]:
        """« **name** : body », split under the recipient's transport's text limit; never truncated."""
        header = self.t(locale, "relay.line", name=name, text="")
        mark = self.t(locale, "relay.continuation")
        room = max(1, caps.text_limit - caps.measure(header))
        pieces = caps.split(mark_lines(body, mark), room)
        return [
            self.line(locale, name, piece[len(mark) :] if index and piece.startswith(mark) else piece)
            for index, piece in enumerate(pieces)
        ]

    # ----------------------------------------------------------------- relay
    async def relay(self, author: Member, incoming: Incoming, *, checked: bool = False) -> Reply | None:
        """Relay one message to the other members of the author's room.

        Unless `checked` (the member chose to send a held message anyway), words that
        suggest a risk to life are held and answered privately instead (bot.services.safety).
        """
        if incoming.kind in REFUSED:
            raise Refusal(
                f"relay.refused_{incoming.kind}"
                if incoming.kind in {"document", "audio", "contact", "location", "poll"}
                else "relay.refused_other"
            )
        if incoming.kind == "text" and not neutralise(incoming.text or "").strip():
            return None
        caps = self.transport.capabilities_for(author.chat)
        if incoming.kind == "photo" and incoming.media is not None and (incoming.media.size or 0) > caps.max_download:
            raise Refusal("relay.photo_too_large")
        room_id, replied = await self._destination(author, incoming.reply_to, incoming.quote_position)
        view = await self._views.get(room_id, lambda: self._load_view(room_id))
        seat = view.seat_of(author.id)
        room = view.room
        if seat is None or not room.is_open:
            raise Refusal("relay.no_room")
        if seat.muted_until > self.clock.now():
            raise Refusal("relay.muted", until=self._clock_time(seat.muted_until))
        if not self.flood.allow(author.id):
            raise Refusal("relay.slow_down")
        care = NONE
        if not checked and not room.is_support and self.safety is not None:
            care = await self.assess(incoming.text)
        if care.hold:
            return await self.safety.hold(author, room, incoming)
        others = [s for s in view.seats if s.member_id != author.id]
        if not others:
            if room.is_support and self.safety is not None:
                self.safety.wait_for_facilitator(room.id, author.id, incoming)
                return Reply(self.t(author.locale, "safety.waiting_facilitator"), edit=False)
            alone = self.t(author.locale, "relay.alone", theme=room.theme)
            note = self.safety.gentle(author) if care.at_risk else None  # alone, and still worrying
            return Reply(alone + ("\n\n" + note.text if note is not None else ""), edit=False)
        photo: bytes | None = None
        if incoming.kind == "photo" and incoming.media is not None:
            try:
                photo = strip_photo(await self.transport.fetch_attachment(incoming.media))
            except TooLarge as exc:  # retrying would fail again: say why
                raise Refusal("relay.photo_too_large") from exc
        recipients = [m for m in (view.members.get(s.member_id) for s in others) if m is not None]
        relay = await RelayRepo.defer_create(
            self.db,
            room.id,
            author.id,
            incoming.message.id,
            incoming.kind,
            int(self.clock.now()),
            pending=bool(recipients),
        )
        shared: dict[str, Media | None] = {"photo": None}
        runs = []
        for member in recipients:
            name = self.name(member.locale, seat, room, view.counts.get(member.id, 0) > 1)
            plan = self._plan(relay, member, name, incoming, author, photo, shared, replied)
            runs.append((member, self._runner(plan)))
        if runs:
            # Each copy waits until the "pending" mark is on disk before it leaves (one
            # commit carries a whole burst): if the process dies meanwhile, the sender is
            # told at the next start (report_pending).
            mark = self.db.deferred_mark
            for _, run in runs:
                run.plan.mark = mark
            self._outstanding[relay.id] = len(runs)
        for member, run in runs:
            self.delivery.submit(member.chat, run, member.id)
        metrics.relayed()
        if care.at_risk:  # relayed, and a short private note with the resources
            note = self.safety.gentle(author)
            if note is not None:
                return note
        if incoming.kind == "voice" and await self._first_voice_note(author.id):
            return Reply(self.t(author.locale, "relay.voice_warning"), edit=False)
        return None

    @staticmethod
    async def assess(text: str | None) -> Assessment:
        """The crisis detector: inline for an ordinary message (a few milliseconds), in a
        worker thread for a long one (tens of milliseconds the event loop keeps for sending)."""
        if not text or not text.strip():
            return NONE
        if len(text) <= LONG_TEXT:
            return assess(text)
        return await asyncio.to_thread(assess, text)

    async def _destination(
        self, author: Member, reply_to: MessageRef | None, quote_position: int | None = None
    ) -> tuple[int, Relay | None]:
        """The room a message goes to (the replied message's, else the active one)."""
        if reply_to is None and author.active_room_id is not None:
            return author.active_room_id, None
        async with self.db.transaction() as tx:
            replied = None
            room_id = author.active_room_id
            if reply_to is not None:
                relays = tx.relays
                combined = self.combined.get(reply_to)
                line_relay = combined.relay_at(quote_position) if combined and combined.lines else None
                replied = await relays.by_copy(author.id, reply_to.id, line_relay) or await relays.by_author_message(
                    author.id, reply_to.id
                )
                if replied is not None:
                    room_id = replied.room_id
            if room_id is None:
                seats = await tx.rooms.seats_of(author.id)
                if len(seats) == 1:
                    room_id = seats[0].room_id
                    await tx.members.set_active_room(author.id, room_id)
                elif seats:
                    raise Refusal("relay.choose_room")
                else:
                    raise Refusal("relay.no_room")
        return room_id, replied

    async def _first_voice_note(self, member_id: int) -> bool:
        async with self.db.transaction() as tx:
            return await first_voice_note(tx, member_id)

    async def _load_view(self, room_id: int) -> _RoomView:
        async with self.db.transaction() as tx:
            rooms = tx.rooms
            room = await rooms.get(room_id)
            if room is None:
                raise Refusal("relay.no_room")
            seats = await rooms.seats(room_id)
            members = {m.id: m for m in await tx.members.many([s.member_id for s in seats])}
            counts = await rooms.seat_counts(list(members))
        return _RoomView(room, seats, members, counts)

    def _clock_time(self, epoch: float) -> str:
        return datetime.fromtimestamp(epoch, UTC).astimezone(self.clock.tz).strftime("%H:%M")

    def _plan(
        self,
        relay: Relay,
        member: Member,
        name: str,
        incoming: Incoming,
        author: Member,
        photo: bytes | None,
        shared: dict,
        replied: Relay | None,
    ) -> _Plan:
        plan = _Plan(relay.id, member, incoming.media, photo, shared, replied)
        locale = member.locale
        body = incoming.text or ""
        caps = self.transport.capabilities_for(member.chat)
        if incoming.kind == "text":
            for line in self.lines(locale, name, body, caps):
                plan.steps.append(("text", line))
        elif incoming.kind == "photo":
            caption = self.caption(locale, name, body)
            if caps.fits_caption(caption.text):
                plan.steps.append(("photo", caption))
            else:
                plan.steps.append(("photo", self.caption(locale, name, "")))
                plan.steps.extend(("text", line) for line in self.lines(locale, name, body, caps))
        elif incoming.kind in COPIED:
            caption = self.caption(locale, name, body)
            if not caps.fits_caption(caption.text):
                plan.steps.append(("copy", self.caption(locale, name, "")))
                plan.steps.extend(("text", line) for line in self.lines(locale, name, body, caps))
            else:
                plan.steps.append(("copy", caption))
        else:  # stickers, round videos: no caption possible, the name goes first
            plan.steps.append(("text", self.line(locale, name, self.t(locale, f"relay.kind_{incoming.kind}"))))
            plan.steps.append(("copy", None))
        return plan

    async def _reply_target(self, plan: _Plan) -> MessageRef | None:
        replied = plan.replied
        if replied is None:
            return None
        chat = plan.recipient.chat
        if replied.author_id == plan.recipient.id:
            return message_ref(chat, replied.author_msg_id) if replied.author_msg_id is not None else None
        async with self.db.transaction() as tx:
            for copy in await tx.relays.copies(replied.id):
                if copy.member_id == plan.recipient.id and copy.part == 0:
                    return message_ref(chat, copy.message_id)
        return None

    def _runner(self, plan: _Plan) -> _RelayRun:
        return _RelayRun(self, plan)

    # ------------------------------------------------------------------ edits
    async def edit(self, author: Member, message: MessageRef, new_text: str) -> None:
        """An edited message: every copy follows (text lines or captions)."""
        async with self.db.transaction() as tx:
            relay = await tx.relays.by_author_message(author.id, message.id)
            if relay is None or relay.kind in COPIED_WITH_LABEL:
                return
            room = await tx.rooms.get(relay.room_id)
            seat = await tx.rooms.seat(relay.room_id, author.id)
            if room is None or seat is None:
                return
            recipients = await self._recipients(tx, relay)
            counts = await tx.rooms.seat_counts([m.id for m in recipients])
        for member in recipients:
            name = self.name(member.locale, seat, room, counts.get(member.id, 0) > 1)
            self.delivery.submit(member.chat, self._editor(relay, member, name, new_text), member.id)

    async def _recipients(self, tx, relay: Relay) -> list[Member]:
        ids = {s.member_id for s in await tx.rooms.seats(relay.room_id)}
        ids |= {c.member_id for c in await tx.relays.copies(relay.id)}
        ids.discard(relay.author_id)
        return await tx.members.many(sorted(ids))

    async def _copies_of(self, relay_id: int, member: Member) -> list[tuple[int, MessageRef]]:
        """(part, message) of each copy of a relay in a member's chat."""
        async with self.db.transaction() as tx:
            return [
                (c.part, message_ref(member.chat, c.message_id))
                for c in await tx.relays.copies(relay_id)
                if c.member_id == member.id
            ]

    def _editor(self, relay: Relay, member: Member, name: str, text: str):
        async def run() -> None:
            copies = await self._copies_of(relay.id, member)
            if not copies:
                return
            chat = member.chat
            caps = self.transport.capabilities_for(chat)
            if relay.kind == "text":
                lines = self.lines(member.locale, name, text, caps)
                combined = self.combined.get(copies[0][1])
                if combined is not None or await self._is_shared(member.id, copies[0][1]):
                    await self._edit_line(member, copies[0][1], relay.id, join_lines(lines))
                    return
                for part, message in copies:
                    if part < len(lines):
                        await ignore_gone(self.transport.edit(message, lines[part].text, entities=lines[part].entities))
                    else:
                        await ignore_gone(self.transport.delete(message))
                        async with self.db.transaction() as tx:
                            await tx.relays.remove_copy(relay.id, member.id, part)
                for part in range(len(copies), len(lines)):
                    sent = await self.transport.send(
                        chat, lines[part].text, protect=True, entities=lines[part].entities
                    )
                    async with self.db.transaction() as tx:
                        await tx.relays.add_copy(relay.id, member.id, part, sent.message.id)
            else:
                caption = self.caption(member.locale, name, text)
                if not caps.fits_caption(caption.text):
                    caption = self.caption(member.locale, name, "")
                await ignore_gone(self.transport.edit_caption(copies[0][1], caption.text, entities=caption.entities))

        return run

    async def _is_shared(self, member_id: int, message: MessageRef) -> bool:
        async with self.db.transaction() as tx:
            return len(await tx.relays.sharing(member_id, message.id)) > 1

    async def _lines_of(
        self, member: Member, message: MessageRef, sharing: list[tuple[int, int]] | None = None
    ) -> Combined | None:
        """The lines of a combined copy: kept in memory since it was sent, else (after a
        restart) read back from the platform, cut at the bot's bold labels and matched in
        order to the map's lines (`sharing`: (relay id, line), else read from the map).
        None if they cannot be told apart; nothing read is kept beyond memory."""
        combined = self.combined.get(message)
        if combined is not None:
            return combined
        if sharing is None:
            async with self.db.transaction() as tx:
                sharing = await tx.relays.sharing(member.id, message.id)
        try:
            current = await self.transport.recall(message)
        except Gone:
            return None
        if current is None:
            return None
        parts = split_labelled(current)
        if parts is None or len(parts) != len(sharing):
            # Not what the map says: leave every word, only take the reading's button away.
            log.warning("a combined copy could not be matched to its lines; left as it was")
            await ignore_gone(self.transport.edit(message, current.text, entities=current.entities))
            return None
        combined = Combined(
            [(relay_id, part) for (relay_id, _), part in zip(sorted(sharing, key=lambda r: r[1]), parts, strict=True)]
        )
        self.combined.put(message, combined)
        return combined

    async def _edit_line(self, member: Member, message: MessageRef, relay_id: int, new_line: Styled) -> None:
        """One line of a coalesced copy changed: rebuild the copy with the other lines as they are."""
        combined = await self._lines_of(member, message)
        if combined is None:
            # The other lines cannot be told apart: say what changed as a reply to the copy.
            notice = labelled(lambda x: self.t(member.locale, "relay.edited_line", line=x), "")
            reply = Styled(notice.text) + new_line
            await self.transport.send(member.chat, reply.text, reply_to=message, protect=True, entities=reply.entities)
            return
        combined.replace(relay_id, new_line)
        text = combined.text()
        await ignore_gone(self.transport.edit(message, text.text, entities=text.entities))

    async def _delete_line(
        self, member: Member, message: MessageRef, relay_id: int, sharing: list[tuple[int, int]] | None = None
    ) -> bool:
        """Take one line out of a coalesced copy, keeping everyone else's; when none is left,
        delete the message. False if the lines could not be told apart (then nothing of
        anyone else's is touched)."""
        combined = await self._lines_of(member, message, sharing)
        if combined is None:
            log.warning("a line of a combined copy could not be taken out; the other lines were kept")
            return False
        combined.remove(relay_id)
        if combined.lines:
            text = combined.text()
            await ignore_gone(self.transport.edit(message, text.text, entities=text.entities))
            return True
        self.combined.pop(message, None)
        await ignore_gone(self.transport.delete(message))
        return True

    # ---------------------------------------------------------------- deletes
    async def delete(self, author: Member, reply_to: MessageRef | None) -> Reply:
        """`/supprimer` in reply to one's own message: every copy is deleted."""
        if reply_to is None:
            raise Refusal("relay.delete_usage")
        async with self.db.transaction() as tx:
            relays = tx.relays
            relay = await relays.by_author_message(author.id, reply_to.id)
            if relay is None:
                if await relays.by_copy(author.id, reply_to.id) is not None:
                    raise Refusal("relay.delete_not_own")
                raise Refusal("relay.delete_unknown", hours=MAP_HOURS)
            recipients = await self._recipients(tx, relay)
        for member in recipients:
            self.delivery.submit(member.chat, self._deleter(relay.id, member), member.id)
        return Reply(self.t(author.locale, "relay.deleted"))

    def _deleter(self, relay_id: int, member: Member):
        async def run() -> None:
            for part, message in await self._copies_of(relay_id, member):
                if message in self.combined or await self._is_shared(member.id, message):
                    if not await self._delete_line(member, message, relay_id):
                        continue  # the line stays, so does its place in the map
                else:
                    await ignore_gone(self.transport.delete(message))
                async with self.db.transaction() as tx:
                    await tx.relays.remove_copy(relay_id, member.id, part)

        return run

    def settled(self, relay_id: int) -> None:
        """One recipient's copy is settled (sent, or never sendable: a blocked bot)."""
        left = self._outstanding.get(relay_id, 0) - 1
        if left > 0:
            self._outstanding[relay_id] = left
            return
        self._outstanding.pop(relay_id, None)
        RelayRepo.defer_settled(self.db, relay_id)

    async def report_pending(self) -> int:
        """At start: tell each sender which of their messages may not have reached the room
        (the process stopped before every copy was sent), as a reply to that message in
        their own chat. Ids only: the bot never had the words to resend them."""
        async with self.db.transaction() as tx:
            pending = await tx.relays.pending()
            authors = {
                m.id: m
                for m in await tx.members.many(sorted({r.author_id for r in pending if r.author_id is not None}))
            }
        for relay in pending:
            author = authors.get(relay.author_id) if relay.author_id is not None else None
            if author is None or relay.author_msg_id is None:
                RelayRepo.defer_settled(self.db, relay.id)  # nobody left to tell
                continue
            self.delivery.submit(author.chat, self._teller(author, relay), author.id, priority=SAFETY)
        return len(pending)

    def _teller(self, author: Member, relay: Relay):
        async def run() -> None:
            original = message_ref(author.chat, relay.author_msg_id) if relay.author_msg_id is not None else None
            await self.transport.send(author.chat, self.t(author.locale, "relay.maybe_lost"), reply_to=original)
            RelayRepo.defer_settled(self.db, relay.id)  # told: not again at the next start

        return run

    def take_down(self, person: Member, message_id: int, relay_id: int, sharing: list[tuple[int, int]]) -> None:
        """Remove an erased author's copy from a person's chat: their line only, when the
        message holds other people's lines too (`sharing`, read before the map rows went).
        `message_id`: the copy's id in that chat, as the relay map keeps it."""
        message = message_ref(person.chat, message_id)

        async def run() -> None:
            if message in self.combined or len(sharing) > 1:
                await self._delete_line(person, message, relay_id, sharing)
            else:
                await ignore_gone(self.transport.delete(message))

        self.delivery.submit(person.chat, run, person.id)

    async def purge(self, now: float | None = None) -> int:
        """Forget message ids older than 48 hours."""
        cutoff = int((now if now is not None else self.clock.now()) - MAP_HOURS * 3600)
        async with self.db.transaction() as tx:
            return await tx.relays.purge_before(cutoff)


class Combined:
    """The lines of one coalesced copy, in memory only: (relay id, line) in order."""

    def __init__(self, lines: list[tuple[int, Styled]]) -> None:
        self.lines = lines

    def text(self) -> Styled:
        return join_lines([line for _, line in self.lines])

    def replace(self, relay_id: int, line: Styled) -> None:
        self.lines = [(r, line if r == relay_id else old) for r, old in self.lines]

    def remove(self, relay_id: int) -> None:
        self.lines = [(r, old) for r, old in self.lines if r != relay_id]

    def relay_at(self, offset: int | None) -> int:
        """The relay whose line holds a character offset (a quoted reply), else the last one."""
        if offset is not None:
            position = 0
            for relay_id, line in self.lines:
                position += utf16_len(line.text) + 1
                if offset < position:
                    return relay_id
        return self.lines[-1][0]


class CombinedCopies(OrderedDict):
    """Message -> Combined, for 48 hours at most and a bounded number of entries."""

    LIMIT = 50_000

    def put(self, key: MessageRef, combined: Combined) -> None:
        self[key] = combined
        self.move_to_end(key)
        while len(self) > self.LIMIT:
            self.popitem(last=False)


class _RelayRun:
    """Delivers one relayed message to one recipient; may absorb later text relays queued
    for the same chat while it waited for its pacing slot (coalescing)."""

    def __init__(self, service: RelayService, plan: _Plan) -> None:
        self.service = service
        self.plan = plan
        self.absorbed: list[_Plan] = []

    def _single_line(self, plan: _Plan) -> Styled | None:
        if plan.done or plan.replied is not None or len(plan.steps) != 1 or plan.steps[0][0] != "text":
            return None
        return plan.steps[0][1]

    def settled(self) -> None:
        """Called by the lane once this job is over, whatever its outcome (never when the
        process stops first): its copy, and those it absorbed, are no longer pending."""
        for plan in [self.plan] + self.absorbed:
            self.service.settled(plan.relay_id)

    def absorb(self, other) -> bool:
        if not self.service.coalesce or not isinstance(other, _RelayRun) or other.absorbed:
            return False
        mine, theirs = self._single_line(self.plan), self._single_line(other.plan)
        if mine is None or theirs is None or other.plan.recipient.id != self.plan.recipient.id:
            return False
        current = [mine] + [p.steps[0][1] for p in self.absorbed]
        caps = self.service.transport.capabilities_for(self.plan.recipient.chat)
        if not caps.fits_text("\n".join(line.text for line in current + [theirs])):
            return False
        self.absorbed.append(other.plan)
        return True

    async def __call__(self) -> None:
        await self.service.db.durable(max(p.mark for p in [self.plan] + self.absorbed))
        if self.absorbed and not self.plan.done:
            await self._send_combined()
            return
        service, plan = self.service, self.plan
        chat = plan.recipient.chat
        while plan.done < len(plan.steps):
            kind, text = plan.steps[plan.done]
            reply_to = await service._reply_target(plan) if plan.done == 0 else None
            if kind == "text":
                sent = await service.transport.send(
                    chat, text.text, reply_to=reply_to, protect=True, entities=text.entities
                )
            elif kind == "photo":
                again = plan.shared["photo"]
                source: bytes | Media | None = (
                    again if again is not None and again.transport == chat.transport else plan.photo
                )
                assert source is not None  # a photo relay always carries the cleaned bytes
                sent = await service.transport.send_photo(
                    chat, source, caption=text.text, reply_to=reply_to, protect=True, entities=text.entities
                )
                if sent.media is not None:
                    plan.shared["photo"] = sent.media
            else:
                assert plan.media is not None  # a media kind always carries its media
                sent = await service.transport.relay_media(
                    chat,
                    plan.media,
                    caption=text.text if text else None,
                    reply_to=reply_to,
                    protect=True,
                    entities=text.entities if text else (),
                )
            RelayRepo.defer_copy(service.db, plan.relay_id, plan.recipient.id, plan.done, sent.message.id)
            plan.done += 1
        metrics.copied()

    async def _send_combined(self) -> None:
        service = self.service
        plans = [self.plan] + self.absorbed
        lines = [(p.relay_id, p.steps[0][1]) for p in plans]
        combined = Combined(lines)
        chat = self.plan.recipient.chat
        text = combined.text()
        sent = await service.transport.send(chat, text.text, protect=True, entities=text.entities)
        service.combined.put(sent.message, combined)
        for line, p in enumerate(plans):
            RelayRepo.defer_copy(service.db, p.relay_id, p.recipient.id, 0, sent.message.id, line)
            p.done = 1
        metrics.copied(len(plans))
