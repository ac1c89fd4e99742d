"""The guided exchanges on Signal: `/ouvrir` and `/atelier` step by step, as Telegram's
conversations run them (the same service steps, the same 15-minute time-out, `/annuler`).
The state is where each facilitator is, in memory only; the answers so far are the
services' own drafts."""

from __future__ import annotations

from bot.core import presses
from bot.core.errors import Refusal
from bot.ports.replies import Reply
from bot.services.dates import DateError, parse_when
from bot.services.rooms import OPEN_BUTTON
from bot.signal.inbound_turn import Turn

TIMEOUT = 15 * 60
_PLACES = presses.ROOM_PLACES
_MOVE = presses.WORKSHOP_MOVE


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
        if data == OPEN_BUTTON:
            await turn.answer_press(rooms.begin_open(member))
            self.begin(member.id, self.THEME)
            return True
        move = _MOVE.match(data)
        if move is not None:
            found = await workshops.check_facilitated(member, int(move.group(1)))
            reply = workshops.begin_move(member, found.id, found.room_id)
            await turn.answer_press(Reply(reply.text, edit=False))
            self.begin(member.id, self.WHEN)
            return True
        state = self.state(turn)
        if state is not None and (state, data) in ((self.THEME, "ro:skip:t"), (self.DESCRIPTION, "ro:skip:d")):
            await self._step(turn, state, None)
        elif state == self.PLACES and (data == "ro:skip:p" or _PLACES.match(data)):
            match = _PLACES.match(data)
            await self._step(turn, state, match.group(1) if match else None)
        elif state == self.CONFIRM and data in ("wsd:ok", "wsd:again"):
            if data == "wsd:again":
                await turn.answer_press(Reply(turn.services.t(member.locale, "workshops.ask_when")))
                self.begin(member.id, self.WHEN)
            elif workshops.draft(member).workshop_id is not None:
                self.end(member.id)
                await turn.answer_press(await workshops.move(member))
            else:
                await turn.answer_press(workshops.ask_description(member))
                self.begin(member.id, self.NOTE)
        elif state == self.NOTE and data == "wsd:skip":
            self.end(member.id)
            await turn.answer_press(await workshops.save(member, ""))
        elif data.startswith(("ro:", "wsd:")):
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
