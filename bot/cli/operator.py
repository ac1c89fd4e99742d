"""Operator tasks behind the CLI: backups, key rotation, the incident register."""

from __future__ import annotations

import asyncio
import sys
from datetime import date

from tqdm import tqdm

from bot.core.clock import Clock
from bot.core.config import Config
from storage.backup import backup, prune
from storage.crypto import KeyRing
from storage.database import Database, resolve_master_key
from storage.incidents import Incident
from storage.rotation import RotationResult, rotate


def _progress(description: str):
    bar = tqdm(total=0, desc=description, unit="page", file=sys.stderr, leave=True)

    def update(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()

    return bar, update


def make_backup(config: Config) -> tuple[str, list[str]]:
    """An encrypted online backup under data/backups, with a progress bar; prunes old ones."""
    key = resolve_master_key(config.data_dir, config.master_key, create=False)
    asyncio.run(_check_opens(config, key))
    bar, update = _progress("backup")
    try:
        path = backup(config.data_dir, KeyRing(key).file_key, update)
    finally:
        bar.close()
    removed = prune(config.data_dir)
    return str(path), [str(p) for p in removed if p != path]


async def _check_opens(config: Config, key: bytes) -> None:
    db = await Database.open(config.data_dir, key)  # a wrong key stops here, nothing written
    await db.close()


def rotate_key(config: Config) -> RotationResult:
    key = resolve_master_key(config.data_dir, config.master_key, create=False)
    bar, update = _progress("rotate-key")
    bar.unit = "row"
    try:
        return rotate(config.data_dir, key, uses_key_file=not config.master_key, progress=update)
    finally:
        bar.close()


async def add_incident(config: Config, nature: str, measures: str, day: str | None) -> Incident:
    if day is not None:
        date.fromisoformat(day)
    db = await Database.open(config.data_dir, resolve_master_key(config.data_dir, config.master_key, create=False))
    try:
        async with db.transaction() as tx:
            return await tx.incidents.add(day or Clock(config.tz).day(), nature, measures)
    finally:
        await db.close()


async def list_incidents(config: Config) -> list[Incident]:
    db = await Database.open(config.data_dir, resolve_master_key(config.data_dir, config.master_key, create=False))
    try:
        async with db.transaction() as tx:
            return await tx.incidents.all()
    finally:
        await db.close()
