"""Issue 15, crashes and a member's weight on others: end to end through the fake Bot API."""

import asyncio

import pytest

from tests.support.harness import jpeg_with_gps, relayed_lines, shown_data
from tests.support.rooms import room_with


async def test_a_member_whose_chat_is_stuck_delays_no_one_else(h):
    fac, room_id, (a, b, c) = await room_with(h, "Alice", "Bruno", "Chloé")
    h.api.hold(a.user_id)  # every answer to Alice waits (as her chat's pacing would)
    for _ in range(10):
        await a.command("aide")
    await b.send("bonjour la salle")
    # Alice's handlers return at once (their answers wait in her own lane): nobody waits for her.
    await asyncio.wait_for(h.process(), 5)
    await c.wait_text("bonjour la salle")
    assert relayed_lines(fac, "bonjour la salle")
    before = len(a.received())
    h.api.release(a.user_id)
    await h.pump()
    texts = [m["text"] for m in a.received()[before:]]
    help_text = h.services.t("fr", "help.member")
    # Alice still gets all of it, in order: her ten answers, then Bruno's message.
    assert texts[:10] == [help_text] * 10 and texts[10].endswith("bonjour la salle")


async def test_one_members_updates_stay_in_order_while_others_run(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    for i in range(8):
        await a.send(f"suite numéro {i}")
        await b.send(f"autre numéro {i}")
    await h.pump()
    assert [line.rsplit(" ", 1)[1] for line in relayed_lines(b, "suite numéro")] == [str(i) for i in range(8)]
    assert [line.rsplit(" ", 1)[1] for line in relayed_lines(a, "autre numéro")] == [str(i) for i in range(8)]


async def test_commands_are_limited_per_member_with_one_kind_answer(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    h.clock.advance(120)
    before = len(a.received())
    for _ in range(30):
        await a.command("aide")
    await h.cmd(b, "aide")
    await h.pump()
    texts = [m["text"] for m in a.received()[before:]]
    slow = [t for t in texts if "Doucement" in t and "commandes" in t]
    assert len(texts) == 21 and len(slow) == 1 and texts[-1] == slow[0]
    assert "commandes" not in b.last()["text"]  # the others are not limited by Alice
    h.clock.advance(61)
    await h.cmd(a, "aide")
    assert "Doucement" not in a.last()["text"]


async def test_presses_and_edits_are_limited_per_member_too(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    h.clock.advance(120)
    await h.cmd(a, "langue")
    menu = a.last()
    sealed = next(d for d in shown_data(a, menu) if d.startswith("lang:fr"))  # as the bot sent it
    answers = []
    for _ in range(65):
        answers.append(await a.press(menu, sealed, forge=True))  # a client pressing again and again
        await h.pump()
    texts = [h.api.callback_answers[q].get("text") for q in answers]
    slow = [t for t in texts if t and "boutons" in t]
    assert len(slow) == 1 and texts.index(slow[0]) == 60  # the 61st is told, the others go quietly
    assert all(h.api.callback_answers[q] for q in answers)  # every press is acknowledged
    original = await h.say(a, "version 0")
    for i in range(1, 25):
        await a.edit(original["message_id"], f"version {i}")
    await h.pump()
    assert b.last()["text"].endswith("version 20")  # the edits past the limit did not go out
    assert sum("modifié tes messages" in t for t in a.texts()) == 1


# ------------------------------------------------------------- 15. honest answers
async def test_an_oversized_photo_is_said_to_be_too_large(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    photo = jpeg_with_gps()
    h.api.max_download = len(photo) - 1  # Telegram: getFile refuses files over 20 MB
    await a.send_photo(photo, caption="mon budget")
    await h.pump()
    assert "trop lourde" in a.last()["text"]
    assert "Oups" not in a.last()["text"]
    assert not any("photo" in m for m in b.received())


async def test_a_press_that_worked_says_so_even_when_its_message_cannot_be_edited(h):
    fac, room_id, (a,) = await room_with(h, "Alice")
    await h.cmd(a, "langue")
    h.api.inject(400, method="editMessageText", chat_id=a.user_id, description="message can't be edited")
    await a.press(a.last(), "lang:en")
    await h.pump()
    assert "Oups" not in a.last()["text"] and "Oops" not in a.last()["text"]
    assert a.last()["text"] == h.services.t("en", "language.set")
    async with h.db.transaction() as tx:
        from storage.members import MemberRepo

        assert (await MemberRepo(tx).find_by_user(a.user_id)).locale == "en"


# ------------------------------------------------------------- 12. retry_after, every method
def _virtual_time(h):
    """The limiter's waits move the fake's clock instead of sleeping: counts, not timings."""
    waited = []

    async def sleep(seconds):
        waited.append(seconds)
        h.clock.advance(seconds)
        await asyncio.sleep(0)

    h.app.bot.rate_limiter.sleep = sleep
    h.app.bot.rate_limiter.clock = h.clock.now
    h.api.enforce_retry_after = True  # a call back before retry_after is refused again
    return waited


async def test_retry_after_is_honoured_by_edits_deletes_and_sends(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    original = await h.say(a, "première version")
    waited = _virtual_time(h)
    h.api.inject(429, count=1, method="editMessageText", chat_id=b.user_id, retry_after=3)
    await a.edit(original["message_id"], "seconde version")
    await h.pump()
    assert b.last()["text"].endswith("seconde version")
    h.api.inject(429, count=1, method="sendMessage", chat_id=b.user_id, retry_after=2)
    await h.say(a, "un autre mot")
    assert b.last()["text"].endswith("un autre mot")
    h.api.inject(429, count=1, method="deleteMessage", chat_id=b.user_id, retry_after=1)
    await h.cmd(a, "supprimer", reply_to=original["message_id"])
    assert all("version" not in t for t in b.texts())
    assert h.api.errors_sent[429] == 3 and h.api.early_retries == 0
    assert sorted(w for w in waited if w >= 1) == pytest.approx([1.1, 2.1, 3.1])


# ------------------------------------------------------------- 7. a stop mid-burst
async def _crash(h):
    """What kill -9 leaves: lanes gone mid-send, rows not yet written lost, no drain."""
    await h.services.delivery.abandon()
    h.db._deferred.clear()
    await h.app.shutdown()
    await h.db.close()


async def test_after_a_crash_mid_burst_each_sender_is_told_which_messages_may_be_lost(h):
    fac, room_id, (a, b, c) = await room_with(h, "Alice", "Bruno", "Chloé")
    delivered = await h.say(a, "arrivé partout")
    await h.db.flush()
    h.api.hold(c.user_id)  # Chloé's copies are still on their way when the process dies
    burst = []
    for i in range(3):
        burst.append(await a.send(f"rafale numéro {i}"))
        await h.process()
    mine = await b.send("le mot de Bruno")
    await h.process()
    await h.services.delivery.drain(0.5)
    await _crash(h)
    h.api.release(c.user_id)
    before = {phone.user_id: len(phone.received()) for phone in (a, b, c, fac)}
    await h.start()
    await h.pump()
    told = a.received()[before[a.user_id] :]
    lost = h.services.t("fr", "relay.maybe_lost")
    assert [m["text"] for m in told] == [lost] * 3
    assert [m["reply_to_message"]["message_id"] for m in told] == [m["message_id"] for m in burst]
    assert all("rafale" not in m["text"] for m in told)  # ids only: the words were never kept
    assert delivered["message_id"] not in [m["reply_to_message"]["message_id"] for m in told]
    bruno_told = [m for m in b.received()[before[b.user_id] :] if m["text"] == lost]
    assert [m["reply_to_message"]["message_id"] for m in bruno_told] == [mine["message_id"]]
    assert not [
        m for m in c.received()[before[c.user_id] :] + fac.received()[before[fac.user_id] :] if m["text"] == lost
    ]
    await h.db.flush()
    await h.restart()  # told once, not at every start
    assert not [m for m in a.received()[before[a.user_id] + 3 :] if m["text"] == lost]
