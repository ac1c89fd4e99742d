"""Storage on a temporary encrypted file."""

import hashlib
import os

import pytest

from storage.crypto import CryptoError, KeyRing, associated_data, open_sealed
from storage.database import (
    LATEST_SCHEMA,
    Database,
    MissingKey,
    WrongKey,
    key_file_mode,
    resolve_master_key,
)
from storage.members import Consents, MemberRepo

USER_ID = 5_123_456_789


def _dir_digest(path):
    digest = hashlib.sha256()
    for name in sorted(os.listdir(path)):
        digest.update(name.encode())
        with open(path / name, "rb") as handle:
            digest.update(handle.read())
    return digest.hexdigest()


async def _member(db, user_id=USER_ID):
    async with db.transaction() as tx:
        return await MemberRepo(tx).create(user_id, user_id, "fr", Consents(rooms=True), 1, "2026-11-25")


async def test_member_round_trip_and_blind_index_stable_across_restarts(tmp_path):
    key = resolve_master_key(tmp_path, None)
    db = await Database.open(tmp_path, key)
    created = await _member(db)
    await db.close()

    db = await Database.open(tmp_path, resolve_master_key(tmp_path, None))
    async with db.transaction() as tx:
        found = await MemberRepo(tx).find_by_user(USER_ID)
        assert await MemberRepo(tx).find_by_user(USER_ID + 1) is None
    await db.close()
    assert found == created
    assert found.chat == ("telegram", str(USER_ID))
    assert found.consents == Consents(rooms=True)


async def test_key_file_is_private(tmp_path):
    resolve_master_key(tmp_path, None)
    assert key_file_mode(tmp_path) == 0o600


async def test_wrong_key_is_refused_and_changes_nothing(tmp_path):
    db = await Database.open(tmp_path, resolve_master_key(tmp_path, None))
    await _member(db)
    await db.close()
    before = _dir_digest(tmp_path)
    with pytest.raises(WrongKey):
        await Database.open(tmp_path, os.urandom(32))
    assert _dir_digest(tmp_path) == before


async def test_missing_key_for_existing_database_is_refused(tmp_path):
    db = await Database.open(tmp_path, resolve_master_key(tmp_path, None))
    await db.close()
    (tmp_path / "master.key").unlink()
    before = _dir_digest(tmp_path)
    with pytest.raises(MissingKey):
        resolve_master_key(tmp_path, None)
    assert _dir_digest(tmp_path) == before


async def test_file_is_not_plain_sqlite(tmp_path):
    db = await Database.open(tmp_path, resolve_master_key(tmp_path, None))
    await _member(db)
    await db.close()
    header = (tmp_path / "entraide.db").read_bytes()[:16]
    assert header != b"SQLite format 3\x00"


async def test_migrations_from_empty_database(tmp_path):
    db = await Database.open(tmp_path, resolve_master_key(tmp_path, None))
    assert await db.schema_version() == LATEST_SCHEMA
    assert await db.migrate() == []  # idempotent
    assert await db.integrity_check() == "ok"
    await db.close()


async def test_tampered_or_moved_ciphertext_is_rejected(tmp_path):
    db = await Database.open(tmp_path, resolve_master_key(tmp_path, None))
    first = await _member(db)
    second = await _member(db, USER_ID + 7)
    async with db.transaction() as tx:
        wrapped, blob = await tx.one("SELECT data_key, chat_id FROM members WHERE id = ?", (first.id,))
        # Flip one bit of the sealed chat id: GCM refuses it.
        tampered = bytearray(blob)
        tampered[-1] ^= 1
        await tx.execute("UPDATE members SET chat_id = ? WHERE id = ?", (bytes(tampered), first.id))
    with pytest.raises(CryptoError):
        async with db.transaction() as tx:
            await MemberRepo(tx).get(first.id)
    # A genuine value copied to another row does not open there either (bound by row id).
    async with db.transaction() as tx:
        await tx.execute("UPDATE members SET data_key = ?, chat_id = ? WHERE id = ?", (wrapped, blob, second.id))
    with pytest.raises(CryptoError):
        async with db.transaction() as tx:
            await MemberRepo(tx).get(second.id)
    await db.close()


def test_associated_data_binds_place_and_version():
    keys = KeyRing(b"k" * 32, older={2: b"j" * 32})
    sealed = keys.seal_field("t", "c", 1, 1, b"secret")
    assert keys.open_field("t", "c", 1, 1, sealed) == b"secret"
    for place in [("t", "c", 2, 1), ("t", "d", 1, 1), ("u", "c", 1, 1)]:
        with pytest.raises(CryptoError):
            keys.open_field(*place, sealed)
    with pytest.raises(CryptoError):
        open_sealed(keys.field_key(2), sealed, associated_data("t", "c", 1, 2))


def test_blind_index_is_keyed():
    a, b = KeyRing(b"a" * 32), KeyRing(b"b" * 32)
    a.index_key, b.index_key = b"1" * 32, b"2" * 32
    assert a.blind_index("u", 42) == a.blind_index("u", 42)
    assert a.blind_index("u", 42) != b.blind_index("u", 42)
    assert hashlib.sha256(b"42").digest() != a.blind_index("u", 42)


async def test_transaction_rolls_back_on_error(tmp_path):
    db = await Database.open(tmp_path, resolve_master_key(tmp_path, None))
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await MemberRepo(tx).create(1, 1, "fr", Consents(), 1, "2026-11-25")
            raise RuntimeError("boom")
    async with db.transaction() as tx:
        assert await MemberRepo(tx).count() == 0
    await db.close()


async def test_priority_lock_lets_urgent_work_in_first_and_survives_cancellation():
    import asyncio

    from storage.database import PriorityLock

    current = {"p": 0}
    lock = PriorityLock(lambda: current["p"])
    order = []

    async def worker(tag, priority):
        current["p"] = priority
        async with lock:
            order.append(tag)
            await asyncio.sleep(0.001)

    await lock.__aenter__()  # held: everyone else waits
    tasks = [asyncio.create_task(worker(f"bulk{i}", 4)) for i in range(3)]
    await asyncio.sleep(0)
    doomed = asyncio.create_task(worker("cancelled", 0))
    await asyncio.sleep(0)
    tasks.append(asyncio.create_task(worker("live", 0)))
    await asyncio.sleep(0)
    doomed.cancel()
    await lock.__aexit__(None, None, None)
    await asyncio.gather(*tasks)
    assert order[0] == "live" and order[1:] == ["bulk0", "bulk1", "bulk2"]
    async with lock:  # still usable
        pass
