"""Evening check-ins with an injected clock: DST, snooze, skip, pause, stop, trends."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.services.checkins import next_checkin, period, spread
from locales.typography import plain
from storage.checkins import CheckinSettings
from tests.support.checkins import MTL, checkins_received, first_checkin, press_latest
from tests.support.rooms import room_with


def test_next_checkin_is_21h_local_every_day_across_both_dst_changes():
    settings = CheckinSettings(1, minute_of_day=21 * 60, tz="America/Montreal")
    for start in (datetime(2026, 3, 5, 12, tzinfo=MTL), datetime(2026, 10, 29, 12, tzinfo=MTL)):
        moment = start.timestamp()
        days = []
        for _ in range(7):
            moment = next_checkin(settings, moment)
            local = datetime.fromtimestamp(moment, MTL)
            assert (local.hour, local.minute) == (21, 0)
            days.append(local.date())
        assert days == [days[0] + timedelta(days=i) for i in range(7)]


def test_other_time_zone_and_chosen_days():
    settings = CheckinSettings(1, minute_of_day=20 * 60, tz="Europe/Paris", days=0b0000001)  # Mondays
    moment = next_checkin(settings, datetime(2026, 11, 25, 12, tzinfo=MTL).timestamp())
    local = datetime.fromtimestamp(moment, ZoneInfo("Europe/Paris"))
    assert local.weekday() == 0 and local.hour == 20
    assert next_checkin(CheckinSettings(1, days=0), 0) is None


async def test_exactly_one_checkin_a_day_across_march_dst_with_restarts(h):
    alice = h.phone("Alice")
    await h.onboard(alice)
    await h.cmd(alice, "bilan", "21:00")
    assert "activé" in alice.last()["text"]
    h.clock.current = datetime(2026, 3, 5, 12, tzinfo=MTL).timestamp()
    await h.restart()
    for day in range(6):  # 5 to 10 March; DST starts on the 8th
        await h.tick(6 * 3600)
        await h.tick(6 * 3600)
        if day == 2:
            await h.restart()
        await h.tick(6 * 3600)
        await h.tick(6 * 3600)
    sent = checkins_received(alice)
    assert len(sent) == 6
    hours = {datetime.fromtimestamp(m["date"], MTL).strftime("%H:%M") for m in sent}
    assert all(hour.startswith("21:0") for hour in hours), hours


async def test_exactly_one_a_day_across_november_dst(h):
    alice = h.phone("Alice")
    await h.onboard(alice)
    await h.cmd(alice, "bilan", "21:00")
    h.clock.current = datetime(2026, 10, 30, 12, tzinfo=MTL).timestamp()
    await h.restart()
    for _ in range(4 * 6):  # four days, in 4-hour steps; DST ends on 1 November
        await h.tick(4 * 3600)
    sent = checkins_received(alice)
    assert len(sent) == 4
    assert all(datetime.fromtimestamp(m["date"], MTL).hour == 21 for m in sent)


async def test_answer_mood_tags_and_gentle_note_when_very_low(h):
    alice = h.phone("Alice")
    await h.onboard(alice)
    message = await first_checkin(h, alice)
    mood_1 = next(d for _, d in alice.buttons(message) if d.startswith("ci:m:1:"))
    await alice.press(message, mood_1)
    await h.pump()
    assert "/ressources" in message["text"] and "Merci" in message["text"]
    tag = next(d for label, d in alice.buttons(message) if label == "Argent")
    await alice.press(message, tag)
    await h.pump()
    assert any(label == "☑ Argent" for label, _ in alice.buttons(message))
    await h.cmd(alice, "humeur")
    chart = alice.last()
    assert "photo" in chart and "▁" in chart["caption"] and "Argent" in chart["caption"]


async def test_snooze_skip_pause_stop(h):
    alice = h.phone("Alice")
    await h.onboard(alice)
    await first_checkin(h, alice)
    await press_latest(h, alice, "ci:snooze")
    count = len(checkins_received(alice))
    await h.tick(3599)
    assert len(checkins_received(alice)) == count
    await h.tick(2)
    assert len(checkins_received(alice)) == count + 1  # snoozed one comes back after 1 h
    # Skip: nothing more tonight, the next one tomorrow.
    await press_latest(h, alice, "ci:skip")
    await h.tick(23.5 * 3600)
    assert len(checkins_received(alice)) == count + 2
    # Pause a week: nothing for 7 days.
    await press_latest(h, alice, "ci:pause")
    for _ in range(6):
        await h.tick(86400)
    assert len(checkins_received(alice)) == count + 2
    for _ in range(2):
        await h.tick(86400)
    assert len(checkins_received(alice)) == count + 3
    # Stop: none again, and the consent is off.
    await press_latest(h, alice, "ci:stop")
    for _ in range(3):
        await h.tick(86400)
    assert len(checkins_received(alice)) == count + 3
    await h.cmd(alice, "mesdonnees")
    import json

    data = json.loads(h.api.files[alice.last()["document"]["file_id"]].data)
    assert data["Toi"]["Tes accords"]["Bilan du soir (petit message doux)"] == "non"


async def test_trends_show_nothing_for_4_and_a_distribution_for_5(h):
    names = ["Alice", "Bruno", "Chloé", "Dany", "Émile"]
    fac, room_id, phones = await room_with(h, *names)
    for phone in phones:
        await h.cmd(phone, "bilan", "20:00")
    now = datetime.fromtimestamp(h.clock.now(), MTL)
    await h.tick((now.replace(hour=20, minute=5) - now).total_seconds())
    for phone in phones[:4]:
        message = checkins_received(phone)[-1]
        await phone.press(message, next(d for _, d in phone.buttons(message) if d.startswith("ci:m:4:")))
    await h.pump()
    await h.cmd(fac, "tendances")
    lines = plain(fac.last()["text"]).split("\n")
    # Weeks named by Babel in the member's language, the rule said once for the hidden weeks.
    assert lines[1:5] == [
        "Semaine du 16 novembre 2026 : —",
        "Semaine du 9 novembre 2026 : —",
        "Semaine du 2 novembre 2026 : —",
        "Semaine du 26 octobre 2026 : —",
    ]
    assert len(lines) == 6 and "moins de 5 personnes" in lines[5]
    assert sum("moins de 5" in line for line in lines) == 1 and "2026-11" not in fac.last()["text"]
    message = checkins_received(phones[4])[-1]
    await phones[4].press(message, next(d for _, d in phones[4].buttons(message) if d.startswith("ci:m:2:")))
    await h.pump()
    await h.cmd(fac, "tendances")
    lines = plain(fac.last()["text"]).split("\n")
    week = lines[1]
    assert week.startswith("Semaine du 16 novembre 2026 (5 personnes) :")
    assert "▆ 4" in week and "▂ 1" in week
    assert sum("moins de 5" in line for line in lines) == 1  # three weeks still hidden, one rule
    await h.cmd(fac, "langue")
    await fac.press(fac.last(), next(d for label, d in fac.buttons() if label == "English"))
    await h.pump()
    await h.cmd(fac, "trends")
    lines = plain(fac.last()["text"]).split("\n")
    assert lines[1].startswith("Week of November 16, 2026 (5 people):") and lines[2] == "Week of November 9, 2026: —"
    assert sum("fewer than 5" in line for line in lines) == 1
    await h.cmd(phones[0], "tendances")
    assert "réservée à l'animation" in phones[0].last()["text"]


async def test_the_checkin_greets_by_the_time_of_day(h):
    """A 9:00 check-in says « ce matin » and « Bonne journée », never « ce soir »."""
    alice = h.phone("Alice")
    await h.onboard(alice)
    await h.cmd(alice, "bilan", "09:00")
    now = datetime.fromtimestamp(h.clock.now(), MTL)  # Wednesday 06:06
    await h.tick((now.replace(hour=9, minute=4) - now).total_seconds())
    (message,) = checkins_received(alice)
    assert plain(message["text"]) == "Bonjour 🌤 Comment ça va ce matin ?"
    assert "Pas aujourd'hui" in [label for label, _ in alice.buttons(message)]
    await press_latest(h, alice, "ci:m:4:")
    await alice.press(message, next(d for _, d in alice.buttons(message) if d.startswith("ci:done:")))
    await h.pump()
    assert message["text"] == "Merci. Bonne journée 🌤"
    assert not any("ce soir" in t.lower() or "soirée" in t.lower() for t in alice.texts())
    # The same member at 20:00 the next day: an evening greeting.
    await h.cmd(alice, "bilan", "20:00")
    now = datetime.fromtimestamp(h.clock.now(), MTL)
    await h.tick((now.replace(hour=20, minute=4) + timedelta(days=1) - now).total_seconds())
    evening = checkins_received(alice)[-1]
    assert plain(evening["text"]) == "Comment ça va ce soir ? 🌙"
    await press_latest(h, alice, "ci:m:3:")
    await alice.press(evening, next(d for _, d in alice.buttons(evening) if d.startswith("ci:done:")))
    await h.pump()
    assert evening["text"] == "Merci. Bonne soirée 🌙"


def test_periods_of_the_day():
    def at(hour):
        return datetime(2026, 11, 18, hour, 30, tzinfo=MTL).timestamp()

    assert [period(at(hour), "America/Montreal") for hour in (4, 5, 11, 12, 16, 17, 21, 22, 23)] == [
        "night",
        "morning",
        "morning",
        "afternoon",
        "afternoon",
        "evening",
        "evening",
        "night",
        "night",
    ]
    assert period(at(12), "Europe/Paris") == "evening"  # 18:30 in Paris


async def test_time_zones_are_named_in_the_members_language(h):
    alice, bob = h.phone("Alice"), h.phone("Bob", language_code="en")
    await h.onboard(alice)
    await h.onboard(bob, "en")
    await h.cmd(alice, "bilan")
    labels = [label for label, _ in alice.buttons()]
    assert "• Montréal" in labels and "Montreal" not in " ".join(labels)
    assert "Fuseau : Montréal" in plain(alice.last()["text"]) and "America/" not in alice.last()["text"]
    await h.cmd(bob, "checkin")
    assert "• Montreal" in [label for label, _ in bob.buttons()]
    await h.cmd(alice, "bilan", "Europe/Berlin")
    assert "Fuseau : Berlin" in plain(alice.last()["text"])


def test_spread_is_stable_and_within_three_minutes():
    values = {spread(i) for i in range(1000)}
    assert min(values) >= 0 and max(values) < 180 and len(values) > 100
    assert spread(42) == spread(42)


async def six_answered_fanny_alone_low(h):
    """Six people answer the 20:00 check-in, Fanny alone with 1; the facilitator's first
    /tendances shows all six. Returns the facilitator, the room, the phones and that line."""
    names = ["Alice", "Bruno", "Chloé", "Dany", "Émile", "Fanny"]
    fac, room_id, phones = await room_with(h, *names)
    for phone in phones:
        await h.cmd(phone, "bilan", "20:00")
    now = datetime.fromtimestamp(h.clock.now(), MTL)
    await h.tick((now.replace(hour=20, minute=5) - now).total_seconds())
    for phone, mood in zip(phones, "444441", strict=True):  # Fanny alone answers 1
        message = checkins_received(phone)[-1]
        await phone.press(message, next(d for _, d in phone.buttons(message) if d.startswith(f"ci:m:{mood}:")))
    await h.pump()
    await h.cmd(fac, "tendances")
    before = plain(fac.last()["text"]).split("\n")[1]
    assert "(6 personnes)" in before and "▁ 1" in before
    return fac, room_id, phones, before


async def test_trends_before_and_after_someone_leaves_do_not_reveal_their_mood(h):
    fac, room_id, phones, before = await six_answered_fanny_alone_low(h)
    await h.cmd(phones[5], "quitter")  # Fanny leaves: 5 respondents remain
    await h.cmd(fac, "tendances")
    after = plain(fac.last()["text"]).split("\n")[1]
    assert after == before  # a change of one person is not released: nothing to subtract
    await h.cmd(phones[4], "quitter")  # a second one leaves: 4, too few
    await h.cmd(fac, "tendances")
    assert plain(fac.last()["text"]).split("\n")[1] == before
    # Two new respondents: a new release, which differs from the first by more than one person.
    newcomers = ["Gaël", "Hugo"]
    for name in newcomers:
        phone = h.phone(name)
        await h.onboard(phone)
        await h.cmd(phone, "rejoindre", str(room_id))
        await h.cmd(phone, "bilan", "21:00")
        phones.append(phone)
    now = datetime.fromtimestamp(h.clock.now(), MTL)
    await h.tick((now.replace(hour=21, minute=5) - now).total_seconds())
    for phone in phones[6:]:
        message = checkins_received(phone)[-1]
        await phone.press(message, next(d for _, d in phone.buttons(message) if d.startswith("ci:m:3:")))
    await h.pump()
    await h.cmd(fac, "tendances")
    latest = plain(fac.last()["text"]).split("\n")[1]
    assert "(6 personnes)" in latest and "▄ 2" in latest and "▁ 0" in latest


async def test_a_restart_between_two_looks_at_trends_does_not_reveal_the_leavers_mood(h):
    """Issue 15, item 5: the release rule is kept at rest, so a restart (a new database
    connection and new services on the same file) cannot be used to difference releases."""
    fac, room_id, phones, before = await six_answered_fanny_alone_low(h)
    await h.cmd(phones[5], "quitter")  # Fanny leaves: 5 respondents remain
    await h.restart()
    await h.cmd(fac, "tendances")
    after = plain(fac.last()["text"]).split("\n")[1]
    assert after == before  # still the first release: « ▁ 0 » for 5 people would single Fanny out
    await h.restart()
    await h.cmd(fac, "tendances")
    assert plain(fac.last()["text"]).split("\n")[1] == before
    # What is at rest: the published figures and keyed hashes made for this room and week,
    # never a member id nor a mood per person.
    async with h.db.transaction() as tx:
        rows = await tx.all("SELECT room_id, week, people, moods, respondents FROM trend_releases")
        seats = await tx.rooms.seats(room_id)
        members = await tx.members.many([s.member_id for s in seats if not s.is_facilitator])
    assert len(rows) == 1
    stored_room, week, people, moods, blob = rows[0]
    assert (stored_room, people, moods) == (room_id, 6, "1,0,0,5,0") and len(blob) == 6 * 16
    async with h.db.transaction() as tx:
        here = tx.trends.respondents(room_id, week, [m.id for m in members])
        elsewhere = tx.trends.respondents(room_id + 1, week, [m.id for m in members])
    stored = {blob[i : i + 16] for i in range(0, len(blob), 16)}
    assert len(members) == 5 and here <= stored and not elsewhere & stored  # comparable here, unlinkable anywhere else
