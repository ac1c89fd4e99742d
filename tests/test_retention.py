"""Retention with an injected clock: exactly what the rules say goes away."""

from bot.services.retention import apply_retention
from storage.relays import RelayRepo
from tests.support.rooms import room_with


async def test_map_entries_older_than_48h_are_purged_and_edits_stop_reaching_copies(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    old = await h.say(a, "ancien")
    h.clock.advance(47 * 3600)
    recent = await h.say(a, "récent")
    h.clock.advance(1 * 3600 + 1)  # `old` is now past 48 h, `recent` is 1 h old
    counts = await apply_retention(h.db, h.clock)
    assert counts["message map entries (older than 48 h)"] == 1
    async with h.db.transaction() as tx:
        assert await RelayRepo(tx).by_author_message((await _member_id(tx, a)), old["message_id"]) is None
        assert await RelayRepo(tx).by_author_message((await _member_id(tx, a)), recent["message_id"]) is not None
        assert await tx.scalar("SELECT count(*) FROM relay_copies WHERE relay_id NOT IN (SELECT id FROM relays)") == 0
    await h.cmd(a, "supprimer", reply_to=old["message_id"])
    assert "48 heures" in a.last()["text"]


async def test_used_and_expired_invitations_are_purged(h):
    used = await h.services.invites.create()
    fac = h.phone("Fatou")
    await h.onboard(fac)
    await fac.start(used)
    await h.pump()
    await h.services.invites.create()
    h.clock.advance(6 * 86400)
    await h.services.invites.create()  # still valid tomorrow
    h.clock.advance(2 * 86400)
    counts = await apply_retention(h.db, h.clock)
    assert counts["invitations (used or expired)"] == 1  # the used one went at the last create
    async with h.db.transaction() as tx:
        assert await tx.scalar("SELECT count(*) FROM invites") == 1


async def _member_id(tx, phone):
    from storage.members import MemberRepo

    return (await MemberRepo(tx).find_by_user(phone.user_id)).id


async def test_reports_go_after_30_days(h):
    from tests.support.rooms import room_with

    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.say(a, "hmm")
    copy = b.last()
    await h.cmd(b, "signaler", reply_to=copy["message_id"])
    await b.press(b.last(), "rp:spam")
    await h.pump()
    h.clock.advance(29 * 86400)
    assert (await apply_retention(h.db, h.clock))["reports (older than 30 days)"] == 0
    h.clock.advance(2 * 86400)
    assert (await apply_retention(h.db, h.clock))["reports (older than 30 days)"] == 1


async def test_inactive_member_is_told_then_erased_unless_they_come_back(h):
    from storage.members import MemberRepo

    stays, leaves = h.phone("Stéphane"), h.phone("Léa")
    await h.onboard(stays)
    await h.onboard(leaves)
    h.clock.advance(366 * 86400)
    told = []
    counts = await apply_retention(h.db, h.clock, notify_inactive=told.append)
    assert counts["inactive members told (erased in 30 days)"] == 2 and len(told) == 2
    h.clock.advance(10 * 86400)
    await h.cmd(stays, "aide")  # coming back cancels the notice
    h.clock.advance(21 * 86400)
    counts = await apply_retention(h.db, h.clock, notify_inactive=told.append)
    assert counts["inactive members erased"] == 1
    async with h.db.transaction() as tx:
        assert await MemberRepo(tx).find_by_user(leaves.user_id) is None
        assert await MemberRepo(tx).find_by_user(stays.user_id) is not None
