"""What signal-cli receives, read into typed events.

A `receive` notification carries an `envelope` (signal-cli's `JsonMessageEnvelope`),
either bare (`--receive-mode=on-start`) or wrapped in `{"subscription", "result"}`
(`subscribeReceive`). Only what the bot needs is kept: the sender's ACI (`sourceUuid`),
the sender timestamp that, with the author, names a message, the text, a quote's target,
attachment ids. `sourceNumber`, `source`, `sourceName`, quoted text, attachment file names
and the account's own number are dropped here and never reach the rest of the bot.
Receipts, typing, sync, story and call messages, group messages and settings changes
give no event. Malformed envelopes give no event either: bad input changes nothing.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

LONG_TEXT = "text/x-signal-plain"  # a body over 2000 bytes; signal-cli already puts it in `message`


@dataclass(frozen=True)
class Attachment:
    """An attachment to fetch with `getAttachment(id)`; its file name is not kept."""

    id: str
    content_type: str
    size: int | None = None


@dataclass(frozen=True)
class Quote:
    """A reply: the quoted message is (author, timestamp)."""

    timestamp: int
    author: str | None  # ACI of the quoted message's author (often the bot itself)


@dataclass(frozen=True)
class Received:
    """A new message from a person."""

    author: str  # the sender's ACI
    timestamp: int  # sender timestamp in ms: with the author, the message's name
    text: str | None
    quote: Quote | None = None
    attachments: tuple[Attachment, ...] = ()
    sticker: bool = False
    view_once: bool = False
    expires_in: int = 0  # the chat's disappearing-message timer, seconds (0: off)
    unsupported: bool = False  # a contact card, a payment, a poll: nothing the bot relays


@dataclass(frozen=True)
class Edited:
    """A new revision of a message; `target` is the revision it replaces (an edit of an
    edit targets the previous edit, not the original)."""

    author: str
    timestamp: int  # this revision's own timestamp: the next edit will target it
    target: int
    message: Received


@dataclass(frozen=True)
class Deleted:
    """The author deleted one of their own messages for everyone."""

    author: str
    timestamp: int
    target: int


@dataclass(frozen=True)
class Reacted:
    author: str
    timestamp: int
    emoji: str
    target_author: str | None
    target: int
    remove: bool = False


@dataclass(frozen=True)
class Unreadable:
    """signal-cli could not decrypt or read a message (its `exception`); only the
    exception's type is kept, its message may name the sender."""

    author: str | None
    kind: str


Event = Received | Edited | Deleted | Reacted | Unreadable


def is_aci(value: Any) -> bool:
    if not isinstance(value, str) or len(value) != 36:
        return False
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _timestamp(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None


def _aci(value: Any) -> str | None:
    return value.lower() if is_aci(value) else None


def receive_payload(params: Any) -> dict | None:
    """The `{"envelope", "exception"?, "account"}` object of a `receive` notification,
    bare or wrapped in a subscription."""
    if not isinstance(params, dict):
        return None
    if "subscription" in params and isinstance(params.get("result"), dict):
        params = params["result"]
    return params if isinstance(params.get("envelope"), dict) or "exception" in params else None


def parse_receive(params: Any) -> Event | None:
    """The event in a `receive` notification's params, or None when there is nothing for
    the bot (a receipt, typing, a sync message) or the notification is malformed."""
    payload = receive_payload(params)
    if payload is None:
        return None
    raw = payload.get("envelope")
    envelope: dict = raw if isinstance(raw, dict) else {}
    author = _aci(envelope.get("sourceUuid"))
    exception = payload.get("exception")
    if exception is not None:
        kind = exception.get("type") if isinstance(exception, dict) else None
        name = kind if isinstance(kind, str) and kind.isidentifier() else "unknown"
        return Unreadable(author, name)
    if author is None:
        return None
    if isinstance(envelope.get("editMessage"), dict):
        return _edit(author, envelope["editMessage"])
    if isinstance(envelope.get("dataMessage"), dict):
        return _data(author, envelope["dataMessage"])
    return None  # receiptMessage, typingMessage, syncMessage, storyMessage, callMessage


def _edit(author: str, edit: dict) -> Edited | None:
    target = _timestamp(edit.get("targetSentTimestamp"))
    data = edit.get("dataMessage")
    if target is None or not isinstance(data, dict):
        return None
    message = _data(author, data)
    if not isinstance(message, Received):
        return None
    return Edited(author, message.timestamp, target, message)


def _data(author: str, data: dict) -> Event | None:
    timestamp = _timestamp(data.get("timestamp"))
    if timestamp is None or data.get("groupInfo") is not None:
        return None  # the bot lives in private chats: group messages are not for it
    remote = data.get("remoteDelete")
    if isinstance(remote, dict):
        target = _timestamp(remote.get("timestamp"))
        return Deleted(author, timestamp, target) if target is not None else None
    reaction = data.get("reaction")
    if isinstance(reaction, dict):
        target = _timestamp(reaction.get("targetSentTimestamp"))
        emoji = reaction.get("emoji")
        if target is None or not isinstance(emoji, str):
            return None
        return Reacted(
            author, timestamp, emoji, _aci(reaction.get("targetAuthorUuid")), target, reaction.get("isRemove") is True
        )
    text = _text(data.get("message"))
    attachments = tuple(
        item
        for item in (_attachment(raw) for raw in _list(data.get("attachments")))
        if item is not None and not (text is not None and item.content_type == LONG_TEXT)
    )
    sticker = isinstance(data.get("sticker"), dict)
    unsupported = any(data.get(key) for key in ("contacts", "payment", "pollCreate", "pollVote", "pollTerminate"))
    if text is None and not attachments and not sticker and not unsupported:
        return None  # a disappearing-timer change, a profile key update: no message
    expires = data.get("expiresInSeconds")
    return Received(
        author,
        timestamp,
        text,
        quote=_quote(data.get("quote")),
        attachments=attachments,
        sticker=sticker,
        view_once=data.get("viewOnce") is True,
        expires_in=expires if isinstance(expires, int) and not isinstance(expires, bool) and expires > 0 else 0,
        unsupported=unsupported,
    )


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _attachment(raw: Any) -> Attachment | None:
    if not isinstance(raw, dict):
        return None
    ident, kind, size = raw.get("id"), raw.get("contentType"), raw.get("size")
    if not isinstance(ident, str) or not ident or not isinstance(kind, str):
        return None
    return Attachment(ident, kind, size if isinstance(size, int) and not isinstance(size, bool) else None)


def _quote(raw: Any) -> Quote | None:
    if not isinstance(raw, dict):
        return None
    target = _timestamp(raw.get("id"))
    return Quote(target, _aci(raw.get("authorUuid"))) if target is not None else None
