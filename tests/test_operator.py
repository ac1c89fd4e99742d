"""Operator safety: backups that restore, resumable key rotation, the incident register."""

import os
import shutil

import pytest

from bot.cli.operator import add_incident, list_incidents, make_backup, rotate_key
from bot.core.config import Config
from storage.database import Database, RotationPending, WrongKey, resolve_master_key
from storage.members import MemberRepo
from storage.rotation import NEXT_KEY_FILE
from tests.support.privacy import needles_for, scan
from tests.support.rooms import room_with


async def _restored_member(backup_path, key, user_id, tmp_path):
    restore_dir = tmp_path / "restored"
    restore_dir.mkdir()
    shutil.copy(backup_path, restore_dir / "entraide.db")
    db = await Database.open(restore_dir, key)
    async with db.transaction() as tx:
        member = await MemberRepo(tx).find_by_user(user_id)
    await db.close()
    return member


async def test_backup_restores_and_reads(h, tmp_path):
    fac, room_id, (a,) = await room_with(h, "Alice")
    config = Config(token=None, data_dir=h.data_dir)
    path, removed = await _in_thread(make_backup, config)
    assert os.stat(path).st_mode & 0o077 == 0
    with open(path, "rb") as backup:
        assert backup.read(16) != b"SQLite format 3\x00"
    member = await _restored_member(path, resolve_master_key(h.data_dir, None), a.user_id, tmp_path)
    assert member is not None and member.locale == "fr"


async def test_backup_after_forget_holds_nothing_of_the_member(h, tmp_path):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.say(a, "mes mots à moi")
    await h.cmd(a, "oublier")
    await a.press(a.last(), "fg:yes")
    await h.pump()
    path, _ = await _in_thread(make_backup, Config(token=None, data_dir=h.data_dir))
    restore = tmp_path / "check"
    restore.mkdir()
    shutil.copy(path, restore / "entraide.db")
    shutil.copy(h.data_dir / "master.key", restore / "master.key")
    assert scan(restore, needles_for([a], ["mes mots à moi"])) == []


async def test_key_rotation_keeps_data_and_lookups_and_is_resumable(h, monkeypatch):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.stop()
    old_key = resolve_master_key(h.data_dir, None)
    config = Config(token=None, data_dir=h.data_dir)
    # Interrupt the first run after some rows moved.
    import storage.rotation as rotation

    monkeypatch.setattr(rotation, "BATCH", 1)
    calls = {"n": 0}
    real_seal = rotation.seal

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 2:
            raise KeyboardInterrupt
        return real_seal(*args, **kwargs)

    monkeypatch.setattr(rotation, "seal", flaky)
    with pytest.raises(KeyboardInterrupt):
        rotate_key(config)
    assert (h.data_dir / NEXT_KEY_FILE).exists()
    with pytest.raises(RotationPending):
        await Database.open(h.data_dir, old_key)
    monkeypatch.setattr(rotation, "seal", real_seal)
    version = rotate_key(config).version
    assert version == 2 and not (h.data_dir / NEXT_KEY_FILE).exists()
    new_key = resolve_master_key(h.data_dir, None)
    assert new_key != old_key
    with pytest.raises(WrongKey):
        await Database.open(h.data_dir, old_key)
    await h.start()
    await h.say(a, "après la rotation")
    assert b.last()["text"].endswith("après la rotation")


async def test_incident_register_is_encrypted(tmp_path):
    config = Config(token=None, data_dir=tmp_path)
    resolve_master_key(tmp_path, None)
    db = await Database.open(tmp_path, resolve_master_key(tmp_path, None))
    await db.close()
    await add_incident(config, "Copie de sauvegarde égarée", "Clé changée, membres informés", "2026-11-20")
    incidents = await list_incidents(config)
    assert [(i.day, i.nature) for i in incidents] == [("2026-11-20", "Copie de sauvegarde égarée")]
    from tests.support.privacy import decrypted_dump

    assert b"Copie de sauvegarde" not in decrypted_dump(tmp_path)


async def _in_thread(function, *args):
    import asyncio

    return await asyncio.to_thread(function, *args)
