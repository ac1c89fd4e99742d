"""Reports without the reporter, privacy toggles, export and erasure."""

import json
from datetime import datetime

from locales.typography import plain
from storage.members import MemberRepo
from storage.rooms import RoomRepo
from tests.support.checkins import MTL, press_latest
from tests.support.privacy import needles_for, scan
from tests.support.rooms import pseudonym_of, room_with


async def test_report_reaches_facilitators_without_the_reporter(h):
    fac, room_id, (a, b, c) = await room_with(h, "Alice", "Bruno", "Chloé")
    await h.say(a, "un message déplacé")
    copy_at_b = b.last()
    await h.cmd(b, "signaler", reply_to=copy_at_b["message_id"])
    reasons = b.buttons()
    assert len(reasons) == 5
    await b.press(b.last(), "rp:respect")
    await h.pump()
    assert "Personne ne saura" in b.last()["text"]
    notice = fac.last()
    assert "Signalement" in notice["text"] and pseudonym_of(a) in notice["text"]
    assert notice["reply_to_message"]["text"].endswith("un message déplacé")
    for secret in ("Bruno", "bruno_x", str(b.user_id), pseudonym_of(b)):
        assert secret not in notice["text"]
    async with h.db.transaction() as tx:
        columns = [row[1] for row in await tx.all("PRAGMA table_info(reports)")]
    assert "text" not in columns and "body" not in columns


async def test_repeatedly_reported_member_is_paused_until_a_facilitator_decides(h):
    fac, room_id, phones = await room_with(h, "Alice", "Bruno", "Chloé", "Dany")
    a, others = phones[0], phones[1:]
    await h.say(a, "encore ce message")
    for phone in others:
        copy = next(m for m in reversed(phone.received()) if "encore ce message" in m.get("text", ""))
        await h.cmd(phone, "signaler", reply_to=copy["message_id"])
        await phone.press(phone.last(), "rp:respect")
        await h.pump()
    assert "en pause" in a.last()["text"]
    await h.say(a, "allo?")
    assert "n'a pas été envoyé" in a.last()["text"]
    paused = next(m for m in reversed(fac.received()) if "en pause" in m.get("text", ""))
    await fac.press(paused, data=fac.buttons(paused)[0][1])
    await h.pump()
    assert "levée" in a.last()["text"]
    await h.say(a, "merci")
    assert others[0].last()["text"].endswith("merci")


async def test_privacy_toggles_change_only_that_consent(h):
    fac, room_id, (a,) = await room_with(h, "Alice")
    await h.cmd(a, "confidentialite")
    assert "jamais conservés" in a.last()["text"] and "copies de sécurité" in a.last()["text"]
    await a.press(a.last(), "pv:2")
    await h.pump()
    async with h.db.transaction() as tx:
        member = await MemberRepo(tx).find_by_user(a.user_id)
    assert member.consents.checkins and not member.consents.reminders and not member.consents.alerts
    assert "☑ Bilan du soir" in a.buttons()[1][0]


