"""The guided exchanges on Signal: `/ouvrir` and `/atelier` step by step, as Telegram's
conversations run them (the same service steps, the same 15-minute time-out, `/annuler`).
The state is where each facilitator is, in memory only; the answers so far are the
services' own drafts."""

from __future__ import annotations

from bot.core.errors import Refusal
from bot.core.presses import (
    ConfirmWhen,
    MoveWorkshop,
    OpenRoom,
    Places,
    SkipDescription,
    SkipPlaces,
    SkipTheme,
    SkipWorkshopDescription,
    unpack,
)
from bot.ports.replies import Reply
from bot.services.dates import DateError, parse_when
from bot.signal.inbound_turn import Turn

TIMEOUT = 15 * 60


class Flows:
    THEME, DESCRIPTION, PLACES = "room:theme", "room:description", "room:places"
    TITLE, WHEN, CONFIRM, NOTE = "workshop:title", "workshop:when", "workshop:confirm", "workshop:description"

    def __init__(self, clock) -> None:
        self.clock = clock
        self._at: dict[int, tuple[str, float]] = {}

    def begin(self, member_id: int, state: str) -> None:
        self._at[member_id] = (state, self.clock.now())

    def end(self, member_id: int) -> None:
        self._at.pop(member_id, None)

    def state(self, turn: Turn) -> str | None:
        if turn.member is None or turn.member.id not in self._at:
            return None
        state, since = self._at[turn.member.id]
        if self.clock.now() - since > TIMEOUT:
            self._forget(turn)
            return None
        return state

    def _forget(self, turn: Turn) -> None:
        member = turn.require_member()
        state, _ = self._at.pop(member.id)
        if state.startswith("room:"):
            turn.services.rooms.drafts.pop(member.id, None)
        else:
            turn.services.workshops.abandon(member)

    async def abandon(self, turn: Turn) -> None:
        """`/annuler`."""
        member = turn.require_member()
        state, _ = self._at.pop(member.id, ("", 0.0))
        if state.startswith("workshop:"):
            await turn.send(turn.services.workshops.abandon(member))
        else:
            await turn.send(turn.services.rooms.abandon_open(member))

    async def text(self, turn: Turn) -> bool:
        """A text that answers the current step (True), or not part of an exchange (False)."""
        state = self.state(turn)
        if state is None or state == self.CONFIRM:
            return False
        await self._step(turn, state, turn.text)
        return True

    async def press(self, turn: Turn) -> bool:
        """A choice of the current step's list, or « Ouvrir une salle » / « Déplacer »."""
        data = turn.press
        member = turn.require_member()
        rooms, workshops = turn.services.rooms, turn.services.workshops
        if OpenRoom.matches(data):
            await turn.answer_press(rooms.begin_open(member))
            self.begin(member.id, self.THEME)
            return True
        move = MoveWorkshop.unpack(data)
        if move is not None:
            found = await workshops.check_facilitated(member, move.workshop_id)
            reply = workshops.begin_move(member, found.id, found.room_id)
            await turn.answer_press(Reply(reply.text, edit=False))
            self.begin(member.id, self.WHEN)
            return True
        state = self.state(turn)
        step = unpack(data, SkipTheme, SkipDescription, SkipPlaces, Places, ConfirmWhen, SkipWorkshopDescription)
        if state is not None and (state, type(step)) in ((self.THEME, SkipTheme), (self.DESCRIPTION, SkipDescription)):
            await self._step(turn, state, None)
        elif state == self.PLACES and isinstance(step, SkipPlaces | Places):
            await self._step(turn, state, str(step.places) if isinstance(step, Places) else None)
        elif state == self.CONFIRM and isinstance(step, ConfirmWhen):
            if step.answer == "again":
                await turn.answer_press(Reply(turn.services.t(member.locale, "workshops.ask_when")))
                self.begin(member.id, self.WHEN)
            elif workshops.draft(member).workshop_id is not None:
                self.end(member.id)
                await turn.answer_press(await workshops.move(member))
            else:
                await turn.answer_press(workshops.ask_description(member))
                self.begin(member.id, self.NOTE)
        elif state == self.NOTE and isinstance(step, SkipWorkshopDescription):
            self.end(member.id)
            await turn.answer_press(await workshops.save(member, ""))
        elif step is not None:  # a step's choice, out of its step
            raise Refusal("common.stale_button")
        else:
            return False
        return True

    async def _step(self, turn: Turn, state: str, value: str | None) -> None:
        member = turn.require_member()
        rooms, workshops = turn.services.rooms, turn.services.workshops
        answer = turn.answer_press if turn.press_id is not None else turn.send
        if state == self.THEME:
            await answer(rooms.set_theme(member, value))
            self.begin(member.id, self.DESCRIPTION)
        elif state == self.DESCRIPTION:
            await answer(rooms.set_description(member, value))
            self.begin(member.id, self.PLACES)
        elif state == self.PLACES:
            self.end(member.id)
            await answer(await rooms.set_places(member, value))
        elif state == self.TITLE:
            await answer(workshops.set_title(member, value or ""))
            self.begin(member.id, self.WHEN)
        elif state == self.WHEN:
            try:
                reply = await workshops.set_when(member, value or "", parse_when)
            except DateError as error:
                await answer(Reply(turn.services.t(member.locale, error.key)))
                return
            await answer(reply)
            self.begin(member.id, self.CONFIRM)
        elif state == self.NOTE:
            self.end(member.id)
            await answer(await workshops.save(member, value or ""))
