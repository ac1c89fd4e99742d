"""Crisis care: held messages, resources at most once an hour, private support."""

from locales.typography import plain
from tests.support.crisis import ask_for_support, take_support
from tests.support.harness import shown_data
from tests.support.rooms import room_with


async def test_risk_message_is_held_with_resources_and_nothing_reaches_the_room(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    before_b, before_f = len(b.inbox), len(fac.inbox)
    await h.say(a, "jveux pu vivre")
    held = a.last()
    text = plain(held["text"])
    assert "1 866 APPELLE" in text and "535353" in text and "9-8-8" in text
    assert "811" in text and "Tel-jeunes" in text and "911" in text
    assert [d.split(":")[1] for _, d in a.buttons(held)] == ["talk", "send", "drop"]
    assert len(b.inbox) == before_b and len(fac.inbox) == before_f  # no alert without consent
    # A second one within the hour: held, without repeating the whole resources message.
    await h.say(a, "je veux mourir")
    assert "1 866 APPELLE" not in plain(a.last()["text"]) and "plus haut" in a.last()["text"]
    h.clock.advance(3601)
    await h.say(a, "j'ai envie d'en finir")
    assert "1 866 APPELLE" in plain(a.last()["text"])
    assert len(b.inbox) == before_b


async def test_send_anyway_and_dont_send(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.say(a, "je pense à me tuer")
    held = a.last()
    first_send = shown_data(a, held)[1]
    await a.press(held, data=a.buttons(held)[1][1])  # send anyway
    await h.pump()
    assert b.last()["text"].endswith("je pense à me tuer")
    assert "envoyé à la salle" in a.last()["text"]
    await h.say(a, "je veux mourir")
    held = a.last()
    count = len(b.inbox)
    await a.press(held, data=a.buttons(held)[2][1])  # don't send
    await h.pump()
    assert len(b.inbox) == count and "pas été envoyé" in a.last()["text"]
    # The used button is gone; pressing an old one says so kindly.
    query = await a.press(held, data=first_send, forge=True)  # the first hold's, pressed again
    await h.pump()
    assert "plus en attente" in h.api.callback_answers[query]["text"]


async def test_talk_with_a_facilitator_privately_without_unmasking(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    alert = await ask_for_support(h, fac, a)
    assert "animation va te répondre" in a.last()["text"]
    assert "aimerait parler" in alert["text"] and "Alice" not in alert["text"]
    await h.say(a, "merci, je suis là")  # before anyone answers: it waits
    assert "attend" in a.last()["text"]
    support_id = await take_support(h, fac, alert)
    assert any("merci, je suis là" in t for t in fac.texts())
    assert "réponds maintenant en privé" in " ".join(fac.texts())
    await h.say(fac, "Je suis là. Veux-tu m'en dire plus ?")
    assert "Je suis là. Veux-tu" in a.last()["text"]
    assert all("Je suis là. Veux-tu" not in t for t in b.texts())
    for text in fac.texts():
        assert "Alice" not in text and str(a.user_id) not in text and "alice_x" not in text
    # A member cannot join the support room; a second facilitator cannot take it.
    await h.cmd(b, "rejoindre", str(support_id))
    assert "n'existe pas" in b.last()["text"]
    other = h.phone("Omar")
    await h.make_facilitator(other)
    await h.cmd(other, "salles")
    assert "Soutien" not in other.last()["text"]


async def test_support_is_labelled_in_the_members_language_and_closes_with_a_warm_goodbye(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    support_id = await take_support(h, fac, await ask_for_support(h, fac, a))
    await h.say(fac, "Je suis là.")
    # Alice is in two rooms: the label names the support room in her language, not both.
    assert plain(a.last()["text"]).startswith("[Soutien privé] ") and "Support" not in a.last()["text"]
    await h.cmd(fac, "fermer", str(support_id))
    goodbye = plain(a.last()["text"])
    assert goodbye.startswith("L'animation a terminé votre conversation privée")
    assert "1 866 APPELLE" in goodbye and "9-8-8" in goodbye
    assert goodbye.endswith("Ce que tu écris maintenant va de nouveau à « Stress et argent ».")
    assert "ferme maintenant" not in goodbye and "Soutien" not in goodbye
    assert "La conversation privée est terminée" in fac.last()["text"]
    # And it is true: her next words go to her room again.
    await h.say(a, "merci pour tout")
    assert b.last()["text"].endswith("merci pour tout")


async def test_alert_consent_tells_facilitators_right_away(h):
    fac = h.phone("Fatou")
    await h.make_facilitator(fac)
    await h.cmd(fac, "ouvrir", "Solitude")
    a = h.phone("Alice")
    await h.onboard(a, consents=(4,))
    await h.cmd(a, "rejoindre", "1")
    await h.say(a, "I want to end my life")
    assert "aurait peut-être besoin de soutien" in fac.last()["text"]
    assert "Alice" not in fac.last()["text"]


async def test_look_alikes_pass_through(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.say(a, "Je suis morte de rire, ça me tue")
    assert b.last()["text"].endswith("ça me tue")
    await h.say(a, "Je veux en finir avec mes dettes")
    assert b.last()["text"].endswith("avec mes dettes")


async def test_gentle_note_goes_with_the_message_and_comes_back_after_an_hour(h):
    from tests.support.crisis import GENTLE_FR, GENTLE_FR_AGAIN

    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.say(a, GENTLE_FR)
    await h.pump()
    assert b.last()["text"].endswith(GENTLE_FR)  # relayed: a gentle note never holds
    note = a.last()["text"]
    assert "APPELLE" in note and not a.buttons(a.last())
    assert not any("APPELLE" in t for t in b.texts())  # private
    await h.say(a, GENTLE_FR_AGAIN)
    await h.pump()
    assert b.last()["text"].endswith(GENTLE_FR_AGAIN)
    assert sum("APPELLE" in t for t in a.texts()) == 1  # not twice within the hour
    h.clock.advance(3601)
    await h.say(a, GENTLE_FR)
    await h.pump()
    assert sum("APPELLE" in t for t in a.texts()) == 2


async def test_alone_in_the_room_a_worrying_message_still_brings_the_note(h):
    from tests.support.crisis import GENTLE_FR

    fac, room_id, (a,) = await room_with(h, "Alice")
    await h.cmd(fac, "quitter", str(room_id))
    await h.say(a, GENTLE_FR)
    await h.pump()
    text = a.last()["text"]
    assert "lu par personne" in text  # alone: nobody read it
    assert "APPELLE" in text and not a.buttons(a.last())
