"""The Signal adapter through the fake signal-cli daemon: one multi-recipient call for a
room message, edits on the latest revision (and a correction past the tenth or the day),
deletes, attachments without metadata, errors in the core's words, and nothing of a
person (number, ACI, text) in the logs."""

from __future__ import annotations

import asyncio
import base64
import io
import logging

import pytest
from PIL import Image

from bot.core import errors
from bot.core.logs import RedactingFilter, redact
from bot.core.text import Entity
from bot.ports.choices import ChoiceBook, NumberedChoices
from bot.ports.refs import ChatRef
from bot.ports.router import TransportRouter
from bot.ports.transport import Button
from bot.sandbox.fake_signal import FakeSignal, SignalPhone
from bot.sandbox.memory import WITH_BUTTONS, MemoryTransport
from bot.signal.adapter import CAPABILITIES, SignalTransport, chat_of, message_of
from bot.signal.envelopes import Received
from bot.signal.results import CaptchaRequired, UntrustedIdentity
from bot.signal.rpc import SignalRpc


class Clock:
    def __init__(self) -> None:
        self.current = 1_795_000_000.0

    def now(self) -> float:
        return self.current


class Env:
    def __init__(self, daemon: FakeSignal, rpc: SignalRpc, adapter: SignalTransport, clock: Clock) -> None:
        self.daemon, self.rpc, self.adapter, self.clock = daemon, rpc, adapter, clock
        self._events = rpc.events()

    def phones(self, count: int) -> list[SignalPhone]:
        return [self.daemon.phone(f"Personne {n}") for n in range(count)]

    def sends(self) -> list[dict]:
        return [c.params for c in self.daemon.calls if c.method == "send"]

    async def event(self) -> Received:
        event = await asyncio.wait_for(anext(self._events), 5)
        assert isinstance(event, Received)
        return event


@pytest.fixture
async def env(tmp_path):
    clock = Clock()
    daemon = FakeSignal(clock=clock.now)
    host, port = await daemon.serve()
    rpc = await SignalRpc(host, port, timeout=10).start(wait=5)
    adapter = SignalTransport(rpc, account=daemon.account, clock=clock.now, attachments_dir=tmp_path)
    yield Env(daemon, rpc, adapter, clock)
    await adapter.close()
    await rpc.close()
    await daemon.stop()


def photo_with_exif() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "TelephoneSecret"  # Make
    exif[0x0110] = "ModeleSecret"  # Model
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 120, 80)).save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


# ------------------------------------------------------------------ batching
async def test_eight_recipients_of_the_same_text_take_one_call(env):
    phones = env.phones(8)
    text = "Héron calme : bonjour à toutes et à tous"
    label = [Entity("bold", 0, 11)]
    sent = await asyncio.gather(*(env.adapter.send(chat_of(p.aci), text, entities=label) for p in phones))
    assert env.daemon.counts["send"] == 1
    (params,) = env.sends()
    assert sorted(params["recipient"]) == sorted(p.aci for p in phones)
    assert params["textStyle"] == ["0:11:BOLD"]
    for phone, one in zip(phones, sent, strict=True):
        assert one.message.chat == chat_of(phone.aci)
        assert phone.texts() == [text]
        assert one.message.id == str(phone.received()[0].timestamp)
    assert env.daemon.overlaps == 0 and all(p.lost == 0 for p in phones)


async def test_a_partial_failure_raises_only_for_the_recipients_who_failed(env):
    phones = env.phones(8)
    env.daemon.inject("unregistered", recipient=phones[2])
    env.daemon.inject("rate_limit", recipient=phones[5], retry_after=7)
    env.daemon.inject("untrusted", recipient=phones[6])
    outcomes = await asyncio.gather(
        *(env.adapter.send(chat_of(p.aci), "Salut") for p in phones), return_exceptions=True
    )
    assert env.daemon.counts["send"] == 1
    assert isinstance(outcomes[2], errors.Unreachable)
    assert isinstance(outcomes[5], errors.RateLimited) and outcomes[5].retry_after == 7
    assert isinstance(outcomes[6], UntrustedIdentity)
    failed = {2, 5, 6}
    for index, (phone, outcome) in enumerate(zip(phones, outcomes, strict=True)):
        if index in failed:
            assert phone.texts() == []
        else:
            assert not isinstance(outcome, Exception) and phone.texts() == ["Salut"]


