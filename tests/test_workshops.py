"""Workshops with an injected clock: exactly one reminder of each kind, across a restart."""

from datetime import datetime
from zoneinfo import ZoneInfo

from locales.typography import plain
from tests.support.rooms import room_with
from tests.support.workshops import schedule

MTL = ZoneInfo("America/Montreal")


async def opt_in(h, phone):
    """The member consents to workshop reminders."""
    await h.cmd(phone, "confidentialite")
    await phone.press(phone.last(), "pv:1")
    await h.pump()


async def answer(h, phone, code="y", workshop=1):
    post = next(m for m in reversed(phone.received()) if "Atelier" in m.get("text", ""))
    await phone.press(post, f"rsvp:{workshop}:{code}")
    await h.pump()
    return post


def reminders(phone, kind_word):
    return [t for t in phone.texts() if kind_word in t]


async def test_reminders_at_24h_1h_start_exactly_once_with_a_restart(h):
    fac, room_id, (a, b, c) = await room_with(h, "Alice", "Bruno", "Chloé")
    # Alice consents to reminders; Bruno answers yes without consent; Chloé says no.
    await h.cmd(a, "confidentialite")
    await a.press(a.last(), "pv:1")
    await h.pump()
    await schedule(h, fac)  # Thursday 19 h = 2026-11-19 19:00 in Montreal
    start = datetime(2026, 11, 19, 19, 0, tzinfo=MTL).timestamp()
    post = next(m for m in reversed(a.received()) if "Atelier : Budget" in plain(m.get("text", "")))
    await a.press(post, "rsvp:1:y")
    await b.press(next(m for m in reversed(b.received()) if "Atelier" in m.get("text", "")), "rsvp:1:y")
    await c.press(next(m for m in reversed(c.received()) if "Atelier" in m.get("text", "")), "rsvp:1:n")
    await h.pump()
    assert "Je viens : 2 · Peut-être : 0" in plain(post["text"])
    assert "Alice" not in post["text"]

    await h.tick(start - 24 * 3600 - h.clock.now() - 60)
    assert reminders(a, "Demain") == []
    await h.tick(60)
    assert len(reminders(a, "Demain")) == 1
    await h.restart()  # jobs rebuilt from the database
    await h.tick(0)
    assert len(reminders(a, "Demain")) == 1  # not doubled
    await h.tick(23 * 3600)
    assert len(reminders(a, "Dans une heure")) == 1
    await h.restart()
    await h.tick(3600)
    assert len(reminders(a, "C'est maintenant")) == 1
    await h.tick(2 * 3600)
    assert len(reminders(a, "Dans une heure")) == 1 and len(reminders(a, "Demain")) == 1
    assert reminders(b, "Demain") == [] and reminders(c, "Demain") == []
    assert any("/partager" in t for t in c.texts())  # after the workshop: pool what helped


async def test_missed_reminders_are_late_only_before_the_start(h):
    fac, room_id, (a,) = await room_with(h, "Alice")
    await h.cmd(a, "confidentialite")
    await a.press(a.last(), "pv:1")
    await h.pump()
    await schedule(h, fac, when="demain 19h")
    await a.press(next(m for m in reversed(a.received()) if "Atelier" in m.get("text", "")), "rsvp:1:m")
    await h.pump()
    start = datetime(2026, 11, 19, 19, 0, tzinfo=MTL).timestamp()
    await h.stop()
    h.clock.current = start - 30 * 60  # down through T-24h and T-1h
    await h.start()
    await h.tick(0)
    assert len(reminders(a, "Demain")) == 1 and len(reminders(a, "Dans une heure")) == 1
    await h.stop()
    h.clock.current = start + 3 * 3600  # down through the start
    await h.start()
    await h.tick(0)
    assert reminders(a, "C'est maintenant") == []


