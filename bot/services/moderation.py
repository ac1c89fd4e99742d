"""Moderation without unmasking: facilitators act on a relayed message's pseudonym.

A facilitator replies to a relayed copy in their own chat; the relay map tells which
seat wrote it. Nothing here ever tells the facilitator who is behind the pseudonym,
nor whether two pseudonyms belong to the same person.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from bot.core.clock import Clock
from bot.core.errors import Refusal
from bot.core.i18n import Translator
from bot.core.text import labelled, mark_lines, neutralise
from bot.ports.refs import MessageRef
from bot.ports.replies import Reply
from bot.services.notify import Notifier
from bot.services.rooms import RoomService
from storage.database import Database
from storage.members import Member
from storage.rooms import Seat

_DURATION = re.compile(r"^(\d{1,4})\s*(m|min|h|j|d)?$", re.IGNORECASE)
DEFAULT_MUTE = 3600
MAX_MUTE = 30 * 86400
MAX_ANNOUNCE = 3500
BOT_WIDE = {"tout", "partout", "all", "bot", "everywhere"}


def parse_duration(text: str) -> int:
    """« 30m », « 2h », « 1j » / "1d" → seconds (a bare number is minutes); empty → 1 hour."""
    text = text.strip().lower()
    if not text:
        return DEFAULT_MUTE
    match = _DURATION.match(text)
    if not match:
        raise Refusal("moderation.mute_usage")
    number, unit = int(match.group(1)), (match.group(2) or "m")
    seconds = number * {"m": 60, "min": 60, "h": 3600, "j": 86400, "d": 86400}[unit]
    if not 60 <= seconds <= MAX_MUTE:
        raise Refusal("moderation.mute_usage")
    return seconds


class ModerationService:
    def __init__(self, db: Database, clock: Clock, t: Translator, notifier: Notifier, rooms: RoomService) -> None:
        self.db = db
        self.clock = clock
        self.t = t
        self.notifier = notifier
        self.rooms = rooms

    async def _target(self, actor: Member, reply_to: MessageRef | None) -> tuple[Seat, Member, str]:
        """The seat behind the relayed copy the facilitator replied to."""
        if not actor.is_facilitator:
            raise Refusal("common.facilitators_only")
        if reply_to is None:
            raise Refusal("moderation.reply_needed")
        async with self.db.transaction() as tx:
            relay = await tx.relays.by_copy(actor.id, reply_to.id)
            if relay is None or relay.author_id is None:
                raise Refusal("moderation.unknown_message")
            if relay.author_id == actor.id:
                raise Refusal("moderation.not_self")
            seat = await tx.rooms.seat(relay.room_id, relay.author_id)
            author = await tx.members.get(relay.author_id)
            room = await tx.rooms.get(relay.room_id)
            if seat is None or author is None or room is None:
                raise Refusal("moderation.gone")
        if seat.is_facilitator:
            raise Refusal("moderation.not_facilitator")
        return seat, author, room.theme

    async def warn(self, actor: Member, reply_to: MessageRef | None, reason: str) -> Reply:
        seat, author, theme = await self._target(actor, reply_to)
        async with self.db.transaction() as tx:
            await tx.rooms.warn(seat.room_id, seat.member_id)
        reason = reason.strip()[:500]
        if reason:
            self.notifier.send(author, "moderation.warned_reason", theme=theme, reason=reason)
        else:
            self.notifier.send(author, "moderation.warned", theme=theme)
        return Reply(self.t(actor.locale, "moderation.warn_done", pseudonym=seat.pseudonym))

    async def mute(self, actor: Member, reply_to: MessageRef | None, duration: str) -> Reply:
        seconds = parse_duration(duration)
        seat, author, theme = await self._target(actor, reply_to)
        until = self.clock.now() + seconds
        async with self.db.transaction() as tx:
            await tx.rooms.mute(seat.room_id, seat.member_id, int(until))
        local = datetime.fromtimestamp(until, UTC).astimezone(self.clock.tz)
        when = local.strftime("%Y-%m-%d %H:%M")
        self.notifier.send(author, "moderation.muted", theme=theme, until=when)
        return Reply(self.t(actor.locale, "moderation.mute_done", pseudonym=seat.pseudonym, until=when))

    async def ban(self, actor: Member, reply_to: MessageRef | None, scope: str) -> Reply:
        seat, author, theme = await self._target(actor, reply_to)
        bot_wide = scope.strip().lower() in BOT_WIDE
        if scope.strip() and not bot_wide:
            raise Refusal("moderation.ban_usage")
        if bot_wide:
            self.notifier.send(author, "moderation.banned_bot")
            await self.rooms.leave_everywhere(author)
            async with self.db.transaction() as tx:
                await tx.members.ban_user_of(author.id, self.clock.day())
                await tx.members.erase(author.id)
            return Reply(self.t(actor.locale, "moderation.ban_bot_done", pseudonym=seat.pseudonym))
        await self.rooms.leave_room(author, seat.room_id)
        async with self.db.transaction() as tx:
            await tx.rooms.ban(seat.room_id, author.id)
        self.notifier.send(author, "moderation.banned_room", theme=theme)
        return Reply(self.t(actor.locale, "moderation.ban_done", pseudonym=seat.pseudonym, theme=theme))

    async def announce(self, actor: Member, text: str, reply_to: MessageRef | None) -> Reply:
        """`/annonce`: a message to the room signed « Animation »."""
        if not actor.is_facilitator:
            raise Refusal("common.facilitators_only")
        text = text.strip()
        if not text:
            raise Refusal("moderation.announce_usage")
        if len(text) > MAX_ANNOUNCE:
            raise Refusal("moderation.announce_long", max=MAX_ANNOUNCE)
        async with self.db.transaction() as tx:
            room_id = actor.active_room_id
            if reply_to is not None:
                relay = await tx.relays.by_copy(actor.id, reply_to.id)
                room_id = relay.room_id if relay else room_id
            room = await tx.rooms.get(room_id) if room_id else None
            if room is None or not room.is_open or await tx.rooms.seat(room.id, actor.id) is None:
                raise Refusal("moderation.announce_no_room")
            seats = await tx.rooms.seats(room.id)
            people = await tx.members.many([s.member_id for s in seats if s.member_id != actor.id])
        theme = neutralise(room.theme).replace("\n", " ")
        for person in people:
            # « 📣 Animation (thème) » in bold, set by the bot: no member's line can look like it.
            words = mark_lines(text, self.t(person.locale, "relay.continuation"))
            line = labelled(
                lambda x, locale=person.locale: self.t(locale, "moderation.announcement", theme=theme, text=x), words
            )
            self.notifier.send_text(person, line.text, protect=True, entities=line.entities)
        return Reply(self.t.plural(actor.locale, "moderation.announce_done", len(people), theme=room.theme))
