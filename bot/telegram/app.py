"""The composition root: the one place that assembles the application."""

from __future__ import annotations

from telegram.ext import Application, ApplicationBuilder, ContextTypes
from telegram.request import BaseRequest, HTTPXRequest

from bot.core.buttons import ButtonSeal
from bot.core.clock import Clock
from bot.core.config import Config
from bot.core.i18n import Translator
from bot.ports.capabilities import Capabilities
from bot.ports.router import TransportRouter
from bot.ports.scheduler import LoopScheduler, Scheduler
from bot.ports.transport import Transport
from bot.services import Services
from bot.telegram.adapter import CAPABILITIES, TELEGRAM, ReadableUpdates, TelegramTransport
from bot.telegram.context import SERVICES_KEY, EntraideContext
from bot.telegram.ratelimit import PacedRateLimiter
from bot.telegram.updates import PerChatUpdateProcessor
from handlers import (
    board,
    checkins,
    errors,
    middleware,
    moderation,
    privacy,
    relay,
    reports,
    rooms,
    safety,
    start,
    workshops,
)
from storage.database import Database


def build_application(
    config: Config,
    db: Database,
    *,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    updates_request: BaseRequest | None = None,
    translator: Translator | None = None,
    scheduler: Scheduler | None = None,
    rate_limiter=None,
    delivery_class=None,
    capabilities: Capabilities | None = None,
    signal: Transport | None = None,
) -> Application:
    """Wire python-telegram-bot, the services and the handlers together; with `signal` (the
    Signal adapter), both behind one router, for rooms that mix the two."""
    builder = (
        ApplicationBuilder()
        .token(config.token or "")
        .base_url(config.api_url)
        .base_file_url(config.file_url)
        .context_types(ContextTypes(context=EntraideContext))
        .rate_limiter(
            rate_limiter or PacedRateLimiter(config.overall_max_rate, config.per_chat_interval, config.max_retries)
        )
        .concurrent_updates(PerChatUpdateProcessor())
    )
    if request is not None:
        builder = builder.request(request)
    updates_request = updates_request or request or HTTPXRequest(connection_pool_size=1)
    readable = ReadableUpdates(updates_request)
    builder = builder.get_updates_request(readable)
    app = builder.build()
    seal = ButtonSeal(db.keys.purpose_key("buttons"))
    transport: Transport = TelegramTransport(app.bot, seal, capabilities or CAPABILITIES)
    if signal is not None:
        transport = TransportRouter({TELEGRAM: transport, signal.name: signal})
    services = Services.build(
        config,
        db,
        transport,
        clock or Clock(config.tz),
        scheduler or LoopScheduler(),
        translator,
        pacer=app.bot.rate_limiter if rate_limiter is None else None,
        seal=seal,
        **({"delivery_class": delivery_class} if delivery_class else {}),
    )
    services.metrics.bind(limiter=app.bot.rate_limiter)  # its count of 429 answers
    app.bot_data[SERVICES_KEY] = services
    app.bot_data["updates_request"] = readable  # counts the updates skipped as unreadable
    middleware.register(app)
    start.register(app)
    workshops.register(app)
    checkins.register(app)
    board.register(app)
    rooms.register(app)
    moderation.register(app)
    safety.register(app)
    reports.register(app)
    privacy.register(app)
    relay.register(app)
    errors.register(app)
    relay.register_fallback(app)
    return app
