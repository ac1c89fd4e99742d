"""`entraide run`: check the token, publish the menus, poll until told to stop."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Callable
from contextlib import suppress

from telegram import Bot, Update
from telegram.error import BadRequest, InvalidToken, NetworkError, TelegramError
from telegram.ext import Application
from telegram.request import BaseRequest

from bot.core.clock import Clock
from bot.core.config import Config, ConfigError
from bot.core.datalock import running_bot
from bot.ports.router import TransportRouter
from bot.ports.scheduler import LoopScheduler
from bot.services import Services, crisis
from bot.signal.inbound_run import SignalSide
from bot.telegram.adapter import TELEGRAM, publish_menus
from bot.telegram.app import build_application
from bot.telegram.context import SERVICES_KEY
from bot.telegram.jobs import schedule
from storage.database import Database, resolve_master_key

log = logging.getLogger("entraide")

ALLOWED_UPDATES = [Update.MESSAGE, Update.EDITED_MESSAGE, Update.CALLBACK_QUERY]


class TokenRefused(Exception):
    """Telegram (or the configured server) refused the bot token."""


async def bot_username(config: Config) -> str:
    """The bot's @username, asked of the Bot API (for invitation links)."""
    bot = Bot(config.token or "", base_url=config.api_url, base_file_url=config.file_url)
    try:
        async with bot:
            return bot.username
    except InvalidToken as exc:
        raise TokenRefused() from exc


class ApiUnreachable(Exception):
    """The Bot API could not be reached at start, after a few tries."""


MENU_ATTEMPTS = 8


async def open_database(config: Config) -> Database:
    key = resolve_master_key(config.data_dir, config.master_key)
    return await Database.open(config.data_dir, key)


async def start_bot(
    config: Config,
    db: Database,
    *,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    signal: SignalSide | None = None,
    **build_options,
) -> Application:
    """Build, check the token with getMe, publish menus and start polling (and, with
    `signal`, take Signal's events into the same services)."""
    app = build_application(
        config, db, clock=clock, request=request, signal=signal.transport if signal else None, **build_options
    )
    await _initialize(app, config)
    services = app.bot_data[SERVICES_KEY]
    facilitators = [(int(m.chat[1]), m.locale) for m in await services.members.facilitators() if m.chat[0] == TELEGRAM]
    schedule(app)
    await app.start()
    await _resume(services)
    if signal is not None:
        signal.start(services)
    try:
        if config.webhook_url:
            await start_webhook(app, config)
        else:
            # Polling first deletes any webhook a webhook-mode run left behind (PTB's bootstrap).
            assert app.updater is not None, "the application is built with its updater"
            await app.updater.start_polling(
                allowed_updates=ALLOWED_UPDATES,
                timeout=config.poll_timeout,
                poll_interval=0.0,
                bootstrap_retries=3,
            )
    except NetworkError as exc:
        await stop_bot(app, drain_seconds=1.0, signal=signal)
        raise ApiUnreachable() from exc
    except BaseException:
        await stop_bot(app, drain_seconds=1.0, signal=signal)
        raise
    # The menus can come later: a server error there must not stop the bot from starting.
    app.bot_data["menus"] = asyncio.create_task(_publish_menus(app, config, facilitators))
    log.info(
        "entraide is running as %s (%s)",
        app.bot.name,  # the bot's own public handle
        "webhook" if config.webhook_url else "long polling",
    )
    return app


async def _resume(services: Services) -> None:
    """What every start does once the services are up, on any messenger."""
    # The crisis detector's model loads first (about two seconds, in a worker thread), then
    # the schedules are rebuilt: whatever is due at start (a 20:00 wave after a restart) is
    # planned with the processor to itself, not beside the loading, and a member's first
    # message does not wait for the model. Start-up counts the loading (docs/performance.md).
    await asyncio.get_running_loop().run_in_executor(None, crisis.warm_up, services.config.data_dir)
    await services.resume()  # schedules rebuilt; messages a stop left half sent: their senders are told


async def start_signal_only(
    config: Config, db: Database, signal: SignalSide, *, clock: Clock | None = None
) -> Services:
    """Signal without Telegram (no token needed): the services on the Signal adapter alone."""
    transport = TransportRouter({signal.transport.name: signal.transport})
    services = Services.build(config, db, transport, clock or Clock(config.tz), LoopScheduler())
    await _resume(services)
    signal.start(services, jobs=True)
    log.info("entraide is running on Signal only")
    return services


async def _wind_down(services: Services, drain_seconds: float) -> None:
    await services.privacy.take_down_waiting()  # an erasure's copies never wait past a stop
    stop_jobs = getattr(services.scheduler, "stop", None)
    if stop_jobs is not None:
        await stop_jobs()  # no check-in or reminder starts while shutting down
    if not await services.delivery.drain(drain_seconds):
        log.warning("stopping with %d deliveries still queued", await services.delivery.abandon())


async def stop_signal_only(services: Services, signal: SignalSide, drain_seconds: float = 10.0) -> None:
    await signal.stop_intake()
    await _wind_down(services, drain_seconds)
    await signal.close()


