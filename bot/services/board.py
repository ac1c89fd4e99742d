"""The shared knowledge board (*mise en commun des savoirs*).

A member shares a tip or a resource: it is relayed to the room under their pseudonym
and kept on the room's board with no author at all. Only the author's own chat holds
the secret that lets them withdraw it; facilitators can pin or remove entries.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from urllib.parse import urlsplit

from bot.core.buttons import PressTokens
from bot.core.clock import Clock
from bot.core.errors import Refusal
from bot.core.i18n import Translator
from bot.core.presses import PinEntry, RemoveEntry, WithdrawEntry
from bot.core.text import labelled, mark_lines
from bot.ports.refs import MessageRef, chat_ref
from bot.ports.replies import Reply
from bot.ports.transport import Button
from bot.services.notify import Notifier
from bot.services.relay import Incoming, RelayService
from bot.services.safety import SafetyService
from storage.board import Entry
from storage.database import Database
from storage.members import Member

MAX_TITLE = 80
MAX_BODY = 600
MAX_LINK = 300
_URL = re.compile(r"https?://\S+")
# A link as people type it: with its scheme, or a bare host such as « www.consommateur.qc.ca ».
_LINK_IN_TEXT = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_BARE = re.compile(r"^[\w.-]+\.[\w-]+(?:[/?#]\S*)?$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")


def normalise_link(link: str) -> str | None:
    """The link with https:// when it was left out, or None when it is not a web address.

    The host must be a real domain name (labels of letters, digits and hyphens, a
    top-level domain of letters or punycode); no user name or password before it."""
    link = link.strip().rstrip(".,;:!?)»”")
    if not re.match(r"^https?://", link, re.IGNORECASE):
        if not _BARE.match(link):
            return None
        link = "https://" + link
    try:
        parts = urlsplit(link)
        host = (parts.hostname or "").encode("idna").decode("ascii").lower()
        _ = parts.port  # raises ValueError for a port that is not a number
    except (ValueError, UnicodeError):
        return None
    if parts.scheme.lower() not in ("http", "https") or "@" in parts.netloc or not host:
        return None
    labels = host.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels):
        return None
    top = labels[-1]
    if not (top.isalpha() and len(top) >= 2) and not top.startswith("xn--"):
        return None
    return link


def _hash(token: str) -> bytes:
    return hashlib.sha256(b"board-withdraw:" + token.encode()).digest()


def parse_share(text: str) -> tuple[str, str, str]:
    """`title | a few lines | link`, or a first line as title and the rest as text."""
    text = text.strip()
    if "|" in text:
        parts = [p.strip() for p in text.split("|")]
        if len(parts) > 3:
            raise Refusal("board.usage")
        title, body, link = (parts + ["", ""])[:3]
    else:
        lines = text.splitlines()
        title, body, link = (lines[0].strip() if lines else ""), "\n".join(lines[1:]).strip(), ""
    if not link:
        found = _LINK_IN_TEXT.search(body) or _LINK_IN_TEXT.search(title)
        if found:
            link = found.group(0)
    if not title:
        raise Refusal("board.usage")
    if link:
        normalised = normalise_link(link)
        if normalised is None:
            raise Refusal("board.bad_link")
        link = normalised
    if len(title) > MAX_TITLE or len(body) > MAX_BODY or len(link) > MAX_LINK:
        raise Refusal("board.too_long", title=MAX_TITLE, body=MAX_BODY)
    return title, body, link


class BoardService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        t: Translator,
        notifier: Notifier,
        relay: RelayService,
        safety: SafetyService,
        tokens: PressTokens,
    ) -> None:
        self.tokens = tokens  # removing an entry cannot be undone: single-use, expiring buttons
        self.db = db
        self.clock = clock
        self.t = t
        self.notifier = notifier
        self.relay = relay
        self.safety = safety

    def _entry_text(self, locale: str, entry: Entry) -> str:
        lines = [f"{'📌 ' if entry.pinned else '• '}{entry.title}"]
        if entry.body:
            lines.append(entry.body)
        bare = entry.link.split("://", 1)[-1]
        if entry.link and entry.link not in entry.body and bare not in entry.body:
            lines.append(entry.link)
        return "\n".join(lines)

    async def share(self, member: Member, text: str, message: MessageRef) -> Reply:
        """`/partager`: relay to the room under the pseudonym, keep on the board without author."""
        if not text.strip():
            raise Refusal("board.usage")
        title, body, link = parse_share(text)
        async with self.db.transaction() as tx:
            room_id = member.active_room_id
            room = await tx.rooms.get(room_id) if room_id else None
            seat = await tx.rooms.seat(room.id, member.id) if room else None
            if room is None or seat is None or room.is_support or not room.is_open:
                raise Refusal("board.no_room")
        combined = "\n".join(p for p in (title, body, link) if p)
        care = await self.relay.assess(combined)
        if care.hold:
            return await self.safety.hold(member, room, Incoming(message, "text", combined))
        token = secrets.token_urlsafe(12)
        async with self.db.transaction() as tx:
            entry = await tx.board.add(room.id, title, body, link, _hash(token), self.clock.day())
            seats = await tx.rooms.seats(room.id)
            others = await tx.members.many([s.member_id for s in seats if s.member_id != member.id])
            counts = await tx.rooms.seat_counts([m.id for m in others])
        for person in others:
            name = self.relay.name(person.locale, seat, room, counts.get(person.id, 0) > 1)
            mark = self.t(person.locale, "relay.continuation")
            shared = labelled(
                lambda x, locale=person.locale, name=name: self.t(locale, "board.shared", name=name, entry=x),
                mark_lines(self._entry_text(person.locale, entry), mark),
                mark,
            )
            self.notifier.send_text(person, shared.text, protect=True, entities=shared.entities)
        # Exactly what happened: the room saw the pseudonym; the board keeps no author.
        key = "board.thanks" if others else "board.thanks_alone"
        text = self.t(member.locale, key, theme=room.theme, pseudonym=seat.pseudonym)
        note = self.safety.gentle(member) if care.at_risk else None
        if note is not None:  # shared, and still worrying: the short private note with the resources
            text += "\n\n" + note.text
        return Reply(
            text, [[Button(self.t(member.locale, "board.button_withdraw"), WithdrawEntry(entry.id, token).pack())]]
        )

    async def withdraw(self, member: Member, entry_id: int, token: str) -> Reply:
        async with self.db.transaction() as tx:
            board = tx.board
            entry = await board.get(entry_id)
            if entry is None:
                raise Refusal("board.gone")
            if await tx.rooms.seat(entry.room_id, member.id) is None:
                raise Refusal("board.not_in_room")
            if not await board.withdraw(entry_id, _hash(token)):
                raise Refusal("common.stale_button")
        return Reply(self.t(member.locale, "board.withdrawn"))

    async def resources(self, member: Member) -> Reply:
        """`/ressources`: crisis and help resources first, then the room's board."""
        locale = member.locale
        text = self.t(locale, "board.resources_title") + "\n" + self.t(locale, "safety.resources")
        async with self.db.transaction() as tx:
            room = await tx.rooms.get(member.active_room_id) if member.active_room_id else None
            if room is not None and await tx.rooms.seat(room.id, member.id) is None:
                room = None  # not seated there
            entries = await tx.board.of_room(room.id) if room is not None and not room.is_support else []
        if room is None or room.is_support:
            return Reply(text + "\n\n" + self.t(locale, "board.no_board"))
        if not entries:
            return Reply(text + "\n\n" + self.t(locale, "board.empty", theme=room.theme))
        lines = [text, self.t(locale, "board.title", theme=room.theme)]  # one blank line between blocks
        lines += [self._entry_text(locale, e) for e in entries]
        buttons = None
        short = self.notifier.transport.capabilities_for(chat_ref(member.chat)).short
        if member.is_facilitator:
            buttons = [
                [
                    Button(
                        self.t(
                            locale, "board.button_unpin" if e.pinned else "board.button_pin", title=short(e.title, 2)
                        ),
                        PinEntry(e.id).pack(),
                    ),
                    Button(
                        self.t(locale, "board.button_remove"),
                        RemoveEntry(e.id, self.tokens.issue(member.id, f"bdd:{e.id}")).pack(),
                    ),
                ]
                for e in entries
            ]
        return Reply("\n\n".join(lines), buttons)

    async def moderate(self, member: Member, action: str, entry_id: int, token: str | None = None) -> Reply:
        if not member.is_facilitator:
            raise Refusal("common.facilitators_only")
        if action == "del" and not self.tokens.redeem(member.id, f"bdd:{entry_id}", token or ""):
            raise Refusal("common.stale_button")  # used, expired, from before a restart, or made up
        async with self.db.transaction() as tx:
            board = tx.board
            entry = await board.get(entry_id)
            if entry is None:
                raise Refusal("board.gone")
            if action == "del":
                await board.remove(entry_id)
                notice = self.t(member.locale, "board.removed")
            else:
                pinned = await board.toggle_pin(entry_id)
                notice = self.t(member.locale, "board.pinned" if pinned else "board.unpinned")
        reply = await self.resources(member)
        return Reply(reply.text, reply.buttons, notice=notice)
