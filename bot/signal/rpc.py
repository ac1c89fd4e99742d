"""An asyncio JSON-RPC 2.0 client for `signal-cli daemon --tcp HOST:PORT`.

One JSON object per line each way. signal-cli runs each request it reads in its own
thread, so a request written before the previous one is answered can overtake it, and
sends pipelined that way have lost messages: here exactly one request is in flight (a
lock held from the write until its answer). Notifications (`receive`) arrive between
answers; they are read by one reader task, parsed into `bot.signal.envelopes` events and
handed to the consumer through `events()`. When the connection drops (or the daemon
stops answering) the request in flight fails with `Transient` and the client reconnects
with exponential back-off and jitter, subscribing again when it uses
`--receive-mode=manual`. Logs name methods, codes and exception types only: never a
number, an ACI, a text or a token.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import itertools
import json
import logging
import random
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.core.errors import Rejected, Transient
from bot.signal.envelopes import Event, parse_receive
from bot.signal.results import (
    CAPTCHA_REJECTED_ERROR,
    CaptchaNotice,
    RpcError,
    SendOutcome,
    delivery_error,
    outcome_of_error,
    parse_outcome,
)

log = logging.getLogger(__name__)
SEEN_EVENTS = 4096  # names of recent events kept to drop repeats (memory only)

# A getAttachment answer is the whole file in base64 on one line (Signal allows ~100 MB).
MAX_LINE = 160 * 1024 * 1024

Opener = Callable[[str, int], Awaitable[tuple[asyncio.StreamReader, asyncio.StreamWriter]]]


async def _open(host: str, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection(host, port, limit=MAX_LINE)


@dataclass
class Backoff:
    """Delays between reconnection attempts: `initial * factor**n` capped at `maximum`,
    each drawn at random in [delay * (1 - jitter), delay] so that restarts do not align."""

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    jitter: float = 0.5

    def delay(self, attempt: int, rng: Callable[[], float] = random.random) -> float:
        ceiling = min(self.maximum, self.initial * self.factor ** max(attempt, 0))
        return ceiling * (1.0 - self.jitter * rng())


@dataclass
class RpcStats:
    requests: int = 0
    notifications: int = 0
    events: int = 0
    ignored: int = 0  # receipts, typing, sync, malformed lines
    duplicates: int = 0  # the same event told twice
    connects: int = 0
    disconnects: int = 0
    timeouts: int = 0


def parse_address(value: str) -> tuple[str, int]:
    """`host:port` (SIGNAL_CLI_RPC) into its parts; `[::1]:7583` for IPv6."""
    host, sep, port = value.strip().rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError("SIGNAL_CLI_RPC must be host:port, e.g. 127.0.0.1:7583")
    return host.strip("[]"), int(port)


class SignalRpc:
    """A connection to one signal-cli daemon, kept up until `close()`.

    `account`: only for a daemon started without `-a` (multi-account mode), where each
    request names its account; with `-a` it must be None. `subscribe`: call
    `subscribeReceive` after each connect (a daemon run with `--receive-mode=manual`).
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        account: str | None = None,
        subscribe: bool = False,
        timeout: float = 60.0,
        connect_wait: float = 5.0,
        backoff: Backoff | None = None,
        rng: Callable[[], float] = random.random,
        opener: Opener = _open,
    ) -> None:
        self.host = host
        self.port = port
        self._account = account
        self._subscribe = subscribe
        self.timeout = timeout
        self.connect_wait = connect_wait
        self.backoff = backoff or Backoff()
        self._rng = rng
        self._opener = opener
        self.stats = RpcStats()
        self._ids = itertools.count(1)
        self._lock = asyncio.Lock()
        self._connected = asyncio.Event()
        self._writer: asyncio.StreamWriter | None = None
        self._pending: tuple[int, asyncio.Future] | None = None
        self._events: asyncio.Queue[Event | None] = asyncio.Queue()
        self._seen: OrderedDict[tuple[str, str | None, int | None], None] = OrderedDict()
        self._supervisor: asyncio.Task | None = None
        self._closing = False
        self._captcha = CaptchaNotice(log)
        self.subscription: int | None = None

    # ----------------------------------------------------------------- lifecycle
    async def start(self, wait: float | None = None) -> SignalRpc:
        """Start connecting (and reconnecting); with `wait`, wait that long for the first
        connection and raise `Transient` if the daemon cannot be reached."""
        if self._supervisor is None:
            self._supervisor = asyncio.create_task(self._run(), name="signal-rpc")
        if wait is not None:
            try:
                await asyncio.wait_for(self._connected.wait(), wait)
            except TimeoutError:
                raise Transient("signal-cli cannot be reached") from None
        return self

    async def close(self) -> None:
        self._closing = True
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
            self._supervisor = None
        self._drop()
        self._events.put_nowait(None)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    async def _run(self) -> None:
        attempt = 0  # failures since the daemon last answered anything
        while not self._closing:
            try:
                reader, writer = await self._opener(self.host, self.port)
            except (TimeoutError, OSError) as error:
                delay = self.backoff.delay(attempt, self._rng)
                if attempt % 10 == 0:
                    log.warning("signal-cli unreachable (%s); trying again in %.1f s", type(error).__name__, delay)
                attempt += 1
                await asyncio.sleep(delay)
                continue
            self._writer = writer
            self.stats.connects += 1
            self._connected.set()
            log.info("connected to signal-cli")
            subscribing = asyncio.create_task(self._resubscribe()) if self._subscribe else None
            try:
                heard = await self._read(reader)
            finally:
                if subscribing is not None:
                    subscribing.cancel()
                self._drop()
            if self._closing:
                return
            # A daemon that accepts and hangs up at once (a crash loop) is not hammered.
            attempt = 0 if heard else attempt + 1
            self.stats.disconnects += 1
            delay = self.backoff.delay(attempt, self._rng)
            log.warning("signal-cli connection lost; reconnecting in %.1f s", delay)
            await asyncio.sleep(delay)

    async def _resubscribe(self) -> None:
        try:
            self.subscription = await self.call("subscribeReceive", {})
        except Exception as error:  # the reader goes on; a later reconnect tries again
            log.warning("signal-cli subscribeReceive failed (%s)", type(error).__name__)

    def _drop(self) -> None:
        """Forget the connection; the request in flight, if any, fails as transient."""
        self._connected.clear()
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.close()
        if self._pending is not None:
            _, future = self._pending
            if not future.done():
                future.set_exception(Transient("signal-cli connection lost"))

    # -------------------------------------------------------------------- reading
    async def _read(self, reader: asyncio.StreamReader) -> bool:
        """Read until the connection ends; True if the daemon said anything."""
        heard = False
        while True:
            try:
                line = await reader.readline()
            except (ValueError, asyncio.LimitOverrunError):
                log.warning("signal-cli sent a line too long to read; reconnecting")
                return heard
            except (OSError, asyncio.IncompleteReadError) as error:
                log.debug("signal-cli read failed (%s)", type(error).__name__)
                return heard
            if not line:
                return heard
            heard = True
            self._dispatch(line)

    def _dispatch(self, line: bytes) -> None:
        try:
            message = json.loads(line)
        except (ValueError, RecursionError):
            self.stats.ignored += 1
            return
        if not isinstance(message, dict):
            self.stats.ignored += 1
            return
        if "method" in message and "id" not in message:
            self.stats.notifications += 1
            if message.get("method") != "receive":
                self.stats.ignored += 1
                return
            event = parse_receive(message.get("params"))
            if event is None:
                self.stats.ignored += 1
                return
            if self._seen_before(event):
                self.stats.duplicates += 1
                return
            self.stats.events += 1
            self._events.put_nowait(event)
            return
        if "result" in message or "error" in message:
            pending = self._pending
            ident = message.get("id")
            # An error with a null id answers a line the daemon could not read: with one
            # request in flight, that is the one.
            if pending is not None and (ident == pending[0] or (ident is None and "error" in message)):
                if not pending[1].done():
                    pending[1].set_result(message)
                return
            log.debug("signal-cli answered a request no longer waited for")
        self.stats.ignored += 1

    def _seen_before(self, event: Event) -> bool:
        """The same event told twice (a daemon in its default receive mode also answers a
        subscription, and a reconnect can repeat): its kind, author and sender timestamp name
        it, so it passes once. Only the last few thousand names are kept, in memory."""
        name = (type(event).__name__, getattr(event, "author", None), getattr(event, "timestamp", None))
        if name[1] is None or name[2] is None:
            return False
        if name in self._seen:
            self._seen.move_to_end(name)
            return True
        self._seen[name] = None
        if len(self._seen) > SEEN_EVENTS:
            self._seen.popitem(last=False)
        return False

    async def events(self) -> AsyncIterator[Event]:
        """Incoming events, in the order the daemon sent them, until `close()`."""
        while True:
            event = await self._events.get()
            if event is None:
                return
            yield event

    # -------------------------------------------------------------------- calling
    async def call(self, method: str, params: dict | None = None) -> Any:
        """Send one request and return its result; `RpcError` for an error answer,
        `Transient` when the daemon cannot be reached or does not answer in time."""
        payload: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
        body = dict(params or {})
        if self._account is not None and method not in ("version", "listAccounts"):
            body["account"] = self._account
        if body:
            payload["params"] = body
        async with self._lock:
            if not self._connected.is_set():
                try:
                    await asyncio.wait_for(self._connected.wait(), self.connect_wait)
                except TimeoutError:
                    raise Transient("signal-cli is not connected") from None
            writer = self._writer
            if writer is None:
                raise Transient("signal-cli is not connected")
            ident = next(self._ids)
            payload["id"] = ident
            future: asyncio.Future = asyncio.get_running_loop().create_future()
            self._pending = (ident, future)
            self.stats.requests += 1
            try:
                writer.write(json.dumps(payload, separators=(",", ":")).encode() + b"\n")
                await writer.drain()
                answer = await asyncio.wait_for(future, self.timeout)
            except TimeoutError:
                self.stats.timeouts += 1
                log.warning("signal-cli did not answer %s in %.0f s; reconnecting", method, self.timeout)
                self._drop()  # a late answer must not meet the next request
                raise Transient("signal-cli did not answer") from None
            except (ConnectionError, OSError):
                self._drop()
                raise Transient("signal-cli connection lost") from None
            finally:
                self._pending = None
        error = answer.get("error")
        if error is not None:
            if not isinstance(error, dict) or not isinstance(error.get("code"), int):
                raise Transient("signal-cli gave an unreadable error")
            detail = error.get("message")
            raise RpcError(method, error["code"], detail if isinstance(detail, str) else "", error.get("data"))
        return answer.get("result")

    # ------------------------------------------------------------------- methods
    async def version(self) -> str:
        """The daemon's version (a health check)."""
        result = await self.call("version")
        version = result.get("version") if isinstance(result, dict) else None
        if not isinstance(version, str):
            raise Transient("signal-cli gave no version")
        return version

    async def send(
        self,
        recipients: Sequence[str],
        text: str = "",
        *,
        attachments: Sequence[str] = (),
        quote: tuple[int, str] | None = None,
        edit_of: int | None = None,
        styles: Sequence[str] = (),
    ) -> SendOutcome:
        """Send one message to each recipient (ACIs or the bot's own number). `attachments`
        are data URIs (`data_uri`); `quote` is (timestamp, author) of the message replied
        to; `edit_of` the timestamp of the latest revision to replace; `styles` the text
        styles (`start:length:BOLD`, UTF-16 offsets). Per-recipient
        failures are in the outcome (`raise_for`, `failures`); an error that concerns the
        call as a whole raises the core's delivery error."""
        if not recipients:
            raise Rejected("a send needs a recipient")
        params: dict[str, Any] = {"recipient": list(recipients)}
        if text:
            params["message"] = text
        if attachments:
            params["attachments"] = list(attachments)
        if quote is not None:
            params["quoteTimestamp"], params["quoteAuthor"] = quote
        if edit_of is not None:
            params["editTimestamp"] = edit_of
        if styles:
            params["textStyle"] = list(styles)
        return await self._outcome("send", params)

    async def remote_delete(self, recipients: Sequence[str], target: int) -> SendOutcome:
        """Delete for everyone one of the bot's own messages (`target`: its timestamp)."""
        if not recipients:
            raise Rejected("a delete needs a recipient")
        return await self._outcome("remoteDelete", {"recipient": list(recipients), "targetTimestamp": target})

    async def _outcome(self, method: str, params: dict) -> SendOutcome:
        try:
            answer = await self.call(method, params)
        except RpcError as error:
            outcome = outcome_of_error(error)
            if outcome is None:
                log.warning("signal-cli refused %s (code %d)", method, error.code)
                raise delivery_error(error) from None
            self._captcha.check(outcome)
            return outcome
        outcome = parse_outcome(answer)
        if outcome is None:
            raise Transient(f"signal-cli gave no timestamp for {method}")
        self._captcha.check(outcome)
        return outcome

    async def submit_challenge(self, challenge: str, captcha: str) -> None:
        """Lift a proof-required rate limit: `challenge` from `CaptchaRequired`, `captcha`
        the token of a solved captcha (`signalcaptcha://...` without its scheme)."""
        try:
            await self.call("submitRateLimitChallenge", {"challenge": challenge, "captcha": captcha})
        except RpcError as error:
            if error.code == CAPTCHA_REJECTED_ERROR:
                raise Rejected("the captcha was refused (outdated, used, or solved elsewhere)") from None
            raise delivery_error(error) from None

    async def get_attachment(self, attachment_id: str) -> bytes:
        """The bytes of an attachment a person sent."""
        try:
            result = await self.call("getAttachment", {"id": attachment_id})
        except RpcError as error:
            raise delivery_error(error) from None
        data = result.get("data") if isinstance(result, dict) else None
        if not isinstance(data, str):
            raise Transient("signal-cli gave no attachment data")
        try:
            return base64.b64decode(data, validate=True)
        except ValueError:
            raise Transient("signal-cli gave unreadable attachment data") from None


def data_uri(data: bytes, content_type: str, filename: str | None = None) -> str:
    """An attachment as signal-cli takes it: `data:<mime>;filename=<n>;base64,<b64>`."""
    name = "".join(c for c in filename or "" if c not in ";,\r\n")
    name = f";filename={name}" if name else ""
    return f"data:{content_type}{name};base64,{base64.b64encode(data).decode()}"
