"""The pseudonymous relay: a member's words reach their room, under a per-room pseudonym.

Text is sent as a new message « Pseudonyme : texte » (no parse mode); photos are
re-encoded without metadata; voice notes, stickers, animations and videos are copied
(never forwarded); other content is refused with a reason. Every relayed message is
protected. Only message ids are mapped (48 h), so edits, deletes and replies reach every copy.
"""

from __future__ import annotations

from collections import deque
from datetime import datetime, timezone
from dataclasses import dataclass, field

from bot.clock import Clock
from bot.services.crisis import assess
from bot.errors import Refusal
from bot.i18n import Translator
from bot.replies import Reply
from bot.services.delivery import Delivery, ignore_gone
from bot.services.media import strip_photo
from bot.services.notify import Notifier
from bot.text import MAX_CAPTION, MAX_TEXT, split_text, utf16_len
from bot.transport import Transport
from storage.database import Database
from storage.members import Member, MemberRepo, first_voice_note
from storage.relays import Relay, RelayRepo
from storage.rooms import Room, RoomRepo, Seat

COPIED = {"voice", "video", "animation"}
COPIED_WITH_LABEL = {"sticker", "video_note"}
REFUSED = {"document", "audio", "contact", "location", "venue", "poll", "dice", "game",
           "story", "other"}
MAP_HOURS = 48


@dataclass(frozen=True)
class Incoming:
    """A message a member sent to the bot, reduced to what the relay needs."""

    message_id: int
    kind: str
    text: str | None = None
    file_ref: str | None = None
    reply_to: int | None = None


@dataclass
class _Recipient:
    member: Member
    multi_room: bool


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
    author_chat: int
    source_id: int
    photo: bytes | None
    shared: dict
    replied: Relay | None
    steps: list = field(default_factory=list)
    done: int = 0


