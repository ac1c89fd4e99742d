"""Crisis care end to end over HTTP, at both levels, in French and in English.

hold: the message stays out of the room and the sender privately gets the resources.
gentle: the message reaches the room and the sender privately gets a short note with the
resources, not repeated within the hour.
"""

from __future__ import annotations

import asyncio

import pytest

from bot.services.crisis import assess
from locales.typography import plain
from tests.support.crisis import GENTLE_FR, GENTLE_FR_AGAIN
from tests.support.live import LiveBot, setup_room
from tests.support.logs import capture_redacted_logs
from tests.support.onboarding import onboard
from tests.support.rooms import pseudonym_of

HOLD_EN = "honestly I just want to die, I can't do this anymore"


def test_the_chosen_lines_are_at_the_levels_these_tests_need():
    assert assess(GENTLE_FR).level == "gentle"
    assert assess(GENTLE_FR_AGAIN).level == "gentle"
    assert assess(HOLD_EN).level == "hold"
    assert assess("jveux pu vivre").level == "hold"


@pytest.mark.e2e
async def test_hold_in_french_and_english_and_gentle_note_over_http(tmp_path, caplog):
    capture_redacted_logs(caplog)
    live = await LiveBot(tmp_path / "data").start()
    api = live.api
    fac, room, (a, b) = await setup_room(live, count=2)
    eve = api.phone(5_400_000_777, "Eve", username="eve_mtl", language_code="en")
    await onboard(eve, "en")
    await eve.command("join", room)
    await eve.wait_text("Welcome to")

    # hold, in French: nothing reaches the room, the resources reach the sender.
    await a.send("jveux pu vivre")
    held = await a.wait_text("APPELLE", timeout=5)
    assert "535353" in held["text"] and "9-8-8" in plain(held["text"])
    assert [d.split(":")[1] for _, d in a.buttons(held)] == ["talk", "send", "drop"]

    # hold, in English.
    await eve.send(HOLD_EN)
    held_en = await eve.wait_text("APPELLE", timeout=5)
    assert "Kids Help Phone" in held_en["text"] and "keeping" in held_en["text"]
    await asyncio.sleep(0.5)
    for phone in (b, fac, eve, a):  # held: the words reach no one (join notices may still come)
        assert not any("jveux pu vivre" in t for t in phone.texts()), phone.first_name
    for phone in (a, b, fac):
        assert not any("want to die" in t for t in phone.texts()), phone.first_name

    # gentle: relayed to the room, a private note to the sender, once within the hour.
    await b.send(GENTLE_FR)
    pb = pseudonym_of(b)
    await a.wait_text(f"{pb} : {GENTLE_FR}")
    await eve.wait_text(GENTLE_FR)
    note = await b.wait_text("APPELLE", timeout=5)
    assert "parti à la salle" in note["text"] and not b.buttons(note)
    assert not any("APPELLE" in t for t in a.texts()[-1:]), "the note is private"
    notes = sum("APPELLE" in t for t in b.texts())
    await b.send(GENTLE_FR_AGAIN)
    await a.wait_text(GENTLE_FR_AGAIN)
    await asyncio.sleep(0.3)
    assert sum("APPELLE" in t for t in b.texts()) == notes, "not repeated within the hour"

    await live.stop()
    await live.server.stop()
    logs = caplog.text
    for secret in ("vivre", "sortie", "want to die", "semantic", "rule"):
        assert secret not in logs, secret
