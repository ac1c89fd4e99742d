"""The Signal implementation of the transport port, over signal-cli's JSON-RPC daemon.

A chat is `ChatRef("signal", ACI)` (never a phone number). A message is named by its
author and its sender timestamp in ms: `MessageRef.id` is that timestamp as a string,
the bot's own being the one its send returned (a room message sent to several people at
once has the same timestamp in every chat, which is fine: it is unique within each).

What Signal does differently from Telegram, and how the port gets it:
- No buttons: choices arrive already numbered (`NumberedChoices`); a keyboard here is a bug.
- Texts and captions are limited to 2000 bytes of UTF-8 (beyond, Signal carries the body
  as a long-text attachment; the core splits instead).
- A reply is a quote (`quoteTimestamp` + `quoteAuthor`: the bot's own number for its own
  messages, the member's ACI for theirs). The bot's timestamps since its first send are
  kept (ints, in memory), so any later one that is not the bot's is a member's; for an
  older message the inbound side may say (`saw`), else the bot is taken as its author
  (most replies in a room quote the bot's copies). Only a message known to be a member's
  (`saw`) is refused an edit or a delete: a guess never blocks one.
- An edit names the *latest* revision (`editTimestamp`); the revisions are kept here, in
  memory only. Recipients' apps ignore edits after about a day and beyond the tenth: past
  the window or the tenth edit, the new text goes as a short correction quoting the
  message instead. After a restart the revisions are forgotten: an edit then targets the
  original, which apps that saw a later revision ignore. A caption edit carries the new
  caption alone (signal-cli would need the file again). Deletes (`remoteDelete`) work on
  the bot's own messages, for a day.
- No server copy: a member's media is fetched (`getAttachment`) and sent again as a data
  URI; a photo re-encoded without metadata by the same code as on Telegram.
- Nothing like `protect_content`.

signal-cli must get one request at a time, so sending one room message to N people one
by one would take N calls. Identical sends (same text, styles, attachments, quote, edit
target) asked for within a few milliseconds, or while the daemon is busy with an earlier
call, go as ONE multi-recipient `send`; every recipient's own result is read and each
caller gets the error of their recipient only.

Nothing here logs a number, an ACI, a timestamp or a text.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.core import errors
from bot.core.filetypes import content_type
from bot.core.i18n import DEFAULT_LOCALE, Translator
from bot.core.text import Entity, Styled
from bot.ports.capabilities import Capabilities
from bot.ports.refs import ChatRef, Media, MessageRef
from bot.ports.transport import Sent
from bot.signal.attachments import AttachmentCache
from bot.signal.capabilities import CAPABILITIES, SIGNAL
from bot.signal.envelopes import Attachment, is_aci
from bot.signal.results import RpcError, SendOutcome, delivery_error
from bot.signal.rpc import SignalRpc, data_uri

BATCH_WINDOW = 0.003  # seconds identical sends wait for each other before the call
TRACKED = 100_000  # bot messages whose revisions are remembered (in memory only)
SEEN = 50_000  # members' messages remembered as theirs (to quote them with the right author)
OWN = 500_000  # timestamps of the bot's own messages remembered since the start (ints, no chat)

# The bot's entities as signal-cli's text styles ("start:length:STYLE", UTF-16 offsets).
STYLES = {
    "bold": "BOLD",
    "italic": "ITALIC",
    "code": "MONOSPACE",
    "pre": "MONOSPACE",
    "strikethrough": "STRIKETHROUGH",
    "spoiler": "SPOILER",
}


def chat_of(aci: str) -> ChatRef:
    """The reference of a private chat with the person of this ACI."""
    return ChatRef(SIGNAL, aci.lower())


def message_of(aci: str, timestamp: int) -> MessageRef:
    """A message in the chat with `aci` (theirs or the bot's), by its sender timestamp."""
    return MessageRef(chat_of(aci), str(int(timestamp)))


def text_styles(entities: Sequence[Entity]) -> tuple[str, ...]:
    return tuple(f"{e.offset}:{e.length}:{STYLES[e.kind]}" for e in entities if e.kind in STYLES)


def _digest(text: str, styles: Sequence[str]) -> bytes:
    """What an edit is compared with, so that the text itself is not kept."""
    return hashlib.blake2b("\x00".join((text, *styles)).encode(), digest_size=16).digest()


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class _Track:
    """One message the bot sent: its latest revision and how often it was edited."""

    latest: int
    digest: bytes
    media: bool
    edits: int = 0
    deleted: bool = False


@dataclass(eq=False)
class _Batch:
    call: Callable[[list[str]], Awaitable[SendOutcome]]
    waiters: dict[str, asyncio.Future] = field(default_factory=dict)


class SignalTransport:
    """Maps the port onto signal-cli's methods and its answers onto delivery errors.

    `account`: the bot's own number, only as the author of its messages when a reply
    quotes one (listAccounts gives no ACI; signal-cli takes the number). `attachments_dir`:
    signal-cli's `<data dir>/attachments`, to remove its copy of each attachment once read.
    `locale_of(chat)`: the person's language, for the few words the adapter writes itself
    (a correction); French when unknown."""

    name = SIGNAL

    def __init__(
        self,
        rpc: SignalRpc,
        *,
        account: str | None = None,
        capabilities: Capabilities = CAPABILITIES,
        clock: Callable[[], float] = time.time,
        t: Translator | None = None,
        locale_of: Callable[[ChatRef], str | None] | None = None,
        attachments_dir: Path | str | None = None,
        batch_window: float = BATCH_WINDOW,
    ) -> None:
        self.rpc = rpc
        self.account = account
        self.capabilities = capabilities
        self.clock = clock
        self._t = t
        self.locale_of = locale_of
        self.batch_window = batch_window
        self.attachments = AttachmentCache(clock, Path(attachments_dir) if attachments_dir is not None else None)
        self._tracks: OrderedDict[tuple[str, int], _Track] = OrderedDict()
        self._theirs: OrderedDict[tuple[str, int], None] = OrderedDict()
        # The bot's own timestamps are unique per account and only grow: every one since
        # `_own_since` (the daemon's first answer to a send, on the daemon's clock) is in
        # `_own`, so a later timestamp that is not there is a member's.
        self._own: OrderedDict[int, None] = OrderedDict()
        self._own_since: int | None = None
        self._types: OrderedDict[str, str] = OrderedDict()
        self._open: dict[tuple, list[_Batch]] = {}
        self._fetching: dict[str, asyncio.Future[bytes]] = {}
        self._slot = asyncio.Lock()
        self._tasks: set[asyncio.Task] = set()
        self.calls = 0  # daemon calls made for sends, edits and deletes
        self.batched = 0  # recipients who shared a call with someone else

    # ------------------------------------------------------------------ helpers
    @property
    def t(self) -> Translator:
        if self._t is None:
            self._t = Translator()
        return self._t

    def capabilities_for(self, chat: ChatRef) -> Capabilities:
        return self.capabilities

    @staticmethod
    def _aci(chat: ChatRef) -> str:
        transport, local = chat
        if transport != SIGNAL or not is_aci(local):
            raise errors.Rejected("not a Signal chat")
        return local.lower()

    @staticmethod
    def _timestamp(message: MessageRef) -> int:
        try:
            value = int(message.id)
        except (TypeError, ValueError):
            raise errors.Gone() from None
        if value <= 0:
            raise errors.Gone()
        return value

    def _fits(self, text: str | None, limit: int) -> None:
        if text is not None and self.capabilities.measure(text) > limit:
            raise errors.Rejected("too long")

    def _age(self, timestamp: int) -> float:
        return self.clock() - timestamp / 1000

    def _locale(self, chat: ChatRef) -> str:
        locale = self.locale_of(chat) if self.locale_of is not None else None
        return locale or DEFAULT_LOCALE

    def saw(self, message: MessageRef) -> None:
        """A member's message (the inbound side tells): a reply to it quotes them as its author."""
        try:
            key = (self._aci(message.chat), self._timestamp(message))
        except errors.DeliveryError:
            return
        self._theirs[key] = None
        self._theirs.move_to_end(key)
        while len(self._theirs) > SEEN:
            self._theirs.popitem(last=False)

    def media_of(self, author: str, timestamp: int, attachment: Attachment) -> Media:
        """The port's handle for an attachment a member sent (its type kept, in memory)."""
        self._types[attachment.id] = attachment.content_type
        while len(self._types) > SEEN:
            self._types.popitem(last=False)
        return Media(SIGNAL, attachment.id, message_of(author, timestamp), attachment.size)

    def _remember(self, aci: str, timestamp: int, digest: bytes, media: bool) -> MessageRef:
        self._tracks[(aci, timestamp)] = _Track(timestamp, digest, media)
        self._mine(timestamp)
        horizon = max(self.capabilities.edit_window or 0, self.capabilities.delete_window or 0)
        while self._tracks:
            (_, oldest), _track = next(iter(self._tracks.items()))
            if len(self._tracks) <= TRACKED and self._age(oldest) <= horizon:
                break
            self._tracks.popitem(last=False)
        return message_of(aci, timestamp)

    def _mine(self, timestamp: int) -> None:
        if self._own_since is None:
            self._own_since = timestamp
        self._own[timestamp] = None
        while len(self._own) > OWN:
            oldest, _ = self._own.popitem(last=False)
            self._own_since = max(self._own_since, oldest + 1)

    def _by_bot(self, aci: str, timestamp: int) -> bool | None:
        """Whether the bot wrote this message (None: sent before this process started, and
        nobody said)."""
        if (aci, timestamp) in self._tracks or timestamp in self._own:
            return True
        if (aci, timestamp) in self._theirs:
            return False
        if self._own_since is not None and timestamp >= self._own_since:
            return False
        return None

    def _quote(self, aci: str, reply_to: MessageRef | None) -> tuple[int, str] | None:
        """The quote of a reply: the target's timestamp and author. A target in another
        chat, deleted, or unreadable gives a plain message, as a vanished target must."""
        if reply_to is None or reply_to.chat.transport != SIGNAL:
            return None
        try:
            if self._aci(reply_to.chat) != aci:
                return None
            timestamp = self._timestamp(reply_to)
        except errors.DeliveryError:
            return None
        track = self._tracks.get((aci, timestamp))
        if track is not None and track.deleted:
            return None
        # Unknown (from before a restart): most replies quote the bot's copies in a room.
        if self._by_bot(aci, timestamp) is False or self.account is None:
            return timestamp, aci
        return timestamp, self.account

    # ------------------------------------------------------------------ batching
    async def _batched(self, key: tuple, aci: str, call: Callable[[list[str]], Awaitable[SendOutcome]]):
        """Join (or start) the batch of identical calls for `key`; the outcome is the
        whole call's, each caller reads their own result in it."""
        batches = self._open.setdefault(key, [])
        batch = next((b for b in batches if aci not in b.waiters), None)
        if batch is None:
            batch = _Batch(call)
            batches.append(batch)
            task = asyncio.create_task(self._flush(key, batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        batch.waiters[aci] = future
        return await future

    async def _flush(self, key: tuple, batch: _Batch) -> None:
        await asyncio.sleep(self.batch_window)
        async with self._slot:
            # Until now (the daemon was busy, or the window was open) others could join.
            batches = self._open.get(key, [])
            with contextlib.suppress(ValueError):
                batches.remove(batch)
            if not batches:
                self._open.pop(key, None)
            waiting = {aci: f for aci, f in batch.waiters.items() if not f.done()}
            if not waiting:
                return
            self.calls += 1
            if len(waiting) > 1:
                self.batched += len(waiting)
            try:
                outcome = await batch.call(list(waiting))
            except asyncio.CancelledError:
                for future in waiting.values():
                    if not future.done():
                        future.set_exception(errors.Transient("signal adapter closed"))
                raise
            except Exception as error:
                for future in waiting.values():
                    if not future.done():
                        future.set_exception(error)
                return
            for future in waiting.values():
                if not future.done():
                    future.set_result(outcome)

    async def _send(
        self,
        aci: str,
        text: str,
        styles: tuple[str, ...] = (),
        attachments: tuple[str, ...] = (),
        quote: tuple[int, str] | None = None,
        edit_of: int | None = None,
    ) -> SendOutcome:
        files = hashlib.blake2b("\x00".join(attachments).encode(), digest_size=16).digest() if attachments else b""
        key = ("send", text, styles, files, quote, edit_of)

        def call(recipients: list[str]) -> Awaitable[SendOutcome]:
            return self.rpc.send(recipients, text, attachments=attachments, quote=quote, edit_of=edit_of, styles=styles)

        outcome: SendOutcome = await self._batched(key, aci, call)
        outcome.raise_for(aci)
        self._mine(outcome.timestamp)
        return outcome

    async def close(self) -> None:
        """Stop the batches still waiting (their callers get `Transient`)."""
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # ------------------------------------------------------------------ sending
    async def send(self, chat, text, *, buttons=None, reply_to=None, protect=False, entities=()) -> Sent:
        aci = self._aci(chat)
        if buttons:
            raise errors.Rejected("Signal has no buttons")
        if not text:
            raise errors.Rejected("empty message")
        self._fits(text, self.capabilities.text_limit)
        styles = text_styles(entities)
        outcome = await self._send(aci, text, styles, quote=self._quote(aci, reply_to))
        return Sent(self._remember(aci, outcome.timestamp, _digest(text, styles), media=False))

    async def _send_file(
        self,
        chat: ChatRef,
        data: bytes,
        kind: str,
        filename: str | None,
        caption: str | None,
        reply_to: MessageRef | None,
        entities: Sequence[Entity],
    ) -> Sent:
        aci = self._aci(chat)
        self._fits(caption, self.capabilities.caption_limit)
        styles = text_styles(entities) if caption else ()
        uri = data_uri(data, kind, filename)
        outcome = await self._send(aci, caption or "", styles, (uri,), quote=self._quote(aci, reply_to))
        return Sent(self._remember(aci, outcome.timestamp, _digest(caption or "", styles), media=True))

    async def send_photo(self, chat, photo, *, caption=None, reply_to=None, protect=False, entities=()) -> Sent:
        if isinstance(photo, Media):
            photo = await self.fetch_attachment(photo)
        kind = content_type(photo)
        return await self._send_file(chat, photo, kind, None, caption, reply_to, entities)

    async def send_document(self, chat, data, filename, *, caption=None) -> Sent:
        data = bytes(data)
        return await self._send_file(chat, data, content_type(data, filename), filename, caption, None, ())

    async def relay_media(self, chat, media, *, caption=None, reply_to=None, protect=False, entities=()) -> Sent:
        """The member's file, fetched and sent again: a new attachment, no link to its origin."""
        self._aci(chat)
        data = await self.fetch_attachment(media)
        kind = self._types.get(media.id) or content_type(data, media.id)
        return await self.relay_bytes(chat, data, kind, caption=caption, reply_to=reply_to, entities=entities)

    async def relay_bytes(
        self,
        chat: ChatRef,
        data: bytes,
        kind: str,
        *,
        caption: str | None = None,
        reply_to: MessageRef | None = None,
        entities: Sequence[Entity] = (),
    ) -> Sent:
        """Media given as bytes (a member's, from this or another messenger): photos are
        re-encoded without metadata first, as every relayed photo is."""
        if kind.startswith("image/") and kind != "image/gif":
            from bot.services.media import strip_photo

            try:
                data, kind = strip_photo(data), "image/jpeg"
            except errors.Refusal:
                raise errors.Rejected("an unreadable image") from None
        return await self._send_file(chat, data, kind, None, caption, reply_to, entities)

    # ------------------------------------------------------------------ edits and deletes
    def _known(self, aci: str, timestamp: int, media: bool) -> _Track | None:
        track = self._tracks.get((aci, timestamp))
        if track is not None and (track.deleted or track.media != media):
            raise errors.Gone()
        if track is None and (aci, timestamp) in self._theirs:
            raise errors.Gone()  # a member's message (the inbound side said): only its author can change it
        return track

    async def _revise(self, message: MessageRef, text: str, entities: Sequence[Entity], media: bool) -> None:
        aci, timestamp = self._aci(message.chat), self._timestamp(message)
        track = self._known(aci, timestamp, media)
        styles = text_styles(entities)
        digest = _digest(text, styles)
        if track is not None and track.digest == digest:
            raise errors.NotModified()
        caps = self.capabilities
        late = caps.edit_window is not None and self._age(timestamp) > caps.edit_window
        spent = track is not None and caps.max_edits is not None and track.edits >= caps.max_edits
        if late or spent:
            await self._correct(message, aci, timestamp, text, entities)
        else:
            latest = track.latest if track is not None else timestamp
            outcome = await self._send(aci, text, styles, edit_of=latest)
            if track is None:
                track = self._tracks[(aci, timestamp)] = _Track(timestamp, digest, media)
            track.latest = outcome.timestamp
            track.edits += 1
        if track is not None:
            track.digest = digest

    async def _correct(
        self, message: MessageRef, aci: str, timestamp: int, text: str, entities: Sequence[Entity]
    ) -> None:
        """An edit Signal would no longer show: the new text as a reply to the message."""
        prefix = self.t(self._locale(message.chat), "signal.correction") + "\n"
        quote = self._quote(aci, message) or (timestamp, self.account or aci)
        whole = prefix + text
        if self.capabilities.fits_text(whole):
            shift = _utf16(prefix)
            moved = [Entity(e.kind, e.offset + shift, e.length) for e in entities]
            await self._send(aci, whole, text_styles(moved), quote=quote)
            return
        await self._send(aci, prefix.strip(), quote=quote)
        await self._send(aci, text, text_styles(entities))

    async def edit(self, message, text, *, buttons=None, entities=()) -> None:
        if buttons:
            raise errors.Rejected("Signal has no buttons")
        if not text:
            raise errors.Rejected("empty message")
        self._fits(text, self.capabilities.text_limit)
        await self._revise(message, text, entities, media=False)

    async def edit_caption(self, message, caption, *, entities=()) -> None:
        if not caption:
            raise errors.Rejected("a caption cannot be taken away on Signal")
        self._fits(caption, self.capabilities.caption_limit)
        await self._revise(message, caption, entities, media=True)

    async def recall(self, message) -> Styled | None:
        return None  # signal-cli cannot read a sent message back, and the bot keeps no text

    async def delete(self, message) -> None:
        aci, timestamp = self._aci(message.chat), self._timestamp(message)
        track = self._tracks.get((aci, timestamp))
        if track is not None and track.deleted:
            raise errors.Gone()
        if track is None and (aci, timestamp) in self._theirs:
            raise errors.Gone()  # Signal lets the bot delete only its own messages
        window = self.capabilities.delete_window
        if window is not None and self._age(timestamp) > window:
            raise errors.Gone()

        def call(recipients: list[str]) -> Awaitable[SendOutcome]:
            return self.rpc.remote_delete(recipients, timestamp)

        outcome: SendOutcome = await self._batched(("remoteDelete", timestamp), aci, call)
        outcome.raise_for(aci)
        if track is None:
            track = self._tracks[(aci, timestamp)] = _Track(timestamp, b"", False)
        track.deleted = True

    # ------------------------------------------------------------------ the rest
    async def acknowledge(self, press, notice=None, *, alert=False) -> None:
        """Signal has no presses: choices are answered by number, and `NumberedChoices`
        sends a notice as a message. Nothing to do here."""
        return None

    async def fetch_attachment(self, media) -> bytes:
        if media.transport != SIGNAL:
            raise errors.Rejected("not a Signal attachment")
        if media.size is not None and media.size > self.capabilities.max_download:
            raise errors.TooLarge()
        cached = self.attachments.get(media.id)
        if cached is not None:
            return cached
        # The copies of one room message ask at once: one download serves them all.
        fetching = self._fetching.get(media.id)
        if fetching is None:
            fetching = self._fetching[media.id] = asyncio.ensure_future(self._download(media.id))
            fetching.add_done_callback(lambda _: self._fetching.pop(media.id, None))
        return await asyncio.shield(fetching)

    async def _download(self, attachment_id: str) -> bytes:
        try:
            data = await self.rpc.get_attachment(attachment_id)
        except errors.TooLarge:
            raise
        except errors.Rejected:
            raise errors.Gone() from None  # signal-cli no longer has it
        if len(data) > self.capabilities.max_download:
            self.attachments.remove_file(attachment_id)
            raise errors.TooLarge()
        self.attachments.put(attachment_id, data)
        return data

    async def ping(self) -> bool:
        """The daemon answers (`version`, which sends nothing to anyone)."""
        try:
            await self.rpc.version()
        except RpcError as error:
            raise delivery_error(error) from None
        return True

    def stats(self) -> dict[str, Any]:
        return {"calls": self.calls, "batched": self.batched, "tracked": len(self._tracks)}
