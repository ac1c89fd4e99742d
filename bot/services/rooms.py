"""Topic rooms: facilitators open and close them; members join, leave, wait for a place."""

from __future__ import annotations

import builtins
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from bot.core.clock import Clock
from bot.core.errors import Refusal
from bot.core.i18n import Translator
from bot.core.presses import (
    JoinRoom,
    LeaveRoom,
    ListRooms,
    OpenRoom,
    Places,
    SkipDescription,
    SkipPlaces,
    SkipTheme,
    WaitForRoom,
)
from bot.ports.replies import Reply
from bot.ports.scheduler import Scheduler
from bot.ports.transport import Button
from bot.services import pseudonyms, spread
from bot.services.notify import Notifier
from storage.database import Database, Tx
from storage.members import Member
from storage.rooms import Room, Seat

DEFAULT_CAPACITY = 8
MAX_CAPACITY = 12
MIN_CAPACITY = 2
MAX_ROOMS_PER_MEMBER = 3
MAX_ROOMS_PER_FACILITATOR = 12
SMALL_ROOM = 3
PSEUDO_DRAWS_PER_DAY = 2
MAX_THEME = 60
MAX_DESCRIPTION = 300
LIST_BUTTON = ListRooms().pack()  # « Voir les salles »
OPEN_BUTTON = OpenRoom().pack()  # « Ouvrir une salle », the guided /ouvrir
CAPACITY_CHOICES = (4, 6, 8, 10, 12)
_ROOM_REF = re.compile(r"^#?(\d{1,9})$")


def parse_room_ref(text: str) -> int | None:
    match = _ROOM_REF.match(text.strip())
    return int(match.group(1)) if match else None


def display_theme(t: Translator, locale: str, room: Room) -> str:
    """A room's theme as a person reads it: a private support room in their own language."""
    return t(locale, "safety.support_theme") if room.is_support else room.theme


def room_or_active(actor: Member, args: str) -> int | None:
    """The room a facilitator names (« 3 », « #3 »), else the one they write in."""
    return parse_room_ref(args) if args.strip() else actor.active_room_id


@dataclass(frozen=True)
class OpenRequest:
    theme: str
    description: str
    capacity: int


@dataclass
class RoomDraft:
    """The guided `/ouvrir`: what the facilitator has answered so far (in memory only)."""

    theme: str = ""
    description: str = ""


def check_theme(theme: str) -> str:
    theme = theme.strip()
    if not theme:
        raise Refusal("rooms.open_usage")
    if len(theme) > MAX_THEME:
        raise Refusal("rooms.open_theme_long", max=MAX_THEME)
    return theme


def check_description(description: str) -> str:
    description = description.strip()
    if len(description) > MAX_DESCRIPTION:
        raise Refusal("rooms.open_description_long", max=MAX_DESCRIPTION)
    return description


def check_capacity(text: str) -> int:
    text = text.strip()
    if not text.isdigit() or not MIN_CAPACITY <= int(text) <= MAX_CAPACITY:
        raise Refusal("rooms.open_capacity", low=MIN_CAPACITY, high=MAX_CAPACITY)
    return int(text)


def parse_open(args: str) -> OpenRequest:
    """`theme | description | capacity`; the last two are optional."""
    parts = [part.strip() for part in args.split("|")]
    theme = check_theme(parts[0] if parts else "")
    description, capacity = "", DEFAULT_CAPACITY
    rest = parts[1:]
    if rest and rest[-1].isdigit():
        capacity = check_capacity(rest.pop())
    if len(rest) > 1:
        raise Refusal("rooms.open_usage")
    if rest:
        description = check_description(rest[0])
    return OpenRequest(theme, description, capacity)


def member_count(seats: list[Seat]) -> int:
    return sum(1 for seat in seats if not seat.is_facilitator)


