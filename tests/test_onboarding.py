"""Onboarding through the real Application and the in-process fake."""

from locales.typography import plain
from storage.members import Consents, MemberRepo
from tests.support.harness import shown_data


async def test_french_member_onboards_with_only_required_consent(h):
    alice = h.phone("Alice", username="alice_qc")
    await alice.start()
    await h.pump()
    assert "Bienvenue" in alice.last()["text"]
    assert [b[1] for b in alice.buttons()] == ["ob:c:fr:", "ob:l:en:"]  # charter first, English a tap away
    await h.onboard(alice)
    assert "bienvenue" in alice.last()["text"].lower()
    async with h.db.transaction() as tx:
        member = await MemberRepo(tx).find_by_user(alice.user_id)
    assert member.locale == "fr"
    assert member.consents == Consents(rooms=True)


async def test_english_member_and_optional_consents(h):
    bob = h.phone("Bob", language_code="en-CA")
    await bob.start()
    await h.pump()
    await h.onboard(bob, "en", consents=(1, 4))
    assert "All set" in bob.last()["text"]
    async with h.db.transaction() as tx:
        member = await MemberRepo(tx).find_by_user(bob.user_id)
    assert member.locale == "en"
    assert member.consents == Consents(rooms=True, reminders=True, checkins=False, alerts=True)


async def test_under_14_is_refused_kindly_and_nothing_is_kept(h):
    kid = h.phone("Kid")
    await kid.start()
    await h.pump()
    await kid.press(kid.last(), "ob:c:fr:")
    await h.pump()
    await kid.press(kid.last(), "ob:a:fr:0:")
    await h.pump()
    text = plain(kid.last()["text"])
    assert "Tel-jeunes" in text and "1 800 263-2266" in text and "686868" in text
    async with h.db.transaction() as tx:
        assert await MemberRepo(tx).count() == 0


async def test_facilitator_invitation_is_one_time(h):
    code = await h.services.invites.create()
    fac = h.phone("Fatou")
    await h.onboard(fac)
    await fac.start(code)
    await h.pump()
    assert "animation" in fac.last()["text"]
    other = h.phone("Olivier")
    await h.onboard(other)
    await other.start(code)  # already used
    await h.pump()
    assert "pas valide" in other.last()["text"]
    await other.start("AAAAAAAAAAAAAAAA")  # made up
    await h.pump()
    assert "pas valide" in other.last()["text"]
    async with h.db.transaction() as tx:
        assert (await MemberRepo(tx).find_by_user(fac.user_id)).is_facilitator
        assert not (await MemberRepo(tx).find_by_user(other.user_id)).is_facilitator
    chat_menus = [k for k in h.api.commands if '"chat"' in k[0]]
    assert chat_menus, "the facilitator gets a larger menu in their chat"


async def test_invitation_through_deep_link_before_onboarding(h):
    code = await h.services.invites.create()
    fac = h.phone("Fatou")
    await fac.start(code)
    await h.pump()
    assert all(b[1].endswith(code) for b in fac.buttons())
    for data in (f"ob:l:en:{code}", f"ob:l:fr:{code}", f"ob:c:fr:{code}", f"ob:a:fr:1:{code}", f"ob:d:fr:0:{code}"):
        await fac.press(fac.last(), data)
        await h.pump()
    assert "animation" in fac.last()["text"]


async def test_unknown_command_and_text_before_onboarding(h):
    zoe = h.phone("Zoé")
    await h.cmd(zoe, "nimportequoi")
    assert "/aide" in zoe.last()["text"]
    await h.say(zoe, "allo")
    assert "/start" in zoe.last()["text"]


async def test_new_consent_version_asks_again_and_nothing_changes_until_confirmed(h, monkeypatch):
    alice = h.phone("Alice")
    await h.onboard(alice, consents=(2,))
    import bot.services.onboarding as onboarding

    monkeypatch.setattr(onboarding, "CONSENT_VERSION", 2)
    await h.cmd(alice, "salles")
    texts = alice.texts()
    assert "ont changé" in texts[-2] and "version 2" in texts[-1]
    assert ("☑ Bilan du soir (petit message doux)\u00a0: oui", "ob:t:fr:2:2:") in alice.buttons()
    await alice.press(alice.last(), "ob:d:fr:2:")
    await h.pump()
    async with h.db.transaction() as tx:
        member = await MemberRepo(tx).find_by_user(alice.user_id)
    assert member.consent_version == 2 and member.consents.checkins


async def test_language_can_be_changed(h):
    alice = h.phone("Alice")
    await h.onboard(alice)
    await h.cmd(alice, "langue")
    await alice.press(alice.last(), "lang:en")
    await h.pump()
    assert "English" in alice.last()["text"]
    await h.cmd(alice, "help")
    assert "How it works" in alice.last()["text"]
    assert "no medical or clinical advice" in alice.last()["text"]


