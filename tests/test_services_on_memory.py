"""The services on a transport that is not Telegram: the in-memory one with Signal-like
capabilities (no buttons, no server copy, no protection, 2000 bytes), the fixed clock and
the manual scheduler. Nothing here knows Telegram."""

from __future__ import annotations

import pytest

from bot.core.clock import FixedClock
from bot.core.config import Config
from bot.core.text import Entity
from bot.ports.choices import Picked, keycap
from bot.ports.refs import MessageRef
from bot.ports.scheduler import ManualScheduler
from bot.sandbox.memory import WITH_BUTTONS, WITHOUT_BUTTONS, MemoryTransport
from bot.services import Services
from bot.services.relay import Incoming
from storage.database import Database, resolve_master_key
from storage.members import Consents, MemberRepo

START = 1_795_000_000.0


async def _build(tmp_path, capabilities):
    clock = FixedClock(START)
    fake = MemoryTransport(capabilities, clock=clock.now, name="memory")
    db = await Database.open(tmp_path, resolve_master_key(tmp_path, None))
    services = Services.build(Config(token=None, data_dir=tmp_path), db, fake, clock, ManualScheduler())
    return services, fake, db


@pytest.fixture
async def signal_like(tmp_path):
    services, fake, db = await _build(tmp_path, WITHOUT_BUTTONS)
    yield services, fake
    await services.delivery.drain(5)
    await db.close()


async def _member(services, fake, user_id: int, *, facilitator: bool = False, locale: str = "fr"):
    person = fake.person(f"aci-{user_id}")
    async with services.db.transaction() as tx:
        repo = MemberRepo(tx)
        member = await repo.create(user_id, person.chat, locale, Consents(rooms=True), 1, services.clock.day())
        if facilitator:
            await repo.set_role(member.id, "facilitator")
        stored = await repo.get(member.id)
    assert stored is not None and stored.chat == person.chat  # the reference comes back as it went in
    return stored, person


async def _room(services, fake, count: int):
    fac, fac_person = await _member(services, fake, 9_000, facilitator=True)
    await services.rooms.open(fac, "Stress et argent")
    async with services.db.transaction() as tx:
        stored = await MemberRepo(tx).get(fac.id)
        assert stored is not None
        room_id = stored.active_room_id
    people = [(fac, fac_person)]
    for index in range(count):
        member, person = await _member(services, fake, 9_001 + index)
        await services.rooms.join(member, room_id)
        async with services.db.transaction() as tx:
            people.append((await MemberRepo(tx).get(member.id), person))
    await services.delivery.drain(5)
    return people


def _said(person) -> list[str]:
    return [m.text or "" for m in person.visible()]


async def test_a_long_message_is_split_in_bytes_and_nothing_is_lost(signal_like):
    services, fake = signal_like
    (_, _), (author, author_person), (_, reader) = await _room(services, fake, 2)
    words = "é" * 1500 + " " + "😀" * 400  # 3000 + 1 + 1600 bytes: three pieces in 2000 bytes
    sent = fake.member_sends(author.chat, words)
    await services.relay.relay(author, Incoming(sent.ref, "text", words))
    await services.delivery.drain(5)
    copies = [m for m in reader.visible() if "é" in (m.text or "") or "😀" in (m.text or "")]
    assert len(copies) == 3
    assert all(len(m.text.encode()) <= WITHOUT_BUTTONS.text_limit for m in copies)
    labels = {m.text[: m.entities[0].length] for m in copies}  # the pseudonym, in bold, on each piece
    assert len(labels) == 1 and all(m.entities[0].kind == "bold" and m.entities[0].offset == 0 for m in copies)
    told = "".join(m.text[m.entities[0].length :].lstrip(" :\u00a0\u202f") for m in copies)
    assert told.replace(" ", "") == words.replace(" ", "")
    assert not any(m.protected for m in copies)  # nothing to protect with on this transport


async def test_choices_come_as_a_numbered_list_and_a_number_answers_them(signal_like):
    services, fake = signal_like
    member, person = await _member(services, fake, 9_100)
    reply = services.language.prompt(member, "fr")
    services.answers.text(member.chat, reply.text, buttons=reply.buttons, member_id=member.id)
    await services.delivery.drain(5)
    shown = person.last()
    assert shown.buttons is None and keycap(1) in shown.text and keycap(2) in shown.text
    picked = services.choices.answer(member.chat, "2")
    assert isinstance(picked, Picked) and picked.list.message == shown.ref
    assert picked.data == [b.data for row in reply.buttons for b in row][1]
    # The press's notice, with no toast to show it in, arrives as a message.
    await services.transport.acknowledge(picked.press, "C'est noté")
    assert person.last().text == "C'est noté"


