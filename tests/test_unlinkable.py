"""Two pseudonyms of one person stay unlinkable: pseudonyms in the room's language, and a
person's events in several rooms (join and leave notices, erasure) spread out in time."""

from bot.services.pseudonyms import EN_NOUNS, FR_NOUNS
from tests.support.rooms import pseudonym_of, room_with


def spread_jobs(h, kind: str) -> list[float]:
    return sorted(when for name, (when, _) in h.scheduler.jobs.items() if name.startswith(f"spread:{kind}"))


async def open_room(h, fac, theme):
    await h.cmd(fac, "ouvrir", f"{theme} | Entre nous")
    return int(next(w for w in fac.last()["text"].replace("#", " ").split() if w.isdigit()))


async def test_pseudonyms_follow_the_rooms_language_not_the_members(h):
    fac, room_id, (a,) = await room_with(h, "Alice")  # a French facilitator's room
    bob = h.phone("Bob", language_code="en")
    await h.onboard(bob, "en")
    await h.cmd(bob, "join", str(room_id))
    noun = pseudonym_of(bob).split()[0]
    assert noun in FR_NOUNS and noun not in EN_NOUNS
    english = h.phone("Erin", language_code="en")
    await h.make_facilitator(english, "en")
    english_room = await open_room(h, english, "Money stress")
    await h.cmd(a, "rejoindre", str(english_room))
    assert pseudonym_of(a).split()[-1] in EN_NOUNS  # « Calm Heron »: the room's form


async def test_joining_two_rooms_does_not_announce_both_at_once(h):
    fac, first, (watcher,) = await room_with(h, "Wanda")
    second = await open_room(h, fac, "Deuil et perte")
    await h.cmd(watcher, "rejoindre", str(second))
    newcomer = h.phone("Nina")
    await h.onboard(newcomer)
    await h.tick(h.config.unlink_window)  # earlier notices gone out
    count = len(watcher.received())
    await h.cmd(newcomer, "rejoindre", str(first))
    await h.cmd(newcomer, "rejoindre", str(second))
    assert len(watcher.received()) == count  # nothing at the moment of the joins
    assert len(spread_jobs(h, "notice")) == 2  # one notice per room, each at its own moment
    await h.tick(h.config.unlink_window)
    notices = [t for t in watcher.texts() if "vient d'arriver" in t]
    assert len(notices) == 2 and notices[0].split("»")[0] != notices[1].split("»")[0]


async def test_an_erasure_takes_each_rooms_copies_down_at_its_own_moment(h):
    fac, first, (watcher, leaver) = await room_with(h, "Wanda", "Léa")
    second = await open_room(h, fac, "Deuil et perte")
    for phone in (watcher, leaver):
        await h.cmd(phone, "rejoindre", str(second))
    await h.say(leaver, "dans la deuxième")
    await h.cmd(leaver, "rejoindre", str(first))
    await h.say(leaver, "dans la première")
    copies = [m for m in watcher.received() if "dans la" in m.get("text", "")]
    assert len(copies) == 2
    await h.tick(h.config.unlink_window)  # earlier notices gone out
    await h.cmd(leaver, "oublier")
    await leaver.press(leaver.last(), "fg:yes")
    await h.pump()
    assert not any(m.get("_deleted") for m in copies)  # not all at the moment of the press
    moments = spread_jobs(h, "erase")
    assert len(moments) == 2 and moments[0] != moments[1]
    await h.tick(h.config.unlink_window + 60)
    assert all(m.get("_deleted") for m in copies)


async def test_a_stop_before_those_moments_takes_the_erased_copies_down_first(h):
    fac, room_id, (watcher, leaver) = await room_with(h, "Wanda", "Léa")
    await h.say(leaver, "à retirer avant l'arrêt")
    copy = watcher.last()
    await h.cmd(leaver, "oublier")
    await leaver.press(leaver.last(), "fg:yes")
    await h.pump()
    assert not copy.get("_deleted")
    await h.restart()  # the scheduler's jobs are in memory: they go at the stop, not never
    assert copy.get("_deleted")
    assert not spread_jobs(h, "erase")
