"""`/healthz`, `/readyz` and `/metrics` on a local port (ENTRAIDE_METRICS_LISTEN).

`/healthz`: the process answers. `/readyz`: the database answers a read and the
transport answers (getMe; its answer is kept a few seconds so a probe every second
costs Telegram nothing). `/metrics`: Prometheus text (bot/monitoring/metrics.py). Nothing here
names a person: the pages hold words and counts only.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot.monitoring.metrics import CONTENT_TYPE, Metrics

log = logging.getLogger(__name__)

Check = Callable[[], Awaitable[bool]]


class HealthServer:
    def __init__(
        self,
        host: str,
        port: int,
        metrics: Metrics,
        checks: dict[str, Check],
        *,
        keep_seconds: float = 10.0,
        timeout: float = 5.0,
    ) -> None:
        self.host, self.port = host, port
        self.metrics = metrics
        self.checks = checks
        self.keep_seconds = keep_seconds
        self.timeout = timeout
        self._kept: dict[str, tuple[float, bool]] = {}
        self.app = web.Application()
        self.app.router.add_get("/healthz", self._healthz)
        self.app.router.add_get("/readyz", self._readyz)
        self.app.router.add_get("/metrics", self._metrics)
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        return web.Response(text="ok\n")

    async def _check(self, name: str, check: Check) -> bool:
        now = time.monotonic()
        kept = self._kept.get(name)
        if kept is not None and now - kept[0] < self.keep_seconds:
            return kept[1]
        try:
            healthy = bool(await asyncio.wait_for(check(), self.timeout))
        except Exception as error:  # whatever failed, the answer is "not ready"
            log.warning("readiness: %s is not answering (%s)", name, type(error).__name__)
            healthy = False
        self._kept[name] = (now, healthy)
        return healthy

    async def _readyz(self, request: web.Request) -> web.Response:
        results = {name: await self._check(name, check) for name, check in self.checks.items()}
        body = "".join(f"{name}: {'ok' if ok else 'failing'}\n" for name, ok in results.items())
        return web.Response(text=body, status=200 if all(results.values()) else 503)

    async def _metrics(self, request: web.Request) -> web.Response:
        return web.Response(body=self.metrics.render(), headers={"Content-Type": CONTENT_TYPE})
