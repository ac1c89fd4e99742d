"""The sandbox as `entraide run` starts it, without a browser: clean restarts, the CLI's invitation."""

import asyncio
import contextlib
import os
import subprocess
import sys

import pytest

from bot.core.config import Config
from bot.telegram.context import SERVICES_KEY
from locales.typography import plain as plain_text
from storage.members import MemberRepo
from storage.rooms import RoomRepo
from tests.support.onboarding import onboard

pytestmark = pytest.mark.e2e


@contextlib.asynccontextmanager
async def running(data_dir):
    from bot.sandbox.session import Sandbox

    box = Sandbox(data_dir / "sandbox", port=0)
    await box.start()
    stop = asyncio.Event()
    task = asyncio.create_task(box.run(Config(token=None, data_dir=data_dir, poll_timeout=1), stop))
    try:
        while box.app is None or box.invite_code is None:
            await asyncio.sleep(0.05)
        yield box
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
        await box.stop()


async def test_a_new_run_after_a_demo_starts_clean_without_ghost_members(tmp_path):
    """Issue 16, item 7: the phones are new at every run, so the data is too."""
    async with running(tmp_path) as box:
        fatou, alice = box.phones["fatou"], box.phones["alice"]
        await onboard(fatou, code=box.invite_code)
        await fatou.wait_text("Tu fais maintenant partie de l'animation", 10)
        await fatou.command("/ouvrir", "Stress et argent | entre nous | 2")
        await fatou.wait_text("Salle n° 1", 10)
        await onboard(alice)
        await alice.wait_text("Stress et argent", 10)
        await alice.command("/rejoindre", "1")
        await alice.wait_text("Bienvenue dans", 10)
        async with box.app.bot_data[SERVICES_KEY].db.transaction() as tx:
            assert await MemberRepo(tx).count() == 2
    async with running(tmp_path) as box:
        async with box.app.bot_data[SERVICES_KEY].db.transaction() as tx:
            assert await MemberRepo(tx).count() == 0
            assert await RoomRepo(tx).list_open() == []
        fatou = box.phones["fatou"]
        await onboard(fatou, code=box.invite_code)  # the new run's invitation works: she leads again
        await fatou.wait_text("Tu fais maintenant partie de l'animation", 10)
        await fatou.command("/ouvrir", "Stress et argent | entre nous | 2")
        opened = await fatou.wait_text("Salle n° 1", 10)
        assert "(2 places)" in opened["text"]  # no ghost holds a seat
        async with box.app.bot_data[SERVICES_KEY].db.transaction() as tx:
            assert (await RoomRepo(tx).get(1)).places_left == 2


def test_invite_without_a_token_says_it_is_a_sandbox_invitation(tmp_path):
    """Issue 16, item 19: no real-looking t.me link for a bot that does not exist."""
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env.update(ENTRAIDE_DATA_DIR=str(tmp_path), LC_ALL="", LC_MESSAGES="", LANG="en_CA.UTF-8")
    english = subprocess.run(
        [sys.executable, "-m", "bot.cli", "invite"], env=env, capture_output=True, text=True, timeout=60
    )
    assert english.returncode == 0 and "Sandbox invitation, not a Telegram link" in english.stdout
    env["LANG"] = "fr_CA.UTF-8"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "invite"], env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "t.me" not in done.stdout + done.stderr + english.stdout + english.stderr
    assert "Invitation du bac à sable, pas un lien Telegram" in plain_text(done.stdout)
    code = done.stdout.split("/start ", 1)[1].split()[0]
    assert len(code) == 16 and (tmp_path / "sandbox").is_dir()