async def test_different_texts_and_two_copies_for_one_person_are_not_merged(env):
    first, second = env.phones(2)
    await asyncio.gather(
        env.adapter.send(chat_of(first.aci), "un"),
        env.adapter.send(chat_of(second.aci), "deux"),
        env.adapter.send(chat_of(first.aci), "deux"),
        env.adapter.send(chat_of(first.aci), "deux"),
    )
    # "un"; "deux" for both; "deux" again for the first: three calls, four messages.
    assert env.daemon.counts["send"] == 3
    assert sorted(first.texts()) == ["deux", "deux", "un"] and second.texts() == ["deux"]


async def test_sends_waiting_for_a_busy_daemon_join_one_call(env):
    phones = env.phones(5)
    env.daemon.hold("send")
    first = asyncio.create_task(env.adapter.send(chat_of(phones[0].aci), "avant"))
    await env.daemon.wait_for(lambda: env.daemon.counts["send"] == 1)
    rest = [asyncio.create_task(env.adapter.send(chat_of(p.aci), "pendant")) for p in phones[1:]]
    while sum(len(b.waiters) for batches in env.adapter._open.values() for b in batches) < 4:
        await asyncio.sleep(0)  # they arrive while the first call is still unanswered
    env.daemon.release("send")
    await asyncio.gather(first, *rest)
    assert env.daemon.counts["send"] == 2 and env.daemon.overlaps == 0
    assert all(p.texts() == ["pendant"] for p in phones[1:])


# ------------------------------------------------------------------ replies
async def test_replies_quote_the_right_author(env):
    (phone,) = env.phones(1)
    chat = chat_of(phone.aci)
    mine = await env.adapter.send(chat, "question du bot")
    await env.adapter.send(chat, "suite", reply_to=mine.message)
    theirs_at = await phone.send("mon message")
    # Written since the bot started and not one of its own: the member's (no one had to say).
    await env.adapter.send(chat, "réponse", reply_to=message_of(phone.aci, theirs_at))
    # From before a restart: the member's when the inbound side said so, else the bot's
    # (most replies in a room quote the bot's copies).
    before = env.adapter._own_since - 60_000
    env.adapter.saw(message_of(phone.aci, before))
    await env.adapter.send(chat, "ancienne", reply_to=message_of(phone.aci, before))
    await env.adapter.send(chat, "ancienne copie", reply_to=message_of(phone.aci, before - 1))
    quotes = [(p.get("quoteTimestamp"), p.get("quoteAuthor")) for p in env.sends()]
    assert quotes == [
        (None, None),
        (int(mine.message.id), env.daemon.account),
        (theirs_at, phone.aci),
        (before, phone.aci),
        (before - 1, env.daemon.account),
    ]
    env.adapter.saw(message_of(phone.aci, theirs_at))
    with pytest.raises(errors.Gone):  # a member's message is theirs to change
        await env.adapter.delete(message_of(phone.aci, theirs_at))


# ------------------------------------------------------------------ edits
async def test_an_edit_of_an_edit_targets_the_latest_revision(env):
    (phone,) = env.phones(1)
    sent = await env.adapter.send(chat_of(phone.aci), "un")
    await env.adapter.edit(sent.message, "deux")
    await env.adapter.edit(sent.message, "trois")
    first, second, third = env.sends()
    assert "editTimestamp" not in first
    assert second["editTimestamp"] == int(sent.message.id)
    message = phone.received()[0]
    assert third["editTimestamp"] == message.revisions[0] != int(sent.message.id)
    assert message.text == "trois" and phone.ignored == [] and len(phone.received()) == 1
    with pytest.raises(errors.NotModified):
        await env.adapter.edit(sent.message, "trois")


