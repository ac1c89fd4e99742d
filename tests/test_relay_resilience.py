"""The relay survives restarts, rate limits, server errors and blocked members."""

from tests.support.harness import relayed_lines
from tests.support.rooms import pseudonym_of, room_with


async def test_restart_between_message_and_edit_reply_delete(h):
    fac, room_id, (a, b, c) = await room_with(h, "Alice", "Bruno", "Chloé")
    original = await h.say(a, "avant redémarrage")
    copy_b = b.last()
    await h.restart()
    await a.edit(original["message_id"], "après redémarrage")
    await h.pump()
    assert copy_b["text"].endswith("après redémarrage")
    await h.say(b, "je réponds", reply_to=copy_b["message_id"])
    assert a.last()["reply_to_message"]["message_id"] == original["message_id"]
    await h.restart()
    await h.cmd(a, "supprimer", reply_to=original["message_id"])
    assert all("redémarrage" not in t for t in b.texts() + c.texts())


async def test_burst_of_50_with_429s_arrives_complete_and_in_order(h):
    names = ["Alice", "Bruno", "Chloé", "Dany", "Émile", "Fanny", "Gaël", "Hugo", "Inès"]
    fac, room_id, phones = await room_with(h, *names, capacity="10")
    author, others = phones[0], phones[1:] + [fac]
    h.api.inject(429, count=3, method="sendMessage", retry_after=1)
    h.api.inject(502, count=2, method="sendMessage")
    sent = []
    for i in range(50):
        await author.send(f"burst {i:02d}")
        await h.process()
        sent.append(f"{pseudonym_of(author)} : burst {i:02d}")
        h.clock.advance(3.1)  # a fast human, under the 20-a-minute gate
    await h.pump()
    assert h.api.errors_sent[429] == 3 and h.api.errors_sent[502] == 2
    for phone in others:
        received = relayed_lines(phone, "burst")
        assert received == sent, phone.first_name


async def test_server_errors_are_retried(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    h.api.inject(500, count=2, method="sendMessage", chat_id=b.user_id)
    await h.say(a, "malgré tout")
    assert b.last()["text"].endswith("malgré tout")


async def test_member_who_blocked_the_bot_gets_nothing_and_nothing_crashes(h):
    fac, room_id, (a, b, c) = await room_with(h, "Alice", "Bruno", "Chloé")
    b.block()
    await h.say(a, "un")
    b.unblock()
    await h.say(a, "deux")
    assert [t for t in b.texts() if t.endswith(("un", "deux"))][-1].endswith("deux")
    assert c.last()["text"].endswith("deux")


async def test_stale_and_forged_buttons_get_a_clear_answer(h):
    fac, room_id, (a,) = await room_with(h, "Alice")
    for data in ("join:99999", "leave:12345", "ob:zz", "x" * 60, "lang:de", "\x00\x01"):
        query_id = await a.press(a.last(), data, forge=True)
        await h.pump()
        answer = h.api.callback_answers[query_id]
        assert answer and answer["text"], data
