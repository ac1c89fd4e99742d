"""Master-key rotation: fields re-encrypted under a new key version, then the file re-keyed.

Resumable: the new key is written to `master.key.next` before anything changes and the
target version is recorded in the database, so an interrupted rotation is finished by
running it again. Rows already moved are skipped. The bot must be stopped meanwhile.

The backups kept under `backups/` are rotated too, before the old key is replaced: each
one is rotated on a copy that then takes its place, so every backup opens with the new
key. A backup that opens with neither key (made before an earlier rotation) is left as
it is and named. The result says what was done to each.
"""

from __future__ import annotations

import base64
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import sqlcipher3

from storage.crypto import KEY_BYTES, KeyRing, associated_data, open_sealed, seal
from storage.database import DB_NAME, KEY_FILE_NAME, WrongKey, _decode_key, _open_sqlcipher

NEXT_KEY_FILE = "master.key.next"
BATCH = 200
BACKUP_DIR = "backups"  # storage.backup.BACKUP_DIR (not imported: backup imports this module's peers)


@dataclass
class RotationResult:
    version: int
    key_path: Path
    backups_rekeyed: list[Path] = field(default_factory=list)
    backups_already: list[Path] = field(default_factory=list)  # rotated by an interrupted run
    backups_unreadable: list[Path] = field(default_factory=list)  # opened by neither key: left alone


