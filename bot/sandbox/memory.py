"""An in-memory transport: the port as a messenger would honour it, with capabilities you
choose (buttons or numbered choices, server copy or not, limits and their unit, edit and
delete windows), for service-level tests and the contract suite (tests/contract/).

It keeps what each person would see on their phone (`Person.inbox`) and answers like a
real platform: a text over the limit is `Rejected`, a person who blocked the bot is
`Unreachable`, a deleted or unknown message is `Gone`, an edit that changes nothing is
`NotModified`, an edit or delete past the window is `Gone`; faults can be injected
(`fail`: rate limit, server error, blocked). No network, no `telegram`.
"""

from __future__ import annotations

import itertools
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace

from bot.core import errors
from bot.core.text import Entity, Styled
from bot.ports.capabilities import Capabilities
from bot.ports.refs import ChatRef, Media, MessageRef
from bot.ports.transport import Keyboard, Sent
from bot.signal import capabilities as signal
from bot.telegram import capabilities as telegram

MEMORY = "memory"

# Telegram's and Signal's capabilities (the adapters' own), under this transport's name: buttons,
# server copy, protection and UTF-16 limits; or numbered choices, bytes, a day of edits, no copy.
WITH_BUTTONS = replace(telegram.CAPABILITIES, name=MEMORY)
WITHOUT_BUTTONS = replace(signal.CAPABILITIES, name=MEMORY)


@dataclass
class Shown:
    """One message as the person sees it."""

    ref: MessageRef
    text: str | None
    entities: tuple[Entity, ...] = ()
    buttons: Keyboard | None = None
    photo: bytes | None = None
    media: Media | None = None  # a member's media the bot passed on
    document: tuple[str, bytes] | None = None
    reply_to: MessageRef | None = None
    protected: bool = False
    from_bot: bool = True
    sent_at: float = 0.0
    edits: int = 0
    deleted: bool = False

    @property
    def labels(self) -> list[str]:
        return [b.label for row in self.buttons or [] for b in row]


@dataclass
class Person:
    chat: ChatRef
    inbox: list[Shown] = field(default_factory=list)
    notices: list[tuple[str, bool]] = field(default_factory=list)  # (text, alert)
    blocked: bool = False

    def visible(self) -> list[Shown]:
        return [m for m in self.inbox if not m.deleted]

    def last(self) -> Shown:
        return self.visible()[-1]