async def start_webhook(app: Application, config: Config) -> None:
    """Listen locally (behind the reverse proxy) and set the webhook with a fresh secret.

    Telegram sends the secret in X-Telegram-Bot-Api-Secret-Token with every update;
    python-telegram-bot's webhook server answers 403 to a request without it, before
    anything is read. A new secret at every start: an old one is worth nothing.
    """
    host, port = config.webhook_listen
    assert app.updater is not None, "the application is built with its updater"
    try:
        await app.updater.start_webhook(
            listen=host,
            port=port,
            url_path=config.webhook_path,
            webhook_url=config.webhook_url,
            allowed_updates=ALLOWED_UPDATES,
            secret_token=secrets.token_urlsafe(32),
            bootstrap_retries=3,
        )
    except OSError as exc:
        raise ConfigError(
            f"ENTRAIDE_WEBHOOK_LISTEN={host}:{port}: cannot listen there ({exc.strerror or 'in use'})"
        ) from exc
    except BadRequest as exc:
        raise ConfigError(f"Telegram refused ENTRAIDE_WEBHOOK_URL: {exc.message}") from exc


async def _initialize(app: Application, config: Config) -> None:
    """`initialize` calls getMe: a refused token stops at once; a network failure or a
    server error is tried again with back-off, then told in one sentence."""
    delay = config.startup_backoff
    for attempt in range(1, config.startup_attempts + 1):
        try:
            await app.initialize()
            return
        except InvalidToken as exc:
            raise TokenRefused() from exc
        except NetworkError as exc:
            if attempt == config.startup_attempts:
                with suppress(Exception):
                    await app.bot.shutdown()
                raise ApiUnreachable() from exc
            log.debug("the Bot API did not answer at start (%s): trying again", type(exc).__name__)
            await asyncio.sleep(delay)
            delay *= 2


async def _publish_menus(app: Application, config: Config, facilitators) -> None:
    services = app.bot_data[SERVICES_KEY]
    delay = config.startup_backoff
    for attempt in range(1, MENU_ATTEMPTS + 1):
        try:
            await publish_menus(app.bot, services.t, facilitators)
            return
        except TelegramError as exc:
            if attempt == MENU_ATTEMPTS:
                log.warning(
                    "the command menus could not be published (%s): they will be at the next start", type(exc).__name__
                )
                return
            log.warning("publishing the command menus failed (%s): trying again", type(exc).__name__)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)


async def stop_bot(app: Application, drain_seconds: float = 10.0, signal: SignalSide | None = None) -> None:
    """Stop polling (and Signal's intake), let queued deliveries finish, shut down."""
    services = app.bot_data[SERVICES_KEY]
    menus = app.bot_data.get("menus")
    if menus is not None and not menus.done():
        menus.cancel()
    with suppress(Exception):
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
    if signal is not None:
        await signal.stop_intake()
    await _wind_down(services, drain_seconds)
    if app.running:
        await app.stop()
    await app.shutdown()
    if signal is not None:
        await signal.close()


async def serve(
    config: Config,
    stop: asyncio.Event,
    *,
    clock: Clock | None = None,
    request: BaseRequest | None = None,
    on_ready: Callable[[Application | Services], None] | None = None,
) -> None:
    """Run the bot until `stop` is set; the database is closed on the way out. The data
    directory is held for the whole run: a second `entraide run` on it refuses. `on_ready`
    gets the Application (with Telegram) or the Services (Signal alone)."""
    with running_bot(config.data_dir):
        await _serve(config, stop, clock=clock, request=request, on_ready=on_ready)


async def _serve(
    config: Config,
    stop: asyncio.Event,
    *,
    clock: Clock | None,
    request: BaseRequest | None,
    on_ready: Callable[[Application | Services], None] | None,
) -> None:
    db = await open_database(config)
    try:
        signal = SignalSide(config) if config.signal else None
        if signal is not None:
            await signal.connect()
        if not config.token and signal is not None:
            services = await start_signal_only(config, db, signal, clock=clock)
            try:
                await _until_stopped(config, services, db, stop, lambda: on_ready(services) if on_ready else None)
            finally:
                await stop_signal_only(services, signal)
            return
        app = await start_bot(config, db, clock=clock, request=request, signal=signal)
        try:
            await _until_stopped(
                config, app.bot_data[SERVICES_KEY], db, stop, lambda: on_ready(app) if on_ready else None
            )
        finally:
            await stop_bot(app, signal=signal)
    finally:
        await db.close()


async def _until_stopped(config: Config, services: Services, db: Database, stop: asyncio.Event, ready) -> None:
    """The health server (when asked for) while the bot runs, until `stop` is set."""
    health = await start_health(config, services, db) if config.metrics_listen else None
    try:
        ready()
        await stop.wait()
    finally:
        if health is not None:
            await health.stop()


async def start_health(config: Config, services: Services, db: Database):
    """/healthz, /readyz, /metrics on ENTRAIDE_METRICS_LISTEN (keep it local or firewalled)."""
    from bot.monitoring.health import HealthServer

    assert config.metrics_listen is not None, "started only when ENTRAIDE_METRICS_LISTEN is set"
    host, port = config.metrics_listen
    health = HealthServer(host, port, services.metrics, {"database": db.ping, "transport": services.transport.ping})
    try:
        await health.start()
    except OSError as exc:
        raise ConfigError(
            f"ENTRAIDE_METRICS_LISTEN={host}:{port}: cannot listen there ({exc.strerror or 'in use'})"
        ) from exc
    return health
