"""One composition root: the runner, the sandbox, the bench and the tests assemble the
services through `Services.build` (called by `bot.telegram.app.build_application`), and
nothing is patched onto a service after it is built."""

from __future__ import annotations

import ast
import asyncio
import inspect
from pathlib import Path

import pytest

import bot.services as services_package
from bot.core.config import Config
from bot.services import Services
from bot.services.answers import Answers
from bot.services.board import BoardService
from bot.services.checkins import CheckinService
from bot.services.invites import InviteService
from bot.services.language import LanguageService
from bot.services.members import MemberService
from bot.services.moderation import ModerationService
from bot.services.notify import Notifier
from bot.services.onboarding import Onboarding
from bot.services.privacy import PrivacyService
from bot.services.relay import RelayService
from bot.services.reports import ReportService
from bot.services.rooms import RoomService
from bot.services.safety import SafetyService
from bot.services.workshops import WorkshopService
from bot.telegram.context import SERVICES_KEY

ROOT = Path(__file__).resolve().parent.parent
SERVICE_CLASSES = (
    Answers,
    BoardService,
    CheckinService,
    InviteService,
    LanguageService,
    MemberService,
    ModerationService,
    Notifier,
    Onboarding,
    PrivacyService,
    RelayService,
    ReportService,
    RoomService,
    SafetyService,
    WorkshopService,
)


