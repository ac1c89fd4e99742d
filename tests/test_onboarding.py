"""Onboarding through the real Application and the in-process fake."""

from storage.members import Consents, MemberRepo
from locales.typography import plain


async def test_french_member_onboards_with_only_required_consent(h):
    alice = h.phone("Alice", username="alice_qc")
    await alice.start()
    await h.pump()
    assert "Bienvenue" in alice.last()["text"]
    assert [b[1] for b in alice.buttons()] == ["ob:l:fr:", "ob:l:en:"]
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
    await kid.press(kid.last(), "ob:l:fr:")
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
    for data in (f"ob:l:fr:{code}", f"ob:c:fr:{code}", f"ob:a:fr:1:{code}", f"ob:d:fr:0:{code}"):
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
    assert ("☑ Bilan du soir (petit message doux)", "ob:t:fr:2:2:") in alice.buttons()
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
