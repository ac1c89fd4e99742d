"""Forged buttons: a press counts only if the bot issued that data to that person, at that
step; irreversible presses also need a live single-use token of their own."""

from bot.services.checkins import local_day
from storage.checkins import CheckinRepo
from storage.members import MemberRepo
from storage.rooms import RoomRepo
from tests.support.checkins import first_checkin
from tests.support.harness import shown_data
from tests.support.rooms import room_with
from tests.support.workshops import schedule

STALE = "plus valide"


async def member_of(h, phone):
    async with h.db.transaction() as tx:
        return await MemberRepo(tx).find_by_user(phone.user_id)


async def forge(h, phone, data, message=None):
    query = await phone.press(message or phone.last(), data, forge=True)
    await h.pump()
    return h.api.callback_answers[query].get("text") or ""


async def test_a_facilitator_of_another_room_cannot_lift_a_pause(h):
    fac, room_id, phones = await room_with(h, "Alice", "Bruno", "Chloé", "Dany")
    a, others = phones[0], phones[1:]
    elsewhere = h.phone("Gaël")
    await h.make_facilitator(elsewhere)
    await h.cmd(elsewhere, "ouvrir", "Deuil et perte")
    await h.say(a, "encore ce message")
    for phone in others:
        copy = next(m for m in reversed(phone.received()) if "encore ce message" in m.get("text", ""))
        await h.cmd(phone, "signaler", reply_to=copy["message_id"])
        await phone.press(phone.last(), "rp:respect")
        await h.pump()
    paused = next(m for m in reversed(fac.received()) if "en pause" in m.get("text", ""))
    relay_id = fac.buttons(paused)[0][1].split(":")[1]
    assert not any("en pause" in t for t in elsewhere.texts())
    # Made up in their own chat, or copied exactly from the room facilitator's screen.
    for data in (f"unpause:{relay_id}", shown_data(fac, paused)[0]):
        assert STALE in await forge(h, elsewhere, data)
    alice = await member_of(h, a)
    async with h.db.transaction() as tx:
        assert (await RoomRepo(tx).seat(room_id, alice.id)).muted_until > h.clock.now()
    assert "levée" not in a.last()["text"]
    await h.say(a, "toujours là?")
    assert "n'a pas été envoyé" in a.last()["text"]
    # The room's own facilitator still can.
    await fac.press(paused, data=fac.buttons(paused)[0][1])
    await h.pump()
    assert "levée" in a.last()["text"]


async def test_onboarding_cannot_skip_the_charter_and_the_age_question(h):
    kid = h.phone("Kiki", username="kiki_12")
    await kid.start()
    await h.pump()
    for data in ("ob:d:fr:0:", "ob:d:fr:7:", "ob:a:fr:1:"):
        assert STALE in await forge(h, kid, data)
    # The real consent button of someone who did answer the age question, copied.
    alice = h.phone("Alice")
    await alice.start()
    await h.pump()
    for step in ("ob:c:fr:", "ob:a:fr:1:"):
        await alice.press(alice.last(), step)
        await h.pump()
    consent_done = next(d for d in shown_data(alice, alice.last()) if d.startswith("ob:d:"))
    assert STALE in await forge(h, kid, consent_done)
    assert await member_of(h, kid) is None
    await alice.press(alice.last(), "ob:d:fr:0:")
    await h.pump()
    assert await member_of(h, alice) is not None


