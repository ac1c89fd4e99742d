"""RelayService: relays one member's message to the other members of their room."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from bot.core.clock import Clock
from bot.core.errors import Refusal, TooLarge
from bot.core.i18n import Translator
from bot.core.text import neutralise
from bot.monitoring import metrics
from bot.ports.refs import Media
from bot.ports.replies import Reply
from bot.ports.transport import Transport
from bot.services.crisis import NONE
from bot.services.delivery import Delivery
from bot.services.media import strip_photo
from bot.services.notify import Notifier
from bot.services.relay.coalescing import CombinedCopies
from bot.services.relay.deletes import Deletes
from bot.services.relay.gate import CrisisGate, FloodGate
from bot.services.relay.incoming import REFUSED, Incoming
from bot.services.relay.pending import Pending
from bot.services.relay.plans import Plans, _Plan
from bot.services.relay.purging import Purging
from bot.services.relay.routing import Routing, _RoomView
from bot.services.relay.runs import _RelayRun
from storage.cache import ReadCache
from storage.database import Database
from storage.members import Member
from storage.relays import RelayRepo

if TYPE_CHECKING:
    from bot.services.safety import SafetyService


class RelayService(Routing, CrisisGate, Plans, Deletes, Pending, Purging):
    """The relay: routing, the gates, per-recipient plans, edits, deletes, coalescing and purging."""

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

    def _clock_time(self, epoch: float) -> str:
        return datetime.fromtimestamp(epoch, UTC).astimezone(self.clock.tz).strftime("%H:%M")

    def _runner(self, plan: _Plan) -> _RelayRun:
        return _RelayRun(self, plan)
