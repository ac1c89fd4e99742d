"""Who may work on a data directory at the same time (advisory `flock` locks).

- `entraide run` holds `entraide.lock` exclusively (and `maintenance.lock` shared): a second `run` on the same
  directory refuses in one sentence (exit code 2) instead of sharing the database.
- `entraide rotate-key` holds `entraide.lock` and `maintenance.lock` exclusively:
  it refuses while the bot runs, and while another verb is working.
- `purge`, `backup`, `incident` and `invite` hold `maintenance.lock` shared: they work
  beside the running bot (SQLite takes their transactions in turn, and the bot notices
  what they changed) and beside each other, and refuse kindly while a key rotation runs.
Refusing, never waiting: an operator (or cron) learns at once and runs it again later.
The kernel drops a lock when its process ends, `kill -9` included: no stale lock file.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from storage.database import StorageError

INSTANCE_LOCK = "entraide.lock"
MAINTENANCE_LOCK = "maintenance.lock"


class DataDirBusy(StorageError):
    """Another process holds the data directory in a way this verb cannot share."""


BOT_RUNNING = (
    "un autre « entraide run » utilise déjà ce dossier de données ({dir}) : "
    "un seul bot à la fois. / another 'entraide run' is already using this data "
    "directory: one bot at a time."
)
STOP_THE_BOT = (
    "le bot tourne sur ce dossier de données ({dir}) : arrêtez-le, puis relancez "
    "« entraide rotate-key ». / the bot is running on this data directory: stop it, "
    "then run 'entraide rotate-key' again."
)
OTHER_VERB = (
    "une autre commande entraide (backup, purge, incident ou invite) travaille sur ce "
    "dossier ({dir}) : réessayez quand elle aura fini. / another entraide command is "
    "working on this data directory: try again when it is done."
)
ROTATING = (
    "une rotation de clé est en cours sur ce dossier ({dir}) : réessayez quand elle sera "
    "finie. / a key rotation is running on this data directory: try again when it is done."
)


def _take(data_dir: Path, name: str, mode: int, refusal: str):
    data_dir.mkdir(parents=True, exist_ok=True)
    fd = os.open(data_dir / name, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DataDirBusy(refusal.format(dir=data_dir.resolve())) from None
    return fd


def _release(fd: int) -> None:
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


@contextmanager
def running_bot(data_dir: Path) -> Iterator[None]:
    """Held for as long as `entraide run` uses the directory (and, shared, the maintenance
    lock: a key rotation in progress is named as such)."""
    shared = _take(data_dir, MAINTENANCE_LOCK, fcntl.LOCK_SH, ROTATING)
    try:
        fd = _take(data_dir, INSTANCE_LOCK, fcntl.LOCK_EX, BOT_RUNNING)
    except BaseException:
        _release(shared)
        raise
    try:
        yield
    finally:
        _release(fd)
        _release(shared)


@contextmanager
def maintenance(data_dir: Path) -> Iterator[None]:
    """Held by a verb that writes beside the bot (purge, backup, incident, invite)."""
    fd = _take(data_dir, MAINTENANCE_LOCK, fcntl.LOCK_SH, ROTATING)
    try:
        yield
    finally:
        _release(fd)


@contextmanager
def rotation(data_dir: Path) -> Iterator[None]:
    """Held by `rotate-key`: nobody else may read or write the directory meanwhile."""
    instance = _take(data_dir, INSTANCE_LOCK, fcntl.LOCK_EX, STOP_THE_BOT)
    try:
        other = _take(data_dir, MAINTENANCE_LOCK, fcntl.LOCK_EX, OTHER_VERB)
    except BaseException:
        _release(instance)
        raise
    try:
        yield
    finally:
        _release(other)
        _release(instance)