def _write_key(path: Path, key: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(base64.b64encode(key).decode() + "\n")


def _meta(conn, key: str) -> str | None:
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _set_meta(conn, key: str, value: str | None) -> None:
    if value is None:
        conn.execute("DELETE FROM meta WHERE key = ?", (key,))
    else:
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", (key, value))


def rotate(
    data_dir: Path, old_master: bytes, *, uses_key_file: bool, progress: Callable[[int, int], None] | None = None
) -> RotationResult:
    """Rotate to a new master key, the database and then its backups."""
    next_path = data_dir / NEXT_KEY_FILE
    if next_path.exists():
        new_master = _decode_key(next_path.read_text(), str(next_path))
    else:
        new_master = os.urandom(KEY_BYTES)
        _write_key(next_path, new_master)
    old_ring, new_ring = KeyRing(old_master), KeyRing(new_master)
    try:
        conn = _open_sqlcipher(data_dir / DB_NAME, old_ring.file_key)
        rekeyed = False
    except WrongKey:
        conn = _open_sqlcipher(data_dir / DB_NAME, new_ring.file_key)  # re-keyed before a stop
        rekeyed = True
    try:
        target = _rotate_open(conn, old_ring, new_ring, rekeyed, progress)
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    result = RotationResult(target, next_path)
    _rotate_backups(data_dir, old_ring, new_ring, result)
    if uses_key_file:
        os.replace(next_path, data_dir / KEY_FILE_NAME)
        result.key_path = data_dir / KEY_FILE_NAME
    return result


def _rotate_open(
    conn, old_ring: KeyRing, new_ring: KeyRing, rekeyed: bool, progress: Callable[[int, int], None] | None
) -> int:
    """Move the fields of an open database (unless already re-keyed), re-key it, record it."""
    current = int(_meta(conn, "key_version") or 1)
    target = int(_meta(conn, "rotation_target") or current + 1)
    if not rekeyed:
        _move_fields(conn, old_ring, new_ring, current, target, progress)
        conn.execute(f"PRAGMA rekey = \"x'{new_ring.file_key.hex()}'\"")
    conn.execute("BEGIN IMMEDIATE")
    _set_meta(conn, "key_version", str(target))
    _set_meta(conn, "rotation_target", None)
    conn.execute("COMMIT")
    return target


def _opens(path: Path, file_key: bytes) -> bool:
    conn = sqlcipher3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        conn.execute(f"PRAGMA key = \"x'{file_key.hex()}'\"")
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        return True
    except sqlcipher3.DatabaseError:
        return False
    finally:
        conn.close()


def _rotate_backups(data_dir: Path, old: KeyRing, new: KeyRing, result: RotationResult) -> None:
    folder = data_dir / BACKUP_DIR
    if not folder.exists():
        return
    for leftover in folder.glob("*.rekey*"):
        leftover.unlink()  # an interrupted copy: its backup is still there, untouched
    for path in sorted(folder.glob("entraide-*.db")):
        if _opens(path, new.file_key):
            result.backups_already.append(path)
            continue
        if not _opens(path, old.file_key):
            result.backups_unreadable.append(path)  # made under an older key: not ours to judge
            continue
        work = path.with_suffix(".rekey")
        fd = os.open(work, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as target, path.open("rb") as source:
            while chunk := source.read(1 << 20):
                target.write(chunk)
        conn = sqlcipher3.connect(str(work), isolation_level=None)
        try:
            conn.execute(f"PRAGMA key = \"x'{old.file_key.hex()}'\"")
            conn.execute("PRAGMA journal_mode = DELETE")
            _rotate_open(conn, old, new, False, None)
        finally:
            conn.close()
        os.replace(work, path)
        result.backups_rekeyed.append(path)


def _move_fields(
    conn, old: KeyRing, new: KeyRing, current: int, target: int, progress: Callable[[int, int], None] | None
) -> None:
    conn.execute("BEGIN IMMEDIATE")
    _set_meta(conn, "rotation_target", str(target))
    # The blind-index key: same key, wrapped under the new field key.
    sealed = _meta(conn, "index_key")
    if sealed is not None and _meta(conn, "index_key_version") != str(target):
        index_key = old.open_field("meta", "index_key", 0, current, base64.b64decode(sealed))
        moved = new.seal_field("meta", "index_key", 0, target, index_key)
        _set_meta(conn, "index_key", base64.b64encode(moved).decode())
        _set_meta(conn, "index_key_version", str(target))
    conn.execute("COMMIT")

    total = (
        conn.execute("SELECT count(*) FROM members").fetchone()[0]
        + conn.execute("SELECT count(*) FROM incidents").fetchone()[0]
    )
    done = (
        conn.execute("SELECT count(*) FROM members WHERE key_version = ?", (target,)).fetchone()[0]
        + conn.execute("SELECT count(*) FROM incidents WHERE key_version = ?", (target,)).fetchone()[0]
    )
    if progress:
        progress(done, total)
    while True:
        rows = conn.execute(
            "SELECT id, data_key, key_version, chat_id FROM members WHERE key_version <> ? LIMIT ?", (target, BATCH)
        ).fetchall()
        if not rows:
            break
        conn.execute("BEGIN IMMEDIATE")
        for member_id, wrapped, version, chat_blob in rows:
            data_key = old.unwrap_data_key(wrapped, member_id, version)
            chat_id = open_sealed(data_key, chat_blob, associated_data("members", "chat_id", member_id, version))
            conn.execute(
                "UPDATE members SET data_key = ?, chat_id = ?, key_version = ? WHERE id = ?",
                (
                    new.wrap_data_key(data_key, member_id, target),
                    seal(data_key, chat_id, associated_data("members", "chat_id", member_id, target)),
                    target,
                    member_id,
                ),
            )
        conn.execute("COMMIT")
        done += len(rows)
        if progress:
            progress(done, total)
    while True:
        rows = conn.execute(
            "SELECT id, key_version, nature, measures FROM incidents WHERE key_version <> ? LIMIT ?", (target, BATCH)
        ).fetchall()
        if not rows:
            break
        conn.execute("BEGIN IMMEDIATE")
        for incident_id, version, nature, measures in rows:
            conn.execute(
                "UPDATE incidents SET nature = ?, measures = ?, key_version = ? WHERE id = ?",
                (
                    new.seal_field(
                        "incidents",
                        "nature",
                        incident_id,
                        target,
                        old.open_field("incidents", "nature", incident_id, version, nature),
                    ),
                    new.seal_field(
                        "incidents",
                        "measures",
                        incident_id,
                        target,
                        old.open_field("incidents", "measures", incident_id, version, measures),
                    ),
                    target,
                    incident_id,
                ),
            )
        conn.execute("COMMIT")
        done += len(rows)
        if progress:
            progress(done, total)
