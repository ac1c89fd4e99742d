"""The configuration contract (DESIGN.md): environment variables and their defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TELEGRAM_API = "https://api.telegram.org/bot"
WEBHOOK_LISTEN = "127.0.0.1:8443"
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")


class ConfigError(Exception):
    """A setting is wrong; the message says which and how to fix it."""


def file_url_for(base_url: str) -> str:
    """PTB base_file_url for a base_url: .../bot -> .../file/bot."""
    stripped = base_url.rstrip("/")
    if stripped.endswith("/bot"):
        return stripped[: -len("/bot")] + "/file/bot"
    return stripped + "/file/bot"


def parse_listen(name: str, value: str) -> tuple[str, int]:
    """host:port (an IPv6 host in brackets) -> (host, port)."""
    host, sep, port = value.strip().rpartition(":")
    host = host.strip("[]")
    if not sep or not host or not port.isdigit() or not 0 <= int(port) <= 65535:
        raise ConfigError(f"{name}={value!r} must be host:port, e.g. 127.0.0.1:8443")
    return host, int(port)


def check_contact(value: str) -> str | None:
    """The person in charge of personal information, as members will read it (one line)."""
    contact = " ".join(value.split())
    if len(contact) > 300:
        raise ConfigError(
            "ENTRAIDE_PRIVACY_CONTACT is longer than 300 characters: "
            "a name or title and one way to reach them is enough"
        )
    return contact or None


def check_webhook_url(url: str) -> str:
    """A public https URL; plain http only to this machine (local runs against the fake)."""
    parts = urlsplit(url)
    local = parts.scheme == "http" and parts.hostname in LOCAL_HOSTS
    if not parts.hostname or not (parts.scheme == "https" or local):
        raise ConfigError(
            "ENTRAIDE_WEBHOOK_URL must be a public https:// URL (plain http:// only to 127.0.0.1, for local runs)"
        )
    if parts.query or parts.fragment:
        raise ConfigError("ENTRAIDE_WEBHOOK_URL must not carry a query or a fragment")
    return url


def check_signal_account(value: str) -> str:
    """The bot's Signal number in international form (+ and digits)."""
    number = value.strip().replace(" ", "")
    if not (number.startswith("+") and number[1:].isdigit() and 7 <= len(number) <= 16):
        raise ConfigError("SIGNAL_ACCOUNT must be the bot's Signal number in international form, e.g. +15145550123")
    return number


def masked_number(number: str | None) -> str:
    """A phone number as it may be shown: its last two digits only."""
    if not number:
        return ""
    return "+" + "•" * max(0, len(number) - 3) + number[-2:]


@dataclass(frozen=True)
class Config:
    token: str | None
    api_url: str = TELEGRAM_API
    data_dir: Path = Path("./data")
    master_key: str | None = field(default=None, repr=False)
    tz: str = "America/Montreal"
    webhook_url: str | None = None
    webhook_listen: tuple[str, int] = ("127.0.0.1", 8443)
    metrics_listen: tuple[str, int] | None = None
    privacy_contact: str | None = None
    # signal-cli's JSON-RPC daemon (host, port), and the bot's Signal number (never shown in full).
    signal_rpc: tuple[str, int] | None = None
    signal_account: str | None = field(default=None, repr=False)
    # Tuning (not part of the public contract): AIORateLimiter, flood control.
    overall_max_rate: float = 30.0
    per_chat_interval: float = 1.05
    max_retries: int = 5
    member_messages_per_minute: int = 20
    member_commands_per_minute: int = 20
    member_presses_per_minute: int = 60
    member_edits_per_minute: int = 20
    coalesce_copies: bool = True  # off only where one message per copy is what is measured (bench)
    # Seconds over which one person's events in several rooms (join and leave notices,
    # an erasure's copies) are spread, so their timing does not link the pseudonyms.
    unlink_window: int = 600
    poll_timeout: int = 10
    startup_attempts: int = 4  # getMe at start, before saying the Bot API is unreachable
    startup_backoff: float = 0.5  # seconds, doubled at each attempt (menus too)

    @property
    def webhook_path(self) -> str:
        """The path the local webhook server answers on: the public URL's path."""
        return urlsplit(self.webhook_url or "").path or "/"

    @property
    def signal(self) -> bool:
        """Signal is on (SIGNAL_CLI_RPC is set)."""
        return self.signal_rpc is not None

    @property
    def file_url(self) -> str:
        return file_url_for(self.api_url)

    def with_(self, **changes) -> Config:
        return replace(self, **changes)

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        env = dict(os.environ if env is None else env)
        tz = env.get("ENTRAIDE_TZ") or "America/Montreal"
        try:
            ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ConfigError(f"ENTRAIDE_TZ={tz!r} is not a known time zone") from exc
        api_url = (env.get("TELEGRAM_API_URL") or TELEGRAM_API).rstrip("/")
        if not api_url.startswith(("http://", "https://")):
            raise ConfigError("TELEGRAM_API_URL must start with http:// or https://")
        webhook_url = (env.get("ENTRAIDE_WEBHOOK_URL") or "").strip() or None
        metrics = (env.get("ENTRAIDE_METRICS_LISTEN") or "").strip()
        signal_rpc = (env.get("SIGNAL_CLI_RPC") or "").strip()
        signal_account = (env.get("SIGNAL_ACCOUNT") or "").strip()
        if signal_account and not signal_rpc:
            raise ConfigError(
                "SIGNAL_ACCOUNT is set but SIGNAL_CLI_RPC is not: set both (host:port of signal-cli's daemon)"
            )
        return cls(
            webhook_url=check_webhook_url(webhook_url) if webhook_url else None,
            webhook_listen=parse_listen(
                "ENTRAIDE_WEBHOOK_LISTEN", env.get("ENTRAIDE_WEBHOOK_LISTEN") or WEBHOOK_LISTEN
            ),
            metrics_listen=parse_listen("ENTRAIDE_METRICS_LISTEN", metrics) if metrics else None,
            privacy_contact=check_contact(env.get("ENTRAIDE_PRIVACY_CONTACT") or ""),
            signal_rpc=parse_listen("SIGNAL_CLI_RPC", signal_rpc) if signal_rpc else None,
            signal_account=check_signal_account(signal_account) if signal_account else None,
            token=(env.get("TELEGRAM_BOT_TOKEN") or "").strip() or None,
            api_url=api_url,
            data_dir=Path(env.get("ENTRAIDE_DATA_DIR") or "./data"),
            master_key=env.get("ENTRAIDE_MASTER_KEY") or None,
            tz=tz,
        )
