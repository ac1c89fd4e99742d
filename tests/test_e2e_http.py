"""End to end over HTTP: the real `entraide run` code path polling the fake on 127.0.0.1."""

import asyncio
import os
import re
import signal
import sys

import pytest

from tests.support.harness import has_exif, jpeg_with_gps
from tests.support.live import LiveBot, press_when_shown, wait
from tests.support.onboarding import onboard
from tests.support.privacy import needles_for, scan

pytestmark = pytest.mark.e2e


async def test_live_scenario_then_nothing_identifying_at_rest(tmp_path):
    live = await LiveBot(tmp_path / "data").start()
    api = live.api
    await wait(lambda: api.counts["setMyCommands"] >= 3)  # published just after start
    alice = api.phone(5_200_000_011, "Alice", username="alice_qc", language_code="fr")
    bob = api.phone(5_200_000_022, "Bob", username="bob_mtl", language_code="en")
    kid = api.phone(5_200_000_033, "Kiki", username="kiki_12", language_code="fr")
    fac = api.phone(5_200_000_044, "Fatou", username="fatou_anim", language_code="fr")
    await onboard(alice, "fr")
    await onboard(bob, "en")
    # Under 14: a kind refusal with youth lines; nothing kept.
    await kid.start()
    for data in ("ob:c:fr:", "ob:a:fr:0:"):
        await press_when_shown(kid, data)
    await kid.wait_text("Tel-jeunes")

    # A facilitator invitation from the CLI verb, into the running bot's database.
    code, out, err = await live.cli("invite", "--bot-username", "entraide_test_bot")
    assert code == 0, err
    link = out.strip()
    assert re.fullmatch(r"https://t\.me/entraide_test_bot\?start=[A-Z2-7]{16}", link)
    await onboard(fac, "fr")
    await fac.start(link.split("=", 1)[1])
    await fac.wait_text("Tu fais maintenant partie de l'animation")
    await wait(lambda: any('"chat"' in scope for scope, _ in api.commands))

    # Restart between two steps: nothing is lost.
    await live.stop()
    await live.start()

    await fac.command("ouvrir", "Stress et argent | Parler d'argent sans gêne")
    room = re.search(r"Salle n°\s(\d+)", (await fac.wait_text("Salle n°"))["text"]).group(1)
    await alice.command("rejoindre", room)
    await alice.wait_text("Bienvenue dans")
    await bob.command("join", room)
    await bob.wait_text("Welcome to")
    await alice.send("Je planifie mes achats le dimanche")
    relayed = await bob.wait_text("Je planifie mes achats")
    assert relayed["text"].endswith(": Je planifie mes achats le dimanche")
    assert relayed["has_protected_content"]
    await alice.send_photo(jpeg_with_gps(), caption="mon budget")
    photo = await bob.wait_for(lambda p: next((m for m in p.received() if "photo" in m), None))
    assert not has_exif(api.files[photo["photo"][-1]["file_id"]].data)
    assert api.counts["forwardMessage"] == 0

    # Nothing any phone received names, or numbers, anybody else.
    everyone = (alice, bob, kid, fac)
    for phone in everyone:
        for message in phone.received():
            shown = (message.get("text") or "") + (message.get("caption") or "")
            for other in everyone:
                if other is not phone:
                    assert other.first_name not in shown and other.username not in shown
                    assert str(other.user_id) not in shown

    await live.stop()
    await live.server.stop()
    texts = ["Je planifie mes achats le dimanche", "mon budget"]
    assert scan(live.data_dir, needles_for(everyone, texts)) == []


async def test_refused_token_is_one_clear_sentence_and_exit_2(tmp_path):
    live = LiveBot(tmp_path)
    await live.server.start()
    bot_token = live.api.token
    live.api.token = "1:another-token"  # the server now refuses the bot's token
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        env={
            **os.environ,
            "TELEGRAM_BOT_TOKEN": bot_token,
            "ENTRAIDE_DATA_DIR": str(tmp_path),
            "TELEGRAM_API_URL": live.server.base_url,
            "LC_ALL": "",
            "LANG": "fr_CA.UTF-8",
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    raw_out, raw_err = await asyncio.wait_for(proc.communicate(), 60)
    code, out, err = proc.returncode, raw_out.decode(), raw_err.decode()
    await live.server.stop()
    assert code == 2
    assert "Traceback" not in err
    assert "refusé le jeton" in err
    assert "TEST-fake-token" not in out + err


async def test_sandbox_starts_without_a_token_and_stops_on_sigint(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["ENTRAIDE_DATA_DIR"] = str(tmp_path)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "run",
        "--port",
        "0",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    banner = await asyncio.wait_for(proc.stdout.readline(), 30)
    assert b"sandbox" in banner.lower()
    await asyncio.sleep(1.5)
    proc.send_signal(signal.SIGINT)
    out, err = await asyncio.wait_for(proc.communicate(), 30)
    assert proc.returncode == 0, err.decode()[-2000:]
    assert (tmp_path / "sandbox" / "entraide.db").exists()
    assert not (tmp_path / "entraide.db").exists()


async def test_doctor_reports_without_secrets(tmp_path):
    from storage.database import Database, resolve_master_key

    db = await Database.open(tmp_path, resolve_master_key(tmp_path, None))
    await db.close()
    live = LiveBot(tmp_path)
    code, out, err = await live.cli("doctor")
    assert code == 0, out + err
    assert "schema version" in out and "database check:     ok" in out and "0o600" in out
    assert live.api.token not in out + err
    assert (tmp_path / "master.key").read_text().strip() not in out


async def test_wrong_master_key_is_a_clear_error(tmp_path):
    from storage.database import Database, resolve_master_key

    db = await Database.open(tmp_path, resolve_master_key(tmp_path, None))
    await db.close()
    before = (tmp_path / "entraide.db").read_bytes()
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot.cli",
        "purge",
        env={
            **os.environ,
            "ENTRAIDE_DATA_DIR": str(tmp_path),
            "LC_ALL": "",
            "LANG": "C.UTF-8",
            "ENTRAIDE_MASTER_KEY": "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=",
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await proc.communicate()
    assert proc.returncode == 2
    assert "does not open this database" in err.decode() and "Traceback" not in err.decode()
    assert (tmp_path / "entraide.db").read_bytes() == before