async def test_my_data_contains_mine_and_nobody_elses(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.say(a, "mon message à moi")
    await h.cmd(a, "mesdonnees")
    document = a.last()["document"]
    data = json.loads(h.api.files[document["file_id"]].data)
    assert data["Toi"]["Langue"] == "français" and data["Toi"]["Rôle"] == "membre"
    assert data["Tes salles"][0]["Pseudonyme"] == pseudonym_of(a)
    assert data["Tes salles"][0]["Thème"] == "Stress et argent"
    blob = json.dumps(data, ensure_ascii=False)
    assert pseudonym_of(b) not in blob and "Bruno" not in blob and "Alice" not in blob
    assert str(a.user_id) not in blob and "mon message à moi" not in blob


async def test_my_data_speaks_the_members_language_with_readable_values(h):
    """Tag names, weekday names and words, not `"tags": 3` or days 0–6; English for English."""
    fac, room_id, (a,) = await room_with(h, "Alice")
    bob = h.phone("Bob", language_code="en")
    await h.onboard(bob, "en")
    await h.cmd(bob, "join", str(room_id))
    for phone in (a, bob):
        await h.cmd(phone, "bilan", "20:00")
        screen = phone.last()
        await phone.press(screen, next(d for _, d in phone.buttons(screen) if d == "cis:d:6"))  # no Sundays
        await h.pump()
    now = datetime.fromtimestamp(h.clock.now(), MTL)
    await h.tick((now.replace(hour=20, minute=5) - now).total_seconds())
    for phone in (a, bob):
        await press_latest(h, phone, "ci:m:2:")
        await press_latest(h, phone, "ci:t:2:")  # money
        await press_latest(h, phone, "ci:t:1:")  # sleep
        await h.cmd(phone, "mesdonnees")
    fr = json.loads(h.api.files[a.last()["document"]["file_id"]].data)
    en = json.loads(h.api.files[bob.last()["document"]["file_id"]].data)
    settings = fr["Bilan du soir"]["Réglages"]
    assert settings["Jours"] == ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"]
    assert settings["Fuseau horaire"] == "Montréal" and settings["Heure"] == "20:00"
    (answer,) = fr["Bilan du soir"]["Tes réponses"]
    assert answer["Humeur"] == "2 sur 5 (🙁 Difficile)" and answer["Ce qui a pesé"] == ["Sommeil", "Argent"]
    assert fr["Toi"]["Tes accords"]["Participer aux salles"] == "oui"
    assert en["You"]["Language"] == "English"
    assert a.last()["document"]["file_name"] == "entraide-mes-donnees.json"
    assert bob.last()["document"]["file_name"] == "entraide-my-data.json"
    settings = en["Evening check-in"]["Settings"]
    assert settings["Days"] == ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"]
    assert settings["Time zone"] == "Montreal"
    (answer,) = en["Evening check-in"]["Your answers"]
    assert answer["What weighed on you"] == ["Sleep", "Money"] and answer["Mood"].startswith("2 out of 5")
    blob = json.dumps(en)
    assert '"tags"' not in blob and '"days"' not in blob and "Humeur" not in blob


async def test_forget_erases_member_deletes_recent_copies_and_keeps_no_trace(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.say(a, "à effacer partout")
    assert b.last()["text"].endswith("à effacer partout")
    await h.cmd(a, "oublier")
    await a.press(a.last(), "fg:yes")
    await h.pump()
    assert "tout ce qu'on gardait" in a.last()["text"]
    await h.tick(h.config.unlink_window)  # each room's copies go at their own moment
    assert all("à effacer partout" not in t for t in b.texts() + fac.texts())
    async with h.db.transaction() as tx:
        assert await MemberRepo(tx).find_by_user(a.user_id) is None
        assert len(await RoomRepo(tx).seats(room_id)) == 2
    await h.stop()
    assert scan(h.data_dir, needles_for([a], ["à effacer partout"])) == []
    await h.start()


async def test_forget_can_be_cancelled(h):
    fac, room_id, (a,) = await room_with(h, "Alice")
    await h.cmd(a, "oublier")
    await a.press(a.last(), "fg:no")
    await h.pump()
    assert "rien n'a été effacé" in a.last()["text"]
    async with h.db.transaction() as tx:
        assert await MemberRepo(tx).find_by_user(a.user_id) is not None


async def test_forged_callback_data_changes_nothing(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.say(b, "message de Bruno")
    async with h.db.transaction() as tx:
        before = await tx.all("SELECT * FROM room_members ORDER BY room_id, member_id")
        before_reports = await tx.scalar("SELECT count(*) FROM reports")
    forged = [
        "leave:999",
        f"join:{room_id}x",
        "rp:respect:99999",
        "rp:bogus:1",
        "pv:8",
        "fg:maybe",
        "unpause:1",
        "sup:1",
        "cr:send:AAAAAAAAAAAA",
        "ob:d:fr:9:",
        "\u00e9" * 20,
        "lang:xx",
    ]
    for data in forged:
        query = await a.press(a.last(), data, forge=True)
        await h.pump()
        assert h.api.callback_answers[query].get("text"), data
    async with h.db.transaction() as tx:
        assert await tx.all("SELECT * FROM room_members ORDER BY room_id, member_id") == before
        assert await tx.scalar("SELECT count(*) FROM reports") == before_reports


async def test_a_report_reaches_a_facilitator_who_has_no_copy_without_copying_a_protected_message(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.say(a, "un message déplacé")
    copy_at_b = b.last()
    assert copy_at_b["has_protected_content"]
    late = h.phone("Gaël")  # a second facilitator, seated after the message: no copy of it
    await h.make_facilitator(late)
    await h.cmd(late, "rejoindre", str(room_id))
    await h.cmd(b, "signaler", reply_to=copy_at_b["message_id"])
    await b.press(b.last(), "rp:respect")
    await h.pump()
    notice = late.last()
    assert "Signalement" in notice["text"] and pseudonym_of(a) in notice["text"]
    assert "Stress et argent" in notice["text"] and "Bruno" not in notice["text"]
    assert h.api.counts["copyMessage"] == 0 and h.api.errors_sent[400] == 0
    assert fac.last()["reply_to_message"]["text"].endswith("un message déplacé")  # beside their own copy
    assert "Personne ne saura" in b.last()["text"]


async def test_a_report_that_reaches_no_facilitator_says_so_and_logs_no_ids(h, caplog):
    import logging

    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.say(a, "encore un message déplacé")
    copy_at_b = b.last()
    fac.block()
    caplog.set_level(logging.WARNING)
    await h.cmd(b, "signaler", reply_to=copy_at_b["message_id"])
    await b.press(b.last(), "rp:respect")
    await h.pump()
    assert "je n'ai pu joindre personne de l'animation" in plain(b.last()["text"])
    lines = [r.getMessage() for r in caplog.records if "report" in r.getMessage()]
    assert lines and not any(ch.isdigit() for line in lines for ch in line)
    async with h.db.transaction() as tx:
        assert await tx.scalar("SELECT count(*) FROM reports") == 1  # kept for when someone is back
