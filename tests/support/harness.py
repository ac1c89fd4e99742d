"""Drive the real Application in-process over the fake Bot API (no sockets, no sleeping)."""

from __future__ import annotations

import asyncio
import io

from PIL import Image
from telegram import Update

from bot.core.buttons import plain as unsealed
from bot.core.clock import FixedClock
from bot.core.config import Config
from bot.ports.scheduler import ManualScheduler
from bot.sandbox.fake_telegram import FakeTelegram, Phone
from bot.sandbox.transport import FakeRequest
from bot.telegram.adapter import publish_menus
from bot.telegram.app import build_application
from bot.telegram.context import SERVICES_KEY
from locales.typography import plain
from storage.database import Database, resolve_master_key
from tests.support.onboarding import onboard

START = 1_795_000_000.0  # a Wednesday in November 2026


class SealedPhone(Phone):
    """A phone as a test reads it: buttons show the data the bot meant (`rp:spam:3`,
    without the seal that makes it valid only in this chat), and pressing one by that
    data sends it as shown, seal included; a token after it (`fg:yes:<token>`) need not
    be named. `forge=True` sends exactly the data given."""

    def buttons(self, message=None):
        return [
            (label, unsealed(data) if data and "://" not in data else data) for label, data in super().buttons(message)
        ]

    async def press(self, message, data=None, *, label=None, forge=False):
        if data is not None and not forge:
            if isinstance(message, int):
                message = self.api.messages[(self.user_id, message)]
            shown = [
                b.get("callback_data")
                for row in message.get("reply_markup", {}).get("inline_keyboard", [])
                for b in row
                if b.get("callback_data")
            ]
            data = (
                next((d for d in shown if d == data), None)
                or next((d for d in shown if unsealed(d) == data), None)
                or next((d for d in shown if unsealed(d).startswith(data + ":")), data)
            )
        return await super().press(message, data, label=label, forge=forge)


def shown_data(phone, message: dict) -> list[str]:
    """The callback data exactly as the bot put it on a message (seals included)."""
    return [
        b["callback_data"]
        for row in message.get("reply_markup", {}).get("inline_keyboard", [])
        for b in row
        if b.get("callback_data")
    ]


class Harness:
    def __init__(self, data_dir, clock: FixedClock | None = None) -> None:
        self.data_dir = data_dir
        self.clock = clock or FixedClock(START)
        self.api = FakeTelegram(clock=self.clock.now)
        self.config = Config(
            token=self.api.token,
            api_url="http://fake.invalid/bot",
            data_dir=data_dir,
            max_retries=5,
            overall_max_rate=0,
            per_chat_interval=0,
        )
        self._next_user = 5_100_000_001
        self.build_options: dict = {}  # more for build_application (e.g. capabilities=...)

    async def start(self) -> Harness:
        self.db = await Database.open(self.data_dir, resolve_master_key(self.data_dir, None))
        self.scheduler = ManualScheduler()
        self.app = build_application(
            self.config,
            self.db,
            clock=self.clock,
            request=FakeRequest(self.api),
            scheduler=self.scheduler,
            **self.build_options,
        )
        await self.app.initialize()
        self.services = self.app.bot_data[SERVICES_KEY]
        await publish_menus(self.app.bot, self.services.t)
        await self.services.resume()  # as bot.telegram.runner.start_bot does
        return self

    async def tick(self, seconds: float = 0) -> None:
        """Move the clock, running every job that became due at its own time, then deliver."""
        target = self.clock.now() + seconds

        def move(when: float) -> None:
            self.clock.current = max(self.clock.current, when)

        await self.scheduler.run_due(target, move, after=lambda: self.services.delivery.drain(10))
        self.clock.current = target
        await self.pump()

    async def restart(self) -> None:
        """Stop and start again on the same data directory (jobs and memory are lost)."""
        await self.stop()
        await self.start()

    async def stop(self) -> None:
        await self.services.privacy.take_down_waiting()  # as bot.telegram.runner.stop_bot does
        await self.services.delivery.drain(5)
        await self.app.shutdown()
        await self.db.close()

    def phone(self, first_name: str, *, username: str | None = None, language_code: str = "fr") -> Phone:
        user_id = self._next_user
        self._next_user += 7_919
        phone = SealedPhone(self.api, user_id, first_name, username, language_code)
        self.api.phones[user_id] = phone
        return phone

    async def process(self) -> None:
        """Process pending updates without waiting for deliveries (they go on concurrently).

        As PTB's update fetcher does: each update is handed to the application's update
        processor as its own task, in arrival order (one chat's in order, chats at once)."""
        tasks = []
        while self.api._updates:
            update = Update.de_json(self.api._updates.popleft(), self.app.bot)
            tasks.append(
                asyncio.create_task(self.app.update_processor.process_update(update, self.app.process_update(update)))
            )
        if tasks:
            await asyncio.gather(*tasks)

    async def pump(self) -> None:
        """Process every pending update, then wait until every delivery is done."""
        while True:
            await self.process()
            await self.services.delivery.drain(10)
            if not self.api._updates:
                return

    async def onboard(self, phone: Phone, locale: str = "fr", consents: tuple[int, ...] = ()) -> None:
        await onboard(phone, locale, consents=consents, settle=self.pump)

    async def make_facilitator(self, phone: Phone, locale: str = "fr") -> None:
        code = await self.services.invites.create()
        await self.onboard(phone, locale)
        await phone.start(code)
        await self.pump()

    async def say(self, phone: Phone, text: str, reply_to: int | None = None) -> dict:
        message = await phone.send(text, reply_to=reply_to)
        await self.pump()
        return message

    async def cmd(self, phone: Phone, name: str, args: str = "", reply_to: int | None = None) -> dict:
        message = await phone.command(name, args, reply_to=reply_to)
        await self.pump()
        return message


def jpeg_with_gps() -> bytes:
    """A small JPEG carrying EXIF with a GPS block and a camera model."""
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x0110] = "SecretCam 3000"  # Model
    exif[0x8825] = {1: "N", 2: (45.0, 30.0, 0.0), 3: "W", 4: (73.0, 34.0, 0.0)}  # GPSInfo
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def has_exif(data: bytes) -> bool:
    with Image.open(io.BytesIO(data)) as image:
        return bool(image.getexif()) or "exif" in image.info


def relayed_lines(phone, fragment: str) -> list[str]:
    """Relayed lines containing `fragment`, in order, whether or not they were coalesced
    (with ordinary spaces: the bot's « Pseudonyme : » has a no-break space)."""
    return [line for text in phone.texts() for line in plain(text).split("\n") if fragment in line]
