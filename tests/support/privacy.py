"""Scan what is at rest for anything that identifies a person or repeats their words."""

from __future__ import annotations

from pathlib import Path

import sqlcipher3

from storage.crypto import KeyRing
from storage.database import DB_NAME, KEY_FILE_NAME, resolve_master_key

# Below this many bytes, a needle can turn up by chance in random ciphertext (a 3-byte name
# matches a given spot of random bytes once in 16.7 million: a few hundred kilobytes of
# encrypted pages and blobs make that happen about once in a hundred runs). Shorter
# needles are looked for only in the decrypted text cells, where a hit is a real leak.
SAFE_NEEDLE = 8


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
    """Names of the needles found in any file of the data directory or in the decrypted rows.

    A needle of SAFE_NEEDLE bytes or more is looked for everywhere; a shorter one (a short
    first name) only in the decrypted text cells, since random bytes could hold it by chance."""
    hits = []
    blobs = {}
    for path in sorted(data_dir.rglob("*")):
        if path.is_file() and path.name != KEY_FILE_NAME:
            blobs[str(path.relative_to(data_dir))] = path.read_bytes()
    if (data_dir / DB_NAME).exists():
        text, cipher = decrypted_dump(data_dir).split(b"\n\x00", 1)
        blobs["decrypted rows"] = text + b"\n\x00" + cipher
        short_haystacks = {"decrypted rows": text}
    else:
        short_haystacks = {}
    for label, needle in needles.items():
        haystacks = blobs if len(needle) >= SAFE_NEEDLE else short_haystacks
        for where, blob in haystacks.items():
            if needle in blob:
                hits.append(f"{label} in {where}")
    return hits
