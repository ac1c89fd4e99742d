"""Coalescing under backpressure: one message per chat, lines kept in order, edits,
deletes and replies still reach the right line."""

from tests.harness import relayed_lines
from tests.test_rooms import pseudonym_of, room_with


async def burst(h, author, texts):
    h.api.latency = 0.02  # each send takes a moment: later lines wait behind it
    sent = []
    for text in texts:
        sent.append(await author.send(text))
        await h.process()  # no waiting for deliveries: they pile up per chat
        h.clock.advance(3.1)
    await h.pump()
    h.api.latency = 0
    return sent


async def test_queued_lines_arrive_as_one_message_in_order(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    texts = [f"ligne {i}" for i in range(8)]
    await burst(h, a, texts)
    lines = relayed_lines(b, "ligne")
    assert lines == [f"{pseudonym_of(a)} : ligne {i}" for i in range(8)]
    assert len([t for t in b.texts() if "ligne" in t]) < 8  # fewer messages than lines
    assert all(len(t) <= 4096 for t in b.texts())


async def test_edit_and_delete_one_line_of_a_combined_copy(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    sent = await burst(h, a, ["un", "deux", "trois", "quatre"])
    combined = next(m for m in reversed(b.received()) if "deux" in m.get("text", ""))
    assert "\n" in combined["text"]
    await a.edit(sent[1]["message_id"], "DEUX corrigé")
    await h.pump()
    assert "DEUX corrigé" in combined["text"] and "quatre" in combined["text"]
    await h.cmd(a, "supprimer", reply_to=sent[2]["message_id"])
    assert "trois" not in combined["text"] and "quatre" in combined["text"] and "DEUX" in combined["text"]


async def test_reply_to_a_combined_copy_threads_to_the_last_line_original(h):
    fac, room_id, (a, b, c) = await room_with(h, "Alice", "Bruno", "Chloé")
    sent = await burst(h, a, ["alpha", "bêta", "gamma"])
    combined = next(m for m in reversed(b.received()) if "gamma" in m.get("text", ""))
    await h.say(b, "je réponds", reply_to=combined["message_id"])
    assert a.last()["reply_to_message"]["message_id"] == sent[-1]["message_id"]


async def test_delete_all_lines_removes_the_message_and_restart_falls_back_safely(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    sent = await burst(h, a, ["x1", "x2", "x3"])
    combined = next(m for m in reversed(b.received()) if "x3" in m.get("text", ""))
    assert "x2" in combined["text"]
    await h.restart()  # lines in memory are gone: deleting one line deletes the whole copy
    await h.cmd(a, "supprimer", reply_to=sent[1]["message_id"])
    assert combined.get("_deleted")


async def test_a_quoted_line_of_a_combined_copy_threads_to_that_line(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    sent = await burst(h, a, ["premier", "second", "troisième"])
    combined = next(m for m in reversed(b.received()) if "troisième" in m.get("text", ""))
    first_line = combined["text"].split("\n")[0]
    original = next(s for s in sent if s["text"] in first_line)
    message = await b.send("là-dessus", reply_to=combined["message_id"])
    queued = h.api._updates[-1]["message"]
    queued["quote"] = {"text": first_line[:5], "position": 0, "is_manual": True}
    await h.pump()
    assert a.last()["reply_to_message"]["message_id"] == original["message_id"]
    assert message
