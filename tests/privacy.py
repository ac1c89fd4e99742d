"""Scan what is at rest for anything that identifies a person or repeats their words."""

from __future__ import annotations

from pathlib import Path

import sqlcipher3

from storage.crypto import KeyRing
from storage.database import DB_NAME, KEY_FILE_NAME, resolve_master_key


def needles_for(phones, texts=()) -> dict[str, bytes]:
    found: dict[str, bytes] = {}
    for phone in phones:
        uid = phone.user_id
        found[f"id {uid} (text)"] = str(uid).encode()
        found[f"id {uid} (int64 le)"] = uid.to_bytes(8, "little")
        found[f"id {uid} (int64 be)"] = uid.to_bytes(8, "big")
        found[f"first name {phone.first_name}"] = phone.first_name.encode()
        if phone.username:
            found[f"username {phone.username}"] = phone.username.encode()
    for text in texts:
        found[f"text {text[:20]!r}"] = text.encode()
    return found


def decrypted_dump(data_dir: Path) -> bytes:
    """Every row of the database, decrypted with its key: text cells as text, then blob
    cells as their raw bytes (a hex rendering would match short needles by chance)."""
    key = KeyRing(resolve_master_key(data_dir, None, create=False)).file_key
    conn = sqlcipher3.connect(str(data_dir / DB_NAME))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    lines, blobs = [], []
    tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        for row in conn.execute(f'SELECT * FROM "{table}"'):
            blobs.extend(value for value in row if isinstance(value, bytes))
            cells = ["<blob>" if isinstance(value, bytes) else repr(value) for value in row]
            lines.append(f"{table}: " + " | ".join(cells))
    conn.close()
    return "\n".join(lines).encode() + b"\n\x00" + b"\x00".join(blobs)


def scan(data_dir: Path, needles: dict[str, bytes]) -> list[str]:
    """Names of the needles found in any file of the data directory or in the decrypted rows."""
    hits = []
    blobs = {}
    for path in sorted(data_dir.rglob("*")):
        if path.is_file() and path.name != KEY_FILE_NAME:
            blobs[str(path.relative_to(data_dir))] = path.read_bytes()
    if (data_dir / DB_NAME).exists():
        dump = decrypted_dump(data_dir)
        blobs["decrypted rows"] = dump
    for label, needle in needles.items():
        for where, blob in blobs.items():
            if needle in blob:
                hits.append(f"{label} in {where}")
    return hits