async def test_the_eleventh_edit_becomes_a_correction_sent_as_a_reply(env):
    (phone,) = env.phones(1)
    sent = await env.adapter.send(chat_of(phone.aci), "version 0")
    for n in range(1, 11):
        await env.adapter.edit(sent.message, f"version {n}")
    original = phone.received()[0]
    assert len(original.revisions) == 10 and original.text == "version 10"
    await env.adapter.edit(sent.message, "version 11")
    assert phone.ignored == []  # nothing was sent that the app would ignore
    assert original.text == "version 10" and len(phone.received()) == 2
    correction = phone.received()[1]
    assert correction.text == "✏️ Petite correction de ce message\u00a0:\nversion 11"
    assert correction.quote == (int(sent.message.id), env.daemon.account)


async def test_an_edit_after_a_day_is_a_correction_in_the_persons_language(env):
    env.adapter.locale_of = lambda chat: "en"
    (phone,) = env.phones(1)
    sent = await env.adapter.send(chat_of(phone.aci), "Héron calme : avant", entities=[Entity("bold", 0, 11)])
    env.clock.current += 25 * 3600
    await env.adapter.edit(sent.message, "Héron calme : après", entities=[Entity("bold", 0, 11)])
    assert phone.received()[0].text == "Héron calme : avant"
    prefix = "✏️ A small correction to this message:\n"
    assert phone.received()[1].text == prefix + "Héron calme : après"
    shift = len(prefix.encode("utf-16-le")) // 2
    assert env.sends()[-1]["textStyle"] == [f"{shift}:11:BOLD"]
    assert "editTimestamp" not in env.sends()[-1]


async def test_edits_of_a_room_message_go_in_one_call_too(env):
    phones = env.phones(4)
    sent = await asyncio.gather(*(env.adapter.send(chat_of(p.aci), "avant") for p in phones))
    await asyncio.gather(*(env.adapter.edit(s.message, "après") for s in sent))
    assert env.daemon.counts["send"] == 2
    assert all(p.texts() == ["après"] for p in phones)


async def test_no_buttons_and_no_empty_text(env):
    (phone,) = env.phones(1)
    chat = chat_of(phone.aci)
    with pytest.raises(errors.Rejected):
        await env.adapter.send(chat, "Choisis", buttons=[[Button("Oui", "y")]])
    with pytest.raises(errors.Rejected):
        await env.adapter.send(chat, "")
    with pytest.raises(errors.Rejected):
        await env.adapter.send(ChatRef("telegram", "123"), "ailleurs")
    with pytest.raises(errors.Rejected):
        await env.adapter.send(ChatRef("signal", "+15145550000"), "un numéro n'est pas une adresse")
    assert env.daemon.counts["send"] == 0


async def test_numbered_choices_then_an_answer_by_number(env):
    (phone,) = env.phones(1)
    chat = chat_of(phone.aci)
    book = ChoiceBook(env.clock)
    core = NumberedChoices(env.adapter, book)
    sent = await core.send(chat, "On se voit jeudi ?", buttons=[[Button("Oui", "rsvp:y"), Button("Non", "rsvp:n")]])
    assert phone.texts() == ["On se voit jeudi ?\n\n1️⃣ Oui\n2️⃣ Non"]
    picked = book.answer(chat, "2", reply_to=sent.message)
    assert picked.data == "rsvp:n"


# ------------------------------------------------------------------ deletes
async def test_deletes_own_messages_once_and_never_a_members(env):
    (phone,) = env.phones(1)
    chat = chat_of(phone.aci)
    sent = await env.adapter.send(chat, "à effacer")
    await env.adapter.delete(sent.message)
    assert env.daemon.counts["remoteDelete"] == 1 and phone.received() == []
    with pytest.raises(errors.Gone):
        await env.adapter.delete(sent.message)
    with pytest.raises(errors.Gone):
        await env.adapter.edit(sent.message, "trop tard")
    at = await phone.send("le mien")
    env.adapter.saw(message_of(phone.aci, at))
    with pytest.raises(errors.Gone):
        await env.adapter.delete(message_of(phone.aci, at))
    old = await env.adapter.send(chat, "d'hier")
    env.clock.current += 25 * 3600
    with pytest.raises(errors.Gone):
        await env.adapter.delete(old.message)
    assert env.daemon.counts["remoteDelete"] == 1


