"""Coalescing under backpressure: one message per chat, lines kept in order, edits,
deletes and replies still reach the right line."""

from tests.support.harness import relayed_lines
from tests.support.rooms import burst, labels_in_bold, pseudonym_of, room_with


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


async def test_delete_all_lines_removes_the_message(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    sent = await burst(h, a, ["x1", "x2", "x3"])
    combined = next(m for m in reversed(b.received()) if "x3" in m.get("text", ""))
    in_it = [s for s in sent if s["text"] in combined["text"]]
    assert len(in_it) > 1
    for message in in_it:
        await h.cmd(a, "supprimer", reply_to=message["message_id"])
    assert combined.get("_deleted")


async def two_voices(h, a, b, rounds=3):
    """Alice and Bruno write in turns faster than copies go: Chloé's copies coalesce both."""
    h.api.latency = 0.02
    sent_a, sent_b = [], []
    for i in range(rounds):
        sent_a.append(await a.send(f"alice {i}"))
        await h.process()
        sent_b.append(await b.send(f"bruno {i}"))
        await h.process()
        h.clock.advance(3.1)
    await h.pump()
    h.api.latency = 0
    return sent_a, sent_b


async def test_deleting_one_line_after_a_restart_keeps_everyone_elses(h):
    fac, room_id, (a, b, c) = await room_with(h, "Alice", "Bruno", "Chloé")
    sent_a, sent_b = await two_voices(h, a, b)
    combined = next(m for m in reversed(c.received()) if "alice 1" in m.get("text", "") and "bruno" in m["text"])
    before = combined["text"].split("\n")
    others = [line for line in before if "bruno" in line]
    assert others
    await h.restart()  # the lines kept in memory are gone
    await h.cmd(a, "supprimer", reply_to=sent_a[1]["message_id"])
    assert not combined.get("_deleted")
    after = combined["text"].split("\n")
    assert after == [line for line in before if not line.endswith("alice 1")]
    assert "reply_markup" not in combined  # nothing left of the reading
    assert labels_in_bold(combined) == [line.split(":")[0].rstrip(" \xa0\u202f") for line in after]
    assert all(line in combined["text"] for line in others)


async def test_editing_one_line_after_a_restart_rebuilds_the_combined_copy(h):
    fac, room_id, (a, b, c) = await room_with(h, "Alice", "Bruno", "Chloé")
    sent_a, sent_b = await two_voices(h, a, b)
    combined = next(m for m in reversed(c.received()) if "alice 1" in m.get("text", "") and "bruno" in m["text"])
    before = combined["text"].split("\n")
    await h.restart()
    count = len(c.received())
    await a.edit(sent_a[1]["message_id"], "alice un, corrigé")
    await h.pump()
    assert len(c.received()) == count  # no note beside it: the copy itself changed
    assert combined["text"].split("\n") == [line.replace("alice 1", "alice un, corrigé") for line in before]
    assert "reply_markup" not in combined


async def test_forget_takes_only_ones_own_lines_out_of_combined_copies(h):
    fac, room_id, (a, b, c) = await room_with(h, "Alice", "Bruno", "Chloé")
    await two_voices(h, a, b)
    combined = next(m for m in reversed(c.received()) if "alice" in m.get("text", "") and "bruno" in m["text"])
    brunos = [line for line in combined["text"].split("\n") if "bruno" in line]
    await h.restart()
    await h.cmd(a, "oublier")
    await a.press(a.last(), "fg:yes")
    await h.pump()
    await h.tick(3600)  # copies go down within the hour (spread out, see the threat model)
    assert not combined.get("_deleted")
    assert combined["text"].split("\n") == brunos


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
