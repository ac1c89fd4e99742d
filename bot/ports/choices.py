"""Choices where a transport has no buttons: a numbered list, answered by number or keyword.

Services always offer choices the same way (`Button`s, each with a short stable id). On a
transport whose `Capabilities.buttons` is False, `NumberedChoices` (a transport wrapping
the real one, set up once by the composition root) writes them under the text instead:

    Comment ça va ce soir ?

    1️⃣ Plutôt bien
    2️⃣ Correct
    3️⃣ Difficile

and remembers, in memory only, which id each number stands for in that message. When the
member then writes « 2 » (or « 2. », « 2️⃣ », or the choice's own words, « correct »), the
adapter's inbound path asks `ChoiceBook.answer` before anything else: a pick is then
handled exactly like a button press (the same handler, the same checks). A number for a
list that was closed (its message edited to something without choices), answered long
ago or never shown, or a number out of range, gets a kind answer in the member's language
instead of being relayed to the room; anything else is not an answer and goes on as usual.

A reply to (or a quote of) a list answers that list; otherwise the latest open list of
the chat is meant. Lists are kept `OPEN_FOR` seconds; a bare number sent up to `STALE_FOR`
seconds after a list closed or expired is told it came too late.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass

from bot.core.text import Entity, Styled
from bot.ports.capabilities import Capabilities
from bot.ports.refs import ChatRef, Media, MessageRef
from bot.ports.transport import Keyboard, Sent, Transport

OPEN_FOR = 24 * 3600
STALE_FOR = 48 * 3600
PER_CHAT = 8  # lists remembered per chat
CHATS = 50_000  # chats remembered at most
PRESS_PREFIX = "n:"
_KEYCAPS = {str(n): f"{n}\ufe0f\u20e3" for n in range(10)}
_NUMBER = re.compile(r"^\s*#?(\d{1,2})\s*[.)]?\s*$")


def keycap(number: int) -> str:
    """1 -> 1️⃣, 10 -> 1️⃣0️⃣."""
    return "".join(_KEYCAPS[digit] for digit in str(number))


def _fold(text: str) -> str:
    """Lower case, no accents, no punctuation, single spaces: how a keyword is compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    letters = "".join(c if c.isalnum() else " " for c in decomposed if not unicodedata.combining(c))
    return " ".join(letters.split())


def _number(text: str) -> int | None:
    plain = text.replace("\ufe0f", "").replace("\u20e3", "")
    match = _NUMBER.match(plain)
    return int(match.group(1)) if match else None


@dataclass(frozen=True)
class Choice:
    label: str
    data: str


@dataclass(frozen=True)
class NumberedList:
    message: MessageRef
    text: str  # the message as shown, list included
    choices: tuple[Choice, ...]
    shown_at: float


def numbered(text: str, buttons: Keyboard | None) -> tuple[str, tuple[Choice, ...]]:
    """The text with its choices written under it, numbered in reading order (a link is a
    line of its own, with its address, and has no number)."""
    if not buttons:
        return text, ()
    lines, choices = [], []
    for row in buttons:
        for button in row:
            if button.url:
                lines.append(f"🔗 {button.label}\n{button.url}")
            elif button.data is not None:
                choices.append(Choice(button.label, button.data))
                lines.append(f"{keycap(len(choices))} {button.label}")
    return (text + "\n\n" + "\n".join(lines) if lines else text), tuple(choices)


@dataclass(frozen=True)
class Picked:
    """A member's words answered a list: handle `data` as a press of that choice."""

    data: str
    list: NumberedList
    press: str  # the id `acknowledge` recognises for this answer


@dataclass(frozen=True)
class Stale:
    """A number for a list that is no longer open."""


@dataclass(frozen=True)
class OutOfRange:
    """A number the open list does not have; `count` choices it does."""

    count: int
    list: NumberedList | None = None


Answer = Picked | Stale | OutOfRange | None