async def test_a_room_message_is_deleted_for_everyone_in_one_call(env):
    phones = env.phones(3)
    sent = await asyncio.gather(*(env.adapter.send(chat_of(p.aci), "oups") for p in phones))
    await asyncio.gather(*(env.adapter.delete(s.message) for s in sent))
    assert env.daemon.counts["remoteDelete"] == 1
    assert all(p.received() == [] for p in phones)


# ------------------------------------------------------------------ attachments
async def test_a_members_photo_is_relayed_without_its_metadata(env, tmp_path):
    author, *readers = env.phones(4)
    original = photo_with_exif()
    assert b"TelephoneSecret" in original
    await author.send(None, attachments=[(original, "image/jpeg")])
    event = await env.event()
    media = env.adapter.media_of(event.author, event.timestamp, event.attachments[0])
    (tmp_path / media.id).write_bytes(original)  # signal-cli's own copy, in its attachments directory
    await asyncio.gather(*(env.adapter.relay_media(chat_of(r.aci), media, caption="Héron calme") for r in readers))
    assert env.daemon.counts["getAttachment"] == 1 and env.daemon.counts["send"] == 1
    assert not (tmp_path / media.id).exists() and env.adapter.attachments.removed == 1
    for reader in readers:
        (message,) = reader.received()
        assert message.text == "Héron calme"
        ((kind, data),) = message.attachments
        assert kind == "image/jpeg" and b"TelephoneSecret" not in data and b"ModeleSecret" not in data
        with Image.open(io.BytesIO(data)) as image:
            assert image.size == (32, 24) and len(image.getexif()) == 0
    uri = env.sends()[0]["attachments"][0]
    assert uri.startswith("data:image/jpeg;base64,")  # no file name: nothing of its origin
    assert base64.b64decode(uri.split(",", 1)[1]) == readers[0].received()[0].attachments[0][1]


async def test_a_voice_note_is_sent_again_as_it_came(env):
    author, reader = env.phones(2)
    await author.send(None, attachments=[(b"\xff\xf1voice-bytes", "audio/aac")])
    event = await env.event()
    media = env.adapter.media_of(event.author, event.timestamp, event.attachments[0])
    await env.adapter.relay_media(chat_of(reader.aci), media, caption="Héron calme")
    ((kind, data),) = reader.received()[0].attachments
    assert (kind, data) == ("audio/aac", b"\xff\xf1voice-bytes")


async def test_attachments_that_are_gone_or_too_large(env):
    (author,) = env.phones(1)
    await author.send(None, attachments=[(b"OggS", "audio/ogg")])
    event = await env.event()
    media = env.adapter.media_of(event.author, event.timestamp, event.attachments[0])
    env.daemon.attachments.clear()
    with pytest.raises(errors.Gone):
        await env.adapter.fetch_attachment(media)
    with pytest.raises(errors.TooLarge):
        await env.adapter.fetch_attachment(media._replace(size=CAPABILITIES.max_download + 1))
    assert env.daemon.counts["getAttachment"] == 1


# ------------------------------------------------------------------ errors
@pytest.mark.parametrize(
    ("kind", "code", "expected"),
    [
        ("error", -3, errors.Transient),
        ("error", -32603, errors.Transient),
        ("error", -4, UntrustedIdentity),
        ("error", -5, errors.RateLimited),
        ("error", -32602, errors.Rejected),
        ("drop", -3, errors.Transient),
    ],
)
async def test_whole_call_errors_are_the_cores(env, kind, code, expected):
    phones = env.phones(3)
    env.daemon.inject(kind, code=code, method="send", message="Failed for +15145550123")
    outcomes = await asyncio.gather(
        *(env.adapter.send(chat_of(p.aci), "bonjour") for p in phones), return_exceptions=True
    )
    assert all(isinstance(o, expected) for o in outcomes), outcomes
    assert all("+1514" not in str(o) for o in outcomes)


async def test_a_captcha_challenge_is_a_rate_limit_and_one_plain_line(env, caplog):
    (phone,) = env.phones(1)
    env.daemon.inject("rate_limit", recipient=phone, token="secret-challenge", retry_after=30)
    with caplog.at_level(logging.INFO), pytest.raises(CaptchaRequired) as raised:
        await env.adapter.send(chat_of(phone.aci), "bonjour")
    assert raised.value.retry_after == 30 and raised.value.challenge == "secret-challenge"
    lines = [r.getMessage() for r in caplog.records if "captcha" in r.getMessage()]
    assert len(lines) == 1 and "secret-challenge" not in caplog.text


