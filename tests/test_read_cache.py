"""The hot path's read caches and batched map rows: never stale, never stuck."""

import aiosqlite
import pytest

from storage.cache import ReadCache
from storage.database import Database, _open_sqlcipher, resolve_master_key, touches_watched
from storage.members import Consents, MemberRepo
from storage.relays import RelayRepo
from storage.rooms import RoomRepo
from tests.support.harness import relayed_lines
from tests.support.rooms import room_with


@pytest.fixture
def statements(monkeypatch):
    """Every statement sent to the database thread (each one is a trip)."""
    sent = []
    real = aiosqlite.Connection._execute

    async def counted(self, fn, *args, **kwargs):
        sent.append(args[0] if args and isinstance(args[0], str) else fn.__name__)
        return await real(self, fn, *args, **kwargs)

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)
    return sent


async def _db(path):
    return await Database.open(path, resolve_master_key(path, None))


async def _room_and_member(db, user_id=5_200_000_001):
    async with db.transaction() as tx:
        room = await RoomRepo(tx).open("Sommeil", "", 8, "2026-11-25")
        member = await MemberRepo(tx).create(user_id, user_id, "fr", Consents(rooms=True), 1, "2026-11-25")
    return room, member


def test_statements_on_watched_tables_are_recognised():
    assert touches_watched("UPDATE members SET locale = ? WHERE id = ?")
    assert touches_watched("insert or replace into room_members (room_id) values (?)")
    assert touches_watched("DELETE FROM bans WHERE uid_index = ?")
    assert touches_watched("PRAGMA something")  # unknown shapes count as changes
    assert not touches_watched("INSERT INTO relays (room_id) VALUES (?)")
    assert not touches_watched("DELETE FROM checkin_answers WHERE day < ?")


async def test_only_writes_to_watched_tables_move_changes(tmp_path):
    db = await _db(tmp_path)
    before = db.changes
    room, member = await _room_and_member(db)
    assert db.changes > before
    before = db.changes
    relay = await RelayRepo.defer_create(db, room.id, member.id, 10, "text", 1)
    RelayRepo.defer_copy(db, relay.id, member.id, 0, 11)
    async with db.transaction() as tx:
        assert await tx.scalar("SELECT count(*) FROM relay_copies") == 1
        await tx.execute("DELETE FROM checkin_answers")
    assert db.changes == before
    async with db.transaction() as tx:
        await MemberRepo(tx).set_locale(member.id, "en")
    assert db.changes == before + 1
    await db.close()


async def test_commits_by_another_process_are_noticed(tmp_path):
    db = await _db(tmp_path)
    _, member = await _room_and_member(db)
    seen = await db.changes_seen(outside_every=0)
    other = _open_sqlcipher(db.path, db.keys.file_key)  # like `entraide purge` running beside the bot
    other.execute("UPDATE members SET locale = 'en'")
    other.commit()
    other.close()
    assert await db.changes_seen(outside_every=0) == seen + 1
    assert await db.changes_seen(outside_every=0) == seen + 1  # once per outside commit
    await db.close()


async def test_read_cache_keeps_values_until_a_change_and_never_one_read_during_a_change(tmp_path):
    db = await _db(tmp_path)
    _, member = await _room_and_member(db)
    cache: ReadCache[str, int] = ReadCache(db)
    loads = []

    async def load():
        loads.append(1)
        return len(loads)

    assert await cache.get("k", load) == 1
    assert await cache.get("k", load) == 1
    async with db.transaction() as tx:
        await MemberRepo(tx).set_locale(member.id, "en")
    assert await cache.get("k", load) == 2

    async def load_while_someone_writes():
        async with db.transaction() as tx:
            await MemberRepo(tx).set_locale(member.id, "fr")
        return await load()

    assert await cache.get("k2", load_while_someone_writes) == 3
    assert await cache.get("k2", load) == 4  # the value read during a change was not kept
    assert await cache.get("k", load, fresh=lambda value: value > 99) == 5  # stale by the caller's rule
    await db.close()


async def test_map_rows_whose_room_or_recipient_went_meanwhile_are_skipped(tmp_path):
    db = await _db(tmp_path)
    room, member = await _room_and_member(db)
    _, gone = await _room_and_member(db, user_id=5_200_000_002)
    kept = await RelayRepo.defer_create(db, room.id, member.id, 10, "text", 1)
    RelayRepo.defer_copy(db, kept.id, member.id, 0, 20)
    RelayRepo.defer_copy(db, kept.id, gone.id, 0, 21)
    async with db.transaction() as tx:
        await MemberRepo(tx).erase(gone.id)  # flushed first: the copy row is written, then erased
    RelayRepo.defer_copy(db, kept.id, gone.id, 0, 22)  # a copy delivered after /oublier
    lost = await RelayRepo.defer_create(db, 999, member.id, 11, "text", 2)  # its room was purged
    RelayRepo.defer_copy(db, lost.id, member.id, 0, 23)
    async with db.transaction() as tx:
        assert await tx.scalar("SELECT count(*) FROM relays") == 1
        assert [c.member_id for c in await RelayRepo(tx).copies(kept.id)] == [member.id]
    async with db.transaction() as tx:  # nothing left behind to fail again
        assert await tx.scalar("SELECT count(*) FROM relay_copies") == 1
    await db.close()


async def test_relay_ids_count_on_across_restarts(tmp_path):
    db = await _db(tmp_path)
    room, member = await _room_and_member(db)
    first = [await RelayRepo.defer_create(db, room.id, member.id, n, "text", 1) for n in range(3)]
    await db.close()
    db = await _db(tmp_path)
    later = await RelayRepo.defer_create(db, room.id, member.id, 9, "text", 1)
    assert [r.id for r in first] == [1, 2, 3] and later.id == 4
    async with db.transaction() as tx:
        assert (await RelayRepo(tx).get(4)).author_msg_id == 9
    await db.close()


async def test_a_warm_room_relays_without_reading_the_database(h, statements):
    fac, room_id, (a, b, c) = await room_with(h, "Alice", "Bruno", "Chloé")
    await h.say(a, "premier")
    statements.clear()
    for n in range(5):
        await a.send(f"suite {n}")
    await h.pump()
    await h.db.flush()
    assert [line.rsplit(" ", 1)[1] for line in relayed_lines(b, ": suite")] == ["0", "1", "2", "3", "4"]
    reads = [sql for sql in statements if sql.lstrip().upper().startswith("SELECT")]
    assert reads == []
    assert statements.count("BEGIN IMMEDIATE") <= 2  # the map rows go in batches

    await h.cmd(c, "quitter")  # a change is seen at once
    statements.clear()
    await h.say(a, "après le départ")
    assert not relayed_lines(c, "après le départ")
    assert relayed_lines(b, "après le départ")
    assert any(sql.lstrip().upper().startswith("SELECT") for sql in statements)


async def test_many_map_rows_are_written_in_a_few_statements(tmp_path, statements):
    db = await _db(tmp_path)
    room, member = await _room_and_member(db)
    relays = [await RelayRepo.defer_create(db, room.id, member.id, n, "text", 1) for n in range(450)]
    for relay in relays:
        RelayRepo.defer_copy(db, relay.id, member.id, 0, 10_000 + relay.id)
    statements.clear()
    await db.flush()
    assert len(statements) == 2 + 3 + 3  # BEGIN, COMMIT, 450 relays and 450 copies by 200
    async with db.transaction() as tx:
        assert await tx.scalar("SELECT count(*) FROM relays") == 450
        assert await tx.scalar("SELECT count(*) FROM relay_copies WHERE message_id = 10000 + relay_id") == 450
    await db.close()
