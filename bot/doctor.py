"""`entraide doctor`: configuration, key file, schema and database check — no secrets shown."""

from __future__ import annotations

import stat
from urllib.parse import urlsplit

from bot.config import Config
from storage.database import (
    DB_NAME, KEY_FILE_NAME, LATEST_SCHEMA, Database, StorageError, key_file_mode,
    resolve_master_key,
)


async def diagnose(config: Config) -> tuple[list[str], bool]:
    healthy = True
    lines = [
        "entraide doctor",
        f"  TELEGRAM_BOT_TOKEN: {'set (hidden)' if config.token else 'not set: entraide run starts the sandbox'}",
        f"  TELEGRAM_API_URL:   {urlsplit(config.api_url).scheme}://{urlsplit(config.api_url).netloc}",
        f"  ENTRAIDE_DATA_DIR:  {config.data_dir.resolve()}",
        f"  ENTRAIDE_TZ:        {config.tz}",
        f"  master key:         {'ENTRAIDE_MASTER_KEY (hidden)' if config.master_key else KEY_FILE_NAME + ' in the data directory'}",
    ]
    mode = key_file_mode(config.data_dir)
    if not config.master_key:
        if mode is None:
            lines.append("  key file:           none yet (created on first run, mode 0600)")
        elif mode & 0o077:
            lines.append(f"  key file:           PROBLEM: mode {oct(mode)}, should be 0o600 (chmod 600)")
            healthy = False
        else:
            lines.append(f"  key file:           ok (mode {oct(mode)})")
        if mode is not None:
            # Not unhealthy, but worth acting on: one copy of the folder holds lock and key.
            lines.append("  key file:           WARNING: it sits beside the database and its backups: "
                         "whoever copies this folder (or a backup of the volume) can read everything. "
                         "Keep the key apart: ENTRAIDE_MASTER_KEY from a secret store (README, Deploy), "
                         "then remove the file.")
    elif mode is not None:
        lines.append("  key file:           WARNING: ENTRAIDE_MASTER_KEY is set but a key file is still in "
                     "the data directory, beside the database: remove it once the key is kept elsewhere.")
    database = config.data_dir / DB_NAME
    if database.exists() and stat.S_IMODE(database.stat().st_mode) & 0o077:
        lines.append(f"  database file:      PROBLEM: mode {oct(stat.S_IMODE(database.stat().st_mode))}, "
                     "should be 0o600 (chmod 600 on entraide.db and its -wal and -shm files)")
        healthy = False
    if not (config.data_dir / DB_NAME).exists():
        lines.append("  database:           none yet (created on first run)")
        return lines, healthy
    try:
        key = resolve_master_key(config.data_dir, config.master_key, create=False)
        db = await Database.open(config.data_dir, key)
    except StorageError as error:
        lines.append(f"  database:           PROBLEM: {error}")
        return lines, False
    try:
        version = await db.schema_version()
        check = await db.integrity_check()
        lines.append(f"  schema version:     {version} (latest {LATEST_SCHEMA})")
        lines.append(f"  database check:     {check}")
        healthy = healthy and check == "ok" and version == LATEST_SCHEMA
    finally:
        await db.close()
    return lines, healthy