async def test_the_signal_phone_shares_a_room_with_the_telegram_phones(tmp_path):
    """Issue 13, item 5: the sandbox runs the bot on both messengers; the Signal phone answers
    the bot's numbered choices by typing the number, joins Fatou's room, and the Telegram
    phones read it under its pseudonym; the page's state draws it as a Signal phone."""
    from bot.core.i18n import Translator
    from bot.sandbox.web import state

    t = Translator()
    async with running(tmp_path) as box:
        fatou, alice, samir = box.phones["fatou"], box.phones["alice"], box.signal
        await onboard(fatou, code=box.invite_code)
        await fatou.wait_text("Tu fais maintenant partie de l'animation", 10)
        await fatou.command("/ouvrir", "Stress et argent | entre nous | 4")
        await fatou.wait_text("Salle n° 1", 10)
        await onboard(alice)
        await alice.command("/rejoindre", "1")
        await alice.wait_text("Bienvenue dans", 10)

        daemon = box.daemon
        await samir.send("/start")
        first = await daemon.wait_for(lambda: [m for m in samir.phone.received() if "1️⃣" in m.text], 10)
        assert not first[0].attachments and "2️⃣" in first[0].text  # a numbered list, no buttons

        # The number of a choice (or its words), typed once its list is shown; the bot
        # answers by editing its list (a new revision) or with a new message.
        def shown_last(fragment):
            received = samir.phone.received()
            return bool(received) and fragment in received[-1].text

        for shown, answer in (
            ("1️⃣ J'ai lu", "1"),
            ("1️⃣ J'ai 14 ans", "1"),
            ("4️⃣", t("fr", "onboarding.consent_done")),
        ):
            await daemon.wait_for(lambda s=shown: shown_last(s), 10)
            await samir.send(answer)
        await daemon.wait_for(lambda: shown_last("1️⃣ Rejoindre"), 10)
        offer = plain_text(samir.phone.received()[-1].text)
        assert "1️⃣ Rejoindre n° 1" in offer  # onboarded: Fatou's room offered as choice 1
        await samir.send("1")
        welcome = await daemon.wait_for(
            lambda: next((m for m in samir.phone.received() if "Bienvenue dans" in plain_text(m.text)), None), 10
        )
        assert "Stress et argent" in plain_text(welcome.text)

        await samir.send("Bonsoir, je suis sur Signal")
        copy = await alice.wait_text("Bonsoir, je suis sur Signal", 10)
        await fatou.wait_text("Bonsoir, je suis sur Signal", 10)
        author = plain_text(copy["text"]).split(":", 1)[0].strip()
        assert author and "Samir" not in copy["text"]  # a pseudonym, never the profile name
        assert samir.phone.aci not in copy["text"]

        await alice.send("Bienvenue à toi")
        await daemon.wait_for(lambda: any("Bienvenue à toi" in m.text for m in samir.phone.received()), 10)

        view = state(box)
        signal = next(p for p in view["phones"] if p["transport"] == "signal")
        assert [p["transport"] for p in view["phones"]].count("signal") == 1
        assert signal["slot"] == "samir" and signal["started"]
        mine = [m["text"] for m in signal["messages"] if m["mine"]]
        assert mine[:2] == ["/start", "1"] and "Bonsoir, je suis sur Signal" in mine
        assert any("Bienvenue à toi" in (m["text"] or "") for m in signal["messages"] if not m["mine"])
        assert all(not m["buttons"] for m in signal["messages"])
        ids = [m["id"] for m in signal["messages"]]
        assert ids == sorted(ids)
        telegram = next(p for p in view["phones"] if p["slot"] == "alice")
        assert samir.phone.aci not in str(telegram) and "Samir" not in str(telegram)


async def test_the_signal_phone_through_the_page_api_quotes_edits_deletes_and_refuses_bad_input(tmp_path):
    """The page's calls for the Signal phone: a reply quotes the bot's copy (Alice's copy is
    threaded under her line), an edit reaches Alice's copy, a delete for everyone takes it
    down; someone else's message, a bool or a missing id changes nothing."""
    import aiohttp

    async with running(tmp_path) as box:
        fatou, alice, samir, daemon = box.phones["fatou"], box.phones["alice"], box.signal, box.daemon
        await onboard(fatou, code=box.invite_code)
        await fatou.wait_text("Tu fais maintenant partie de l'animation", 10)
        await fatou.command("/ouvrir", "Stress et argent | entre nous | 4")
        await fatou.wait_text("Salle n° 1", 10)
        await onboard(alice)
        await alice.command("/rejoindre", "1")
        await alice.wait_text("Bienvenue dans", 10)

        api = f"{box.url}api/{samir.slot}"

        def shown_last(fragment):
            received = samir.phone.received()
            return bool(received) and fragment in received[-1].text

        async with aiohttp.ClientSession() as http:

            async def post(path, **payload):
                async with http.post(f"{api}/{path}", json=payload) as response:
                    return response.status

            assert await post("start") == 200
            # Onboarding and joining by the numbers shown, each once its list is there.
            for shown, answer in (("1️⃣ J'ai lu", "1"), ("1️⃣ J'ai 14 ans", "1"), ("4️⃣", "4"), ("1️⃣ Rejoindre", "1")):
                await daemon.wait_for(lambda s=shown: shown_last(s), 10)
                assert await post("send", text=answer) == 200
            await daemon.wait_for(
                lambda: any("Bienvenue dans" in plain_text(m.text) for m in samir.phone.received()), 10
            )

            await alice.send("Quelqu'un connaît une ACEF ?")
            copy = await daemon.wait_for(
                lambda: next((m for m in samir.phone.received() if "ACEF" in m.text), None), 10
            )
            assert await post("send", text="Oui, celle de mon quartier", reply_to=copy.timestamp) == 200
            answer = await alice.wait_text("Oui, celle de mon quartier", 10)
            assert "ACEF" in (answer.get("reply_to_message") or {}).get("text", "")  # threaded under her line

            mine = next(w for w in samir.written if w.text == "Oui, celle de mon quartier")
            assert await post("edit", message_id=copy.timestamp, text="pas à moi") == 403  # the bot's copy
            assert await post("edit", message_id=True, text="x") == 403
            assert await post("delete", message_id="nope") == 403
            assert await post("send", text="   ") == 400
            assert await post("press", message_id=copy.timestamp, data="x") == 404  # no buttons on Signal
            assert await post("edit", message_id=mine.timestamp, text="Oui, celle du quartier Centre-Sud") == 200
            await alice.wait_text("Oui, celle du quartier Centre-Sud", 10)
            copies = [m for m in alice.received() if "Oui, celle" in (m.get("text") or "")]
            assert len(copies) == 1  # edited in place, not sent again

            assert await post("delete", message_id=mine.timestamp) == 200
            await alice.wait_for(lambda p: not any("Centre-Sud" in (m.get("text") or "") for m in p.received()), 10)
            async with http.get(f"{api}/file/{mine.timestamp}") as response:
                assert response.status == 404
