"""The real `entraide run` code path (`bot.telegram.runner.serve`) polling the fake Bot API on 127.0.0.1."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys

from bot.core.buttons import plain
from bot.core.config import Config
from bot.sandbox.fake_telegram import FakeTelegram
from bot.sandbox.transport import FakeServer
from bot.telegram.runner import serve
from tests.support.onboarding import onboard


class LiveBot:
    """The fake served on 127.0.0.1 and `bot.telegram.runner.serve` (what `entraide run` calls)."""

    def __init__(self, data_dir, **options):
        self.options = options  # Config tuning (e.g. startup_backoff)
        self.api = FakeTelegram()
        self.server = FakeServer(self.api)
        self.data_dir = data_dir
        self.task = None

    async def start(self):
        if self.server._runner is None:
            await self.server.start()
        self.config = Config(
            token=self.api.token,
            api_url=self.server.base_url,
            unlink_window=2,
            data_dir=self.data_dir,
            poll_timeout=1,
            **self.options,
        )
        self.stop_event = asyncio.Event()
        calls = self.api.counts["getUpdates"]
        self.task = asyncio.create_task(serve(self.config, self.stop_event, on_ready=self._ready))
        await wait(lambda: self.api.counts["getUpdates"] > calls or self.task.done())
        return self

    def _ready(self, app):
        self.app = app

    @property
    def services(self):
        from bot.telegram.context import SERVICES_KEY

        return self.app.bot_data[SERVICES_KEY]

    async def stop(self):
        self.stop_event.set()
        await asyncio.wait_for(self.task, 20)

    async def cli(self, *args):
        proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.cli",
            *args,
            env={
                **os.environ,
                "TELEGRAM_BOT_TOKEN": self.api.token,
                "LC_ALL": "",
                "LC_MESSAGES": "",
                "LANG": "C.UTF-8",
                "ENTRAIDE_DATA_DIR": str(self.data_dir),
                "TELEGRAM_API_URL": self.server.base_url,
            },
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        return proc.returncode, out.decode(), err.decode()


async def wait(predicate, timeout=10.0):
    async def loop():
        while not predicate():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(loop(), timeout)


async def press_when_shown(phone, data):
    """Press the button meaning `data` (sealed by the bot, or `data` with a token after it)."""

    def shown(p):
        if not p.received():
            return None
        message = p.last()
        found = next(
            (b[1] for b in p.buttons(message) if b[1] and (plain(b[1]) == data or plain(b[1]).startswith(data + ":"))),
            None,
        )
        return (message, found) if found else None

    message, found = await phone.wait_for(shown)
    await phone.press(message, found)


NAMES = ["Alice", "Bruno", "Chloé", "Dany", "Émile"]


async def setup_room(live, count=5, theme="Stress et argent", capacity=8):
    api = live.api
    code, out, err = await live.cli("invite", "--bot-username", "entraide_test_bot")
    assert code == 0, err
    fac = api.phone(5_400_000_099, "Fatou", username="fatou_anim")
    await onboard(fac, "fr")
    await fac.start(out.strip().split("=", 1)[1])
    await fac.wait_text("Tu fais maintenant partie")
    await fac.command("ouvrir", f"{theme} | entre nous | {capacity}")
    room = re.search(r"Salle n°\s(\d+)", (await fac.wait_text("Salle n°"))["text"]).group(1)
    phones = []
    for index in range(count):
        name = (NAMES + [f"Membre{i}" for i in range(20)])[index]
        phone = api.phone(5_400_000_001 + index * 1_013, name, username=f"user_{index}_x")
        await onboard(phone, "fr")
        await phone.command("rejoindre", room)
        await phone.wait_text("Bienvenue dans")
        phones.append(phone)
    return fac, room, phones


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