class MemoryTransport:
    """The port in memory. `fail(kind, chat=None, count=1)` makes the next calls fail:
    "rate" (RateLimited), "server" (Transient), "blocked" (Unreachable)."""

    def __init__(
        self, capabilities: Capabilities = WITH_BUTTONS, clock: Callable[[], float] = time.time, name: str = MEMORY
    ) -> None:
        self.name = name
        self.capabilities = replace(capabilities, name=name)
        self.clock = clock
        self.people: dict[ChatRef, Person] = {}
        self.messages: dict[MessageRef, Shown] = {}
        self.files: dict[str, bytes] = {}
        self.presses: dict[str, tuple[ChatRef, str | None]] = {}  # press id -> (chat, answer given)
        self.calls: Counter[str] = Counter()
        self.faults: deque[tuple[str, ChatRef | None]] = deque()
        self._ids = itertools.count(1)

    # ------------------------------------------------------------- the people
    def person(self, local: str | None = None) -> Person:
        chat = ChatRef(self.name, local or f"person-{next(self._ids)}")
        return self.people.setdefault(chat, Person(chat))

    def member_sends(self, chat: ChatRef, text: str | None = None, *, data: bytes | None = None) -> Shown:
        """What a member sends to the bot (a text, or media with `data`)."""
        ref = MessageRef(chat, str(next(self._ids)))
        media = None
        if data is not None:
            file_id = f"file-{next(self._ids)}"
            self.files[file_id] = data
            media = Media(self.name, file_id, ref, len(data))
        shown = Shown(ref, text, media=media, from_bot=False, sent_at=self.clock())
        self.messages[ref] = shown
        self.people[chat].inbox.append(shown)
        return shown

    def press(self, message: MessageRef, label: str) -> str:
        """The person presses a button of a message: the press id the core acknowledges."""
        shown = self.messages[message]
        if not any(b.label == label for row in shown.buttons or [] for b in row):
            raise KeyError(label)
        press = f"press-{next(self._ids)}"
        self.presses[press] = (message.chat, None)
        return press

    def fail(self, kind: str, chat: ChatRef | None = None, count: int = 1) -> None:
        for _ in range(count):
            self.faults.append((kind, chat))

    # ------------------------------------------------------------- checks
    def _enter(self, method: str, chat: ChatRef) -> Person:
        self.calls[method] += 1
        for index, (kind, target) in enumerate(self.faults):
            if target is None or target == chat:
                del self.faults[index]
                if kind == "rate":
                    raise errors.RateLimited(3)
                if kind == "server":
                    raise errors.Transient("server error")
                if kind == "blocked":
                    raise errors.Unreachable("blocked")
                raise ValueError(kind)
        person = self.people.get(chat)
        if person is None or person.chat.transport != self.name:
            raise errors.Unreachable("no such chat")
        if person.blocked:
            raise errors.Unreachable("blocked")
        return person

    def _fits(self, text: str | None, limit: int) -> None:
        if text is not None and self.capabilities.measure(text) > limit:
            raise errors.Rejected("too long")

    def _check_buttons(self, buttons: Keyboard | None) -> None:
        if buttons and not self.capabilities.buttons:
            raise errors.Rejected("this transport has no buttons")

    def _check_entities(self, text: str | None, entities) -> tuple[Entity, ...]:
        size = len((text or "").encode("utf-16-le")) // 2
        for e in entities:
            if e.offset < 0 or e.length <= 0 or e.offset + e.length > size:
                raise errors.Rejected("entity beyond the text")
        return tuple(entities)

    def _mine(self, message: MessageRef, window: float | None) -> Shown:
        self._enter("edit/delete", message.chat)
        shown = self.messages.get(message)
        if shown is None or shown.deleted or not shown.from_bot:
            raise errors.Gone()
        if window is not None and self.clock() - shown.sent_at > window:
            raise errors.Gone()
        return shown

    def _new(self, person: Person, **fields) -> Sent:
        reply_to = fields.pop("reply_to", None)
        if reply_to is not None and (reply_to not in self.messages or self.messages[reply_to].deleted):
            reply_to = None  # a reply to a message gone is sent anyway, as a plain message
        ref = MessageRef(person.chat, str(next(self._ids)))
        protect = fields.pop("protect", False) and self.capabilities.protect
        shown = Shown(ref, reply_to=reply_to, protected=protect, sent_at=self.clock(), **fields)
        self.messages[ref] = shown
        person.inbox.append(shown)
        media = None
        if shown.photo is not None:
            file_id = f"file-{next(self._ids)}"
            self.files[file_id] = shown.photo
            media = Media(self.name, file_id, None, len(shown.photo))
        return Sent(ref, media)

    # ------------------------------------------------------------- the port
    def capabilities_for(self, chat: ChatRef) -> Capabilities:
        return self.capabilities

    async def send(self, chat, text, *, buttons=None, reply_to=None, protect=False, entities=()) -> Sent:
        person = self._enter("send", chat)
        if not text:
            raise errors.Rejected("empty message")
        self._fits(text, self.capabilities.text_limit)
        self._check_buttons(buttons)
        entities = self._check_entities(text, entities)
        return self._new(person, text=text, entities=entities, buttons=buttons, reply_to=reply_to, protect=protect)

    async def send_photo(self, chat, photo, *, caption=None, reply_to=None, protect=False, entities=()) -> Sent:
        person = self._enter("send_photo", chat)
        self._fits(caption, self.capabilities.caption_limit)
        if isinstance(photo, Media):
            if photo.transport != self.name or photo.id not in self.files:
                raise errors.Rejected("unknown file")
            photo = self.files[photo.id]
        entities = self._check_entities(caption, entities)
        return self._new(person, text=caption, entities=entities, photo=photo, reply_to=reply_to, protect=protect)

    async def send_document(self, chat, data, filename, *, caption=None) -> Sent:
        person = self._enter("send_document", chat)
        self._fits(caption, self.capabilities.caption_limit)
        return self._new(person, text=caption, document=(filename, bytes(data)))

    async def relay_media(self, chat, media, *, caption=None, reply_to=None, protect=False, entities=()) -> Sent:
        """With server copy the platform copies the message; without, the bytes go again.
        Either way the copy carries no trace of its origin."""
        person = self._enter("relay_media", chat)
        self._fits(caption, self.capabilities.caption_limit)
        if media.transport != self.name or media.id not in self.files:
            raise errors.Rejected("unknown file")
        if not self.capabilities.server_copy:
            self.calls["upload"] += 1
        relayed = Media(self.name, media.id, None, media.size)
        entities = self._check_entities(caption, entities)
        return self._new(person, text=caption, entities=entities, media=relayed, reply_to=reply_to, protect=protect)

    async def edit(self, message, text, *, buttons=None, entities=()) -> None:
        shown = self._mine(message, self.capabilities.edit_window)
        if shown.photo is not None or shown.media is not None or shown.document is not None:
            raise errors.Gone()  # no text to edit
        self._fits(text, self.capabilities.text_limit)
        self._check_buttons(buttons)
        entities = self._check_entities(text, entities)
        if text == shown.text and entities == shown.entities and (buttons or None) == (shown.buttons or None):
            raise errors.NotModified()
        if self.capabilities.max_edits is not None and shown.edits >= self.capabilities.max_edits:
            raise errors.Gone()
        shown.text, shown.entities, shown.buttons = text, entities, buttons
        shown.edits += 1

    async def edit_caption(self, message, caption, *, entities=()) -> None:
        shown = self._mine(message, self.capabilities.edit_window)
        if shown.photo is None and shown.media is None:
            raise errors.Gone()
        self._fits(caption, self.capabilities.caption_limit)
        entities = self._check_entities(caption, entities)
        if caption == shown.text and entities == shown.entities:
            raise errors.NotModified()
        shown.text, shown.entities = caption, entities
        shown.edits += 1

    async def recall(self, message) -> Styled | None:
        shown = self._mine(message, None)
        return Styled(shown.text, shown.entities) if shown.text is not None and shown.photo is None else None

    async def delete(self, message) -> None:
        shown = self._mine(message, self.capabilities.delete_window)
        shown.deleted = True

    async def acknowledge(self, press, notice=None, *, alert=False) -> None:
        if press is None or press not in self.presses:
            return  # an unknown or old press: nothing to answer, never an error
        chat, answered = self.presses[press]
        if answered is not None:
            return
        self.presses[press] = (chat, notice or "")
        text = self.capabilities.notice(notice)
        if text and chat in self.people:
            self.people[chat].notices.append((text, alert))

    async def fetch_attachment(self, media) -> bytes:
        self.calls["fetch_attachment"] += 1
        if media.transport != self.name or media.id not in self.files:
            raise errors.Gone()
        data = self.files[media.id]
        if len(data) > self.capabilities.max_download:
            raise errors.TooLarge()
        return data

    async def ping(self) -> bool:
        self.calls["ping"] += 1
        return True
