"""Issue 5 end to end over HTTP: crisis care, rights, and logs without ids, names, texts or token."""

import asyncio
import json
import re
import time

import pytest

from locales.typography import plain
from tests.support.live import LiveBot, press_when_shown, setup_room
from tests.support.logs import capture_redacted_logs

pytestmark = pytest.mark.e2e


async def test_safety_and_rights_over_http_with_clean_logs(tmp_path, caplog):
    capture_redacted_logs(caplog)
    live = await LiveBot(tmp_path / "data").start()
    api = live.api
    fac, room, (a, b, c) = await setup_room(live, count=3)
    # Alice consents to facilitator alerts.
    await a.command("confidentialite")
    await press_when_shown(a, "pv:4")
    await a.wait_for(lambda p: "☑" in p.buttons(p.last())[2][0])

    before_b, before_c = len(b.inbox), len(c.inbox)
    started = time.monotonic()
    await a.send("jveux pu vivre, j'ai pensé à m'enlever la vie")
    held = await a.wait_text("1 866 APPELLE", timeout=5)
    assert time.monotonic() - started < 5
    assert "535353" in held["text"] and "9-8-8" in plain(held["text"]) and "811" in held["text"]
    alert = await fac.wait_text("besoin de soutien")
    assert "Alice" not in alert["text"]
    await asyncio.sleep(0.3)
    assert len(b.inbox) == before_b and len(c.inbox) == before_c
    await fac.press(alert, data=fac.buttons(alert)[0][1])
    await fac.wait_text("réponds maintenant en privé")
    await fac.send("Je suis là, je t'écoute.")
    await a.wait_text("Je suis là, je t'écoute.")

    # Report, export and erasure.
    await b.send("message à signaler")
    copy = await c.wait_text("message à signaler")
    await c.command("signaler", reply_to=copy["message_id"])
    await press_when_shown(c, "rp:identity")
    await fac.wait_text("Signalement")
    await b.command("mesdonnees")
    exported = await b.wait_for(lambda p: next((m for m in p.received() if "document" in m), None))
    data = json.loads(api.files[exported["document"]["file_id"]].data)
    assert data["Signalements à ton sujet"][0]["Raison"] == "Révèle l'identité de quelqu'un"
    await b.command("oublier")
    await press_when_shown(b, "fg:yes")
    await b.wait_text("tout ce qu'on gardait")
    await c.wait_for(lambda p: all("message à signaler" not in t for t in p.texts()))
    await live.stop()
    await live.server.stop()

    logs = caplog.text
    assert "entraide is running" in logs
    secrets = [api.token, api.token.split(":")[1]]
    for phone in (a, b, c, fac):
        secrets += [str(phone.user_id), phone.first_name, phone.username]
    secrets += ["vivre", "APPELLE", "signaler", "je t'écoute"]
    found = [s for s in secrets if s and s in logs]
    assert found == [], found
    assert not re.search(r"\d{7,}", logs)