async def test_media_go_again_as_bytes_where_the_server_cannot_copy(signal_like):
    services, fake = signal_like
    (_, facilitator), (author, _), (_, reader), (_, other) = await _room(services, fake, 3)
    sent = fake.member_sends(author.chat, None, data=b"OggS a voice note")
    await services.relay.relay(author, Incoming(sent.ref, "voice", None, media=sent.media))
    await services.delivery.drain(5)
    captions = set()
    for person in (facilitator, reader, other):
        copy = person.last()
        assert copy.media is not None and copy.media.source is None  # no trace of the author's message
        assert copy.entities == (Entity("bold", 0, len(copy.text)),)  # the caption: the pseudonym alone
        captions.add(copy.text)
    assert len(captions) == 1  # one pseudonym in this room, whoever reads it
    assert fake.calls["upload"] == 3 and fake.calls["relay_media"] == 3


async def test_an_edit_follows_every_copy_and_a_delete_takes_them_all(signal_like):
    services, fake = signal_like
    (_, _), (author, _), (_, reader) = await _room(services, fake, 2)
    sent = fake.member_sends(author.chat, "je suis contente")
    await services.relay.relay(author, Incoming(sent.ref, "text", "je suis contente"))
    await services.delivery.drain(5)
    copy = reader.last()
    await services.relay.edit(author, sent.ref, "je suis très contente")
    await services.delivery.drain(5)
    assert copy.text.endswith("je suis très contente") and copy.edits == 1
    await services.relay.delete(author, sent.ref)
    await services.delivery.drain(5)
    assert copy.deleted


async def test_a_reply_to_a_copy_threads_to_each_readers_own_copy(signal_like):
    services, fake = signal_like
    (_, _), (author, author_person), (_, reader), (_, other) = await _room(services, fake, 3)
    first = fake.member_sends(author.chat, "quelqu'un a un truc pour l'épicerie ?")
    await services.relay.relay(author, Incoming(first.ref, "text", first.text))
    await services.delivery.drain(5)
    readers_copy = reader.last()
    reader_member = next(m for m, p in await _room_members(services, fake) if p is reader)
    answer = fake.member_sends(reader.chat, "la liste, toujours")
    await services.relay.relay(
        reader_member, Incoming(answer.ref, "text", "la liste, toujours", reply_to=readers_copy.ref)
    )
    await services.delivery.drain(5)
    assert author_person.last().reply_to == first.ref  # to the author: their own message
    others_copy_of_first = next(m for m in other.visible() if "épicerie" in (m.text or ""))
    assert other.last().reply_to == others_copy_of_first.ref


async def _room_members(services, fake):
    async with services.db.transaction() as tx:
        members = await MemberRepo(tx).many(list(range(1, 20)))
    return [(m, fake.people[m.chat]) for m in members]


async def test_the_same_services_keep_buttons_where_the_transport_has_them(tmp_path):
    services, fake, db = await _build(tmp_path, WITH_BUTTONS)
    try:
        member, person = await _member(services, fake, 9_200)
        reply = services.language.prompt(member, "fr")
        services.answers.text(member.chat, reply.text, buttons=reply.buttons, member_id=member.id)
        await services.delivery.drain(5)
        assert person.last().buttons == reply.buttons and keycap(1) not in person.last().text
        assert services.choices.answer(member.chat, "1") is None
    finally:
        await db.close()


async def test_an_unreachable_member_on_another_transport_is_counted_like_on_telegram(signal_like):
    services, fake = signal_like
    member, person = await _member(services, fake, 9_300)
    person.blocked = True
    for _ in range(3):
        services.notifier.send_text(member, "coucou")
        await services.delivery.drain(5)
    async with services.db.transaction() as tx:
        assert (await MemberRepo(tx).get(member.id)).failed_deliveries == 3
    assert MessageRef(member.chat, "1").chat == person.chat


async def test_a_person_on_another_transport_is_found_by_their_own_blind_index(signal_like):
    services, fake = signal_like
    person = fake.person("aci-7")
    member = await services.members.enroll(("memory", "aci-7"), person.chat, "fr", Consents(rooms=True), 1)
    assert (await services.members.identify(("memory", "aci-7"))).member.id == member.id
    assert (await services.members.identify(("memory", "aci-8"))).member is None
    # The same digits as a Telegram id and as another transport's id never meet.
    digits = fake.person("5100000001")
    other = await services.members.enroll(("memory", "5100000001"), digits.chat, "fr", Consents(rooms=True), 1)
    assert (await services.members.identify(5_100_000_001)).member is None
    assert (await services.members.identify(("memory", "5100000001"))).member.id == other.id
    async with services.db.transaction() as tx:
        rows = await tx.all("SELECT uid_index FROM members")
    assert all(b"aci-7" not in bytes(row[0]) and b"5100000001" not in bytes(row[0]) for row in rows)
