"""Coalesced copies: several short lines for one recipient sent as one message, kept in memory."""

from __future__ import annotations

import logging
from collections import OrderedDict

from bot.core.errors import Gone
from bot.core.text import Styled, join_lines, labelled, split_labelled, utf16_len
from bot.ports.refs import MessageRef
from bot.services.delivery import ignore_gone
from bot.services.relay.base import RelayBase
from storage.members import Member

log = logging.getLogger(__name__)


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


class CombinedLines(RelayBase):
    """One line of a coalesced copy edited or taken out, the other lines kept as they are."""

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