async def test_no_mood_is_kept_without_checkin_consent(h):
    alice = h.phone("Alice")
    await h.onboard(alice)  # check-ins not chosen
    day = local_day(h.clock.now(), "America/Montreal")
    assert STALE in await forge(h, alice, f"ci:m:1:{day}")
    bruno = h.phone("Bruno")
    await h.onboard(bruno)
    checkin = await first_checkin(h, bruno)
    await h.cmd(bruno, "bilan")
    await bruno.press(bruno.last(), "cis:off")
    await h.pump()
    # An old check-in, after saying stop: its buttons no longer note anything.
    mood = next(d for _, d in bruno.buttons(checkin) if d.startswith("ci:m:2:"))
    query = await bruno.press(checkin, mood)
    await h.pump()
    assert "arrêté" in h.api.callback_answers[query]["text"]
    for phone in (alice, bruno):
        member = await member_of(h, phone)
        async with h.db.transaction() as tx:
            assert await CheckinRepo(tx).answers(member.id, "0000-00-00") == []


async def test_erasure_needs_a_live_request_of_ones_own(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    assert STALE in await forge(h, a, "fg:yes")
    await h.cmd(b, "oublier")
    bruno_yes = next(d for d in shown_data(b, b.last()) if d.startswith("fg:yes"))
    assert STALE in await forge(h, a, bruno_yes)  # Bruno's confirmation, in Alice's chat
    await h.cmd(a, "oublier")
    prompt = a.last()
    h.clock.advance(16 * 60)  # the request expired
    query = await a.press(prompt, "fg:yes")
    await h.pump()
    assert "expiré" in h.api.callback_answers[query]["text"]
    assert await member_of(h, a) is not None and await member_of(h, b) is not None
    await h.cmd(a, "oublier")
    again = a.last()
    await a.press(again, "fg:yes")
    await h.pump()
    assert await member_of(h, a) is None


async def test_a_workshop_is_cancelled_only_by_its_rooms_facilitator_once_confirmed(h):
    fac, room_id, (a,) = await room_with(h, "Alice")
    elsewhere = h.phone("Gaël")
    await h.make_facilitator(elsewhere)
    await schedule(h, fac)
    await h.cmd(elsewhere, "ateliers")
    for data in ("wsc:1:AAAAAAAAAAAA", "wsc:1"):
        assert STALE in await forge(h, elsewhere, data)
    # A facilitator who sat in the room, then left, keeps an old list with its buttons.
    await h.cmd(elsewhere, "rejoindre", str(room_id))
    await h.cmd(elsewhere, "ateliers")
    old_list = elsewhere.last()
    await h.cmd(elsewhere, "quitter", str(room_id))
    query = await elsewhere.press(old_list, "wsc:1")
    await h.pump()
    assert "Seule l'animation" in h.api.callback_answers[query]["text"]
    await h.cmd(fac, "ateliers")
    await fac.press(fac.last(), "wsc:1")
    await h.pump()
    confirm = fac.last()
    assert STALE in await forge(h, fac, "wsc:1:AAAAAAAAAAAA", confirm)  # a made-up token
    await fac.press(confirm, "wsc:1")
    await h.pump()
    assert "annulé" in fac.last()["text"]


async def test_a_board_entry_is_removed_only_with_a_live_single_use_button(h):
    fac, room_id, (a,) = await room_with(h, "Alice")
    await h.cmd(a, "partager", "Planifier ses achats | la liste du dimanche")
    await h.cmd(fac, "ressources")
    board = fac.last()
    for data in ("bd:del:1", "bd:del:1:AAAAAAAAAAAA"):  # no token, a made-up token
        assert STALE in await forge(h, fac, data, board)
    await h.cmd(a, "ressources")
    assert "Planifier ses achats" in a.last()["text"]
    h.clock.advance(16 * 60)  # the buttons of that board have expired
    query = await fac.press(board, "bd:del:1")
    await h.pump()
    assert STALE in h.api.callback_answers[query]["text"]
    await h.cmd(fac, "ressources")
    fresh = fac.last()
    used = next(d for d in shown_data(fac, fresh) if d.startswith("bd:del:1:"))
    await fac.press(fresh, "bd:del:1")
    await h.pump()
    await h.cmd(a, "ressources")
    assert "Planifier ses achats" not in a.last()["text"]
    assert STALE in await forge(h, fac, used, fresh)  # the same button twice
