"""The rooms stories for Signal members, end to end through the fake signal-cli daemon:
phones write through the daemon, the JSON-RPC client reads the notifications over TCP, the
inbound path (bot/signal/inbound.py) makes the service calls, and the answers reach each
phone through the Signal adapter (bot/signal/adapter.py) and the daemon again.
Afterwards nothing at rest or in the logs holds a number, an ACI, a name or a text."""

from __future__ import annotations

import asyncio
import io
import logging
import uuid

import pytest
from PIL import Image

from bot.core.clock import FixedClock
from bot.core.config import Config
from bot.core.i18n import Translator
from bot.ports.choices import keycap
from bot.ports.refs import ChatRef
from bot.ports.scheduler import ManualScheduler
from bot.sandbox.fake_signal import FakeSignal, SignalPhone
from bot.services import Services
from bot.signal.adapter import SignalTransport
from bot.signal.inbound import Lanes, Revisions, SignalInbound, kind_of
from bot.signal.rpc import SignalRpc
from locales.typography import plain
from storage.database import Database, resolve_master_key
from storage.members import Consents, MemberRepo
from tests.signal_intake import Intake
from tests.support.privacy import scan

START = 1_795_000_000.0
T = Translator()


class Bot:
    """The bot's process: database, services, the client and the inbound path."""

    def __init__(self, tmp_path, daemon: FakeSignal, clock: FixedClock) -> None:
        self.tmp_path, self.daemon, self.clock = tmp_path, daemon, clock

    async def start(self, address) -> Bot:
        self.rpc = await SignalRpc(*address).start(wait=5)
        self.transport = SignalTransport(self.rpc, account=self.daemon.account, clock=self.clock.now)
        self.db = await Database.open(self.tmp_path, resolve_master_key(self.tmp_path, None))
        config = Config(token=None, data_dir=self.tmp_path)
        self.services = Services.build(config, self.db, self.transport, self.clock, ManualScheduler())
        self.inbound = SignalInbound(self.services, adapter=self.transport)
        self.intake = Intake(self.rpc, self.inbound)
        return self

    async def stop(self) -> None:
        await self.settle()
        await self.intake.close()
        await self.transport.close()
        await self.db.close()

    async def settle(self) -> None:
        await self.intake.settle(lambda: self.services.delivery.drain(5))

    async def enrol(self, phone: SignalPhone, *, facilitator: bool = False, locale: str = "fr"):
        """A member who went through onboarding (onboarding itself has its own story)."""
        chat = ChatRef("signal", phone.aci)
        async with self.db.transaction() as tx:
            repo = MemberRepo(tx)
            member = await repo.create(("signal", phone.aci), chat, locale, Consents(rooms=True), 1, self.clock.day())
            if facilitator:
                await repo.set_role(member.id, "facilitator")


def said(phone: SignalPhone) -> list[str]:
    return [plain(m.text or "") for m in phone.received()]


