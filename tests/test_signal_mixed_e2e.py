"""A room with Telegram and Signal members, end to end: Telegram phones through the fake Bot
API, Signal phones through the fake signal-cli daemon over TCP, the real Signal adapter and
the Telegram one behind one router, Signal's events through the inbound path. Then
`entraide run` with Signal alone (no Telegram token). Afterwards nothing at rest or in the
logs holds a number, an ACI, a Telegram id, a name or a text."""

from __future__ import annotations

import asyncio
import io
import logging
import uuid

import pytest
from PIL import Image

from bot.core.config import Config
from bot.core.i18n import Translator
from bot.ports.choices import keycap
from bot.sandbox.fake_signal import FakeSignal, SignalPhone
from bot.signal.adapter import SignalTransport
from bot.signal.inbound import SignalInbound
from bot.signal.rpc import SignalRpc
from bot.telegram.runner import serve
from locales.typography import plain
from tests.signal_intake import Intake
from tests.support.harness import Harness, has_exif, jpeg_with_gps
from tests.support.privacy import needles_for, scan

T = Translator()


class Mixed:
    """The Telegram harness with the Signal adapter beside it and Signal's intake running."""

    def __init__(self, tmp_path) -> None:
        self.tmp_path = tmp_path
        self.daemon = FakeSignal()
        self.h = Harness(tmp_path)

    async def start(self) -> Mixed:
        self.address = await self.daemon.serve()
        return await self._start()

    async def _start(self) -> Mixed:
        self.rpc = await SignalRpc(*self.address).start(wait=5)
        self.signal = SignalTransport(self.rpc, account=self.daemon.account, clock=self.h.clock.now)
        self.h.build_options = {"signal": self.signal}
        await self.h.start()
        self.intake = Intake(self.rpc, SignalInbound(self.h.services, adapter=self.signal))
        return self

    async def stop(self) -> None:
        await self._stop()
        await self.daemon.stop()

    async def _stop(self) -> None:
        await self.settle()
        await self.intake.close()
        await self.h.stop()
        await self.signal.close()

    async def restart(self) -> None:
        """The bot's process stops and starts again (memory lost; database, daemon and phones kept)."""
        await self._stop()
        await self._start()

    async def settle(self) -> None:
        """Until Signal's events are handled, Telegram's updates processed, all delivered."""
        await self.intake.settle(self.h.pump)

    async def onboard(self, phone: SignalPhone) -> None:
        """Onboarding by numbers and words, as a Signal member does it."""
        for text in ("/start", "1", "1", T("fr", "onboarding.consent_done")):
            await phone.send(text)
            await self.settle()


def said(phone: SignalPhone) -> list[str]:
    return [plain(m.text or "") for m in phone.received()]