class RoomService:
    def __init__(
        self,
        db: Database,
        clock: Clock,
        t: Translator,
        notifier: Notifier,
        scheduler: Scheduler | None = None,
        *,
        unlink_window: int = spread.WINDOW,
        on_close: Iterable[Callable[[Room], Awaitable[None]]] = (),
    ) -> None:
        self.db = db
        self.scheduler = scheduler
        self.unlink_window = unlink_window  # Config.unlink_window
        self.clock = clock
        self.t = t
        self.notifier = notifier
        self.drafts: dict[int, RoomDraft] = {}
        self.on_close = list(on_close)  # async callbacks(room) run after a room closes

    # ------------------------------------------------------------ facilitator
    async def open(self, actor: Member, args: str) -> Reply:
        """`/ouvrir thème | description | places`, in one line."""
        if not actor.is_facilitator:
            raise Refusal("common.facilitators_only")
        return await self._open(actor, parse_open(args))

    def begin_open(self, actor: Member) -> Reply:
        """The guided `/ouvrir`: theme, description, places, one at a time, each skippable."""
        if not actor.is_facilitator:
            raise Refusal("common.facilitators_only")
        self.drafts[actor.id] = RoomDraft()
        t, locale = self.t, actor.locale
        return Reply(
            t(locale, "rooms.ask_theme", max=MAX_THEME),
            [
                [
                    Button(
                        t(locale, "rooms.button_skip_theme", theme=t(locale, "rooms.default_theme")), SkipTheme().pack()
                    )
                ]
            ],
            edit=False,
        )

    def _draft(self, actor: Member) -> RoomDraft:
        draft = self.drafts.get(actor.id)
        if draft is None or not actor.is_facilitator:
            raise Refusal("rooms.no_draft")
        return draft

    def set_theme(self, actor: Member, theme: str | None) -> Reply:
        """The theme typed, or None when skipped (a general room)."""
        draft = self._draft(actor)
        t, locale = self.t, actor.locale
        draft.theme = check_theme(theme) if theme is not None else t(locale, "rooms.default_theme")
        return Reply(
            t(locale, "rooms.ask_description", theme=draft.theme, max=MAX_DESCRIPTION),
            [[Button(t(locale, "rooms.button_skip"), SkipDescription().pack())]],
            edit=False,
        )

    def set_description(self, actor: Member, description: str | None) -> Reply:
        draft = self._draft(actor)
        t, locale = self.t, actor.locale
        draft.description = check_description(description) if description is not None else ""
        return Reply(
            t(locale, "rooms.ask_places", low=MIN_CAPACITY, high=MAX_CAPACITY),
            [
                [Button(str(n), Places(n).pack()) for n in CAPACITY_CHOICES],
                [Button(t(locale, "rooms.button_skip_places", places=DEFAULT_CAPACITY), SkipPlaces().pack())],
            ],
            edit=False,
        )

    async def set_places(self, actor: Member, places: str | None) -> Reply:
        """The last answer: the room opens."""
        draft = self._draft(actor)
        capacity = check_capacity(places) if places is not None else DEFAULT_CAPACITY
        reply = await self._open(actor, OpenRequest(draft.theme, draft.description, capacity))
        self.drafts.pop(actor.id, None)
        return Reply(reply.text, reply.buttons, edit=False)

    def abandon_open(self, actor: Member) -> Reply:
        self.drafts.pop(actor.id, None)
        return Reply(self.t(actor.locale, "rooms.open_abandoned"))

    async def _open(self, actor: Member, request: OpenRequest) -> Reply:
        async with self.db.transaction() as tx:
            room = await tx.rooms.open(
                request.theme, request.description, request.capacity, self.clock.day(), locale=actor.locale
            )
            pseudonym = await self._seat(tx, room.id, actor, is_facilitator=True)
        return Reply(
            self.t(
                actor.locale, "rooms.opened", id=room.id, theme=room.theme, capacity=room.capacity, pseudonym=pseudonym
            )
        )

    async def close(self, actor: Member, args: str) -> Reply:
        if not actor.is_facilitator:
            raise Refusal("common.facilitators_only")
        room_id = room_or_active(actor, args)
        if room_id is None:
            raise Refusal("rooms.close_usage")
        async with self.db.transaction() as tx:
            rooms = tx.rooms
            room = await rooms.get(room_id)
            if room is None or not room.is_open:
                raise Refusal("rooms.unknown", id=room_id)
            seats = await rooms.seats(room_id)
            people = await tx.members.many([s.member_id for s in seats if s.member_id != actor.id])
            waiting = await tx.members.many(await rooms.waiting(room_id))
            await tx.relays.purge_room(room_id)
            await rooms.close(room_id, self.clock.day())
            back = await self._back_to_room(tx, people) if room.is_support else {}
        if room.is_support:
            self._support_goodbye(people, back)
            return Reply(self.t(actor.locale, "safety.support_closed_done"))
        for person in people:
            self.notifier.send(person, "rooms.closed_notice", theme=room.theme)
        for person in waiting:
            self.notifier.send(person, "rooms.closed_waiting", theme=room.theme)
        for hook in self.on_close:  # its workshops are called off (WorkshopService.room_closed)
            await hook(room)
        return Reply(self.t(actor.locale, "rooms.closed", id=room.id, theme=room.theme))

    async def _back_to_room(self, tx: Tx, people: list[Member]) -> dict[int, Room]:
        """After a support conversation, each person writes again to their room, if they have one."""
        rooms = tx.rooms
        back = {}
        for person in people:
            mine = [await rooms.get(s.room_id) for s in await rooms.seats_of(person.id)]
            open_rooms = [r for r in mine if r is not None and r.is_open and not r.is_support]
            if len(open_rooms) == 1:
                await tx.members.set_active_room(person.id, open_rooms[0].id)
                back[person.id] = open_rooms[0]
        return back

    def _support_goodbye(self, people: list[Member], back: dict[int, Room]) -> None:
        """A warm goodbye with the resources, not the notice of an ordinary room closing."""
        for person in people:
            t, locale = self.t, person.locale
            room = back.get(person.id)
            parts = [
                t(locale, "safety.support_goodbye"),
                t(locale, "safety.resources"),
                t(locale, "safety.support_back", theme=room.theme) if room else t(locale, "safety.support_back_rooms"),
            ]
            self.notifier.send_text(person, "\n\n".join(parts))

    # ---------------------------------------------------------------- members
    def _room_line(self, locale: str, room: Room, joined: bool) -> str:
        if joined or room.places_left == 0:
            line = self.t(locale, "rooms.line_joined" if joined else "rooms.line_full", id=room.id, theme=room.theme)
        else:
            line = self.t.plural(locale, "rooms.line", room.places_left, id=room.id, theme=room.theme)
        return f"{line}\n   {room.description}" if room.description else line

    async def list(self, actor: Member) -> Reply:
        async with self.db.transaction() as tx:
            rooms = await tx.rooms.list_open()
            mine = {s.room_id for s in await tx.rooms.seats_of(actor.id)}
        locale = actor.locale
        if not rooms:
            if actor.is_facilitator:
                return Reply(
                    self.t(locale, "rooms.none_facilitator"),
                    [[Button(self.t(locale, "rooms.button_open"), OPEN_BUTTON)]],
                )
            return Reply(self.t(locale, "rooms.none"), [[Button(self.t(locale, "rooms.button_list"), LIST_BUTTON)]])
        lines, buttons = [self.t(locale, "rooms.list_title")], []
        for room in rooms:
            lines.append(self._room_line(locale, room, room.id in mine))
            if room.id in mine:
                label = self.t(locale, "rooms.button_write", id=room.id)
                buttons.append([Button(label, JoinRoom(room.id).pack())])
            elif room.places_left:
                buttons.append([Button(self.t(locale, "rooms.button_join", id=room.id), JoinRoom(room.id).pack())])
            else:
                buttons.append([Button(self.t(locale, "rooms.button_wait", id=room.id), WaitForRoom(room.id).pack())])
        if actor.active_room_id in mine:
            active = next(r for r in rooms if r.id == actor.active_room_id)
            lines.append(self.t(locale, "rooms.active", theme=active.theme))
        return Reply("\n\n".join(lines), buttons)

    async def join(self, actor: Member, room_id: int) -> Reply:
        locale = actor.locale
        async with self.db.transaction() as tx:
            rooms = tx.rooms
            room = await rooms.get(room_id)
            if room is None or not room.is_open:
                raise Refusal("rooms.unknown", id=room_id)
            seat = await rooms.seat(room_id, actor.id)
            if seat is not None:
                await tx.members.set_active_room(actor.id, room_id)
                return Reply(
                    self.t(
                        locale, "rooms.switched", theme=display_theme(self.t, locale, room), pseudonym=seat.pseudonym
                    )
                )
            if room.is_support:
                raise Refusal("rooms.unknown", id=room_id)
            if await rooms.is_banned(room_id, actor.id):
                raise Refusal("rooms.banned")
            limit = MAX_ROOMS_PER_FACILITATOR if actor.is_facilitator else MAX_ROOMS_PER_MEMBER
            if len(await rooms.seats_of(actor.id)) >= limit:
                raise Refusal("rooms.too_many", max=limit)
            if not actor.is_facilitator and room.places_left == 0:
                return Reply(
                    self.t(locale, "rooms.full", theme=room.theme),
                    [[Button(self.t(locale, "rooms.button_wait", id=room.id), WaitForRoom(room.id).pack())]],
                )
            pseudonym = await self._seat(tx, room_id, actor, actor.is_facilitator)
            seats = await rooms.seats(room_id)
            others = await tx.members.many([s.member_id for s in seats if s.member_id != actor.id])
        self._notice_later(others, "rooms.joined_notice", room, pseudonym=pseudonym)
        text = self.t(locale, "rooms.joined", theme=room.theme, pseudonym=pseudonym)
        if member_count(seats) <= SMALL_ROOM:
            text += "\n\n" + self.t(locale, "rooms.small_warning")
        return Reply(text)

    def _notice_later(self, people: builtins.list[Member], key: str, room: Room, small: bool = False, **params) -> None:
        """A join or leave notice, at a random moment of the next minutes (bot/services/spread.py):
        one person's joins in two rooms must not reach someone in both at the same second."""

        async def job() -> None:
            for person in people:
                self.notifier.send(person, key, theme=display_theme(self.t, person.locale, room), **params)
                if small:
                    self.notifier.send(person, "rooms.small_warning")

        spread.later(self.scheduler, self.clock.now(), self.unlink_window, job, f"notice:{room.id}")

    async def _seat(self, tx: Tx, room_id: int, member: Member, is_facilitator: bool) -> str:
        rooms = tx.rooms
        own = {s.pseudonym for s in await rooms.seats_of(member.id)}
        room = await rooms.get(room_id)
        assert room is not None  # the room a seat is being made in
        # In the room's language, never the member's: the form of a name must not single anyone out.
        pseudonym = pseudonyms.draw(room.locale, await rooms.pseudonyms(room_id), own)
        await rooms.add_seat(room_id, member.id, pseudonym, is_facilitator, self.clock.day())
        await tx.members.set_active_room(member.id, room_id)
        return pseudonym

    async def choose(self, actor: Member, action: str, room_id: int) -> Reply:
        """A room's choice (« Rejoindre », « Attendre une place », « Quitter »): `action` is
        join, wait or leave; the room id is checked by each."""
        if action == "join":
            return await self.join(actor, room_id)
        if action == "wait":
            return await self.wait(actor, room_id)
        return await self.leave_room(actor, room_id)

    async def wait(self, actor: Member, room_id: int) -> Reply:
        async with self.db.transaction() as tx:
            room = await tx.rooms.get(room_id)
            if room is None or not room.is_open:
                raise Refusal("rooms.unknown", id=room_id)
            if room.places_left > 0:
                pass  # a place freed meanwhile: join right away
            else:
                await tx.rooms.wait_for_place(room_id, actor.id, self.clock.day())
                return Reply(self.t(actor.locale, "rooms.waiting", theme=room.theme))
        return await self.join(actor, room_id)

    async def leave(self, actor: Member, args: str) -> Reply:
        async with self.db.transaction() as tx:
            seats = await tx.rooms.seats_of(actor.id)
            rooms = {s.room_id: room for s in seats if (room := await tx.rooms.get(s.room_id)) is not None}
        if not seats:
            raise Refusal("rooms.not_in_any")
        room_id = parse_room_ref(args) if args.strip() else None
        if args.strip() and room_id is None:
            raise Refusal("rooms.leave_usage")
        if room_id is None:
            if len(seats) > 1:
                buttons = [
                    [
                        Button(
                            self.t(
                                actor.locale,
                                "rooms.button_leave",
                                theme=display_theme(self.t, actor.locale, rooms[s.room_id]),
                            ),
                            LeaveRoom(s.room_id).pack(),
                        )
                    ]
                    for s in seats
                ]
                return Reply(self.t(actor.locale, "rooms.leave_which"), buttons)
            room_id = seats[0].room_id
        return await self.leave_room(actor, room_id)

    async def leave_room(self, actor: Member, room_id: int, *, quiet: bool = False) -> Reply:
        async with self.db.transaction() as tx:
            rooms = tx.rooms
            room = await rooms.get(room_id)
            seat = await rooms.seat(room_id, actor.id)
            if room is None or seat is None:
                raise Refusal("rooms.not_member")
            await rooms.remove_seat(room_id, actor.id)
            remaining = await rooms.seats(room_id)
            others = await tx.members.many([s.member_id for s in remaining])
            waiting = await tx.members.many(await rooms.waiting(room_id))
            for person in waiting:
                await rooms.stop_waiting(room_id, person.id)
        small = 0 < member_count(remaining) <= SMALL_ROOM
        if not quiet:
            self._notice_later(others, "rooms.left_notice", room, small=small, pseudonym=seat.pseudonym)
        if not seat.is_facilitator:
            for person in waiting:
                self.notifier.send(
                    person,
                    "rooms.place_free",
                    theme=room.theme,
                    buttons=lambda loc: [
                        [Button(self.t(loc, "rooms.button_join", id=room.id), JoinRoom(room.id).pack())]
                    ],
                )
        return Reply(self.t(actor.locale, "rooms.left", theme=display_theme(self.t, actor.locale, room)))

    async def leave_everywhere(self, member: Member) -> None:
        """Take a member out of all their rooms (unreachable, banned or erased).

        Quietly: announcing several leaves at once would let someone who sits in two of
        those rooms link the pseudonyms.
        """
        async with self.db.transaction() as tx:
            seats = await tx.rooms.seats_of(member.id)
        for seat in seats:
            try:
                await self.leave_room(member, seat.room_id, quiet=True)
            except Refusal:
                continue

    async def redraw(self, actor: Member) -> Reply:
        """`/pseudo`: a new pseudonym in the active room, a few times a day."""
        room_id = actor.active_room_id
        if room_id is None:
            raise Refusal("rooms.not_in_any")
        today = self.clock.day()
        async with self.db.transaction() as tx:
            rooms = tx.rooms
            seat = await rooms.seat(room_id, actor.id)
            if seat is None:
                raise Refusal("rooms.not_in_any")
            draws = seat.pseudo_draws if seat.pseudo_day == today else 0
            if draws >= PSEUDO_DRAWS_PER_DAY:
                raise Refusal("rooms.pseudo_limit", max=PSEUDO_DRAWS_PER_DAY)
            own = {s.pseudonym for s in await rooms.seats_of(actor.id)}
            taken = await rooms.pseudonyms(room_id)
            room = await rooms.get(room_id)
            assert room is not None  # the room of the seat found above
            pseudonym = pseudonyms.draw(room.locale, taken, own)
            await rooms.rename(room_id, actor.id, pseudonym, today, draws + 1)
        return Reply(self.t(actor.locale, "rooms.pseudo_new", pseudonym=pseudonym, theme=room.theme))
