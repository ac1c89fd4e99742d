"""The local sandbox: the fake Bot API and the fake signal-cli daemon on 127.0.0.1, the real
bot against both (same code path as production: one router, Telegram and Signal), and a web
page with four simulated Telegram phones and one Signal phone, all able to share a room.
Nothing reaches Telegram or Signal.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from telegram.ext import Application

from bot.core.config import Config
from bot.sandbox.fake_signal import FakeSignal
from bot.sandbox.fake_telegram import FakeTelegram, Phone
from bot.sandbox.signal_screen import SignalScreen
from bot.sandbox.transport import FakeServer
from bot.telegram.context import SERVICES_KEY

if TYPE_CHECKING:
    from bot.core.i18n import Translator
    from bot.services import Services

SANDBOX_BOT_USERNAME = "entraide_sandbox_bot"
SANDBOX_SIGNAL_NUMBER = "+15550100123"  # the fake daemon's account: a 555-01xx number, fictional
log = logging.getLogger("entraide.sandbox")

# Three members and one facilitator. Their ids and names stay inside the fake: the page
# shows each phone only its own chat, and the bot never sees more than Telegram would send.
PEOPLE = (
    ("alice", "Alice", "fr", False),
    ("bruno", "Bruno", "en", False),
    ("chloe", "Chloé", "fr", False),
    ("fatou", "Fatou", "fr", True),
)
# One member on Signal: numbered choices instead of buttons, answered by typing the number.
SIGNAL_PERSON = ("samir", "Samir", "fr")


class Sandbox:
    def __init__(self, data_dir: Path, port: int = 8765, *, demo: bool = False, demo_pause: float = 1.2) -> None:
        self.data_dir = data_dir
        self.demo = demo
        self.demo_pause = demo_pause
        self.demo_task: asyncio.Task | None = None
        self.demo_plays = 0
        self._demo_due = demo  # play at the next start: the first one, or after « Rejouer »
        self._page_seen = asyncio.Event()  # a page connected: the demo has someone to play for
        self.api = self._new_api()
        self.server = FakeServer(self.api, port=port)
        self.phones: dict[str, Phone] = {}
        self.daemon = FakeSignal(SANDBOX_SIGNAL_NUMBER, receive_mode="manual")
        self.daemon_address: tuple[str, int] | None = None
        self.signal_slot = SIGNAL_PERSON[0]
        self.signal: SignalScreen | None = None
        self._relay_task: asyncio.Task | None = None
        self.facilitator_slot = next(slot for slot, *_rest, fac in PEOPLE if fac)
        self.invite_code: str | None = None
        self.app: Application | None = None
        self._reset = asyncio.Event()
        self.language = "fr"
        self.translator: Translator | None = None
        from bot.sandbox.web import attach

        attach(self)

    @staticmethod
    def _new_api() -> FakeTelegram:
        token = f"{1_000_000 + secrets.randbelow(9_000_000)}:sandbox-{secrets.token_hex(12)}"
        return FakeTelegram(token, username=SANDBOX_BOT_USERNAME)

    def _make_phones(self) -> None:
        self.phones = {}
        for index, (slot, name, language, _fac) in enumerate(PEOPLE):
            self.phones[slot] = self.api.phone(
                6_100_000_000 + index * 7_777 + secrets.randbelow(1000), name, language_code=language
            )
        slot, name, language = SIGNAL_PERSON
        self.daemon.phones.clear()
        self.daemon.sent.clear()
        self.daemon.attachments.clear()
        self.signal = SignalScreen(slot, self.daemon.phone(name), language)

    @property
    def url(self) -> str:
        return f"http://{self.server.host}:{self.server.port}/"

    async def start(self) -> None:
        # Every run starts clean: the phones are new, so members kept from an earlier run
        # would be ghosts holding seats that nobody on the page can ever use.
        self._clear_data()
        self._make_phones()
        await self.server.start()
        self.daemon_address = await self.daemon.serve()
        self._relay_task = asyncio.create_task(self._relay_signal_changes())

    async def _relay_signal_changes(self) -> None:
        """What the daemon records (a message to the Signal phone) redraws the page too."""
        while True:
            async with self.daemon.changed:
                await self.daemon.changed.wait()
            await self.api.notify()

    def _clear_data(self) -> None:
        shutil.rmtree(self.data_dir, ignore_errors=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)

    async def stop(self) -> None:
        if self._relay_task is not None:
            self._relay_task.cancel()
        await self.daemon.stop()
        await self.server.stop()

    def bot_config(self, config: Config) -> Config:
        return config.with_(
            token=self.api.token,
            api_url=self.server.base_url,
            data_dir=self.data_dir,
            signal_rpc=self.daemon_address,
            signal_account=SANDBOX_SIGNAL_NUMBER,
        )

    def banner(self, say: Callable[..., str]) -> str:
        """What the terminal shows at start, in the operator's language (`say`: bot.cli.say.Say)."""
        host, port = self.daemon_address or ("127.0.0.1", "?")
        return say(
            "sandbox_banner",
            url=self.url,
            api=self.server.base_url,
            daemon=f"{host}:{port}",
            data=self.data_dir.resolve(),
        )

    def request_reset(self, *, replay: bool = False) -> None:
        """« Réinitialiser »: empty phones (the demo plays again only after « Rejouer »)."""
        self._stop_demo()
        self._demo_due = replay and self.demo
        self._reset.set()

    def page_connected(self) -> None:
        """A page opened the event stream: with --demo, the scene starts now (once per run)."""
        self._page_seen.set()

    def replay(self) -> None:
        """« Rejouer »: start over with empty data, and play the scene again."""
        if self.demo:
            self.request_reset(replay=True)

    @property
    def demo_playing(self) -> bool:
        return self._page_seen.is_set() and self.demo_task is not None and not self.demo_task.done()

    def _stop_demo(self) -> None:
        if self.demo_task is not None and not self.demo_task.done():
            self.demo_task.cancel()
        self.demo_task = None

    async def _demo_when_a_page_is_open(self) -> None:
        from bot.sandbox.demo import play

        await self._page_seen.wait()
        self.demo_plays += 1
        await self.api.notify()
        try:
            await play(self)
        finally:
            await self.api.notify()

    async def run(self, config: Config, stop: asyncio.Event) -> None:
        """Run the bot until `stop`; « Réinitialiser » starts over with empty data."""
        from bot.telegram.runner import serve

        while not stop.is_set():
            bot_stop = asyncio.Event()
            ready = asyncio.Event()

            def on_ready(app: Application | Services, ready: asyncio.Event = ready) -> None:
                assert isinstance(app, Application)  # the sandbox is the Telegram side
                self.app = app
                ready.set()

            task = asyncio.create_task(serve(self.bot_config(config), bot_stop, on_ready=on_ready))
            await asyncio.wait([task, asyncio.create_task(ready.wait())], return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                task.result()  # surfaces a start-up failure
            await self._after_start()
            waiters = [asyncio.create_task(stop.wait()), asyncio.create_task(self._reset.wait())]
            await asyncio.wait(waiters + [task], return_when=asyncio.FIRST_COMPLETED)
            for waiter in waiters:
                waiter.cancel()
            self._stop_demo()
            bot_stop.set()
            await task
            self.app = None
            if self._reset.is_set() and not stop.is_set():
                self._reset.clear()
                await self._wipe()

    async def _after_start(self) -> None:
        assert self.app is not None, "called once the bot is ready"
        services = self.app.bot_data[SERVICES_KEY]
        code = await services.invites.create()
        if self._demo_due:
            self._demo_due = False
            self.demo_task = asyncio.create_task(self._demo_when_a_page_is_open())
        self.invite_code = code  # the sandbox is ready: the demo, if due, is already decided
        await self.api.notify()

    async def _wipe(self) -> None:
        self.invite_code = None
        self._clear_data()
        self.api.reset()
        self._make_phones()
        await self.api.notify()
