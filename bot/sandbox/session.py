"""The local sandbox: the fake Bot API on 127.0.0.1 and the real bot against it."""

from __future__ import annotations

import secrets
from pathlib import Path

from bot.config import Config
from bot.sandbox.fake_telegram import FakeTelegram
from bot.sandbox.transport import FakeServer

SANDBOX_BOT_USERNAME = "entraide_sandbox_bot"


class Sandbox:
    def __init__(self, data_dir: Path, port: int = 8765) -> None:
        self.data_dir = data_dir
        self.api = FakeTelegram(f"{1_000_000 + secrets.randbelow(9_000_000)}:sandbox-{secrets.token_hex(12)}",
                                username=SANDBOX_BOT_USERNAME)
        self.server = FakeServer(self.api, port=port)

    async def start(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        await self.server.start()

    async def stop(self) -> None:
        await self.server.stop()

    def bot_config(self, config: Config) -> Config:
        return config.with_(token=self.api.token, api_url=self.server.base_url, data_dir=self.data_dir)

    def banner(self) -> str:
        return (
            "Bac à sable entraide : rien n'est envoyé à Telegram. / entraide sandbox: nothing reaches Telegram.\n"
            f"  fake Bot API: http://{self.server.host}:{self.server.port}/bot<token>/<method>\n"
            f"  data: {self.data_dir.resolve()}\n"
            "  Ctrl+C to stop."
        )
