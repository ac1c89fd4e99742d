"""Moderation by reply acts on the pseudonym and never unmasks."""

from locales.typography import plain
from storage.members import MemberRepo
from storage.rooms import RoomRepo
from tests.support.rooms import pseudonym_of, room_with


async def _copy_at_facilitator(h, fac, author, text):
    await h.say(author, text)
    return fac.last()


async def test_warn_reaches_author_privately_and_reveals_nothing(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    copy = await _copy_at_facilitator(h, fac, a, "message limite")
    before_b = len(b.inbox)
    await h.cmd(fac, "avertir", "on garde un ton doux svp", reply_to=copy["message_id"])
    assert "on garde un ton doux svp" in a.last()["text"]
    assert len(b.inbox) == before_b
    answer = fac.last()["text"]
    assert pseudonym_of(a) in answer
    for secret in ("Alice", "alice_x", str(a.user_id)):
        assert secret not in answer


async def test_mute_holds_messages_with_a_kind_notice(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    copy = await _copy_at_facilitator(h, fac, a, "hop")
    await h.cmd(fac, "sourdine", "abc", reply_to=copy["message_id"])
    assert "30m" in fac.last()["text"]
    await h.cmd(fac, "sourdine", "2h", reply_to=copy["message_id"])
    assert "sourdine" in fac.last()["text"]
    assert "pause" in a.last()["text"]
    count = len(b.inbox)
    await h.say(a, "encore moi")
    assert len(b.inbox) == count
    assert "n'a pas été envoyé" in a.last()["text"]
    h.clock.advance(2 * 3600 + 1)
    await h.say(a, "me revoilà")
    assert b.last()["text"].endswith("me revoilà")


async def test_ban_from_room_and_from_bot(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    copy = await _copy_at_facilitator(h, fac, a, "hop")
    await h.cmd(fac, "exclure", reply_to=copy["message_id"])
    assert "ne fait plus partie" in fac.last()["text"]
    await h.cmd(a, "rejoindre", str(room_id))
    assert "ne peux pas rejoindre" in a.last()["text"]
    copy = await _copy_at_facilitator(h, fac, b, "hop")
    await h.cmd(fac, "exclure", "tout", reply_to=copy["message_id"])
    assert "n'a plus accès" in fac.last()["text"]
    async with h.db.transaction() as tx:
        assert await MemberRepo(tx).find_by_user(b.user_id) is None
        assert await MemberRepo(tx).is_banned(b.user_id)
    await h.say(b, "allo ?")
    assert "plus accès" in b.last()["text"]


async def test_members_cannot_moderate_and_replies_are_needed(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await _copy_at_facilitator(h, fac, a, "hop")  # Bruno now holds a relayed copy
    await h.cmd(b, "exclure", reply_to=b.last()["message_id"])
    assert "réservée à l'animation" in b.last()["text"]
    await h.cmd(fac, "avertir")
    assert "Réponds au message" in fac.last()["text"]
    async with h.db.transaction() as tx:
        assert len(await RoomRepo(tx).seats(room_id)) == 3


async def test_announcement_and_facilitator_mark(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.cmd(fac, "annonce", "Atelier jeudi, bienvenue à tous")
    assert plain(a.last()["text"]) == "📣 Animation (Stress et argent) : Atelier jeudi, bienvenue à tous"
    await h.say(fac, "Bonsoir tout le monde")
    assert "· animation : Bonsoir" in plain(a.last()["text"])