async def test_cancelled_workshop_sends_no_more_and_tells_who_answered(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await opt_in(h, a)
    await schedule(h, fac)
    await answer(h, a)
    await h.cmd(fac, "ateliers")
    await fac.press(fac.last(), "wsc:1")
    await h.pump()
    await fac.press(fac.last(), "wsc:1")  # the confirmation: « wsc:1:<single-use token> »
    await h.pump()
    assert "est annulé" in a.last()["text"]
    post_at_b = next(m for m in b.received() if "Atelier" in m.get("text", ""))
    assert post_at_b["text"].startswith("📅 Atelier annulé") and not b.buttons(post_at_b)
    assert not any("est annulé" in t for t in b.texts())  # Bruno had not answered
    await h.tick(3 * 86400)
    assert reminders(a, "Demain") == [] and reminders(a, "C'est maintenant") == []


async def test_closing_the_room_calls_its_workshops_off(h):
    """After /fermer, no post keeps live RSVP buttons and whoever said « Je viens » is told."""
    fac, room_id, (a, b, c) = await room_with(h, "Alice", "Bruno", "Chloé")
    await opt_in(h, a)
    await schedule(h, fac)
    await answer(h, a, "y")
    await answer(h, b, "n")
    posts = {
        p.first_name: next(m for m in p.received() if m.get("text", "").startswith("📅 Atelier"))
        for p in (a, b, c, fac)
    }
    assert all(p.buttons(posts[p.first_name]) for p in (a, b, c))
    await h.cmd(fac, "fermer", str(room_id))
    for phone in (a, b, c, fac):
        post = posts[phone.first_name]
        assert post["text"].startswith("📅 Atelier annulé") and not phone.buttons(post), phone.first_name
    told = [plain(t) for t in a.texts() if "n'aura pas lieu" in t]
    assert len(told) == 1 and "« Budget sans gêne »" in told[0] and "la salle « Stress et argent » a fermé" in told[0]
    assert a.texts().index(next(t for t in a.texts() if "ferme maintenant" in t)) < a.texts().index(
        next(t for t in a.texts() if "n'aura pas lieu" in t)
    )  # the room's goodbye first
    assert not any("n'aura pas lieu" in t for t in b.texts() + c.texts())  # no, or no answer: not told
    # Nothing more goes for it: no reminder, no invitation to share afterwards.
    await h.tick(3 * 86400)
    assert reminders(a, "Demain") == [] and reminders(a, "C'est maintenant") == []
    assert not any("Merci pour l'atelier" in t for t in a.texts())
    query = await a.press(posts["Alice"], "rsvp:1:y", forge=True)
    await h.pump()
    assert h.api.callback_answers[query]["text"]  # an old press is answered, and changes nothing


async def test_change_date_and_list(h):
    fac, room_id, (a,) = await room_with(h, "Alice")
    await schedule(h, fac, description="On parle budget")
    await a.press(next(m for m in reversed(a.received()) if "Atelier" in m.get("text", "")), "rsvp:1:y")
    await h.pump()
    await h.cmd(a, "ateliers")
    assert "Budget sans gêne" in a.last()["text"] and "tu viens" in a.last()["text"]
    await h.cmd(fac, "ateliers")
    await fac.press(fac.last(), "wsm:1")
    await h.pump()
    await h.say(fac, "vendredi 18h")
    await fac.press(fac.last(), "wsd:ok")
    await h.pump()
    assert "change de date" in a.last()["text"] and "vendredi" in a.last()["text"]


async def test_bad_dates_get_clear_answers_and_cancel_works(h):
    fac, room_id, (a,) = await room_with(h, "Alice")
    await h.cmd(fac, "atelier")
    await h.say(fac, "Titre")
    await h.say(fac, "hier")
    assert "pas compris" in fac.last()["text"]
    await h.say(fac, "2026-01-01 10:00")
    assert "déjà passée" in fac.last()["text"]
    await h.cmd(fac, "annuler")
    assert "rien n'a été enregistré" in fac.last()["text"]
    await h.say(fac, "un message normal")
    assert a.last()["text"].endswith("un message normal")
    await h.cmd(a, "atelier")
    assert "réservée à l'animation" in a.last()["text"]


async def test_reminders_lost_in_a_crash_are_recomputed_and_never_doubled(h):
    fac, room_id, (a,) = await room_with(h, "Alice")
    await opt_in(h, a)
    await schedule(h, fac)
    await answer(h, a)
    start = datetime(2026, 11, 19, 19, 0, tzinfo=MTL).timestamp()
    # The 24 h reminder fires, but the process dies before its queue is delivered.
    real_submit = h.services.delivery.submit
    h.services.delivery.submit = lambda *args, **kwargs: None
    await h.tick(start - 24 * 3600 - h.clock.now())
    h.services.delivery.submit = real_submit
    assert reminders(a, "Demain") == []
    await h.restart()
    await h.tick(0)
    assert len(reminders(a, "Demain")) == 1  # recomputed from the database
    await h.restart()
    await h.tick(60)
    assert len(reminders(a, "Demain")) == 1  # and never twice


def test_workshop_dates_read_like_quebec_french():
    from bot.services.workshops import when_text

    first = datetime(2026, 12, 1, 19, 0, tzinfo=MTL).timestamp()
    half = datetime(2026, 11, 19, 18, 30, tzinfo=MTL).timestamp()
    assert when_text(first, "America/Montreal", "fr") == "mardi 1er décembre à 19\u00a0h"
    assert when_text(half, "America/Montreal", "fr") == "jeudi 19 novembre à 18\u00a0h\u00a030"
    assert plain(when_text(half, "America/Montreal", "en")).startswith("Thursday, November 19 at 6:30")