class RelayService:
    def __init__(self, db: Database, clock: Clock, t: Translator, transport: Transport,
                 delivery: Delivery, notifier: Notifier, messages_per_minute: int = 20) -> None:
        self.db = db
        self.clock = clock
        self.t = t
        self.transport = transport
        self.delivery = delivery
        self.notifier = notifier
        self.flood = FloodGate(messages_per_minute, clock)
        self.safety = None  # bot.services.safety.SafetyService, set by Services.build

    # --------------------------------------------------------------- labels
    def name(self, locale: str, seat: Seat, room: Room, multi_room: bool) -> str:
        name = seat.pseudonym
        if seat.is_facilitator:
            name += self.t(locale, "relay.facilitator_mark")
        if multi_room:
            name = self.t(locale, "relay.room_prefix", theme=room.theme) + name
        return name

    def lines(self, locale: str, name: str, body: str, limit: int = MAX_TEXT) -> list[str]:
        """« name : body », split under Telegram's limit; never truncated."""
        header = self.t(locale, "relay.line", name=name, text="")
        room = max(1, limit - utf16_len(header))
        return [self.t(locale, "relay.line", name=name, text=piece) for piece in split_text(body, room)]

    # ----------------------------------------------------------------- relay
    async def relay(self, author: Member, incoming: Incoming, *, checked: bool = False) -> Reply | None:
        """Relay one message to the other members of the author's room.

        Unless `checked` (the member chose to send a held message anyway), words that
        suggest a risk to life are held and answered privately instead (bot.services.safety).
        """
        if incoming.kind in REFUSED:
            raise Refusal(f"relay.refused_{incoming.kind}" if incoming.kind in
                          {"document", "audio", "contact", "location", "poll"} else "relay.refused_other")
        if incoming.kind == "text" and not (incoming.text or "").strip():
            return None
        async with self.db.transaction() as tx:
            room, seat, replied = await self._destination(tx, author, incoming.reply_to)
            if seat.muted_until > self.clock.now():
                raise Refusal("relay.muted", until=self._clock_time(seat.muted_until))
            if not self.flood.allow(author.id):
                raise Refusal("relay.slow_down")
            at_risk = (not checked and not room.is_support and self.safety is not None
                       and assess(incoming.text).at_risk)
            if not at_risk:
                seats = await RoomRepo(tx).seats(room.id)
                others = [s for s in seats if s.member_id != author.id]
                members = {m.id: m for m in await MemberRepo(tx).many([s.member_id for s in others])}
                counts = {m: len(await RoomRepo(tx).seats_of(m)) for m in members}
                if others:
                    relay = await RelayRepo(tx).create(room.id, author.id, incoming.message_id,
                                                       incoming.kind, int(self.clock.now()))
                warn_voice = incoming.kind == "voice" and await first_voice_note(tx, author.id)
        if at_risk:
            return await self.safety.hold(author, room, incoming)
        if not others:
            if room.is_support and self.safety is not None:
                self.safety.wait_for_facilitator(room.id, author.id, incoming)
                return Reply(self.t(author.locale, "safety.waiting_facilitator"), edit=False)
            return Reply(self.t(author.locale, "relay.alone", theme=room.theme), edit=False)
        photo: bytes | None = None
        if incoming.kind == "photo" and incoming.file_ref:
            photo = strip_photo(await self.transport.fetch_file(incoming.file_ref))
        shared: dict[str, str | None] = {"photo_ref": None}
        for recipient_seat in others:
            member = members.get(recipient_seat.member_id)
            if member is None:
                continue
            name = self.name(member.locale, seat, room, counts[member.id] > 1)
            plan = self._plan(relay, member, name, incoming, author, photo, shared, replied)
            self.delivery.submit(member.chat_id, self._runner(plan), member.id)
        if warn_voice:
            return Reply(self.t(author.locale, "relay.voice_warning"), edit=False)
        return None

    async def _destination(self, tx, author: Member, reply_to: int | None
                           ) -> tuple[Room, Seat, Relay | None]:
        rooms = RoomRepo(tx)
        replied = None
        room_id = author.active_room_id
        if reply_to is not None:
            relays = RelayRepo(tx)
            replied = await relays.by_copy(author.id, reply_to) or \
                await relays.by_author_message(author.id, reply_to)
            if replied is not None:
                room_id = replied.room_id
        if room_id is None:
            seats = await rooms.seats_of(author.id)
            if len(seats) == 1:
                room_id = seats[0].room_id
                await MemberRepo(tx).set_active_room(author.id, room_id)
            elif seats:
                raise Refusal("relay.choose_room")
            else:
                raise Refusal("relay.no_room")
        seat = await rooms.seat(room_id, author.id)
        room = await rooms.get(room_id)
        if seat is None or room is None or not room.is_open:
            raise Refusal("relay.no_room")
        return room, seat, replied

    def _clock_time(self, epoch: float) -> str:
        return datetime.fromtimestamp(epoch, timezone.utc).astimezone(self.clock.tz).strftime("%H:%M")

    def _plan(self, relay: Relay, member: Member, name: str, incoming: Incoming, author: Member,
              photo: bytes | None, shared: dict, replied: Relay | None) -> _Plan:
        plan = _Plan(relay.id, member, author.chat_id, incoming.message_id, photo, shared, replied)
        locale = member.locale
        body = incoming.text or ""
        if incoming.kind == "text":
            for line in self.lines(locale, name, body):
                plan.steps.append(("text", line))
        elif incoming.kind == "photo":
            caption = self.t(locale, "relay.line", name=name, text=body) if body else name
            if utf16_len(caption) <= MAX_CAPTION:
                plan.steps.append(("photo", caption))
            else:
                plan.steps.append(("photo", name))
                plan.steps.extend(("text", line) for line in self.lines(locale, name, body))
        elif incoming.kind in COPIED:
            caption = self.t(locale, "relay.line", name=name, text=body) if body else name
            if utf16_len(caption) > MAX_CAPTION:
                caption = name
                plan.steps.append(("copy", caption))
                plan.steps.extend(("text", line) for line in self.lines(locale, name, body))
            else:
                plan.steps.append(("copy", caption))
        else:  # stickers, round videos: no caption possible, the name goes first
            plan.steps.append(("text", self.t(locale, "relay.line", name=name,
                                             text=self.t(locale, f"relay.kind_{incoming.kind}"))))
            plan.steps.append(("copy", None))
        return plan

    async def _reply_target(self, plan: _Plan) -> int | None:
        replied = plan.replied
        if replied is None:
            return None
        if replied.author_id == plan.recipient.id:
            return replied.author_msg_id
        async with self.db.transaction() as tx:
            for copy in await RelayRepo(tx).copies(replied.id):
                if copy.member_id == plan.recipient.id and copy.part == 0:
                    return copy.message_id
        return None

    def _runner(self, plan: _Plan):
        async def run() -> None:
            chat = plan.recipient.chat_id
            while plan.done < len(plan.steps):
                kind, text = plan.steps[plan.done]
                reply_to = await self._reply_target(plan) if plan.done == 0 else None
                if kind == "text":
                    sent = await self.transport.send_text(chat, text, reply_to=reply_to, protect=True)
                elif kind == "photo":
                    source = plan.shared["photo_ref"] or plan.photo
                    sent = await self.transport.send_photo(chat, source, caption=text,
                                                           reply_to=reply_to, protect=True)
                    if sent.file_ref:
                        plan.shared["photo_ref"] = sent.file_ref
                else:
                    sent = await self.transport.copy(chat, plan.author_chat, plan.source_id,
                                                     caption=text, reply_to=reply_to, protect=True)
                async with self.db.transaction() as tx:
                    await RelayRepo(tx).add_copy(plan.relay_id, plan.recipient.id, plan.done, sent.message_id)
                plan.done += 1

        return run

    # ------------------------------------------------------------------ edits
    async def edit(self, author: Member, message_id: int, new_text: str) -> None:
        """An edited message: every copy follows (text lines or captions)."""
        async with self.db.transaction() as tx:
            relay = await RelayRepo(tx).by_author_message(author.id, message_id)
            if relay is None or relay.kind in COPIED_WITH_LABEL:
                return
            room = await RoomRepo(tx).get(relay.room_id)
            seat = await RoomRepo(tx).seat(relay.room_id, author.id)
            if room is None or seat is None:
                return
            recipients = await self._recipients(tx, relay)
            counts = {m.id: len(await RoomRepo(tx).seats_of(m.id)) for m in recipients}
        for member in recipients:
            name = self.name(member.locale, seat, room, counts[member.id] > 1)
            self.delivery.submit(member.chat_id, self._editor(relay, member, name, new_text), member.id)

    async def _recipients(self, tx, relay: Relay) -> list[Member]:
        ids = {s.member_id for s in await RoomRepo(tx).seats(relay.room_id)}
        ids |= {c.member_id for c in await RelayRepo(tx).copies(relay.id)}
        ids.discard(relay.author_id)
        return await MemberRepo(tx).many(sorted(ids))

    async def _copies_of(self, relay_id: int, member_id: int) -> list[tuple[int, int]]:
        async with self.db.transaction() as tx:
            return [(c.part, c.message_id) for c in await RelayRepo(tx).copies(relay_id)
                    if c.member_id == member_id]

    def _editor(self, relay: Relay, member: Member, name: str, text: str):
        async def run() -> None:
            copies = await self._copies_of(relay.id, member.id)
            if not copies:
                return
            chat = member.chat_id
            if relay.kind == "text":
                lines = self.lines(member.locale, name, text)
                for part, message_id in copies:
                    if part < len(lines):
                        await ignore_gone(self.transport.edit_text(chat, message_id, lines[part]))
                    else:
                        await ignore_gone(self.transport.delete(chat, message_id))
                        async with self.db.transaction() as tx:
                            await RelayRepo(tx).remove_copy(relay.id, member.id, part)
                for part in range(len(copies), len(lines)):
                    sent = await self.transport.send_text(chat, lines[part], protect=True)
                    async with self.db.transaction() as tx:
                        await RelayRepo(tx).add_copy(relay.id, member.id, part, sent.message_id)
            else:
                caption = self.t(member.locale, "relay.line", name=name, text=text) if text else name
                if utf16_len(caption) > MAX_CAPTION:
                    caption = name
                await ignore_gone(self.transport.edit_caption(chat, copies[0][1], caption))

        return run

    # ---------------------------------------------------------------- deletes
    async def delete(self, author: Member, reply_to: int | None) -> Reply:
        """`/supprimer` in reply to one's own message: every copy is deleted."""
        if reply_to is None:
            raise Refusal("relay.delete_usage")
        async with self.db.transaction() as tx:
            relays = RelayRepo(tx)
            relay = await relays.by_author_message(author.id, reply_to)
            if relay is None:
                if await relays.by_copy(author.id, reply_to) is not None:
                    raise Refusal("relay.delete_not_own")
                raise Refusal("relay.delete_unknown", hours=MAP_HOURS)
            recipients = await self._recipients(tx, relay)
        for member in recipients:
            self.delivery.submit(member.chat_id, self._deleter(relay.id, member), member.id)
        return Reply(self.t(author.locale, "relay.deleted"))

    def _deleter(self, relay_id: int, member: Member):
        async def run() -> None:
            for part, message_id in await self._copies_of(relay_id, member.id):
                await ignore_gone(self.transport.delete(member.chat_id, message_id))
                async with self.db.transaction() as tx:
                    await RelayRepo(tx).remove_copy(relay_id, member.id, part)

        return run

    async def purge(self, now: float | None = None) -> int:
        """Forget message ids older than 48 hours."""
        cutoff = int((now if now is not None else self.clock.now()) - MAP_HOURS * 3600)
        async with self.db.transaction() as tx:
            return await RelayRepo(tx).purge_before(cutoff)