@pytest.fixture
async def world(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    for name in ("entraide", "bot"):
        caplog.set_level(logging.DEBUG, logger=name)
    daemon = FakeSignal()
    address = await daemon.serve()
    bot = await Bot(tmp_path, daemon, FixedClock(START)).start(address)
    yield bot, daemon, address
    await bot.stop()
    await daemon.stop()


async def _room(bot: Bot, daemon: FakeSignal, count: int):
    """A facilitator opens a room by typing /ouvrir; `count` members join it by typing /rejoindre."""
    fac = daemon.phone("Fanny Animatrice")
    await bot.enrol(fac, facilitator=True)
    await fac.send("/ouvrir Stress et argent | On en parle ensemble | 8")
    await bot.settle()
    async with bot.db.transaction() as tx:
        facilitator = await tx.members.find_by_user(("signal", fac.aci))
    room_id = facilitator.active_room_id
    assert room_id is not None
    phones = [fac]
    for index in range(count):
        phone = daemon.phone(f"Membre{index} Nom{index}", shares_number=index == 0)
        await bot.enrol(phone)
        await phone.send(f"/rejoindre {room_id}")
        phones.append(phone)
    await bot.settle()
    return phones


def _jpeg_with_exif() -> bytes:
    image = Image.new("RGB", (64, 48), (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "CameraMakerSecret"  # Make
    exif[0x0131] = "GPS-Secret-Software"  # Software
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", exif=exif)
    return buffer.getvalue()


def _leaks(bot: Bot, phones: list[SignalPhone], texts: list[str], logs: str) -> list[str]:
    needles: dict[str, bytes] = {}
    for phone in phones:
        needles[f"ACI of {phone.name}"] = phone.aci.encode()
        needles[f"ACI bytes of {phone.name}"] = uuid.UUID(phone.aci).bytes
        needles[f"number of {phone.name}"] = phone.number.encode()
        needles[f"digits of {phone.name}"] = phone.number.lstrip("+").encode()
        needles[f"name of {phone.name}"] = phone.name.encode()
    for text in texts:
        needles[f"text {text[:20]!r}"] = text.encode()
    hits = scan(bot.tmp_path, needles)
    hits += [f"{label} in the logs" for label, needle in needles.items() if needle.decode(errors="ignore") in logs]
    return hits


async def test_signal_room_relay_reply_edit_delete_photo_and_nothing_kept(world, caplog):
    bot, daemon, _ = world
    fac, alice, bob = await _room(bot, daemon, 2)
    texts = ["Bonjour la salle, je suis nouvelle ici", "Bienvenue, contente de te lire", "Bonjour la salle, me revoici"]

    # Relay: Bob and the facilitator see Alice's words under her pseudonym, never her name.
    first = await alice.send(texts[0])
    await bot.settle()
    copy = next(m for m in bob.received() if texts[0] in m.text)
    assert "Membre0" not in copy.text and texts[0] in said(fac)[-1]

    # A quote of the bot's copy is a reply: the answer reaches Alice quoting her own message.
    await bob.send(texts[1], quote=copy.timestamp)
    await bot.settle()
    answer = next(m for m in alice.received() if texts[1] in m.text)
    assert answer.quote == (first, alice.aci)

    # An edit, then an edit of the edit (it targets the first edit's timestamp): every copy follows.
    await alice.edit(first, "Bonjour la salle, je suis nouvelle")
    await bot.settle()
    await alice.edit(first, texts[2])
    await bot.settle()
    assert any(texts[2] in t for t in said(bob))
    assert not any(texts[0] in t for t in said(bob) + said(fac))
    assert bob.ignored == [] and fac.ignored == []  # each edit named the latest revision

    # Reactions, receipts and typing reach no one and are not answered.
    before = (len(alice.inbox), len(bob.inbox), len(fac.inbox))
    await bob.react(answer.timestamp)
    await bob.receipt(first, read=True)
    await alice.typing()
    await bot.settle()
    assert (len(alice.inbox), len(bob.inbox), len(fac.inbox)) == before

    # Deleting her message for everyone on her phone deletes the copies.
    await alice.delete(first)
    await bot.settle()
    assert not any(texts[2] in t for t in said(bob) + said(fac))
    assert said(alice)[-1] == plain(T("fr", "relay.deleted"))

    # /supprimer quoting one's own message does the same.
    second = await bob.send("Un message que je regrette")
    await bot.settle()
    assert any("regrette" in t for t in said(alice))
    await bob.send("/supprimer", quote=second)
    await bot.settle()
    assert not any("regrette" in t for t in said(alice))

    # A photo is re-encoded without its metadata.
    photo = _jpeg_with_exif()
    await alice.send_photo(photo, "Mon coin tranquille")
    await bot.settle()
    shown = next(m for m in bob.received() if m.attachments)
    data = shown.attachments[0][1]
    assert data != photo and b"CameraMakerSecret" not in data and b"GPS-Secret" not in data
    assert not Image.open(io.BytesIO(data)).getexif()

    # An unknown command gets the kind answer Telegram gives.
    await bob.send("/nimportequoi")
    await bot.settle()
    assert said(bob)[-1] == plain(T("fr", "common.unknown_command"))

    texts += ["Un message que je regrette", "Mon coin tranquille"]
    logs = "\n".join(record.getMessage() for record in caplog.records)
    assert _leaks(bot, [fac, alice, bob], texts, logs) == []


async def test_a_new_signal_person_onboards_by_numbers_and_by_words(world):
    bot, daemon, _ = world
    phone = daemon.phone("Nouvelle Personne")
    await phone.send("/start")
    await bot.settle()
    assert plain(f"{keycap(1)} {T('fr', 'onboarding.charter_ok')}") in said(phone)[-1]
    await phone.send("1")  # the charter
    await bot.settle()
    await phone.send("1️⃣")  # of age: the keycap itself, as a phone's keyboard offers it
    await bot.settle()
    assert plain(T("fr", "onboarding.consent_done")) in said(phone)[-1]
    await phone.send(T("fr", "onboarding.consent_done"))  # the choice's own words
    await bot.settle()
    async with bot.db.transaction() as tx:
        member = await tx.members.find_by_user(("signal", phone.aci))
    assert member is not None and member.chat == ("signal", phone.aci) and member.consents.rooms
    await phone.send("9")  # the welcome offers one choice (« Voir les salles »)
    await bot.settle()
    assert said(phone)[-1] == plain(T.plural("fr", "choices.out_of_range", 1))
    await phone.send("/aide")
    await bot.settle()
    assert plain(T("fr", "help.signal")) in said(phone)[-1]
    await phone.send("/privacy")  # the English name works for a French speaker too
    await bot.settle()
    assert plain(T("fr", "privacy.unprotected")) in said(phone)[-1]


async def test_a_burst_arrives_in_order_and_a_warning_by_quote(world):
    bot, daemon, _ = world
    fac, alice, bob = await _room(bot, daemon, 2)
    for index in range(15):
        await alice.send(f"rafale n° {index:02d}")
    await bot.settle()
    seen = [int(line.rsplit(" ", 1)[1]) for text in said(bob) for line in text.split("\n") if "rafale n° " in line]
    assert seen == list(range(15))
    assert bot.transport.batched > 0  # copies of one message shared a multi-recipient call
    # The facilitator quotes one of the copies and warns: the author is told, under the pseudonym only.
    copy = next(m for m in fac.received() if "rafale n° 03" in m.text)
    await fac.send("/avertir reste bienveillante", quote=copy.timestamp)
    await bot.settle()
    assert any("reste bienveillante" in t for t in said(alice))
    assert not any("reste bienveillante" in t for t in said(bob))


async def test_crisis_care_holds_and_the_member_chooses_by_number(world):
    bot, daemon, _ = world
    fac, alice, bob = await _room(bot, daemon, 2)
    await alice.send("je veux mourir")
    await bot.settle()
    assert not any("mourir" in t for t in said(bob) + said(fac))  # held: nothing reaches the room
    held = alice.received()[-1].text
    assert keycap(1) in held and keycap(3) in held
    await alice.send("9")
    await bot.settle()
    assert said(alice)[-1] == plain(T.plural("fr", "choices.out_of_range", 3))
    drop = T("fr", "safety.button_drop")
    number = next(n for n in (1, 2, 3) if held.split(keycap(n), 1)[1].split("\n")[0].strip() == drop)
    await alice.send(str(number))  # « Ne pas envoyer »
    await bot.settle()
    assert not any("mourir" in t for t in said(bob) + said(fac))
    await alice.send(str(number))  # the list is spent
    await bot.settle()
    assert said(alice)[-1] == plain(T("fr", "choices.stale"))


async def test_an_edit_after_a_restart_still_reaches_every_copy(tmp_path):
    daemon = FakeSignal()
    address = await daemon.serve()
    clock = FixedClock(START)
    bot = await Bot(tmp_path, daemon, clock).start(address)
    fac, alice, bob = await _room(bot, daemon, 2)
    first = await alice.send("Avant le redémarrage")
    await bot.settle()
    await bot.stop()
    bot = await Bot(tmp_path, daemon, clock).start(address)
    await alice.edit(first, "Après le redémarrage")
    await bot.settle()
    assert any("Après le redémarrage" in t for t in said(bob))
    assert not any("Avant le redémarrage" in t for t in said(bob))
    await bot.stop()
    await daemon.stop()


async def test_an_unregistered_member_leaves_the_room_and_the_others_still_get_messages(world):
    bot, daemon, _ = world
    fac, alice, bob = await _room(bot, daemon, 2)
    bob.registered = False  # Bob's account is gone: every delivery to him fails
    for index in range(4):
        await alice.send(f"toujours là {index}")
        await bot.settle()
    assert any("toujours là 3" in t for t in said(fac))
    async with bot.db.transaction() as tx:
        member = await tx.members.find_by_user(("signal", bob.aci))
    assert member.active_room_id is None


def test_kinds_of_signal_messages():
    from bot.signal.envelopes import Attachment, Received

    def kind(mime: str) -> str:
        return kind_of(Received("a", 1, None, attachments=(Attachment("x", mime),)))

    assert kind("image/jpeg") == "photo" and kind("image/gif") == "animation" and kind("video/mp4") == "video"
    assert kind("audio/aac") == "voice" and kind("audio/mpeg") == "audio" and kind("application/pdf") == "document"
    assert kind_of(Received("a", 1, "hi")) == "text"
    assert kind_of(Received("a", 1, None, sticker=True)) == "other"  # a pack's sticker: no attachment to pass on
    assert kind_of(Received("a", 1, None, sticker=True, attachments=(Attachment("x", "image/webp"),))) == "sticker"
    assert kind_of(Received("a", 1, None, unsupported=True)) == "other"


async def test_a_checkin_is_answered_by_number(world):
    bot, daemon, _ = world
    phone = daemon.phone("Bilan Signal")
    await bot.enrol(phone)
    await phone.send("/bilan 21:30")  # opting in, at half past nine
    await bot.settle()
    assert "21:30" in said(phone)[-1]
    async with bot.db.transaction() as tx:
        member = await tx.members.find_by_user(("signal", phone.aci))
    await bot.services.checkins.fire(member.id)  # what the scheduler runs at 21:30
    await bot.settle()
    checkin = phone.received()[-1].text
    assert f"{keycap(5)} {T('fr', 'checkins.mood_5')}" in checkin
    await phone.send("4")
    await bot.settle()
    assert plain(T("fr", "checkins.thanks")) in said(phone)[-1]
    await phone.send("/humeur")
    await bot.settle()
    assert phone.received()[-1].attachments  # the chart of the answer just given


async def test_voice_notes_pass_and_files_are_refused_as_on_telegram(world):
    bot, daemon, _ = world
    fac, alice, bob = await _room(bot, daemon, 2)
    await alice.send(None, attachments=[(b"\xff\xf1voice-note-bytes", "audio/aac")])
    await bot.settle()
    voice = next(m for m in bob.received() if m.attachments)
    assert voice.attachments[0][1] == b"\xff\xf1voice-note-bytes"
    assert said(alice)[-1] == plain(T("fr", "relay.voice_warning"))  # the first voice note: a word of care
    before = len(bob.inbox)
    await alice.send("mon dossier", attachments=[(b"%PDF-1.4 secret", "application/pdf")])
    await bot.settle()
    assert said(alice)[-1] == plain(T("fr", "relay.refused_document")) and len(bob.inbox) == before


async def test_a_facilitator_opens_a_room_step_by_step_and_numbers_answer_the_steps(world):
    bot, daemon, _ = world
    fac = daemon.phone("Animatrice Guidée")
    await bot.enrol(fac, facilitator=True)
    await fac.send("/ouvrir")
    await bot.settle()
    await fac.send("Jardin partagé")  # the theme, typed
    await bot.settle()
    assert plain(T("fr", "rooms.button_skip")) in said(fac)[-1]
    await fac.send("1")  # « Passer » the description
    await bot.settle()
    places = fac.received()[-1].text
    assert f"{keycap(3)} 8" in places
    await fac.send("3")  # 8 places
    await bot.settle()
    async with bot.db.transaction() as tx:
        member = await tx.members.find_by_user(("signal", fac.aci))
        room = await tx.rooms.get(member.active_room_id)
    assert room.theme == "Jardin partagé" and room.capacity == 8
    await fac.send("/ouvrir")  # again, then left at the first step
    await fac.send("/annuler")
    await bot.settle()
    assert said(fac)[-1] == plain(T("fr", "rooms.open_abandoned"))
    await fac.send("Bonjour le jardin")  # no exchange any more: this goes to the room
    await bot.settle()
    assert said(fac)[-1] == plain(T("fr", "relay.alone", theme="Jardin partagé"))


async def test_an_invitation_typed_on_signal_makes_a_facilitator(world):
    bot, daemon, _ = world
    code = await bot.services.invites.create()
    phone = daemon.phone("Future Animatrice")
    for text in (f"/start {code}", "1", "1", T("fr", "onboarding.consent_done")):
        await phone.send(text)
        await bot.settle()
    async with bot.db.transaction() as tx:
        member = await tx.members.find_by_user(("signal", phone.aci))
    assert member is not None and member.is_facilitator


async def test_a_report_by_quote_and_forgetting_everything_by_number(world):
    bot, daemon, _ = world
    fac, alice, bob = await _room(bot, daemon, 2)
    await alice.send("Un message dérangeant")
    await alice.send("Un message à oublier")
    await bot.settle()
    copy = next(m for m in bob.received() if "dérangeant" in m.text)
    await bob.send("/signaler", quote=copy.timestamp)
    await bot.settle()
    assert plain(T("fr", "reports.ask")) in said(bob)[-1]
    await bob.send("1")  # the first reason
    await bot.settle()
    assert said(bob)[-1] == plain(T("fr", "reports.thanks"))
    await alice.send("/oublier")
    await bot.settle()
    assert plain(T("fr", "privacy.forget_yes")) in said(alice)[-1]
    await alice.send(T("fr", "privacy.forget_yes"))  # « Oui, tout effacer », by its words
    await bot.settle()
    async with bot.db.transaction() as tx:
        assert await tx.members.find_by_user(("signal", alice.aci)) is None
    await bot.services.privacy.take_down_waiting()  # her copies go, spread over a few minutes: now
    await bot.settle()
    assert not any("à oublier" in t for t in said(bob) + said(fac))  # her copies went with her


async def test_an_english_speaker_types_commands_in_english_and_is_answered_in_english(world):
    bot, daemon, _ = world
    phone = daemon.phone("English Speaker")
    await bot.enrol(phone, locale="en")
    await phone.send("/help")
    await bot.settle()
    assert plain(T("en", "help.signal")) in said(phone)[-1]
    await phone.send("/Privacy")  # a capital from the phone's keyboard changes nothing
    await bot.settle()
    assert plain(T("en", "privacy.unprotected")) in said(phone)[-1]
    await phone.send("/whatever")
    await bot.settle()
    assert said(phone)[-1] == plain(T("en", "common.unknown_command"))


async def test_several_photos_in_one_message_the_first_goes_and_the_member_is_told(world):
    bot, daemon, _ = world
    fac, alice, bob = await _room(bot, daemon, 2)
    await alice.send("deux photos", attachments=[(_jpeg_with_exif(), "image/jpeg"), (_jpeg_with_exif(), "image/jpeg")])
    await bot.settle()
    assert len([m for m in bob.received() if m.attachments]) == 1
    assert said(alice)[-1] == plain(T("fr", "relay.first_attachment_only"))


async def test_one_persons_events_wait_for_each_other_never_for_someone_elses():
    lanes, done = Lanes(), []
    gate = asyncio.Event()

    def job(name: str, wait: bool = False):
        async def run() -> None:
            if wait:
                await gate.wait()
            done.append(name)

        return run

    lanes.submit("alice", job("a1", wait=True))
    lanes.submit("alice", job("a2"))
    lanes.submit("bob", job("b1"))
    for _ in range(20):
        await asyncio.sleep(0)
    assert done == ["b1"]  # Bob is not held up by Alice's slow first message
    gate.set()
    await lanes.drain()
    assert done == ["b1", "a1", "a2"] and len(lanes) == 0  # Alice's in her order


def test_revisions_map_every_edit_back_to_the_original():
    revisions = Revisions(limit=3)
    revisions.note("a", 20, 10)
    revisions.note("a", 30, revisions.original("a", 20))
    assert revisions.original("a", 30) == 10 and revisions.original("a", 10) == 10
    assert revisions.original("b", 30) == 30  # another author's timestamps are theirs
    for n in range(4):
        revisions.note("c", 100 + n, 1)
    assert revisions.original("a", 20) == 20  # the oldest forgotten past the bound