@pytest.fixture
async def mixed(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    for name in ("entraide", "bot"):
        caplog.set_level(logging.DEBUG, logger=name)
    world = await Mixed(tmp_path).start()
    yield world
    await world.stop()


async def test_a_mixed_room_relays_replies_edits_deletes_and_photos_both_ways(mixed, caplog):
    h = mixed.h
    fac = h.phone("Fanny")
    await h.make_facilitator(fac)
    await h.cmd(fac, "ouvrir", "Stress et argent | On en parle | 8")
    async with h.db.transaction() as tx:
        room_id = (await tx.members.find_by_user(fac.user_id)).active_room_id
    tom = h.phone("Thomas")
    await h.onboard(tom)
    await h.cmd(tom, "rejoindre", str(room_id))
    sam = mixed.daemon.phone("Samira Signal")
    await mixed.onboard(sam)
    assert mixed.daemon.counts["send"] >= 4  # the onboarding screens came through the daemon
    await sam.send(f"/rejoindre {room_id}")
    await mixed.settle()

    # Signal -> Telegram, and a Telegram reply threads back to Samira's own message on Signal.
    first = await sam.send("Bonjour de Signal, tout le monde")
    await mixed.settle()
    copy = next(m for m in tom.received() if "Bonjour de Signal" in m.get("text", ""))
    assert "Samira" not in copy["text"]
    await h.say(tom, "Bienvenue Signal !", reply_to=copy["message_id"])
    await mixed.settle()
    answer = next(m for m in sam.received() if "Bienvenue Signal" in m.text)
    assert answer.quote is not None and answer.quote[0] == first  # it quotes her message

    # Samira quotes the Telegram member's words (the bot's copy): the reply threads on Telegram.
    await sam.send("Merci Thomas", quote=answer.timestamp)
    await mixed.settle()
    thanks = next(m for m in tom.received() if "Merci Thomas" in m.get("text", ""))
    assert thanks.get("reply_to_message") is not None

    # An edit, then an edit of the edit, on Signal: the Telegram copies follow.
    await sam.edit(first, "Bonjour de Signal !")
    await sam.edit(first, "Bonjour de Signal, me revoici")
    await mixed.settle()
    texts = [m.get("text", "") for m in tom.received()]
    assert any("me revoici" in t for t in texts) and not any("tout le monde" in t for t in texts)

    # Deleting for everyone on Signal removes the Telegram copies.
    await sam.delete(first)
    await mixed.settle()
    assert not any("me revoici" in m.get("text", "") for m in tom.received())

    # A Telegram photo reaches Signal re-encoded without metadata; a Signal one reaches Telegram the same.
    await tom.send_photo(jpeg_with_gps(), "Mon coin")
    await mixed.settle()
    photo = next(m for m in sam.received() if m.attachments)
    assert not has_exif(photo.attachments[0][1])
    await sam.send_photo(jpeg_with_gps(), "Le mien")
    await mixed.settle()
    assert any(m.get("photo") for m in tom.received())

    # /supprimer on Telegram reaches the Signal copy.
    regret = await h.say(tom, "Oups, pas ici")
    await mixed.settle()
    assert any("Oups" in t for t in said(sam))
    await h.cmd(tom, "supprimer", reply_to=regret["message_id"])
    await mixed.settle()
    assert not any("Oups" in t for t in said(sam))

    # /confidentialite tells the Signal member there is no screenshot protection; not the Telegram one.
    await sam.send("/confidentialite")
    await h.cmd(tom, "confidentialite")
    await mixed.settle()
    assert plain(T("fr", "privacy.unprotected")) in said(sam)[-1]
    assert plain(T("fr", "privacy.unprotected")) not in plain(tom.last().get("text", ""))

    words = ["Bonjour de Signal, tout le monde", "Bienvenue Signal", "Merci Thomas", "me revoici", "Oups, pas ici"]
    needles = needles_for([fac, tom], words)
    needles.update(
        {
            "Samira's ACI": sam.aci.encode(),
            "Samira's ACI bytes": uuid.UUID(sam.aci).bytes,
            "Samira's number": sam.number.encode(),
            "Samira's name": sam.name.encode(),
        }
    )
    assert scan(mixed.tmp_path, needles) == []
    logs = "\n".join(record.getMessage() for record in caplog.records)
    assert [label for label, needle in needles.items() if needle.decode(errors="ignore") in logs] == []


async def test_entraide_run_on_signal_alone(tmp_path):
    daemon = FakeSignal(receive_mode="manual")
    host, port = await daemon.serve()
    config = Config(token=None, data_dir=tmp_path, signal_rpc=(host, port), signal_account=daemon.account)
    stop = asyncio.Event()
    ready = asyncio.Event()
    run = asyncio.create_task(serve(config, stop, on_ready=lambda services: ready.set()))
    try:
        await asyncio.wait_for(ready.wait(), 30)
        await daemon.wait_for(lambda: daemon.counts["subscribeReceive"] >= 1)
        phone = daemon.phone("Solo Signal")
        await phone.send("/start")
        await phone.wait_count(1, timeout=10)
        welcome = phone.received()[0].text
        assert f"{keycap(1)} {T('fr', 'onboarding.charter_ok')}" in plain(welcome)
    finally:
        stop.set()
        await asyncio.wait_for(run, 30)
        await daemon.stop()


def test_a_photo_helper_really_has_metadata():
    assert has_exif(jpeg_with_gps())
    assert Image.open(io.BytesIO(jpeg_with_gps())).getexif()


async def test_a_mixed_room_burst_a_warning_by_reply_and_crisis_care_on_signal(mixed):
    h = mixed.h
    fac = h.phone("Fanny")
    await h.make_facilitator(fac)
    await h.cmd(fac, "ouvrir", "Deuil | Ensemble | 8")
    async with h.db.transaction() as tx:
        room_id = (await tx.members.find_by_user(fac.user_id)).active_room_id
    sam, lea = mixed.daemon.phone("Samira Signal"), mixed.daemon.phone("Léa Signal")
    for phone in (sam, lea):
        await mixed.onboard(phone)
        await phone.send(f"/rejoindre {room_id}")
    await mixed.settle()

    # A burst from Signal reaches the Telegram facilitator and the other Signal member in order.
    for index in range(12):
        await sam.send(f"vague {index:02d}")
    await mixed.settle()
    on_telegram = [t for m in fac.received() for t in m.get("text", "").split("\n") if "vague " in t]
    on_signal = [t for m in lea.received() for t in m.text.split("\n") if "vague " in t]
    assert [int(t.rsplit(" ", 1)[1]) for t in on_telegram] == list(range(12))
    assert [int(t.rsplit(" ", 1)[1]) for t in on_signal] == list(range(12))

    # The Telegram facilitator warns the Signal member by replying to her copy.
    copy = next(m for m in fac.received() if "vague 05" in m.get("text", ""))
    await h.cmd(fac, "avertir", "doucement avec les rafales", reply_to=copy["message_id"])
    await mixed.settle()
    assert any("doucement avec les rafales" in t for t in said(sam))
    assert not any("doucement avec les rafales" in t for t in said(lea))

    # Crisis care on Signal: held, resources and numbered choices; « Envoyer quand même » relays it.
    await sam.send("je veux mourir")
    await mixed.settle()
    assert not any("mourir" in m.get("text", "") for m in fac.received())
    held = sam.received()[-1].text
    send = T("fr", "safety.button_send")
    number = next(n for n in (1, 2, 3) if held.split(keycap(n), 1)[1].split("\n")[0].strip() == send)
    await sam.send(str(number))
    await mixed.settle()
    assert any("mourir" in m.get("text", "") for m in fac.received())
    assert any("mourir" in t for t in said(lea))


async def test_a_mixed_room_survives_a_restart_between_a_message_and_its_edit(mixed):
    h = mixed.h
    fac = h.phone("Fanny")
    await h.make_facilitator(fac)
    await h.cmd(fac, "ouvrir", "Travail | Ensemble | 8")
    async with h.db.transaction() as tx:
        room_id = (await tx.members.find_by_user(fac.user_id)).active_room_id
    sam = mixed.daemon.phone("Samira Signal")
    await mixed.onboard(sam)
    await sam.send(f"/rejoindre {room_id}")
    await mixed.settle()
    first = await sam.send("Avant le redémarrage")
    told = await h.say(fac, "Vu avant")
    await mixed.settle()
    await mixed.restart()
    await sam.edit(first, "Après le redémarrage")
    await fac.edit(told["message_id"], "Vu après")
    await mixed.settle()
    texts = [m.get("text", "") for m in fac.received()]
    assert any("Après le redémarrage" in t for t in texts) and not any("Avant le redémarrage" in t for t in texts)
    assert any("Vu après" in t for t in said(sam))  # the Signal copy edited (or corrected) after the restart
