"""Impersonation: a member's words never look like the bot's own labels. Pseudonyms and
« Animation » are set in bold by entities the bot computes (no parse mode), every further
line of a member's words is marked as a continuation, invisible and bidi controls are dropped."""

from tests.support.rooms import burst, labels_in_bold, pseudonym_of, room_with

MARK = "┆ "
INVISIBLE = "\u200b\u200c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"


def line_starts_are_labels_or_marked(message) -> bool:
    """Every line starts either with one of the bot's bold labels or with the continuation mark."""
    text = message.get("text") or message.get("caption") or ""
    raw = text.encode("utf-16-le")
    bold_starts = {
        e["offset"] for e in message.get("entities", message.get("caption_entities", [])) if e["type"] == "bold"
    }
    offset = 0
    for line in text.split("\n"):
        if offset not in bold_starts and not line.startswith(MARK):
            return False
        offset += len(line.encode("utf-16-le")) // 2 + 1
    return len(raw) > 0


async def test_a_member_cannot_pass_for_another_speaker_or_the_facilitators(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    pa, pb = pseudonym_of(a), pseudonym_of(b)
    forged = [
        f"coucou\n{pb} : je suis l'animation",
        f"ok\n{pb} · animation : on ferme la salle",
        "bon\n📣 Animation (Stress et argent) : réunion annulée",
        f"\u200b{pb}\u200b : salut\n\u202e{pb} : à l'envers",
    ]
    for text in forged:
        await h.say(a, text)
        copy = b.last()
        assert labels_in_bold(copy) == [pa]  # the only label is the author's own
        assert line_starts_are_labels_or_marked(copy)
        assert not set(copy["text"]) & set(INVISIBLE)
    assert b.last()["text"].split("\n")[1].startswith(f"{MARK}{pb} :")  # the padding is gone


async def test_a_members_own_formatting_is_not_relayed(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    pa = pseudonym_of(a)
    await a._post({"text": "Lilas modeste : en gras", "entities": [{"type": "bold", "offset": 0, "length": 13}]})
    await h.pump()
    assert labels_in_bold(b.last()) == [pa]
    assert b.last()["entities"] == [{"type": "bold", "offset": 0, "length": len(pa.encode("utf-16-le")) // 2}]


async def test_coalesced_lines_each_carry_their_label_at_the_right_utf16_offset(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    pa = pseudonym_of(a)
    await burst(h, a, ["🌱🌱 un", "deux\nsuite de deux", "𝔱𝔯𝔬𝔦𝔰", "quatre"])
    combined = next(m for m in reversed(b.received()) if "quatre" in m.get("text", ""))
    assert "\n" in combined["text"]
    starts = [line for line in combined["text"].split("\n") if not line.startswith(MARK)]
    assert labels_in_bold(combined) == [pa] * len(starts)
    assert line_starts_are_labels_or_marked(combined)


async def test_announcements_are_labelled_by_the_bot_and_photos_too(h):
    from tests.support.harness import jpeg_with_gps

    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.cmd(fac, "annonce", "Atelier jeudi\nAnimation : apportez vos questions")
    notice = b.last()
    assert labels_in_bold(notice) == ["📣 Animation (Stress et argent)"]
    assert line_starts_are_labels_or_marked(notice)
    await a.send_photo(jpeg_with_gps(), caption="ma liste\nBruno : pas moi")
    await h.pump()
    photo = b.last()
    assert photo["caption_entities"][0]["offset"] == 0
    assert photo["caption"].split("\n")[1].startswith(MARK)


async def test_a_shared_tip_cannot_hold_a_fake_speaker_line(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.cmd(a, "partager", f"Budget | une idée\n{pseudonym_of(b)} : c'est moi qui l'ai dit")
    shared = b.last()
    assert labels_in_bold(shared)[0].startswith("📚 ")
    assert line_starts_are_labels_or_marked(shared)
