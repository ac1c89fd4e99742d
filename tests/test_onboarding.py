"""Onboarding through the real Application and the in-process fake."""

from storage.members import Consents, MemberRepo


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
    text = kid.last()["text"]
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
