"""The configuration contract (DESIGN.md): environment variables and their defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TELEGRAM_API = "https://api.telegram.org/bot"


class ConfigError(Exception):
    """A setting is wrong; the message says which and how to fix it."""


def file_url_for(base_url: str) -> str:
    """PTB base_file_url for a base_url: .../bot -> .../file/bot."""
    stripped = base_url.rstrip("/")
    if stripped.endswith("/bot"):
        return stripped[: -len("/bot")] + "/file/bot"
    return stripped + "/file/bot"


@dataclass(frozen=True)
class Config:
    token: str | None
    api_url: str = TELEGRAM_API
    data_dir: Path = Path("./data")
    master_key: str | None = field(default=None, repr=False)
    tz: str = "America/Montreal"
    # Tuning (not part of the public contract): AIORateLimiter, flood control.
    overall_max_rate: float = 30.0
    per_chat_interval: float = 1.05
    max_retries: int = 5
    member_messages_per_minute: int = 20
    poll_timeout: int = 10

    @property
    def file_url(self) -> str:
        return file_url_for(self.api_url)

    def with_(self, **changes) -> "Config":
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> "Config":
        env = dict(os.environ if env is None else env)
        tz = env.get("ENTRAIDE_TZ") or "America/Montreal"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"ENTRAIDE_TZ={tz!r} is not a known time zone") from exc
        api_url = (env.get("TELEGRAM_API_URL") or TELEGRAM_API).rstrip("/")
        if not api_url.startswith(("http://", "https://")):
            raise ConfigError("TELEGRAM_API_URL must start with http:// or https://")
        return cls(
            token=(env.get("TELEGRAM_BOT_TOKEN") or "").strip() or None,
            api_url=api_url,
            data_dir=Path(env.get("ENTRAIDE_DATA_DIR") or "./data"),
            master_key=env.get("ENTRAIDE_MASTER_KEY") or None,
            tz=tz,
        )
