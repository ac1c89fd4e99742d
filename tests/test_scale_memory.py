"""What 100,000 members cost in memory (docs/performance.md, the scale section), checked in
counts at a few hundred: bytes held per scheduled check-in and reminder, how many check-ins
of a wave are planned at once, and the detector loaded before the schedules are rebuilt."""

from __future__ import annotations

import asyncio
import gc
import sys

import pytest

from bot.core.clock import FixedClock
from bot.core.config import Config
from bot.ports.scheduler import ManualScheduler
from bot.sandbox.memory import WITH_BUTTONS, MemoryTransport
from bot.services import Services, crisis
from bot.services.checkins.scheduling import PLANNING_AT_ONCE, Due
from bot.services.workshops import Reminder
from bot.telegram import runner
from storage.checkins import CheckinSettings
from storage.database import Database, resolve_master_key
from storage.members import Consents

START = 1_795_000_000.0  # a Wednesday of November 2026, 06:06 in Montreal
MEMBERS = 300
ROOMS = 30


@pytest.fixture
async def crowd(tmp_path):
    """MEMBERS members with an evening check-in, ROOMS rooms each with a workshop in three days."""
    clock = FixedClock(START)
    fake = MemoryTransport(WITH_BUTTONS, clock=clock.now, name="memory")
    db = await Database.open(tmp_path, resolve_master_key(tmp_path, None))
    scheduler = ManualScheduler()
    services = Services.build(Config(token=None, data_dir=tmp_path), db, fake, clock, scheduler)
    people = []
    async with db.transaction() as tx:
        for index in range(MEMBERS):
            person = fake.person(f"p{index}")
            member = await tx.members.create(
                10_000 + index, person.chat, "fr", Consents(rooms=True, checkins=True), 1, clock.day()
            )
            await tx.checkins.save(CheckinSettings(member.id))
            people.append(person)
        for r in range(ROOMS):
            room = await tx.rooms.open(f"Salle {r}", "", 12, clock.day())
            await tx.workshops.create(room.id, "Atelier", "", int(START) + 3 * 86400, "America/Montreal", clock.day())
    yield services, scheduler, people
    await services.delivery.drain(5)
    await db.close()


async def test_a_scheduled_checkin_or_reminder_holds_one_small_object_not_a_closure(crowd):
    services, scheduler, _ = crowd
    gc.collect()
    before = len(gc.get_objects())
    reminders = await services.workshops.rebuild()
    checkins = await services.checkins.rebuild()
    gc.collect()
    added = len(gc.get_objects()) - before
    assert (checkins, reminders) == (MEMBERS, ROOMS)
    jobs = list(scheduler.jobs.values())
    assert len(jobs) == MEMBERS + 4 * ROOMS  # one check-in each, four reminder kinds a workshop
    callbacks = [callback for _, callback in jobs]
    assert sum(isinstance(c, Due) for c in callbacks) == MEMBERS
    assert sum(isinstance(c, Reminder) for c in callbacks) == 4 * ROOMS
    assert not any(hasattr(c, "__dict__") for c in callbacks)  # slotted: no dictionary each
    assert max(sys.getsizeof(c) for c in callbacks) <= 64
    # Objects kept per job: the scheduler's entry and the callback (a closure was three:
    # the function, its cell and their tuple). 100,000 members hold 73,000 such jobs.
    assert added <= 2 * len(jobs) + 100


async def test_a_due_callback_fires_that_members_checkin(crowd):
    services, scheduler, people = crowd
    await services.checkins.rebuild()
    name = sorted(scheduler.jobs)[0]
    when, callback = scheduler.jobs.pop(name)
    services.clock.advance(when - services.clock.now())
    await callback()
    await services.delivery.drain(5)
    received = [person for person in people if person.visible()]
    assert len(received) == 1
    assert scheduler.jobs[name][0] > when  # and the next one is planned


async def test_a_wave_is_planned_a_few_at_a_time_and_every_checkin_goes(crowd, monkeypatch):
    services, _, people = crowd
    checkins = services.checkins
    inside, most = 0, 0
    original = checkins._fire

    async def counted(member_id, snoozed):
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        try:
            await original(member_id, snoozed)
        finally:
            inside -= 1

    monkeypatch.setattr(checkins, "_fire", counted)
    async with services.db.transaction() as tx:
        wave = [settings.member_id for settings in await tx.checkins.enabled()]
    services.clock.advance(14.5 * 3600)  # 20:36 in Montreal: every check-in of the day is due
    await asyncio.gather(*(checkins.fire(member_id) for member_id in wave))
    await services.delivery.drain(30)
    assert most == PLANNING_AT_ONCE  # never more planned at once, and the door was full
    assert sum(len(person.visible()) for person in people) == MEMBERS  # one check-in each, none lost
    assert len(checkins.keyboards) == 1  # one keyboard made for the day, shared by the 300 (all in French)


async def test_the_detector_loads_before_the_schedules_are_rebuilt(crowd, monkeypatch):
    services, scheduler, _ = crowd
    seen = []

    def warm_up(scratch):
        seen.append(len(scheduler.jobs))  # in its worker thread, awaited

    monkeypatch.setattr(crisis, "warm_up", warm_up)
    await runner._resume(services)
    assert seen == [0]  # loaded first, with no schedule yet
    assert len(scheduler.jobs) == MEMBERS + 4 * ROOMS
