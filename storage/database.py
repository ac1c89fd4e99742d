"""The encrypted SQLite file: key handling, connection, migrations, units of work.

SQLCipher (through `sqlcipher3`) runs under aiosqlite's worker thread. The file key is
a raw 32-byte key derived by HKDF from the master key, checked at connect: a wrong key
raises `WrongKey` before anything is written.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import heapq
import os
import re
import stat
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import cached_property
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import aiosqlite
import sqlcipher3

from storage.crypto import KEY_BYTES, KeyRing

if TYPE_CHECKING:
    from storage.board import BoardRepo
    from storage.checkins import CheckinRepo
    from storage.incidents import IncidentRepo
    from storage.invites import InviteRepo
    from storage.members import MemberRepo
    from storage.relays import RelayRepo
    from storage.reports import ReportRepo
    from storage.rooms import RoomRepo
    from storage.trends import TrendRepo
    from storage.workshops import WorkshopRepo

DB_NAME = "entraide.db"
KEY_FILE_NAME = "master.key"
# How long a deferred row may wait for a transaction to carry it (a crash loses at most
# that much of the relay map; every transaction writes pending rows first).
DEFER_SECONDS = 0.2


class StorageError(Exception):
    """Base class for storage problems an operator must act on."""


class WrongKey(StorageError):
    """The master key does not open this database."""


class MissingKey(StorageError):
    """A database exists but no key was given for it."""


class RotationPending(StorageError):
    """A master-key rotation was interrupted and must be finished first."""


class BadKey(StorageError):
    """The configured key is not 32 bytes of base64."""


def _decode_key(text: str, origin: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except (binascii.Error, ValueError) as exc:
        raise BadKey(f"{origin} is not valid base64") from exc
    if len(key) != KEY_BYTES:
        raise BadKey(f"{origin} must decode to {KEY_BYTES} bytes, not {len(key)}")
    return key


def resolve_master_key(data_dir: Path, env_value: str | None, *, create: bool = True) -> bytes:
    """The master key: from the environment, else the key file, else a new key file.

    A new key is only made when there is no database yet: making one beside an existing
    database would lock its owner out.
    """
    if env_value:
        return _decode_key(env_value, "ENTRAIDE_MASTER_KEY")
    key_path = data_dir / KEY_FILE_NAME
    if key_path.exists():
        return _decode_key(key_path.read_text(), str(key_path))
    if (data_dir / DB_NAME).exists():
        raise MissingKey(
            f"a database exists in {data_dir} but neither ENTRAIDE_MASTER_KEY nor {key_path} is there to open it"
        )
    if not create:
        raise MissingKey(f"no key yet in {data_dir}")
    data_dir.mkdir(parents=True, exist_ok=True)
    key = os.urandom(KEY_BYTES)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(key).decode() + "\n")
    return key


def key_file_mode(data_dir: Path) -> int | None:
    path = data_dir / KEY_FILE_NAME
    return stat.S_IMODE(path.stat().st_mode) if path.exists() else None


def _prove_key(path: Path, raw_key: bytes) -> None:
    """Check the key on the file alone, read-only and ignoring any WAL (`immutable`): a
    refused key then touches no file. A normal connection would, on closing, fold the WAL
    left by an unclean stop into the database (and remove it), whatever the key."""
    if not path.exists() or path.stat().st_size == 0:
        return  # a new database: nothing to protect, nothing to check against
    conn = sqlcipher3.connect(
        f"{path.resolve().as_uri()}?mode=ro&immutable=1", uri=True, isolation_level=None, check_same_thread=False
    )
    try:
        conn.execute(f"PRAGMA key = \"x'{raw_key.hex()}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        raise WrongKey("the master key does not open this database (nothing was changed)") from exc
    finally:
        conn.close()


def _create_private(path: Path) -> None:
    """A new database file is made 0600 (like the key and the backups); SQLite gives its
    -wal and -shm files the same mode."""
    if not path.exists():
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        except FileExistsError:
            pass


CACHE_KIB = 64 * 1024  # at most 64 MiB of decrypted pages


def _open_sqlcipher(path: Path, raw_key: bytes) -> sqlcipher3.Connection:
    """Open the file, apply the key and prove it works before anything is written."""
    _prove_key(path, raw_key)
    _create_private(path)
    conn = sqlcipher3.connect(str(path), isolation_level=None, check_same_thread=False)
    conn.execute(f"PRAGMA key = \"x'{raw_key.hex()}'\"")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlcipher3.DatabaseError as exc:
        conn.close()
        raise WrongKey("the master key does not open this database (nothing was changed)") from exc
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA secure_delete = ON")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    # Decrypted pages kept in memory (filled only as pages are read): SQLCipher's default
    # 2 MB cache makes every read of a database larger than that decrypt pages again,
    # so the cost per member grew with the number of members (docs/performance.md).
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    return conn


def _migrations() -> list[tuple[int, str, str]]:
    folder = resources.files("storage") / "migrations"
    found = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


LATEST_SCHEMA = max(number for number, _, _ in _migrations())


# Tables whose rows the services keep in read caches (who is who, which room, bans).
# A write to any of them, by anyone, makes `Database.changes` move on.
WATCHED_TABLES = frozenset({"members", "rooms", "room_members", "bans"})
_WRITE_TARGET = re.compile(
    r"^\s*(?:INSERT(?:\s+OR\s+\w+)?\s+INTO|REPLACE\s+INTO|UPDATE(?:\s+OR\s+\w+)?|DELETE\s+FROM)\s+(\w+)", re.IGNORECASE
)


def touches_watched(sql: str) -> bool:
    """True when a statement may change a watched table (unknown shapes count as yes)."""
    match = _WRITE_TARGET.match(sql)
    return match is None or match.group(1).lower() in WATCHED_TABLES


@dataclass
class Tx:
    """One open transaction: the only handle repositories get, and the way services reach
    them (`tx.rooms`, `tx.members`...): each repository is made at first use, once per
    transaction. (The repository modules import this one: theirs are imported when used.)"""

    conn: aiosqlite.Connection
    keys: KeyRing
    key_version: int
    changed_watched: bool = False

    @cached_property
    def members(self) -> MemberRepo:
        from storage.members import MemberRepo

        return MemberRepo(self)

    @cached_property
    def rooms(self) -> RoomRepo:
        from storage.rooms import RoomRepo

        return RoomRepo(self)

    @cached_property
    def relays(self) -> RelayRepo:
        from storage.relays import RelayRepo

        return RelayRepo(self)

    @cached_property
    def checkins(self) -> CheckinRepo:
        from storage.checkins import CheckinRepo

        return CheckinRepo(self)

    @cached_property
    def workshops(self) -> WorkshopRepo:
        from storage.workshops import WorkshopRepo

        return WorkshopRepo(self)

    @cached_property
    def reports(self) -> ReportRepo:
        from storage.reports import ReportRepo

        return ReportRepo(self)

    @cached_property
    def board(self) -> BoardRepo:
        from storage.board import BoardRepo

        return BoardRepo(self)

    @cached_property
    def invites(self) -> InviteRepo:
        from storage.invites import InviteRepo

        return InviteRepo(self)

    @cached_property
    def incidents(self) -> IncidentRepo:
        from storage.incidents import IncidentRepo

        return IncidentRepo(self)

    @cached_property
    def trends(self) -> TrendRepo:
        from storage.trends import TrendRepo

        return TrendRepo(self)

    # Each call is one trip to the database thread (a busy event loop makes every trip
    # cost a turn): no separate fetch or close trips; cursors close when collected.
    async def execute(self, sql: str, params: Iterable[Any] = ()) -> int:
        return (await self._write(sql, params)).rowcount

    async def insert(self, sql: str, params: Iterable[Any] = ()) -> int:
        row_id = (await self._write(sql, params)).lastrowid
        assert row_id is not None  # an INSERT sets it
        return row_id

    async def _write(self, sql: str, params: Iterable[Any]) -> aiosqlite.Cursor:
        self.changed_watched = self.changed_watched or touches_watched(sql)
        return await self.conn.execute(sql, tuple(params))

    async def one(self, sql: str, params: Iterable[Any] = ()) -> tuple | None:
        rows = cast(list[tuple], await self.conn.execute_fetchall(sql, tuple(params)))  # no row factory: tuples
        return rows[0] if rows else None

    async def all(self, sql: str, params: Iterable[Any] = ()) -> list[tuple]:
        return list(cast(list[tuple], await self.conn.execute_fetchall(sql, tuple(params))))

    async def scalar(self, sql: str, params: Iterable[Any] = ()) -> Any:
        row = await self.one(sql, params)
        return None if row is None else row[0]


@dataclass(frozen=True)
class RowBatch:
    """An insert written many rows per statement (see `Database.defer`).

    `sql` holds `{rows}` where the rows go as a VALUES list (columns `column1`...), each
    row with `width` values; lower stages are written first (rows others refer to).
    One statement for many rows is one step of SQLite, instead of one per row, each
    of which would wait for the busy event loop's thread to let go of the GIL.
    """

    sql: str
    width: int
    stage: int = 0
    rows_per_statement: int = 200

    def statements(self, rows: list[tuple]) -> Iterable[tuple[str, tuple]]:
        one = "(" + ", ".join("?" * self.width) + ")"
        for start in range(0, len(rows), self.rows_per_statement):
            chunk = rows[start : start + self.rows_per_statement]
            yield self.sql.format(rows=", ".join([one] * len(chunk))), tuple(v for row in chunk for v in row)


class PriorityLock:
    """An asyncio lock whose waiters enter most urgent first (then in arrival order).

    `priority_of()` tells the urgency of the current task (lower is more urgent): live
    relay work then never queues behind thousands of 20:00 check-in plans.
    """

    def __init__(self, priority_of: Callable[[], int] = lambda: 0) -> None:
        self.priority_of = priority_of
        self._locked = False
        self._waiters: list[tuple[int, int, asyncio.Future]] = []
        self._sequence = 0

    async def __aenter__(self) -> None:
        if not self._locked and not self._waiters:
            self._locked = True
            return
        self._sequence += 1
        future = asyncio.get_running_loop().create_future()
        heapq.heappush(self._waiters, (self.priority_of(), self._sequence, future))
        try:
            await future
        except BaseException:
            if future.done() and not future.cancelled():
                self._release()  # it was handed to us as we were cancelled: pass it on
            else:
                self._waiters = [w for w in self._waiters if w[2] is not future]
                heapq.heapify(self._waiters)
            raise

    async def __aexit__(self, *exc) -> None:
        self._release()

    def _release(self) -> None:
        while self._waiters:
            _, _, future = heapq.heappop(self._waiters)
            if not future.done():
                future.set_result(None)  # the lock passes straight to the next waiter
                return
        self._locked = False


class Database:
    """One SQLCipher connection shared by the process; transactions take turns."""

    def __init__(self, conn: aiosqlite.Connection, keys: KeyRing, path: Path) -> None:
        self._conn = conn
        self.keys = keys
        self.path = path
        self._lock = PriorityLock()
        self.key_version = 1
        self._deferred: list[tuple[RowBatch, tuple]] = []
        self._flush_task: asyncio.Task | None = None
        self._deferred_count = 0  # rows ever deferred
        self._committed_count = 0  # of which committed (every one deferred before it)
        self._durable_task: asyncio.Future | None = None
        self._next_ids: dict[str, int] = {}
        self._changes = 0
        self._data_version: int | None = None
        self._outside_checked = float("-inf")

    @property
    def changes(self) -> int:
        """Moves on at every commit of this process that wrote to a watched table."""
        return self._changes

    async def changes_seen(self, outside_every: float = 1.0) -> int:
        """`changes`, also moved on by commits of other processes (`entraide purge`,
        `invite`, a restore...) noticed through SQLite's data_version at most every
        `outside_every` seconds. Read caches are valid while this number stays the same."""
        now = time.monotonic()
        if now - self._outside_checked >= outside_every:
            self._outside_checked = now
            # A counter read: no need to wait for the transaction in progress, if any.
            rows = list(await self._conn.execute_fetchall("PRAGMA data_version"))
            version = rows[0][0]
            if self._data_version is not None and version != self._data_version:
                self._changes += 1
            self._data_version = version
        return self._changes

    def prioritise(self, priority_of: Callable[[], int]) -> None:
        """Let transactions of more urgent work enter first (see PriorityLock)."""
        self._lock.priority_of = priority_of

    @classmethod
    async def open(cls, data_dir: Path, master_key: bytes) -> Database:
        data_dir.mkdir(parents=True, exist_ok=True)
        keys = KeyRing(master_key)
        path = data_dir / DB_NAME
        # Prove the key on a short-lived connection first, so a refusal leaves no worker behind.
        await asyncio.to_thread(lambda: _open_sqlcipher(path, keys.file_key).close())
        conn = await aiosqlite.Connection(lambda: _open_sqlcipher(path, keys.file_key), 64)
        db = cls(conn, keys, path)
        if await db._table_exists("meta") and await db._meta("rotation_target", ""):
            await conn.close()
            raise RotationPending("a key rotation is not finished: run `entraide rotate-key` again")
        await db.migrate()
        db.key_version = int(await db._meta("key_version", "1"))
        keys.version = db.key_version
        await db._load_index_key()
        return db

    async def _load_index_key(self) -> None:
        """The blind-index key: random, made once, kept wrapped by the field key."""
        async with self.transaction() as tx:
            row = await tx.one("SELECT value FROM meta WHERE key = 'index_key'")
            version = self.key_version
            if row is None:
                key = os.urandom(KEY_BYTES)
                sealed = self.keys.seal_field("meta", "index_key", 0, version, key)
                await tx.execute(
                    "INSERT INTO meta (key, value) VALUES ('index_key', ?)", (base64.b64encode(sealed).decode(),)
                )
            else:
                key = self.keys.open_field("meta", "index_key", 0, version, base64.b64decode(row[0]))
        self.keys.index_key = key

    async def close(self) -> None:
        await self.flush()
        if self._flush_task is not None:
            self._flush_task.cancel()
        async with self._lock:
            await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            await self._conn.close()

    async def _table_exists(self, name: str) -> bool:
        async with self._lock:
            cursor = await self._conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,))
            row = await cursor.fetchone()
            await cursor.close()
        return row is not None

    async def _meta(self, key: str, default: str) -> str:
        async with self._lock:
            cursor = await self._conn.execute("SELECT value FROM meta WHERE key = ?", (key,))
            row = await cursor.fetchone()
            await cursor.close()
        return row[0] if row else default

    async def schema_version(self) -> int:
        async with self._lock:
            cursor = await self._conn.execute("SELECT coalesce(max(version), 0) FROM schema_version")
            row = await cursor.fetchone()
            await cursor.close()
        assert row is not None  # an aggregate always has its row
        return int(row[0])

    async def migrate(self) -> list[int]:
        """Apply the numbered migrations not applied yet, each in its own transaction."""
        applied: list[int] = []
        async with self._lock:
            await self._conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_day TEXT NOT NULL)"
            )
            cursor = await self._conn.execute("SELECT coalesce(max(version), 0) FROM schema_version")
            row = await cursor.fetchone()
            assert row is not None  # an aggregate always has its row
            current = int(row[0])
            await cursor.close()
            for number, _name, sql in _migrations():
                if number <= current:
                    continue
                await self._conn.execute("BEGIN IMMEDIATE")
                try:
                    for statement in _split_sql(sql):
                        await self._conn.execute(statement)
                    await self._conn.execute("INSERT INTO schema_version VALUES (?, date('now'))", (number,))
                    await self._conn.execute("COMMIT")
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    raise
                applied.append(number)
        return applied

    async def next_id(self, table: str) -> int:
        """A fresh id for a row of `table` written later (`defer`): this process is the
        only writer of such tables, so ids count on from the largest one at first use."""
        if table not in self._next_ids:
            async with self._lock:
                rows = list(await self._conn.execute_fetchall(f"SELECT coalesce(max(id), 0) FROM {table}"))
            self._next_ids.setdefault(table, rows[0][0] + 1)
        self._next_ids[table] += 1
        return self._next_ids[table] - 1

    def defer(self, batch: RowBatch, row: Iterable[Any]) -> None:
        """A small write that may wait: it is made at the start of the next transaction
        (so every later read sees it), or by itself within DEFER_SECONDS, with the other rows of
        its batch in one statement. Used for the relay map: one row per relayed message
        and per delivered copy, which must not cost a transaction, nor a trip, each."""
        self._deferred.append((batch, tuple(row)))
        self._deferred_count += 1
        if self._flush_task is None or self._flush_task.done():
            self._flush_task = asyncio.get_running_loop().create_task(self._flush_soon())

    async def _flush_soon(self) -> None:
        await asyncio.sleep(DEFER_SECONDS)
        if self._deferred:
            async with self.transaction():
                pass

    async def flush(self) -> None:
        if self._deferred:
            async with self.transaction():
                pass

    @property
    def deferred_mark(self) -> int:
        """How many rows were deferred so far: `durable(mark)` waits for those."""
        return self._deferred_count

    async def durable(self, mark: int | None = None) -> None:
        """Return once every row deferred so far (or up to `mark`) is committed. Callers
        that wait together share one transaction (a burst costs one commit, not one each)."""
        target = self._deferred_count if mark is None else mark
        while self._committed_count < target:
            if self._durable_task is None or self._durable_task.done():
                self._durable_task = asyncio.ensure_future(self._commit_pending())
            await asyncio.shield(self._durable_task)

    async def _commit_pending(self) -> None:
        async with self.transaction():  # waits for one in progress, which may carry them
            pass

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """A write transaction: committed when the block ends normally, else rolled back."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            written = self._deferred_count  # every row deferred until now is in this transaction
            if self._deferred:
                pending, self._deferred = self._deferred, []
                try:
                    batches: dict[RowBatch, list[tuple]] = {}
                    for batch, row in pending:
                        batches.setdefault(batch, []).append(row)
                    for batch in sorted(batches, key=lambda batch: batch.stage):
                        for sql, params in batch.statements(batches[batch]):
                            await self._conn.execute(sql, params)
                except BaseException:
                    await self._conn.execute("ROLLBACK")
                    self._deferred = pending + self._deferred
                    raise
            tx = Tx(self._conn, self.keys, self.key_version)
            try:
                yield tx
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            else:
                await self._conn.execute("COMMIT")
                self._committed_count = max(self._committed_count, written)
            finally:
                if tx.changed_watched:
                    self._changes += 1

    async def ping(self) -> bool:
        """The database answers a read (for /readyz)."""
        async with self._lock:
            cursor = await self._conn.execute("SELECT count(*) FROM sqlite_master")
            row = await cursor.fetchone()
            await cursor.close()
        return row is not None

    async def integrity_check(self) -> str:
        async with self._lock:
            cursor = await self._conn.execute("PRAGMA integrity_check")
            row = await cursor.fetchone()
            await cursor.close()
        assert row is not None  # integrity_check always answers
        return str(row[0])

    async def checkpoint(self) -> None:
        """Fold the WAL into the file and truncate it (no old page images left there)."""
        async with self._lock:
            await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    async def vacuum(self) -> None:
        """Reclaim free pages and fold the WAL back into the file."""
        async with self._lock:
            await self._conn.execute("VACUUM")
            await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _split_sql(script: str) -> list[str]:
    statements, buffer = [], []
    for line in script.splitlines():
        if line.strip().startswith("--"):
            continue
        buffer.append(line)
        if line.rstrip().endswith(";"):
            statement = "\n".join(buffer).strip()
            if statement:
                statements.append(statement)
            buffer = []
    tail = "\n".join(buffer).strip()
    if tail:
        statements.append(tail)
    return statements
