"""Issue 3 end to end over HTTP with the real `entraide run` path: five phones and a facilitator."""

import re

import pytest

from locales.typography import plain
from tests.support.harness import has_exif, jpeg_with_gps, relayed_lines
from tests.support.live import LiveBot, setup_room
from tests.support.privacy import needles_for, scan
from tests.support.rooms import pseudonym_of

pytestmark = pytest.mark.e2e


async def test_five_phones_full_relay_scenario_over_http(tmp_path):
    live = await LiveBot(tmp_path / "data").start()
    api = live.api
    fac, room, (a, b, c, d, e) = await setup_room(live)
    pa = pseudonym_of(a)

    original = await a.send("Je planifie mes achats le dimanche")
    for phone in (b, c, d, e, fac):
        await phone.wait_text(f"{pa} : Je planifie mes achats le dimanche")
    await a.send_photo(jpeg_with_gps(), caption="mon tableau")
    for phone in (b, c, d, e, fac):
        copy = await phone.wait_for(lambda p: next((m for m in p.received() if "photo" in m), None))
        assert not has_exif(api.files[copy["photo"][-1]["file_id"]].data)
        assert plain(copy["caption"]) == f"{pa} : mon tableau"
    await b.send_media("sticker")
    for phone in (a, c, d, e, fac):
        await phone.wait_for(lambda p: any("sticker" in m for m in p.received()))

    # Restart between the message and its edit, reply and delete.
    await live.stop()
    await live.start()
    await a.edit(original["message_id"], "Je planifie mes achats le samedi")
    copy_c = await c.wait_text("le samedi")
    await c.send("Il y a l'ACEF, c'est gratuit", reply_to=copy_c["message_id"])
    reply_at_a = await a.wait_text("ACEF")
    assert reply_at_a["reply_to_message"]["message_id"] == original["message_id"]
    reply_at_d = await d.wait_text("ACEF")
    assert "samedi" in reply_at_d["reply_to_message"]["text"]
    await live.stop()
    await live.start()
    await a.command("supprimer", reply_to=original["message_id"])
    await a.wait_text("retiré chez tout le monde")
    for phone in (b, c, d, e, fac):
        await phone.wait_for(lambda p: all("samedi" not in t for t in p.texts()))
    assert api.counts["forwardMessage"] == 0

    # The same member in a second room has another, unlinkable pseudonym.
    await fac.command("ouvrir", "Solitude")
    room2 = re.search(r"Salle n°\s(\d+)", (await fac.wait_text("Solitude"))["text"]).group(1)
    await a.command("rejoindre", room2)
    await a.wait_text("Bienvenue dans « Solitude »")
    assert pseudonym_of(a) != pa
    assert not set(pseudonym_of(a).split()) & set(pa.split())

    # Moderation by reply reveals nothing.
    await b.send("un message à modérer")
    copy_f = await fac.wait_text("un message à modérer")
    await fac.command("avertir", reply_to=copy_f["message_id"])
    await b.wait_text("Un petit rappel")
    await fac.command("sourdine", "1h", reply_to=copy_f["message_id"])
    mute_answer = await fac.wait_text("en sourdine")
    for secret in ("Bruno", "user_1_x", str(b.user_id)):
        assert secret not in mute_answer["text"]

    # Nothing any phone received contains another person's name, username or id.
    everyone = [a, b, c, d, e, fac]
    for phone in everyone:
        for message in phone.received():
            shown = str({k: v for k, v in message.items() if k not in ("chat", "from")})
            for other in everyone:
                if other is not phone:
                    assert other.first_name not in shown, (phone.first_name, other.first_name)
                    assert other.username not in shown and str(other.user_id) not in shown
    await live.stop()
    await live.server.stop()
    words = ["Je planifie mes achats", "mon tableau", "ACEF", "un message à modérer"]
    assert scan(live.data_dir, needles_for(everyone, words)) == []


async def test_burst_of_50_with_429s_over_http_arrives_in_order_and_blocked_member(tmp_path):
    live = await LiveBot(tmp_path / "data").start()
    fac, room, phones = await setup_room(live, count=9, capacity=10)
    author, blocked, others = phones[0], phones[1], phones[2:] + [fac]
    live.api.inject(429, count=4, method="sendMessage", retry_after=1)
    blocked.block()
    pseudo = pseudonym_of(author)
    live.services.relay.flood.limit = 1000  # the per-member gate is about people; this is the pipeline
    for i in range(50):
        await author.send(f"rafale {i:02d}")
    expected = [f"{pseudo} : rafale {i:02d}" for i in range(50)]
    for phone in others:
        await phone.wait_for(lambda p: len(relayed_lines(p, "rafale")) == 50, timeout=60)
        assert relayed_lines(phone, "rafale") == expected
    assert live.api.errors_sent[429] >= 4
    assert not relayed_lines(blocked, "rafale")
    await live.stop()
    await live.server.stop()
