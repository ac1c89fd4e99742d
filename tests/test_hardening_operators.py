"""Issue 15, operators: one bot per data directory, verbs that cooperate, key rotation
that keeps the backups readable, a doctor that touches nothing with a wrong key."""

import base64
import hashlib
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from bot.core.datalock import rotation
from storage.database import Database, resolve_master_key
from storage.members import MemberRepo
from tests.support.live import LiveBot
from tests.support.rooms import room_with


def cli(data_dir, *args, **env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ENTRAIDE_"))}
    proc = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={
            **base,
            "ENTRAIDE_DATA_DIR": str(data_dir),
            "LC_ALL": "",
            "LC_MESSAGES": "",
            "LANG": "C.UTF-8",  # English
            **env,
        },
    )
    return proc.returncode, proc.stdout, proc.stderr


def snapshot(folder):
    """Every file of a folder: its bytes' hash and its modification time."""
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.iterdir())
        if p.is_file()
    }


async def _make_database(data_dir):
    db = await Database.open(data_dir, resolve_master_key(data_dir, None))
    await db.close()


# ------------------------------------------------------------- 9. one bot per directory
@pytest.mark.e2e
async def test_a_second_run_refuses_and_writing_verbs_cooperate_with_the_running_bot(tmp_path):
    live = await LiveBot(tmp_path / "data").start()
    try:  # live.cli: the same token, URL and folder, without blocking the running bot
        code, out, err = await live.cli("run")
        lines = [line for line in err.splitlines() if line.strip()]
        assert code == 2 and len(lines) == 1 and "already using this data directory" in lines[0], err
        key_before = (live.data_dir / "master.key").read_bytes()
        code, out, err = await live.cli("rotate-key")
        assert code == 2 and "stop it" in err and "Traceback" not in err
        assert (live.data_dir / "master.key").read_bytes() == key_before
        assert not (live.data_dir / "master.key.next").exists()
        # Online verbs work beside the bot.
        code, out, err = await live.cli("backup")
        assert code == 0, err
        code, out, err = await live.cli("incident", "add", "--nature", "essai", "--measures", "aucune")
        assert code == 0, err
        alice = live.api.phone(5_200_000_011, "Alice", language_code="fr")
        await alice.start()
        await alice.wait_text("Bienvenue")  # the first bot still answers
    finally:
        await live.stop()
    code, out, err = cli(live.data_dir, "rotate-key")  # stopped: now it may
    assert code == 0, err


async def test_during_a_key_rotation_every_verb_that_writes_refuses_kindly(tmp_path):
    data = tmp_path / "data"
    await _make_database(data)
    with rotation(data):  # as `entraide rotate-key` holds it
        for args in (
            ["purge"],
            ["backup"],
            ["incident", "add", "--nature", "n", "--measures", "m"],
            ["incident", "list"],
            ["run"],
            ["rotate-key"],
        ):
            code, out, err = cli(
                data, *args, TELEGRAM_BOT_TOKEN="123456:TEST-fake-token", TELEGRAM_API_URL="http://127.0.0.1:9/bot"
            )
            assert code == 2, (args, err)
            assert "Traceback" not in err and len(err.strip().splitlines()) == 1, (args, err)
    assert not (data / "backups").exists()
    code, out, err = cli(data, "backup")
    assert code == 0, err


# ------------------------------------------------------------- 13. rotate-key and backups
async def test_rotate_key_rekeys_the_backups_it_keeps_and_says_so(h, tmp_path):
    fac, room_id, (a,) = await room_with(h, "Alice")
    await h.stop()
    old_key = resolve_master_key(h.data_dir, None)
    for _ in range(2):
        code, out, err = cli(h.data_dir, "backup")
        assert code == 0, err
        os.utime(h.data_dir / "backups", None)
    backups = sorted((h.data_dir / "backups").glob("entraide-*.db"))
    if len(backups) < 2:  # the same second: one more, named apart
        shutil.copy(backups[0], backups[0].with_name("entraide-20000101T000000.db"))
        backups = sorted((h.data_dir / "backups").glob("entraide-*.db"))
    code, out, err = cli(h.data_dir, "rotate-key")
    assert code == 0, err
    assert out.count("backup re-keyed") == len(backups) == 2, out
    new_key = resolve_master_key(h.data_dir, None)
    assert new_key != old_key
    for backup in backups:
        restore = tmp_path / backup.stem
        restore.mkdir()
        shutil.copy(backup, restore / "entraide.db")
        db = await Database.open(restore, new_key)
        async with db.transaction() as tx:
            assert await MemberRepo(tx).find_by_user(a.user_id) is not None
        await db.close()
        assert os.stat(backup).st_mode & 0o077 == 0
    assert not list((h.data_dir / "backups").glob("*.rekey*"))
    code, out, err = cli(h.data_dir, "rotate-key")  # once more: the backups follow again
    assert out.count("backup re-keyed") == 2, out
    await h.start()


# ------------------------------------------------------------- 14. doctor, modes, key apart
UNCLEAN_STOP = textwrap.dedent("""
    import asyncio, os, sys
    from pathlib import Path
    from storage.database import Database, resolve_master_key
    from storage.incidents import IncidentRepo

    async def main():
        folder = Path(sys.argv[1])
        db = await Database.open(folder, resolve_master_key(folder, None))
        async with db.transaction() as tx:
            await IncidentRepo(tx).add("2026-11-20", "dans le WAL", "seulement")
        os._exit(0)  # no close, no checkpoint: like kill -9

    asyncio.run(main())
""")


@pytest.mark.e2e
async def test_doctor_with_a_wrong_key_after_an_unclean_stop_touches_no_file(tmp_path):
    data = tmp_path / "data"
    await _make_database(data)
    subprocess.run([sys.executable, "-c", UNCLEAN_STOP, str(data)], check=True, timeout=60)
    assert (data / "entraide.db-wal").stat().st_size > 0
    before = snapshot(data)
    wrong = base64.b64encode(b"\x01" * 32).decode()
    code, out, err = cli(data, "doctor", ENTRAIDE_MASTER_KEY=wrong)
    assert code == 1 and "does not open this database" in out
    assert snapshot(data) == before
    code, out, err = cli(data, "incident", "list")  # the right key: the WAL's row is there
    assert code == 0 and "dans le WAL" in out, err


async def test_the_database_and_its_wal_are_private_from_the_start(tmp_path):
    data = tmp_path / "data"
    db = await Database.open(data, resolve_master_key(data, None))
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('probe', 'x')")
    for name in ("entraide.db", "entraide.db-wal", "entraide.db-shm"):
        if (data / name).exists():
            assert os.stat(data / name).st_mode & 0o077 == 0, name
    assert os.stat(data / "entraide.db").st_mode & 0o777 == 0o600
    await db.close()


async def test_doctor_warns_when_the_key_file_sits_beside_the_database(tmp_path):
    data = tmp_path / "data"
    await _make_database(data)
    code, out, err = cli(data, "doctor")
    assert code == 0 and "WARNING" in out and "beside the database" in out, out
    key = (data / "master.key").read_text().strip()
    (data / "master.key").unlink()
    code, out, err = cli(data, "doctor", ENTRAIDE_MASTER_KEY=key)
    assert code == 0 and "WARNING" not in out, out
