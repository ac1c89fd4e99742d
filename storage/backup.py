"""Online backups with SQLite's backup API: same encryption, same key, few and short-lived."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import sqlcipher3

from storage.database import DB_NAME, _open_sqlcipher

BACKUP_DIR = "backups"
KEEP = 3
MAX_AGE_DAYS = 7


def backup(data_dir: Path, file_key: bytes, progress: Callable[[int, int], None] | None = None) -> Path:
    """Copy the live database, page by page, into an encrypted file under backups/."""
    folder = data_dir / BACKUP_DIR
    folder.mkdir(mode=0o700, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    target = folder / f"entraide-{stamp}.db"
    partial = target.with_suffix(".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.close(fd)
    source = _open_sqlcipher(data_dir / DB_NAME, file_key)
    destination = sqlcipher3.connect(str(partial))
    try:
        destination.execute(f"PRAGMA key = \"x'{file_key.hex()}'\"")

        def step(status: int, remaining: int, total: int) -> None:
            if progress:
                progress(total - remaining, total)

        source.backup(destination, pages=64, progress=step)
        destination.execute("PRAGMA journal_mode = DELETE")
    finally:
        destination.close()
        source.close()
    os.replace(partial, target)
    return target


def prune(data_dir: Path, now: float | None = None) -> list[Path]:
    """Keep the newest few backups, none older than a week; returns what was removed."""
    folder = data_dir / BACKUP_DIR
    if not folder.exists():
        return []
    now = now or time.time()
    files = sorted(folder.glob("entraide-*.db"), key=lambda p: p.stat().st_mtime, reverse=True)
    removed = []
    for index, path in enumerate(files):
        if index >= KEEP or now - path.stat().st_mtime > MAX_AGE_DAYS * 86400:
            path.unlink()
            removed.append(path)
    return removed