async def test_ping_asks_the_version_and_a_silent_daemon_is_transient(env):
    assert await env.adapter.ping() is True
    assert env.daemon.counts["version"] == 1
    env.daemon.inject("error", method="version", code=-32603)
    with pytest.raises(errors.Transient):
        await env.adapter.ping()


# ------------------------------------------------------------------ privacy
async def test_nothing_of_a_person_reaches_the_logs_or_the_daemon(env, caplog):
    phones = [env.daemon.phone(f"Nom{n}", shares_number=True) for n in range(3)]
    env.daemon.inject("unregistered", recipient=phones[1])
    secret = "Mon secret très personnel"
    caplog.handler.addFilter(RedactingFilter())
    with caplog.at_level(logging.DEBUG):
        sent = await asyncio.gather(*(env.adapter.send(chat_of(p.aci), secret) for p in phones), return_exceptions=True)
        await env.adapter.edit(sent[0].message, secret + " !")
        await env.adapter.delete(sent[0].message)
        await phones[2].send("réponse secrète", attachments=[(photo_with_exif(), "image/jpeg")])
        event = await env.event()
        media = env.adapter.media_of(event.author, event.timestamp, event.attachments[0])
        await env.adapter.relay_media(chat_of(phones[0].aci), media, caption=secret)
        env.daemon.inject("error", code=-1, method="send", message=f"{phones[0].number} is not registered")
        with pytest.raises(errors.DeliveryError):
            await env.adapter.send(chat_of(phones[0].aci), secret)
    logged = caplog.text + "".join(r.getMessage() for r in caplog.records)
    for phone in phones:
        assert phone.aci not in logged and phone.number not in logged and phone.name not in logged
    assert "secret" not in logged and sent[0].message.id not in logged
    # What reached the daemon: ACIs and the bot's own number as a quote's author, never a member's number.
    recorded = repr([c.params for c in env.daemon.calls])
    assert all(p.number not in recorded for p in phones)


def test_redact_scrubs_acis_numbers_and_timestamps():
    line = redact("send to 0f6c3a1e-5b7d-4c2a-9e8f-1a2b3c4d5e6f at 1795000000123 from +15145550123")
    assert line == "send to [id] at [n] from +[n]"


# ------------------------------------------------------------------ the router
async def test_the_router_routes_by_chat_and_answers_capabilities_per_chat(env):
    memory = MemoryTransport(WITH_BUTTONS, clock=env.clock.now)
    router = TransportRouter({"memory": memory, "signal": env.adapter})
    there = memory.person().chat
    (phone,) = env.phones(1)
    here = chat_of(phone.aci)
    assert router.capabilities_for(here) == CAPABILITIES and router.capabilities_for(there).buttons
    core = NumberedChoices(router, ChoiceBook(env.clock))
    keyboard = [[Button("Oui", "y"), Button("Non", "n")]]
    on_memory = await core.send(there, "Tu viens ?", buttons=keyboard)
    on_signal = await core.send(here, "Tu viens ?", buttons=keyboard)
    assert memory.messages[on_memory.message].labels == ["Oui", "Non"]
    assert phone.texts() == ["Tu viens ?\n\n1️⃣ Oui\n2️⃣ Non"]
    await core.edit(on_signal.message, "Merci")
    await core.delete(on_memory.message)
    assert phone.texts() == ["Merci"] and memory.messages[on_memory.message].deleted
    with pytest.raises(errors.Unreachable):
        await router.send(ChatRef("whatsapp", "x"), "nulle part")
    assert router.capabilities_for(ChatRef("whatsapp", "x")) == router.capabilities
    assert await router.ping() is True


