"""`entraide doctor`: configuration, key file, schema and database check — no secrets shown."""

from __future__ import annotations

import stat
from collections.abc import Callable
from urllib.parse import urlsplit

from bot.core.config import Config, masked_number
from bot.core.errors import DeliveryError
from bot.core.i18n import Translator
from storage.database import (
    DB_NAME,
    KEY_FILE_NAME,
    LATEST_SCHEMA,
    Database,
    StorageError,
    key_file_mode,
    resolve_master_key,
)


async def diagnose(config: Config, say: Callable[..., str] | None = None) -> tuple[list[str], bool]:
    """The report's lines (in the operator's language: `say` looks up `cli.*` keys) and
    whether everything is healthy."""
    if say is None:
        translator = Translator()

        def say(key: str, **params) -> str:
            return translator("en", f"cli.{key}", **params)

    labels = {key: say(f"doctor_{key}") for key in ("master_key", "key_file", "db_file", "database", "schema", "check")}
    width = max(20, *(len(label) + 1 for label in labels.values()))

    def line(label: str, value: str) -> str:
        return f"  {label.ljust(width)}{value}"

    healthy = True
    lines = [
        "entraide doctor",
        line("TELEGRAM_BOT_TOKEN:", say("doctor_token_set") if config.token else say("doctor_token_unset")),
        line("TELEGRAM_API_URL:", f"{urlsplit(config.api_url).scheme}://{urlsplit(config.api_url).netloc}"),
        line("ENTRAIDE_DATA_DIR:", str(config.data_dir.resolve())),
        line("ENTRAIDE_TZ:", config.tz),
        line(
            labels["master_key"],
            say("doctor_master_env") if config.master_key else say("doctor_master_file", file=KEY_FILE_NAME),
        ),
    ]
    signal_lines, signal_healthy = await _signal(config, say)
    lines += [line(label, value) for label, value in signal_lines]
    healthy = healthy and signal_healthy
    mode = key_file_mode(config.data_dir)
    if not config.master_key:
        if mode is None:
            lines.append(line(labels["key_file"], say("doctor_key_none")))
        elif mode & 0o077:
            lines.append(line(labels["key_file"], say("doctor_key_bad_mode", mode=oct(mode))))
            healthy = False
        else:
            lines.append(line(labels["key_file"], say("doctor_key_ok", mode=oct(mode))))
        if mode is not None:
            # Not unhealthy, but worth acting on: one copy of the folder holds lock and key.
            lines.append(line(labels["key_file"], say("doctor_key_beside")))
    elif mode is not None:
        lines.append(line(labels["key_file"], say("doctor_key_env_and_file")))
    database = config.data_dir / DB_NAME
    if database.exists() and stat.S_IMODE(database.stat().st_mode) & 0o077:
        lines.append(
            line(labels["db_file"], say("doctor_db_bad_mode", mode=oct(stat.S_IMODE(database.stat().st_mode))))
        )
        healthy = False
    if not (config.data_dir / DB_NAME).exists():
        lines.append(line(labels["database"], say("doctor_db_none")))
        return lines, healthy
    try:
        key = resolve_master_key(config.data_dir, config.master_key, create=False)
        db = await Database.open(config.data_dir, key)
    except StorageError as error:
        lines.append(line(labels["database"], say("doctor_db_problem", error=error)))
        return lines, False
    try:
        version = await db.schema_version()
        check = await db.integrity_check()
        lines.append(line(labels["schema"], say("doctor_schema_value", version=version, latest=LATEST_SCHEMA)))
        lines.append(line(labels["check"], check))
        healthy = healthy and check == "ok" and version == LATEST_SCHEMA
    finally:
        await db.close()
    return lines, healthy


async def _signal(config: Config, say: Callable[..., str]) -> tuple[list[tuple[str, str]], bool]:
    """SIGNAL_CLI_RPC and SIGNAL_ACCOUNT: the daemon is asked its `version` (the account's
    number is shown by its last two digits only)."""
    if config.signal_rpc is None:
        return [("SIGNAL_CLI_RPC:", say("doctor_signal_unset"))], True
    from bot.signal.results import RpcError
    from bot.signal.rpc import Backoff, SignalRpc

    host, port = config.signal_rpc
    address = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    client = SignalRpc(host, port, timeout=5.0, connect_wait=3.0, backoff=Backoff(initial=0.2, maximum=1.0))
    try:
        await client.start(wait=3.0)
        version = await client.version()
        answer, healthy = say("doctor_signal_ok", version=version), True
    except (DeliveryError, RpcError):
        answer, healthy = say("doctor_signal_down", address=address), False
    finally:
        await client.close()
    account = (
        say("doctor_signal_account", number=masked_number(config.signal_account))
        if config.signal_account
        else say("doctor_signal_account_unset")
    )
    return [("SIGNAL_CLI_RPC:", answer), ("SIGNAL_ACCOUNT:", account)], healthy