class RootSpy:
    """Counts the calls of the root, who called it, and where each service was made."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.built: list[Services] = []
        self.callers: list[list[str]] = []
        self.made_outside: list[str] = []
        self._inside = 0
        original = Services.build.__func__  # type: ignore[attr-defined]
        spy = self

        def build(cls, *args, **kwargs):
            spy.callers.append([frame.function for frame in inspect.stack()])
            spy._inside += 1
            try:
                services = original(cls, *args, **kwargs)
            finally:
                spy._inside -= 1
            spy.built.append(services)
            return services

        monkeypatch.setattr(Services, "build", classmethod(build))
        for kind in SERVICE_CLASSES:
            monkeypatch.setattr(kind, "__init__", self._guard(kind, kind.__init__))

    def _guard(self, kind, init):
        def guarded(instance, *args, **kwargs):
            if not self._inside:
                self.made_outside.append(kind.__name__)
            init(instance, *args, **kwargs)

        return guarded

    def check(self, services: Services, *through: str) -> None:
        assert len(self.built) == 1  # assembled once
        assert self.built[0] is services  # and what runs is what the root made
        assert self.made_outside == []  # no service made anywhere else
        for name in ("build_application",) + through:
            assert name in self.callers[0]


async def wait(predicate, timeout: float = 20.0) -> None:
    async def loop():
        while not predicate():
            await asyncio.sleep(0.02)

    await asyncio.wait_for(loop(), timeout)


async def test_the_tests_harness_goes_through_the_root(tmp_path, monkeypatch):
    from tests.support.harness import Harness

    spy = RootSpy(monkeypatch)
    h = await Harness(tmp_path / "data").start()
    try:
        spy.check(h.services)
    finally:
        await h.stop()


async def test_the_runner_goes_through_the_root(tmp_path, monkeypatch):
    from bot.sandbox.fake_telegram import FakeTelegram
    from bot.sandbox.transport import FakeServer
    from bot.telegram.runner import serve

    spy = RootSpy(monkeypatch)
    api = FakeTelegram()
    server = FakeServer(api)
    await server.start()
    config = Config(token=api.token, api_url=server.base_url, data_dir=tmp_path / "data", poll_timeout=1)
    stop, apps = asyncio.Event(), []
    task = asyncio.create_task(serve(config, stop, on_ready=apps.append))
    try:
        await wait(lambda: apps or task.done())
        spy.check(apps[0].bot_data[SERVICES_KEY], "start_bot", "serve")
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
        await server.stop()


async def test_the_sandbox_goes_through_the_root(tmp_path, monkeypatch):
    from bot.sandbox.session import Sandbox

    spy = RootSpy(monkeypatch)
    box = Sandbox(tmp_path / "sandbox", port=0)
    await box.start()
    stop = asyncio.Event()
    task = asyncio.create_task(box.run(Config(token=None, data_dir=tmp_path / "data", poll_timeout=1), stop))
    try:
        await wait(lambda: (box.app is not None and box.invite_code is not None) or task.done())
        spy.check(box.app.bot_data[SERVICES_KEY], "start_bot", "serve")
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)
        await box.stop()


async def test_the_bench_goes_through_the_root(tmp_path, monkeypatch):
    from bot.bench.runs import live_bot

    spy = RootSpy(monkeypatch)
    async with live_bot(tmp_path / "bench", coalesce_copies=False) as (_api, services, _app):
        spy.check(services, "start_bot", "live_bot")
        assert services.relay.coalesce is False  # a constructor argument, from the configuration


def test_the_invite_verb_goes_through_the_root(tmp_path, monkeypatch, capsys):
    from bot.cli.main import main

    spy = RootSpy(monkeypatch)
    monkeypatch.setenv("ENTRAIDE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("TELEGRAM_BOT_TOKEN", raising=False)
    assert main(["invite", "--sandbox"]) == 0
    assert len(spy.built) == 1 and spy.made_outside == []
    assert "cmd_invite" in [name for frames in spy.callers for name in frames]
    code = capsys.readouterr().out.split()[-1]

    async def redeemable() -> bool:  # the code printed is the one the root's invitation service stored
        from storage.database import Database, resolve_master_key

        folder = tmp_path / "data" / "sandbox"
        db = await Database.open(folder, resolve_master_key(folder, None, create=False))
        try:
            async with db.transaction() as tx:
                return await tx.invites.redeem(code, 0)
        finally:
            await db.close()

    assert asyncio.run(redeemable())


async def test_an_operator_commands_transport_reaches_nobody():
    from bot.core.errors import Unreachable
    from bot.ports.offline import NoMessenger
    from bot.ports.refs import ChatRef, Media, MessageRef

    offline, chat = NoMessenger(), ChatRef("offline", "1")
    message, media = MessageRef(chat, "1"), Media("offline", "1")
    attempts = [
        offline.send(chat, "x"),
        offline.send_photo(chat, b"x"),
        offline.send_document(chat, b"x", "x.txt"),
        offline.relay_media(chat, media),
        offline.edit(message, "x"),
        offline.edit_caption(message, "x"),
        offline.delete(message),
        offline.fetch_attachment(media),
        offline.ping(),
    ]
    for attempt in attempts:
        with pytest.raises(Unreachable):
            await attempt
    assert await offline.recall(message) is None
    assert offline.capabilities_for(chat).buttons is False


def _patched_attributes(source: str) -> list[str]:
    """Assignments to an attribute of something reached through `services` (or
    `.services`), e.g. `services.relay.coalesce = False`: patching a built service."""
    found = []
    for node in ast.walk(ast.parse(source)):
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AugAssign | ast.AnnAssign)
            else []
        )
        for target in targets:
            chain, value = [], target
            while isinstance(value, ast.Attribute):
                chain.append(value.attr)
                value = value.value
            names = chain + ([value.id] if isinstance(value, ast.Name) else [])
            if len(chain) >= 2 and "services" in names[1:]:
                found.append(".".join(reversed(names)))
    return found


def test_the_scan_finds_a_patched_service():
    assert _patched_attributes("services.relay.coalesce = False") == ["services.relay.coalesce"]
    assert _patched_attributes("h.services.delivery.submit = lambda *a: None") == ["h.services.delivery.submit"]
    assert _patched_attributes("self.services = services\nservices.metrics.bind(x)") == []


def test_nothing_is_patched_onto_a_service_after_it_is_built():
    files = [
        *sorted((ROOT / "bot").rglob("*.py")),
        *sorted((ROOT / "handlers").rglob("*.py")),
        *sorted((ROOT / "tests" / "support").glob("*.py")),
    ]
    patched = {str(p.relative_to(ROOT)): found for p in files if (found := _patched_attributes(p.read_text("utf-8")))}
    assert patched == {}
    # and the root itself wires by constructor arguments only
    root = inspect.getsource(services_package.Services.build)
    assert [line.strip() for line in root.splitlines() if line.strip().startswith("services.") and " = " in line] == []