class ChoiceBook:
    """The numbered lists shown in each chat, in memory only, bounded."""

    def __init__(self, clock) -> None:
        self.clock = clock
        self._chats: OrderedDict[ChatRef, OrderedDict[MessageRef, NumberedList]] = OrderedDict()
        self._closed: dict[ChatRef, dict[MessageRef, float]] = {}
        self._presses: dict[str, ChatRef] = {}
        self._ids = itertools.count(1)

    def remember(self, message: MessageRef, text: str, choices: Sequence[Choice]) -> None:
        chat = message.chat
        if not choices:
            self.close(message)
            return
        lists = self._chats.setdefault(chat, OrderedDict())
        lists.pop(message, None)
        lists[message] = NumberedList(message, text, tuple(choices), self.clock.now())
        self._chats.move_to_end(chat)
        self._closed.get(chat, {}).pop(message, None)
        while len(lists) > PER_CHAT:
            old, _ = lists.popitem(last=False)
            self._close_at(old)
        while len(self._chats) > CHATS:
            gone, _ = self._chats.popitem(last=False)
            self._closed.pop(gone, None)

    def close(self, message: MessageRef) -> None:
        """The message no longer offers choices (edited, deleted)."""
        lists = self._chats.get(message.chat)
        if lists is not None and lists.pop(message, None) is not None:
            self._close_at(message)

    def _close_at(self, message: MessageRef) -> None:
        closed = self._closed.setdefault(message.chat, {})
        closed[message] = self.clock.now()
        while len(closed) > PER_CHAT:
            closed.pop(next(iter(closed)))

    def open_lists(self, chat: ChatRef) -> list[NumberedList]:
        """The lists still open in a chat, oldest first (expired ones are closed on the way)."""
        now = self.clock.now()
        lists = self._chats.get(chat)
        if not lists:
            return []
        for message in [m for m, shown in lists.items() if now - shown.shown_at > OPEN_FOR]:
            self.close(message)
        return list(lists.values())

    def _recently_closed(self, chat: ChatRef, message: MessageRef | None = None) -> bool:
        now = self.clock.now()
        closed = self._closed.get(chat, {})
        if message is not None:
            return message in closed and now - closed[message] <= STALE_FOR
        return any(now - at <= STALE_FOR for at in closed.values())

    def answer(self, chat: ChatRef, text: str | None, reply_to: MessageRef | None = None) -> Answer:
        """What a member's message means for the lists of their chat (None: not an answer)."""
        if not text:
            return None
        number = _number(text)
        lists = self.open_lists(chat)
        if reply_to is not None:
            target = next((shown for shown in lists if shown.message == reply_to), None)
            if target is None:
                # A reply to a closed list is too late; a reply to anything else is not an answer.
                return Stale() if number is not None and self._recently_closed(chat, reply_to) else None
        elif lists:
            target = lists[-1]
        else:
            return Stale() if number is not None and self._recently_closed(chat) else None
        if number is not None:
            if not 1 <= number <= len(target.choices):
                return OutOfRange(len(target.choices), target)
            return self._picked(chat, target, target.choices[number - 1])
        words = _fold(text)
        match = [c for c in target.choices if words and _fold(c.label) == words]
        return self._picked(chat, target, match[0]) if len(match) == 1 else None

    def _picked(self, chat: ChatRef, shown: NumberedList, choice: Choice) -> Picked:
        press = f"{PRESS_PREFIX}{next(self._ids)}"
        self._presses[press] = chat
        while len(self._presses) > CHATS:
            self._presses.pop(next(iter(self._presses)))
        return Picked(choice.data, shown, press)

    def chat_of_press(self, press: str | None) -> ChatRef | None:
        """The chat an answer by number came from."""
        return self._presses.get(press) if press else None

    def is_press(self, press: str | None) -> bool:
        return bool(press) and press.startswith(PRESS_PREFIX)  # type: ignore[union-attr]


class NumberedChoices:
    """The transport the core talks to: the real one, with choices written as numbered
    lists for chats whose transport has no buttons (and passed through as buttons where
    it has). Everything else goes straight through."""

    def __init__(self, inner: Transport, book: ChoiceBook) -> None:
        self.inner = inner
        self.book = book
        self.name = inner.name
        self.capabilities = inner.capabilities

    def capabilities_for(self, chat: ChatRef) -> Capabilities:
        return self.inner.capabilities_for(chat)

    def _numbered(self, chat: ChatRef, buttons: Keyboard | None) -> bool:
        return bool(buttons) and not self.inner.capabilities_for(chat).buttons

    async def send(self, chat, text, *, buttons=None, reply_to=None, protect=False, entities=()) -> Sent:
        if not self._numbered(chat, buttons):
            return await self.inner.send(
                chat, text, buttons=buttons, reply_to=reply_to, protect=protect, entities=entities
            )
        shown, choices = numbered(text, buttons)
        sent = await self.inner.send(chat, shown, reply_to=reply_to, protect=protect, entities=entities)
        self.book.remember(sent.message, shown, choices)
        return sent

    async def edit(self, message, text, *, buttons=None, entities=()) -> None:
        chat = message.chat
        if self.inner.capabilities_for(chat).buttons:
            await self.inner.edit(message, text, buttons=buttons, entities=entities)
            return
        shown, choices = numbered(text, buttons)
        await self.inner.edit(message, shown, entities=entities)
        self.book.remember(message, shown, choices)

    async def delete(self, message) -> None:
        self.book.close(message)
        await self.inner.delete(message)

    async def acknowledge(self, press, notice=None, *, alert=False) -> None:
        if self.book.is_press(press):
            chat = self.book.chat_of_press(press)
            if chat is not None and notice:
                await self.inner.send(chat, notice)  # no toast without buttons: the notice is a message
            return
        await self.inner.acknowledge(press, notice, alert=alert)

    async def send_photo(
        self,
        chat: ChatRef,
        photo: bytes | Media,
        *,
        caption: str | None = None,
        reply_to: MessageRef | None = None,
        protect: bool = False,
        entities: Sequence[Entity] = (),
    ) -> Sent:
        return await self.inner.send_photo(
            chat, photo, caption=caption, reply_to=reply_to, protect=protect, entities=entities
        )

    async def send_document(self, chat, data, filename, *, caption=None) -> Sent:
        return await self.inner.send_document(chat, data, filename, caption=caption)

    async def relay_media(self, chat, media, *, caption=None, reply_to=None, protect=False, entities=()) -> Sent:
        return await self.inner.relay_media(
            chat, media, caption=caption, reply_to=reply_to, protect=protect, entities=entities
        )

    async def edit_caption(self, message, caption, *, entities=()) -> None:
        await self.inner.edit_caption(message, caption, entities=entities)

    async def recall(self, message) -> Styled | None:
        return await self.inner.recall(message)

    async def fetch_attachment(self, media) -> bytes:
        return await self.inner.fetch_attachment(media)

    async def ping(self) -> bool:
        return await self.inner.ping()
