"""How a relayed message is labelled: the author's pseudonym (and room), in bold, before their words."""

from __future__ import annotations

from bot.core.text import Entity, Styled, labelled, mark_lines, neutralise, utf16_len
from bot.ports.capabilities import Capabilities
from bot.services.relay.base import RelayBase
from bot.services.rooms import display_theme
from storage.rooms import Room, Seat


class Labels(RelayBase):
    """« **Pseudonyme** : words », split under the recipient's limit, never truncated."""

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