async def test_the_router_carries_media_across_messengers(env):
    memory = MemoryTransport(WITH_BUTTONS, clock=env.clock.now)
    router = TransportRouter({"memory": memory, "signal": env.adapter})
    (signal_author, signal_reader) = env.phones(2)
    memory_person = memory.person()
    voice = memory.member_sends(memory_person.chat, None, data=b"OggS a voice note").media
    await router.relay_media(chat_of(signal_reader.aci), voice, caption="Héron calme")
    assert signal_reader.received()[0].attachments == [("audio/ogg", b"OggS a voice note")]
    await signal_author.send(None, attachments=[(photo_with_exif(), "image/jpeg")])
    event = await env.event()
    photo = env.adapter.media_of(event.author, event.timestamp, event.attachments[0])
    sent = await router.relay_media(memory_person.chat, photo, caption="Héron calme")
    shown = memory.messages[sent.message]
    assert shown.photo is not None and b"TelephoneSecret" not in shown.photo and shown.text == "Héron calme"
    await signal_author.send(None, attachments=[(b"\xff\xf1aac", "audio/aac")])
    event = await env.event()
    audio = env.adapter.media_of(event.author, event.timestamp, event.attachments[0])
    sent = await router.relay_media(memory_person.chat, audio, caption="Héron calme")
    assert memory.messages[sent.message].document == ("voice.aac", b"\xff\xf1aac")


# ------------------------------------------------------------------ a mixed room, through the services
async def test_a_mixed_room_reaches_signal_members_in_one_call(env, tmp_path):
    from bot.core.clock import FixedClock
    from bot.core.config import Config
    from bot.ports.scheduler import ManualScheduler
    from bot.services import Services
    from bot.services.relay import Incoming
    from storage.database import Database, resolve_master_key
    from storage.members import Consents, MemberRepo

    clock = FixedClock(env.clock.current)
    memory = MemoryTransport(WITH_BUTTONS, clock=clock.now, name="memory")
    router = TransportRouter({"memory": memory, "signal": env.adapter})
    db = await Database.open(tmp_path / "db", resolve_master_key(tmp_path / "db", None))
    services = Services.build(Config(token=None, data_dir=tmp_path / "db"), db, router, clock, ManualScheduler())
    try:

        async def member(user, chat, facilitator=False):
            async with services.db.transaction() as tx:
                repo = MemberRepo(tx)
                created = await repo.create(user, chat, "fr", Consents(rooms=True), 1, clock.day())
                if facilitator:
                    await repo.set_role(created.id, "facilitator")
                return await repo.get(created.id)

        fac = await member(8_001, memory.person("fac").chat, facilitator=True)
        await services.rooms.open(fac, "Stress et argent")
        async with services.db.transaction() as tx:
            room_id = (await MemberRepo(tx).get(fac.id)).active_room_id
        phones = env.phones(4)
        signal_members = [await member(("signal", p.aci), chat_of(p.aci)) for p in phones]
        author = await member(8_002, memory.person("author").chat)
        for one in [*signal_members, author]:
            await services.rooms.join(one, room_id)
        await services.delivery.drain(5)
        before = env.daemon.counts["send"]

        sent = memory.member_sends(author.chat, "Bonjour tout le monde")
        await services.relay.relay(author, Incoming(sent.ref, "text", "Bonjour tout le monde"))
        await services.delivery.drain(5)
        assert env.daemon.counts["send"] - before == 1  # four Signal members, one call
        assert all(any("Bonjour tout le monde" in t for t in p.texts()) for p in phones)
        assert "Bonjour tout le monde" in (memory.people[fac.chat].last().text or "")

        # A Signal member's photo reaches the Telegram-like side re-encoded, the others in one call.
        await phones[0].send(None, attachments=[(photo_with_exif(), "image/jpeg")])
        event = await env.event()
        photo = env.adapter.media_of(event.author, event.timestamp, event.attachments[0])
        incoming = Incoming(message_of(event.author, event.timestamp), "photo", None, media=photo)
        before = env.daemon.counts["send"]
        await services.relay.relay(signal_members[0], incoming)
        await services.delivery.drain(5)
        assert env.daemon.counts["send"] - before == 1 and env.daemon.counts["getAttachment"] == 1
        shown = memory.people[author.chat].last()
        assert shown.photo is not None and b"TelephoneSecret" not in shown.photo
        for phone in phones[1:]:
            ((kind, data),) = phone.received()[-1].attachments
            assert kind == "image/jpeg" and b"TelephoneSecret" not in data
    finally:
        await services.delivery.drain(5)
        await db.close()