async def test_a_stale_language_button_says_so_and_changes_nothing(h):
    alice = h.phone("Alice")
    await h.onboard(alice)
    await h.cmd(alice, "langue")
    older = alice.last()
    await h.cmd(alice, "langue")
    latest = alice.last()
    query = await alice.press(older, "lang:en")  # a button of the earlier /langue message
    await h.pump()
    answer = h.api.callback_answers[query]
    assert "plus à jour" in answer["text"] and answer.get("show_alert")
    await h.cmd(alice, "aide")
    assert "Comment ça marche" in alice.last()["text"]  # still French
    await alice.press(latest, "lang:en")
    await h.pump()
    assert latest["text"] == h.services.t("en", "language.set") and not alice.buttons(latest)
    # The same button again (a double tap), or after a restart: stale, nothing switches.
    sealed = next(d for d in shown_data(alice, older) if "lang:fr" in d)
    query = await alice.press(older, sealed, forge=True)
    await h.pump()
    assert "out of date" in h.api.callback_answers[query]["text"]  # in her language now
    await h.cmd(alice, "language")
    prompt = alice.last()
    await h.restart()
    query = await alice.press(prompt, "lang:fr")
    await h.pump()
    assert "out of date" in h.api.callback_answers[query]["text"]
    await h.cmd(alice, "help")
    assert "How it works" in alice.last()["text"]


async def test_refusals_speak_the_members_language(h):
    """The error handler's context is a fresh one: it finds the member's language again."""
    bob = h.phone("Bob", language_code="fr")  # Telegram says French, he chose English
    await h.onboard(bob, "en")
    await h.cmd(bob, "join", "99")
    assert bob.last()["text"].startswith("Room #") and "doesn't exist" in bob.last()["text"]
    query = await bob.press(bob.last(), "join:99", forge=True)
    await h.pump()
    assert h.api.callback_answers[query]["text"] == h.services.t("en", "common.stale_button")


async def test_a_failure_inside_a_handler_gets_a_kind_answer_and_a_clean_log(h, monkeypatch, caplog):
    alice = h.phone("Alice", username="alice_secret")
    await h.onboard(alice)

    async def broken(member):
        raise RuntimeError(f"boom for {alice.user_id}")

    monkeypatch.setattr(h.services.rooms, "list", broken)
    await h.cmd(alice, "salles")
    assert "Oups" in alice.last()["text"] and "Rien n'est perdu" in alice.last()["text"]
    assert "RuntimeError" in caplog.text
    assert str(alice.user_id) not in caplog.text and "alice_secret" not in caplog.text


from bot.core.buttons import plain as plain_data  # noqa: E402  (the data without its seal)

BOXES = ("☐", "☑", "✅", "✔")


async def press(h, phone, data):
    """Press the newest message's button carrying `data`."""
    message = next(m for m in reversed(phone.received()) if any(d == data for _, d in phone.buttons(m)))
    await phone.press(message, data)
    await h.pump()


async def test_a_member_is_in_a_room_after_five_taps_and_writes_the_sixth(h):
    """Issue 16, item 1: « Démarrer », charter, age, consent, « Rejoindre », then the first message."""
    fac = h.phone("Fatou")
    await h.make_facilitator(fac)
    await h.cmd(fac, "ouvrir", "Stress et argent | Parler d'argent sans gêne")
    alice, bruno = h.phone("Alice"), h.phone("Bruno")
    await h.onboard(bruno)
    await press(h, bruno, "join:1")
    taps = 0
    await alice.start()
    await h.pump()
    taps += 1
    for data in ("ob:c:fr:", "ob:a:fr:1:", "ob:d:fr:0:"):
        await press(h, alice, data)
        taps += 1
    done = alice.last()
    assert "C'est fait" in done["text"] and "Stress et argent" in done["text"]
    assert ("Rejoindre n°\u00a01", "join:1") in alice.buttons(done)
    assert ("Voir les salles", "rooms:list") in alice.buttons(done)
    assert "/salles" not in done["text"]  # nothing to type
    await press(h, alice, "join:1")
    taps += 1
    assert "Écris ton premier message ici" in alice.last()["text"]
    await h.say(alice, "Bonjour tout le monde")
    taps += 1
    assert any(text.endswith("Bonjour tout le monde") for text in bruno.texts())
    assert taps <= 6
    assert not any(m.get("text", "").startswith("/") for m in alice.sent[1:])  # only « Démarrer » was a command


