"""The transport of an operator command: the services as the bot assembles them, no messenger.

`entraide invite` and other verbs that only change stored data build the services through
the one composition root (`Services.build`) like the running bot does; no messenger runs
in their process, so whatever would reach a person says that person cannot be reached
(`Unreachable`, which the core already handles), and nothing is ever sent.
"""

from __future__ import annotations

from typing import NoReturn

from bot.core import errors
from bot.ports.capabilities import Capabilities
from bot.ports.refs import ChatRef

OFFLINE = Capabilities("offline", buttons=False, text_limit=4096, caption_limit=1024)


class NoMessenger:
    name = "offline"
    capabilities = OFFLINE

    def capabilities_for(self, chat: ChatRef) -> Capabilities:
        return OFFLINE

    @staticmethod
    def _nobody() -> NoReturn:
        raise errors.Unreachable("no messenger runs in an operator command")

    async def send(self, chat, text, **_options) -> NoReturn:
        self._nobody()

    async def send_photo(self, chat, photo, **_options) -> NoReturn:
        self._nobody()

    async def send_document(self, chat, data, filename, **_options) -> NoReturn:
        self._nobody()

    async def relay_media(self, chat, media, **_options) -> NoReturn:
        self._nobody()

    async def edit(self, message, text, **_options) -> NoReturn:
        self._nobody()

    async def edit_caption(self, message, caption, **_options) -> NoReturn:
        self._nobody()

    async def recall(self, message) -> None:
        return None

    async def delete(self, message) -> NoReturn:
        self._nobody()

    async def acknowledge(self, press, notice=None, **_options) -> None:
        return None

    async def fetch_attachment(self, media) -> NoReturn:
        self._nobody()

    async def ping(self) -> NoReturn:
        self._nobody()
