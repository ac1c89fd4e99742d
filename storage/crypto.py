"""Key derivation, field encryption and the blind index.

The master key never encrypts anything itself. HKDF derives separate sub-keys:
- the SQLCipher raw key for the whole file,
- one field key per key version (wraps each member's data key),
- the blind-index key (HMAC-SHA256 of Telegram ids, for look-ups).

Every field cipher text is bound by AES-GCM associated data to its table, column,
row id and key version, so a value copied to another row or column fails to decrypt.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

KEY_BYTES = 32
NONCE_BYTES = 12
_SALT = b"entraide/hkdf/v1"


class CryptoError(Exception):
    """A cipher text did not decrypt: wrong key, wrong place or tampered."""


@functools.lru_cache(maxsize=32)
def derive(master_key: bytes, purpose: str) -> bytes:
    """Derive a 32-byte sub-key for one purpose from the master key."""
    if len(master_key) != KEY_BYTES:
        raise ValueError("the master key must be 32 bytes")
    return HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=_SALT, info=purpose.encode()).derive(master_key)


def associated_data(table: str, column: str, row_id: int, version: int) -> bytes:
    """The AES-GCM associated data that binds a value to its place."""
    return f"{table}|{column}|{row_id}|v{version}".encode()


def seal(key: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Encrypt with AES-256-GCM; the output is nonce || cipher text || tag."""
    nonce = os.urandom(NONCE_BYTES)
    return nonce + AESGCM(key).encrypt(nonce, plaintext, aad)


def open_sealed(key: bytes, blob: bytes, aad: bytes) -> bytes:
    """Decrypt what `seal` made, or raise CryptoError."""
    if blob is None or len(blob) < NONCE_BYTES + 16:
        raise CryptoError("cipher text too short")
    try:
        return AESGCM(key).decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], aad)
    except InvalidTag as exc:
        raise CryptoError("cipher text rejected") from exc


class KeyRing:
    """The keys of one database.

    The file key and the field keys are derived from master keys: `master_key` for the
    current version, `older` for versions still being rotated away from. The blind-index
    key is random, kept in the database wrapped by the field key (so rotating the master
    key never changes how members are found); `Database.open` loads it.
    """

    def __init__(self, master_key: bytes, *, version: int = 1, older: dict[int, bytes] | None = None) -> None:
        if len(master_key) != KEY_BYTES:
            raise ValueError("the master key must be 32 bytes")
        self.master_key = master_key
        self.version = version
        self._masters = {**(older or {}), version: master_key}
        self._index_key: bytes | None = None

    @property
    def file_key(self) -> bytes:
        return derive(self.master_key, "sqlcipher-file")

    def field_key(self, version: int) -> bytes:
        return derive(self._masters.get(version, self.master_key), f"field/v{version}")

    @property
    def index_key(self) -> bytes:
        if self._index_key is None:
            raise CryptoError("the blind-index key is not loaded")
        return self._index_key

    @index_key.setter
    def index_key(self, key: bytes) -> None:
        self._index_key = key

    def blind_index(self, namespace: str, value: int | str) -> bytes:
        """Keyed HMAC-SHA256 of a value: stable, not reversible without the key."""
        message = f"{namespace}:{value}".encode()
        return hmac.new(self.index_key, message, hashlib.sha256).digest()

    def purpose_key(self, purpose: str) -> bytes:
        """A key for one purpose outside the database (sealing buttons), derived from the
        blind-index key: stable across restarts and master-key rotations."""
        return hmac.new(self.index_key, f"purpose:{purpose}".encode(), hashlib.sha256).digest()

    def wrap_data_key(self, data_key: bytes, member_id: int, version: int) -> bytes:
        aad = associated_data("members", "data_key", member_id, version)
        return seal(self.field_key(version), data_key, aad)

    def unwrap_data_key(self, wrapped: bytes, member_id: int, version: int) -> bytes:
        aad = associated_data("members", "data_key", member_id, version)
        return open_sealed(self.field_key(version), wrapped, aad)

    def seal_field(self, table: str, column: str, row_id: int, version: int, value: bytes) -> bytes:
        """Encrypt a non-personal field under the versioned field key."""
        return seal(self.field_key(version), value, associated_data(table, column, row_id, version))

    def open_field(self, table: str, column: str, row_id: int, version: int, blob: bytes) -> bytes:
        aad = associated_data(table, column, row_id, version)
        return open_sealed(self.field_key(version), blob, aad)


def new_data_key() -> bytes:
    return os.urandom(KEY_BYTES)


def hash_code(code: str) -> bytes:
    """Hash of a high-entropy one-time code (invitations): safe unkeyed, codes are random."""
    return hashlib.sha256(b"entraide-invite:" + code.encode()).digest()