async def test_the_first_screen_speaks_the_phones_language_and_offers_the_other(h):
    bob = h.phone("Bob", language_code="en")
    await bob.start()
    await h.pump()
    assert "Welcome to entraide" in bob.last()["text"] and "charter" in bob.last()["text"]
    assert bob.buttons() == [("I've read it, I agree", "ob:c:en:"), ("🌐 Continuer en français", "ob:l:fr:")]
    await press(h, bob, "ob:l:fr:")
    assert "Bienvenue dans entraide" in bob.last()["text"]
    assert ("🌐 Continue in English", "ob:l:en:") in bob.buttons()
    assert len(bob.received()) == 1  # switched in place


async def test_consent_toggles_look_like_toggles_and_the_confirmation_like_an_action(h):
    """Issue 16, item 2."""
    for locale, confirm, off, on in (
        ("fr", "Confirmer", "\u00a0: non", "\u00a0: oui"),
        ("en", "Confirm", ": no", ": yes"),
    ):
        phone = h.phone(f"P{locale}", language_code=locale)
        await phone.start()
        await h.pump()
        for data in (f"ob:c:{locale}:", f"ob:a:{locale}:1:"):
            await press(h, phone, data)
        rows = phone.last()["reply_markup"]["inline_keyboard"]
        toggles, confirmation, decline = rows[:3], rows[3], rows[4]
        for row in toggles:
            assert len(row) == 1 and row[0]["text"].startswith("☐ ") and row[0]["text"].endswith(off)
        assert len(confirmation) == 1 and confirmation[0]["callback_data"].startswith(f"ob:d:{locale}:")
        label = confirmation[0]["text"]
        assert label.startswith(confirm) and not any(box in label for box in BOXES)
        assert plain_data(decline[0]["callback_data"]) == f"ob:x:{locale}"
        await press(h, phone, f"ob:t:{locale}:0:1:")
        first = phone.last()["reply_markup"]["inline_keyboard"][0][0]["text"]
        assert first.startswith("☑ ") and first.endswith(on)


async def test_no_room_yet_tells_members_and_facilitators_what_comes_next(h):
    """Issue 16, item 4: « Aucune salle » says what to do."""
    alice = h.phone("Alice")
    await h.onboard(alice)
    done = alice.last()
    assert "Aucune salle n'est ouverte" in done["text"] and "/ressources" in done["text"]
    assert alice.buttons(done) == [("Voir les salles", "rooms:list")]
    count = len(alice.received())
    await press(h, alice, "rooms:list")
    assert len(alice.received()) == count + 1  # a fresh list below, nothing edited away
    assert "L'animation en ouvre" in alice.last()["text"]
    fac = h.phone("Fatou")
    await h.make_facilitator(fac)
    await h.cmd(fac, "salles")
    assert "À toi d'en ouvrir une" in fac.last()["text"] and "/ouvrir" in fac.last()["text"]
    assert fac.buttons() == [("Ouvrir une salle", "ro:new")]
    await h.cmd(fac, "ouvrir", "Solitude")
    await press(h, alice, "rooms:list")
    assert "Solitude" in alice.last()["text"] and ("Rejoindre n°\u00a01", "join:1") in alice.buttons()


async def test_a_facilitators_welcome_says_how_to_open_a_room(h):
    """Issue 16, item 3: the welcome offers the guided /ouvrir beside the one-line form."""
    code = await h.services.invites.create()
    fac = h.phone("Fatou")
    await fac.start(code)
    await h.pump()
    for data in (f"ob:c:fr:{code}", f"ob:a:fr:1:{code}", f"ob:d:fr:0:{code}"):
        await press(h, fac, data)
    welcome = fac.last()
    assert "Tu fais maintenant partie de l'animation" in welcome["text"]
    assert "/ouvrir Stress et argent | Parler d'argent sans gêne | 8" in welcome["text"]
    assert fac.buttons(welcome) == [("Ouvrir une salle", "ro:new"), ("Voir les salles", "rooms:list")]
    await h.cmd(fac, "aide")
    assert "/ouvrir\u00a0: ouvrir une salle, je te guide" in fac.last()["text"]


async def test_refusals_are_in_the_members_language(h):
    """The error handler gets a fresh context from PTB: it finds the member's language again."""
    bob = h.phone("Bob", language_code="fr")  # Telegram in French, the bot chosen in English
    await bob.start()
    await h.pump()
    await press(h, bob, "ob:l:en:")
    for data in ("ob:c:en:", "ob:a:en:1:", "ob:d:en:0:"):
        await press(h, bob, data)
    await bob.send_media("document", b"%PDF-1.4", extra={"file_name": "notes.pdf"})
    await h.pump()
    assert bob.last()["text"].startswith("Files are not passed on")
    await h.cmd(bob, "open", "Solitude")
    assert "Les" not in bob.last()["text"] and "facilitator" in bob.last()["text"].lower()
