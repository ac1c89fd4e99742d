"""One transport for the core over several messengers: mixed rooms.

`TransportRouter` holds the adapters by name (Telegram, Signal...) and sends every
operation to the adapter of the chat or message it concerns (`ChatRef.transport`). What
can be done is asked per chat (`capabilities_for`): in a mixed room one member reads a
4096-unit message with buttons and another 2000 bytes with numbered choices. The core
gets the router as its one transport (inside `NumberedChoices`, which numbers choices
for the chats whose transport has no buttons).

A member's media goes to someone on another messenger by its bytes: fetched from the
author's transport, then sent as a photo (already re-encoded by the relay), or handed to
the target adapter's `relay_bytes` when it has one (Signal); a Telegram reader gets other
media as a file. A chat of a transport that is not running (Signal turned off since a
member joined through it) is `Unreachable`, never a crash.

`capabilities` (the port's global attribute) is the first adapter's, for code that asks
without a chat; everything that concerns a recipient asks `capabilities_for(chat)`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.core import errors
from bot.core.filetypes import content_type
from bot.core.text import Entity, Styled
from bot.ports.capabilities import Capabilities
from bot.ports.refs import ChatRef, Media, MessageRef
from bot.ports.transport import Keyboard, Sent, Transport

ROUTER = "router"
_NAMES = {"image/jpeg": "photo.jpg", "image/png": "photo.png", "audio/ogg": "voice.ogg", "audio/aac": "voice.aac"}


class TransportRouter:
    def __init__(self, adapters: Mapping[str, Transport], name: str = ROUTER) -> None:
        if not adapters:
            raise ValueError("a router needs at least one transport")
        self.adapters: dict[str, Transport] = dict(adapters)
        for key, adapter in self.adapters.items():
            if adapter.name != key:
                raise ValueError("each transport is given under its own name")
        self.name = name
        self.capabilities: Capabilities = next(iter(self.adapters.values())).capabilities

    def _for(self, transport: str) -> Transport:
        adapter = self.adapters.get(transport)
        if adapter is None:
            raise errors.Unreachable("that messenger is not running")
        return adapter

    def capabilities_for(self, chat: ChatRef) -> Capabilities:
        adapter = self.adapters.get(chat.transport)
        return adapter.capabilities_for(chat) if adapter is not None else self.capabilities

    async def _bytes_of(self, media: Media) -> bytes:
        return await self._for(media.transport).fetch_attachment(media)

    # ------------------------------------------------------------------ sending
    async def send(
        self,
        chat: ChatRef,
        text: str,
        *,
        buttons: Keyboard | None = None,
        reply_to: MessageRef | None = None,
        protect: bool = False,
        entities: Sequence[Entity] = (),
    ) -> Sent:
        return await self._for(chat.transport).send(
            chat, text, buttons=buttons, reply_to=reply_to, protect=protect, entities=entities
        )

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
        if isinstance(photo, Media) and photo.transport != chat.transport:
            photo = await self._bytes_of(photo)  # another messenger's handle means nothing here
        return await self._for(chat.transport).send_photo(
            chat, photo, caption=caption, reply_to=reply_to, protect=protect, entities=entities
        )

    async def send_document(self, chat: ChatRef, data: bytes, filename: str, *, caption: str | None = None) -> Sent:
        return await self._for(chat.transport).send_document(chat, data, filename, caption=caption)

    async def relay_media(
        self,
        chat: ChatRef,
        media: Media,
        *,
        caption: str | None = None,
        reply_to: MessageRef | None = None,
        protect: bool = False,
        entities: Sequence[Entity] = (),
    ) -> Sent:
        target = self._for(chat.transport)
        if media.transport == chat.transport:
            return await target.relay_media(
                chat, media, caption=caption, reply_to=reply_to, protect=protect, entities=entities
            )
        data = await self._bytes_of(media)
        kind = content_type(data)
        relay_bytes = getattr(target, "relay_bytes", None)
        if relay_bytes is not None:
            return await relay_bytes(chat, data, kind, caption=caption, reply_to=reply_to, entities=entities)
        if kind.startswith("image/") and kind != "image/gif":
            from bot.services.media import strip_photo

            try:
                clean = strip_photo(data)
            except errors.Refusal:
                raise errors.Rejected("an unreadable image") from None
            return await target.send_photo(
                chat, clean, caption=caption, reply_to=reply_to, protect=protect, entities=entities
            )
        name = _NAMES.get(kind, "fichier" + ("." + kind.split("/")[-1] if "/" in kind else ""))
        return await target.send_document(chat, data, name, caption=caption)

    # ------------------------------------------------------------------ changing what was sent
    async def edit(
        self, message: MessageRef, text: str, *, buttons: Keyboard | None = None, entities: Sequence[Entity] = ()
    ) -> None:
        await self._for(message.transport).edit(message, text, buttons=buttons, entities=entities)

    async def edit_caption(self, message: MessageRef, caption: str | None, *, entities: Sequence[Entity] = ()) -> None:
        await self._for(message.transport).edit_caption(message, caption, entities=entities)

    async def recall(self, message: MessageRef) -> Styled | None:
        return await self._for(message.transport).recall(message)

    async def delete(self, message: MessageRef) -> None:
        await self._for(message.transport).delete(message)

    # ------------------------------------------------------------------ the rest
    async def acknowledge(self, press: str | None, notice: str | None = None, *, alert: bool = False) -> None:
        """A press id does not say its messenger: only those with buttons have presses, and
        each ignores an id that is not its own (numbered answers never get here)."""
        if press is None:
            return
        for adapter in self.adapters.values():
            if adapter.capabilities.buttons:
                await adapter.acknowledge(press, notice, alert=alert)

    async def fetch_attachment(self, media: Media) -> bytes:
        return await self._bytes_of(media)

    async def ping(self) -> bool:
        """Every messenger answers (the first failure is raised)."""
        for adapter in self.adapters.values():
            await adapter.ping()
        return True
