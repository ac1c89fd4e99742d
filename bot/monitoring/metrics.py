"""Prometheus metrics: counts only, never who or what.

No label carries an id, a pseudonym, a room, a theme or a text: the only labels are
fixed words (`priority`, `level`, `reason`, `outcome`), each from a closed list checked
here. One `Metrics` per running bot, with its own registry; `Services.build` installs
it, and services count through the module functions below (they do nothing when no
bot is installed, e.g. in a CLI verb).
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from bot.ports.priorities import BULK, LIVE, REMINDER, SAFETY

PRIORITY_NAMES = {LIVE: "live", SAFETY: "safety", REMINDER: "reminder", BULK: "bulk"}
CRISIS_LEVELS = ("hold", "gentle")
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 1800)
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


class Metrics:
    """The counters of one bot, and the live figures read from its delivery and limiter."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.relays = Counter("entraide_relays", "Messages relayed to a room", registry=r)
        self.copies = Counter("entraide_copies", "Relayed messages delivered to a room member", registry=r)
        self.latency = Histogram(
            "entraide_delivery_latency_seconds",
            "Time from queued to delivered, per delivery",
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.crisis = Counter(
            "entraide_crisis_care", "Crisis care: messages held, gentle notes sent", ["level"], registry=r
        )
        for level in CRISIS_LEVELS:
            self.crisis.labels(level=level)
        self.checkins = Counter("entraide_checkins_sent", "Evening check-ins sent", registry=r)
        self.reminders = Counter("entraide_reminders_sent", "Workshop reminders sent", registry=r)
        self.updates_skipped = Counter(
            "entraide_updates_skipped", "Updates the bot could not read: acknowledged and skipped", registry=r
        )
        self.delivery = None  # bot.services.delivery.Delivery, read at each scrape
        self.limiter = None  # bot.telegram.ratelimit.PacedRateLimiter (its 429 count)
        r.register(_Live(self))

    def bind(self, delivery=None, limiter=None) -> None:
        self.delivery = delivery if delivery is not None else self.delivery
        self.limiter = limiter if limiter is not None else self.limiter

    def crisis_care(self, level: str) -> None:
        if level not in CRISIS_LEVELS:
            raise ValueError(f"crisis level must be one of {CRISIS_LEVELS}")
        self.crisis.labels(level=level).inc()

    def render(self) -> bytes:
        return generate_latest(self.registry)


class _Live:
    """Figures that already exist elsewhere, read when scraped (nothing to keep in step)."""

    def __init__(self, metrics: Metrics) -> None:
        self.metrics = metrics

    def describe(self):
        return []

    def collect(self):
        depth = GaugeMetricFamily(
            "entraide_delivery_queue_depth", "Deliveries waiting, per priority", labels=["priority"]
        )
        queued: dict[int, int] = self.metrics.delivery.depth_by_priority() if self.metrics.delivery is not None else {}
        for priority, name in PRIORITY_NAMES.items():
            depth.add_metric([name], queued.get(priority, 0))
        yield depth
        stats = self.metrics.delivery.stats if self.metrics.delivery is not None else None
        retries = CounterMetricFamily("entraide_delivery_retries", "Deliveries tried again", labels=["reason"])
        retries.add_metric(["rate_limit"], stats.retried_rate_limit if stats else 0)
        retries.add_metric(["server_error"], stats.retried_transient if stats else 0)
        yield retries
        outcomes = CounterMetricFamily("entraide_deliveries", "Deliveries by outcome", labels=["outcome"])
        for outcome in ("done", "unreachable", "gone", "failed"):
            outcomes.add_metric([outcome], getattr(stats, outcome) if stats else 0)
        yield outcomes
        limiter_stats = getattr(self.metrics.limiter, "stats", None) or {}
        yield CounterMetricFamily(
            "entraide_telegram_429",
            "Too Many Requests answers from Telegram",
            value=limiter_stats.get("retry_after", 0),
        )


_installed: Metrics | None = None


def install(metrics: Metrics) -> Metrics:
    """The running bot's metrics (set when its services are built, never at import)."""
    global _installed
    _installed = metrics
    return metrics


def installed() -> Metrics | None:
    return _installed


def crisis_care(level: str) -> None:
    """Count a crisis-care action: `hold` (message held) or `gentle` (gentle note sent)."""
    if level not in CRISIS_LEVELS:
        raise ValueError(f"crisis level must be one of {CRISIS_LEVELS}")
    if _installed is not None:
        _installed.crisis_care(level)


def relayed() -> None:
    if _installed is not None:
        _installed.relays.inc()


def copied(count: int = 1) -> None:
    if _installed is not None:
        _installed.copies.inc(count)


def delivered(seconds: float) -> None:
    if _installed is not None:
        _installed.latency.observe(max(seconds, 0.0))


def checkin_sent() -> None:
    if _installed is not None:
        _installed.checkins.inc()


def reminder_sent() -> None:
    if _installed is not None:
        _installed.reminders.inc()


def update_skipped() -> None:
    if _installed is not None:
        _installed.updates_skipped.inc()
