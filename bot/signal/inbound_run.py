"""The Signal half of `entraide run`: signal-cli's client, the Signal adapter and the
inbound path, beside Telegram (one router transport for both) or alone.

Order matters at both ends. At start the daemon must answer (else one clear sentence);
the adapter goes into the services' router, then events are taken. At stop the intake
ends first (the events already read are handled), the deliveries still queued are sent
while the connection is up, and only then the connection closes. Alone, the hourly map
purge and the nightly retention run here (beside Telegram, PTB's job queue runs them).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from bot.core.config import Config
from bot.core.errors import DeliveryError
from bot.services.retention import nightly, purge_map
from bot.signal.adapter import SignalTransport
from bot.signal.inbound import SignalInbound
from bot.signal.results import RpcError
from bot.signal.rpc import SignalRpc

log = logging.getLogger("entraide.signal")

CONNECT_WAIT = 10.0  # seconds for the first connection at start
INTAKE_DRAIN = 10.0  # seconds the events already read get at stop
NIGHTLY = (3, 30)  # local time of the nightly retention, as on Telegram


class SignalUnreachable(Exception):
    """SIGNAL_CLI_RPC is set but no daemon answers there at start."""


class SignalSide:
    def __init__(self, config: Config, *, rpc: SignalRpc | None = None) -> None:
        if config.signal_rpc is None:
            raise ValueError("Signal is not configured")
        host, port = config.signal_rpc
        # --receive-mode=manual: the client subscribes at every connection.
        self.rpc = rpc or SignalRpc(host, port, subscribe=True)
        self.transport = SignalTransport(self.rpc, account=config.signal_account)
        self.inbound: SignalInbound | None = None
        self._tasks: list[asyncio.Task] = []

    async def connect(self, wait: float = CONNECT_WAIT) -> None:
        try:
            await self.rpc.start(wait=wait)
            await self.rpc.version()
        except (DeliveryError, RpcError) as exc:
            await self.rpc.close()
            raise SignalUnreachable() from exc

    def start(self, services, *, jobs: bool = False) -> SignalInbound:
        """Take the daemon's events into the services (built with this side's adapter);
        `jobs`: run the recurring jobs too (Signal alone)."""
        self.inbound = SignalInbound(services, adapter=self.transport)
        self.transport.locale_of = self.inbound.locale_of
        self._tasks.append(asyncio.create_task(self.inbound.run(self.rpc.events()), name="signal-inbound"))
        if jobs:
            self._tasks.append(asyncio.create_task(_recurring(services), name="signal-jobs"))
        return self.inbound

    async def stop_intake(self, drain: float = INTAKE_DRAIN) -> None:
        """No new events; the ones already read are handled (for `drain` seconds at most)."""
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()
        if self.inbound is not None:
            try:
                await asyncio.wait_for(self.inbound.lanes.drain(), drain)
            except TimeoutError:
                log.warning("stopping with Signal messages still being handled")

    async def close(self) -> None:
        await self.transport.close()
        await self.rpc.close()


async def _recurring(services) -> None:
    """The hourly map purge and the nightly retention, on the event loop."""
    clock = services.clock
    next_purge = clock.now() + 60
    next_night = _next_night(clock)
    while True:
        await asyncio.sleep(max(1.0, min(next_purge, next_night) - clock.now()))
        try:
            if clock.now() >= next_purge:
                next_purge = clock.now() + 3600
                await purge_map(services)
            if clock.now() >= next_night:
                next_night = _next_night(clock)
                await nightly(services)
        except Exception as error:  # a failed run is retried at its next time
            log.error("a recurring job failed: %s", type(error).__name__)


def _next_night(clock) -> float:
    now = datetime.fromtimestamp(clock.now(), clock.tz)
    night = now.replace(hour=NIGHTLY[0], minute=NIGHTLY[1], second=0, microsecond=0)
    if night <= now:
        night += timedelta(days=1)
    return night.timestamp()
