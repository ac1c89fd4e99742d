"""Health and metrics: the pages answer, the counts are right, and nothing names anyone."""

import asyncio

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.core.config import Config
from bot.monitoring import metrics
from bot.monitoring.health import HealthServer
from bot.telegram.runner import serve
from locales.typography import plain
from tests.support.checkins import checkins_received
from tests.support.live import LiveBot, free_port, setup_room, wait
from tests.support.privacy import needles_for
from tests.support.rooms import pseudonym_of, room_with
from tests.support.workshops import schedule

LABELS = {
    "priority": {"live", "safety", "reminder", "bulk"},
    "level": {"hold", "gentle"},
    "reason": {"rate_limit", "server_error"},
    "outcome": {"done", "unreachable", "gone", "failed"},
}


def samples(page: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(page: str, name: str, **labels) -> float:
    return samples(page)[(name, tuple(sorted(labels.items())))]


def assert_only_closed_labels(page: str) -> None:
    for name, labels in samples(page):
        for key, label_value in labels:
            if key == "le":
                float(label_value)  # a histogram bucket bound
                continue
            assert label_value in LABELS[key], (name, key, label_value)


class MetricsBot(LiveBot):
    async def start(self):
        if self.server._runner is None:
            await self.server.start()
        self.port = free_port()
        self.config = Config(
            token=self.api.token,
            api_url=self.server.base_url,
            data_dir=self.data_dir,
            poll_timeout=1,
            metrics_listen=("127.0.0.1", self.port),
        )
        self.stop_event = asyncio.Event()
        self.app = None
        self.task = asyncio.create_task(serve(self.config, self.stop_event, on_ready=self._ready))
        await wait(lambda: self.app is not None or self.task.done())
        self.task.result() if self.task.done() else None
        return self

    async def get(self, path):
        async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{self.port}{path}") as answer:
            return answer.status, await answer.text()


@pytest.mark.e2e
async def test_metrics_after_a_rooms_scenario_hold_the_counts_and_no_identity(tmp_path):
    live = await MetricsBot(tmp_path / "data").start()
    api = live.api
    assert await live.get("/healthz") == (200, "ok\n")
    assert await live.get("/readyz") == (200, "database: ok\ntransport: ok\n")

    fac, room, (a, b, c) = await setup_room(live, count=3)  # four people in the room
    texts = ["Je fais mes courses le mardi", "Moi aussi, avec une liste", "Le marché du coin aide"]
    api.inject(429, method="sendMessage", chat_id=c.user_id, retry_after=1)
    for phone, text in zip((a, b, a), texts, strict=True):
        await phone.send(text)
        for other in [p for p in (a, b, c, fac) if p is not phone]:
            await other.wait_text(text)
    await a.send("jveux pu vivre, j'ai pensé à m'enlever la vie")
    await a.wait_text("1 866 APPELLE")

    async def page():
        return (await live.get("/metrics"))[1]

    async def settled():
        text = await page()
        return text if value(text, "entraide_copies_total") == 9 else None

    for _ in range(200):
        if (shown := await settled()) is not None:
            break
        await asyncio.sleep(0.05)
    assert shown is not None, "copies never reached 9"
    assert value(shown, "entraide_relays_total") == 3
    assert value(shown, "entraide_copies_total") == 9  # three messages, three others each
    assert value(shown, "entraide_crisis_care_total", level="hold") == 1
    assert value(shown, "entraide_crisis_care_total", level="gentle") == 0
    assert value(shown, "entraide_telegram_429_total") == 1
    assert value(shown, "entraide_checkins_sent_total") == 0
    for priority in LABELS["priority"]:
        assert value(shown, "entraide_delivery_queue_depth", priority=priority) == 0
    done = value(shown, "entraide_deliveries_total", outcome="done")
    assert done >= 9
    assert value(shown, "entraide_delivery_latency_seconds_count") == done
    assert_only_closed_labels(shown)

    # Scanned like the database: no id, name, username, text, pseudonym or theme.
    people = (a, b, c, fac)
    needles = needles_for(people, texts + ["m'enlever la vie"])
    needles.update({f"pseudonym {pseudonym_of(p)}": pseudonym_of(p).encode() for p in (a, b, c)})
    needles["theme"] = b"Stress et argent"
    assert [label for label, needle in needles.items() if needle in shown.encode()] == []
    await live.stop()
    await live.server.stop()


async def test_checkins_and_reminders_are_counted(h):
    fac, room_id, (a,) = await room_with(h, "Alice")
    await h.cmd(a, "confidentialite")
    await a.press(a.last(), "pv:1")  # workshop reminders
    await h.pump()
    await h.cmd(a, "bilan", "21:00")
    await schedule(h, fac)  # Thursday 2026-11-19 19:00 in Montreal
    post = next(m for m in reversed(a.received()) if "Atelier : Budget" in plain(m.get("text", "")))
    await a.press(post, "rsvp:1:y")
    await h.pump()
    for _ in range(4):
        await h.tick(6 * 3600)  # 24 hours: one evening check-in and the 24 h reminder
    page = h.services.metrics.render().decode()
    assert value(page, "entraide_checkins_sent_total") == len(checkins_received(a)) == 1
    assert value(page, "entraide_reminders_sent_total") == sum("Demain" in plain(t) for t in a.texts()) == 1
    assert value(page, "entraide_relays_total") == 0
    assert_only_closed_labels(page)


async def test_readyz_is_503_when_a_check_fails_and_unknown_levels_are_refused():
    async def fine():
        return True

    async def broken():
        raise ConnectionError("down")

    server = HealthServer("127.0.0.1", 0, metrics.Metrics(), {"database": fine, "transport": broken})
    await server.start()
    try:
        async with aiohttp.ClientSession() as session:
            async with session.get(f"http://127.0.0.1:{server.port}/readyz") as answer:
                assert answer.status == 503
                assert await answer.text() == "database: ok\ntransport: failing\n"
            async with session.get(f"http://127.0.0.1:{server.port}/healthz") as answer:
                assert answer.status == 200
    finally:
        await server.stop()
    try:
        metrics.crisis_care("someone's words")
    except ValueError:
        pass
    else:
        raise AssertionError("a free-text label was accepted")
