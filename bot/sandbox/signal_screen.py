"""The sandbox's Signal phone: a person on the fake signal-cli daemon, as the page shows them.

The daemon records what the bot sent to the phone; this screen adds what the person wrote
(the daemon keeps only timestamps of it), so the page can draw both sides of the chat.
Signal has no buttons: the bot's choices arrive as numbered lists, answered by typing the
number; a reply is a quote, an edit targets the latest revision, a delete is for everyone.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field

from bot.sandbox.fake_signal import BotMessage, SignalPhone


@dataclass
class Written:
    """A message the person wrote from this phone."""

    timestamp: int
    text: str | None
    photo: bytes | None = None
    quote: int | None = None
    edited: bool = False
    deleted: bool = False


@dataclass
class SignalScreen:
    slot: str
    phone: SignalPhone
    language: str = "fr"
    written: list[Written] = field(default_factory=list)
    _sizes: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def started(self) -> bool:
        return bool(self.written)

    def _own(self, timestamp: int) -> Written | None:
        return next((w for w in self.written if w.timestamp == timestamp and not w.deleted), None)

    # ------------------------------------------------------------ as the person
    async def send(self, text: str, *, quote: int | None = None) -> int:
        """Type a message (a reply quotes a bot message by its timestamp)."""
        if quote is not None and (self.phone.aci, quote) not in self.phone.daemon.sent:
            quote = None  # a quote of nothing the bot sent is a plain message
        timestamp = await self.phone.send(text, quote=quote)
        self.written.append(Written(timestamp, text, quote=quote))
        return timestamp

    async def send_photo(self, data: bytes, caption: str | None = None) -> int:
        timestamp = await self.phone.send_photo(data, caption)
        self.written.append(Written(timestamp, caption, photo=data))
        return timestamp

    async def edit(self, timestamp: int, text: str) -> bool:
        own = self._own(timestamp)
        if own is None or not text.strip():
            return False
        await self.phone.edit(timestamp, text)
        own.text, own.edited = text, True
        return True

    async def delete(self, timestamp: int) -> bool:
        """Delete for everyone (Signal tells the bot, which takes the copies down)."""
        own = self._own(timestamp)
        if own is None:
            return False
        await self.phone.delete(timestamp)
        own.deleted = True
        return True

    # ----------------------------------------------------------------- reading
    def file(self, timestamp: int) -> bytes | None:
        """The picture of a message on this screen (the bot's or the person's)."""
        message = self.phone.daemon.sent.get((self.phone.aci, timestamp))
        if message is not None and not message.deleted and message.recipient == self.phone.aci:
            return next((data for mime, data in message.attachments if mime.startswith("image/")), None)
        own = self._own(timestamp)
        return own.photo if own is not None else None

    def _size(self, timestamp: int, data: bytes) -> tuple[int, int]:
        if timestamp not in self._sizes:
            from PIL import Image

            try:
                self._sizes[timestamp] = Image.open(io.BytesIO(data)).size
            except Exception:  # not a picture the page can size: let the browser do it
                self._sizes[timestamp] = (0, 0)
        return self._sizes[timestamp]

    def _quoted(self, timestamp: int) -> dict:
        message = self.phone.daemon.sent.get((self.phone.aci, timestamp))
        own = self._own(timestamp)
        text = message.text if message is not None else (own.text if own is not None else None)
        return {"id": timestamp, "text": (text or "…")[:80]}

    def _bot_view(self, message: BotMessage) -> dict:
        view: dict[str, object] = {
            "id": message.timestamp,
            "mine": False,
            "text": message.text or None,
            "caption": None,
            "bold": [],
            "edited": bool(message.revisions),
            "protected": False,
            "buttons": [],
        }
        picture = next((data for mime, data in message.attachments if mime.startswith("image/")), None)
        if picture is not None:
            view.update(kind="photo", file=f"/api/{self.slot}/file/{message.timestamp}")
            view["width"], view["height"] = self._size(message.timestamp, picture)
        elif message.attachments:
            view["kind"] = "document"
            view["file_name"] = "document"
        if message.quote is not None:
            view["reply_to"] = self._quoted(message.quote[0])
        return view

    def _own_view(self, own: Written) -> dict:
        view: dict[str, object] = {
            "id": own.timestamp,
            "mine": True,
            "text": own.text,
            "caption": None,
            "bold": [],
            "edited": own.edited,
            "protected": False,
            "buttons": [],
        }
        if own.photo is not None:
            view.update(kind="photo", file=f"/api/{self.slot}/file/{own.timestamp}")
            view["width"], view["height"] = self._size(own.timestamp, own.photo)
        if own.quote is not None:
            view["reply_to"] = self._quoted(own.quote)
        return view

    def messages(self) -> list[dict]:
        """Both sides of the chat in the order they were sent (timestamps strictly increase)."""
        chat = [self._bot_view(m) for m in self.phone.received()]
        chat += [self._own_view(w) for w in self.written if not w.deleted]
        chat.sort(key=lambda m: m["id"])
        return chat
