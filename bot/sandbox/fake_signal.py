"""A fake signal-cli JSON-RPC daemon (`signal-cli daemon --tcp`), with simulated phones.

One `FakeSignal` holds the state of one daemon: the bot's account, the phones of the
people it talks with (`SignalPhone`), the messages the bot sent them, attachments.
`serve()` listens on 127.0.0.1; each connection reads one JSON object a line and answers
as signal-cli 0.13/0.14 does (`JsonRpcReader`, `SignalJsonRpcCommandHandler`,
`SendMessageResultUtils`): the same error codes and messages, `{timestamp, results}` for
sends, `data.response` on a send that reached nobody, partial failures with no error.
Like the real daemon it runs each request as soon as it is read, so requests pipelined
before the previous answer overlap: the recorder counts them (`overlaps`) and, as the
real daemon can, the fake loses the messages of overlapping sends (`lose_pipelined`).
Phones act as people: they write (with `sourceNumber` null, as Signal hides numbers),
reply by quoting, send attachments, edit (an edit of an edit targets the previous
revision), delete, react, and send receipts and typing indicators. Faults: rate limits
(with a captcha token), unregistered recipients, untrusted identities, network failures,
whole-call errors, dropped connections, silence, latency. Timestamps are milliseconds and
strictly increasing.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import contextlib
import itertools
import json
import re
import secrets
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

VERSION = "0.13.19"
EDIT_WINDOW_MS = 24 * 3600 * 1000  # recipients' apps ignore edits and deletes after about a day
MAX_EDITS = 10  # ... and edits beyond the tenth
LONG_TEXT_BYTES = 2000  # a longer body travels as a text/x-signal-plain attachment
NUMBER = re.compile(r"^\+[1-9]\d{6,14}$")
DATA_URI = re.compile(
    r"^data:(?P<mime>[\w.+-]+/[\w.+-]+)(?:;filename=(?P<name>[^;,]*))?;base64,(?P<data>.*)$", re.DOTALL
)

# Methods that act for one account (JsonRpcSingleCommand); the second set also has a
# multi-account form (JsonRpcMultiCommand); listAccounts has only that one.
SINGLE = {
    "send",
    "remoteDelete",
    "getAttachment",
    "sendTyping",
    "sendReceipt",
    "sendReaction",
    "submitRateLimitChallenge",
    "subscribeReceive",
    "unsubscribeReceive",
    "version",
}
MULTI = {"subscribeReceive", "unsubscribeReceive", "version", "listAccounts"}


class RpcFault(Exception):
    """An error answer in signal-cli's shape."""

    def __init__(self, code: int, message: str, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.data = data

    def payload(self) -> dict:
        return {"code": self.code, "message": self.message, "data": self.data}


@dataclass
class Call:
    """One request as it arrived: `unanswered` counts earlier requests of the same
    connection still waiting for their answer (0 when the client waits its turn)."""

    method: str
    params: dict
    connection: int
    unanswered: int


@dataclass
class Fault:
    """Injected trouble for the next `count` matching calls (or recipients).

    Per recipient, in a send's results: "rate_limit" (with `token`: a captcha challenge),
    "unregistered", "untrusted", "network". For the whole call: "error" (`code`,
    `message`), "drop" (the connection closes, no answer), "silence" (no answer ever)."""

    kind: str
    count: int = 1
    method: str | None = None
    recipient: str | None = None
    token: str | None = None
    retry_after: int | None = None
    code: int = -3
    message: str = "injected"

    def matches(self, method: str, recipient: str | None = None) -> bool:
        if self.count <= 0 or (self.method and self.method != method):
            return False
        return self.recipient is None or self.recipient == recipient


@dataclass
class BotMessage:
    """A message the bot sent to one phone, with its revisions (timestamps, oldest first)."""

    recipient: str
    timestamp: int
    text: str
    attachments: list[tuple[str, bytes]]
    quote: tuple[int, str] | None
    revisions: list[int] = field(default_factory=list)
    deleted: bool = False

    @property
    def latest(self) -> int:
        return self.revisions[-1] if self.revisions else self.timestamp


@dataclass(eq=False)
class _Connection:
    ident: int
    writer: asyncio.StreamWriter
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    unanswered: int = 0
    internal: bool = False  # on-start receive mode: notifications without a subscription
    subscriptions: set[int] = field(default_factory=set)
    tasks: set[asyncio.Task] = field(default_factory=set)


class FakeSignal:
    """The state of a fake signal-cli daemon.

    `account`: the bot's number, as with `signal-cli -a NUMBER daemon` (single-account
    mode); None starts it in multi-account mode with `accounts` (default none, as a fresh
    install). `receive_mode`: "on-start" (every connection gets messages; those that
    arrive while nobody is connected are lost) or "manual" (only `subscribeReceive`d
    connections; messages wait until one subscribes)."""

    def __init__(
        self,
        account: str | None = "+15550100199",
        *,
        accounts: tuple[str, ...] = (),
        receive_mode: str = "on-start",
        clock: Callable[[], float] = time.time,
        version: str = VERSION,
    ) -> None:
        self.single = account is not None
        self.accounts = [account] if account is not None else list(accounts)
        self.aci = str(uuid.uuid4())  # the bot account's own ACI
        self.receive_mode = receive_mode
        self.clock = clock
        self.version = version
        self.phones: dict[str, SignalPhone] = {}
        self.sent: dict[tuple[str, int], BotMessage] = {}  # (recipient ACI, timestamp of any revision)
        self.attachments: dict[str, bytes] = {}
        self.calls: list[Call] = []
        self.counts: Counter[str] = Counter()
        self.errors_sent: Counter[int] = Counter()
        self.overlaps = 0
        self.lose_pipelined = True
        self.lost: list[dict] = []  # notifications nobody could receive (on-start, no client)
        self.faults: list[Fault] = []
        self.latency = 0.0
        self.held: dict[str, asyncio.Event] = {}  # methods whose answers wait (`hold`, `release`)
        self.challenges_submitted = 0
        self._last_ms = 0
        self._connections: set[_Connection] = set()
        self._connection_ids = itertools.count(0)
        self._subscription_ids = itertools.count(1 if receive_mode == "on-start" else 0)
        self._waiting: list[dict] = []  # manual mode: received while nobody subscribed
        self._server: asyncio.base_events.Server | None = None
        self._changed: asyncio.Condition | None = None

    @property
    def account(self) -> str | None:
        return self.accounts[0] if self.accounts else None

    # ----------------------------------------------------------------- serving
    async def serve(self, host: str = "127.0.0.1", port: int = 0) -> tuple[str, int]:
        self._server = await asyncio.start_server(self._handle, host, port, limit=256 * 1024 * 1024)
        address = self._server.sockets[0].getsockname()
        return address[0], address[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        await self.drop_connections()
        if self._server is not None:
            with contextlib.suppress(Exception):
                await self._server.wait_closed()
            self._server = None

    async def drop_connections(self) -> None:
        """Close every client connection now (a daemon restart, a network cut)."""
        for connection in list(self._connections):
            connection.writer.close()
            for task in list(connection.tasks):
                task.cancel()
        self._connections.clear()
        await self._notify()

    @property
    def connections(self) -> int:
        return len(self._connections)

    @property
    def changed(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def wait_for(self, predicate: Callable[[], Any], timeout: float = 5.0) -> Any:
        async def _until() -> Any:
            async with self.changed:
                while not (result := predicate()):
                    await self.changed.wait()
                return result

        return await asyncio.wait_for(_until(), timeout)

    def hold(self, method: str) -> asyncio.Event:
        """Requests for this method are read and recorded but answered only after `release`."""
        return self.held.setdefault(method, asyncio.Event())

    def release(self, method: str) -> None:
        event = self.held.pop(method, None)
        if event is not None:
            event.set()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(asyncio.CancelledError):  # a server shutting down, not a failure
            await self._serve_connection(reader, writer)

    async def _serve_connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connection = _Connection(next(self._connection_ids), writer, internal=self.receive_mode == "on-start")
        self._connections.add(connection)
        await self._notify()
        try:
            while True:
                try:
                    line = await reader.readline()
                except (OSError, ValueError):
                    break
                if not line:
                    break
                self._read_line(connection, line.decode("utf-8", "replace").rstrip("\r\n"))
        finally:
            self._connections.discard(connection)
            writer.close()
            for task in list(connection.tasks):
                task.cancel()
            await self._notify()

    async def _write(self, connection: _Connection, message: Any) -> None:
        data = json.dumps(message, separators=(",", ":"), ensure_ascii=False).encode() + b"\n"
        async with connection.lock:
            if connection.writer.is_closing():
                return
            connection.writer.write(data)
            with contextlib.suppress(ConnectionError):
                await connection.writer.drain()

    def _spawn(self, connection: _Connection, coroutine) -> None:
        task = asyncio.create_task(coroutine)
        connection.tasks.add(task)
        task.add_done_callback(connection.tasks.discard)

    # ------------------------------------------------------------- JSON-RPC layer
    def _read_line(self, connection: _Connection, line: str) -> None:
        """JsonRpcReader.parseJsonRpcMessage and handleMessage."""
        if not line.strip():
            self._spawn(connection, self._error(connection, RpcFault(-32700, "Empty input line"), None))
            return
        try:
            node = json.loads(line)
        except json.JSONDecodeError as error:
            fault = RpcFault(-32700, f"Unexpected character: {error.msg} at column {error.colno}")
            self._spawn(connection, self._error(connection, fault, None))
            return
        if isinstance(node, list):
            if not node:
                self._spawn(connection, self._error(connection, RpcFault(-32600, "invalid request"), None))
                return
            self._spawn(connection, self._batch(connection, node))
            return
        if not isinstance(node, dict):
            kind = {str: "STRING", bool: "BOOLEAN", type(None): "NULL"}.get(type(node), "NUMBER")
            self._spawn(connection, self._error(connection, RpcFault(-32600, f"unexpected type: {kind}"), None))
            return
        if "result" in node or "error" in node:
            return  # a response from the client: nothing asked it
        try:
            method, params, ident = self._request(node)
        except RpcFault as fault:
            ident = node.get("id")
            self._spawn(
                connection, self._error(connection, fault, ident if not isinstance(ident, (dict, list)) else None)
            )
            return
        self.calls.append(Call(method, dict(params), connection.ident, connection.unanswered))
        self.counts[method] += 1
        overlapping = connection.unanswered > 0
        if overlapping:
            self.overlaps += 1
        if ident is not None:
            connection.unanswered += 1
        self._spawn(connection, self._answer(connection, method, params, ident, overlapping))

    @staticmethod
    def _request(node: dict) -> tuple[str, dict, Any]:
        """JsonRpcReader.parseJsonRpcRequest."""
        if node.get("params", ...) is None:
            node = {k: v for k, v in node.items() if k != "params"}
        ident = node.get("id")
        if isinstance(ident, (dict, list)):
            raise RpcFault(-32600, "Cannot deserialize value of type `ValueNode` from an object or array")
        params = node.get("params", {})
        if not isinstance(params, (dict, list)):
            raise RpcFault(-32600, "Cannot deserialize value of type `ContainerNode` from a scalar")
        if node.get("jsonrpc") != "2.0":
            raise RpcFault(-32600, "only jsonrpc version 2.0 is supported")
        method = node.get("method")
        if method is None:
            raise RpcFault(-32600, "method field must be set")
        if not isinstance(method, str):
            raise RpcFault(-32600, "Cannot deserialize value of type `java.lang.String`")
        return method, params if isinstance(params, dict) else {"_positional": params}, ident

    async def _error(self, connection: _Connection, fault: RpcFault, ident: Any) -> None:
        self.errors_sent[fault.code] += 1
        await self._write(connection, {"jsonrpc": "2.0", "error": fault.payload(), "id": ident})

    async def _batch(self, connection: _Connection, nodes: list) -> None:
        answers = []
        for node in nodes:
            if not isinstance(node, dict):
                answers.append({"jsonrpc": "2.0", "error": RpcFault(-32600, "invalid request").payload(), "id": None})
                continue
            try:
                method, params, ident = self._request(node)
            except RpcFault as fault:
                answers.append({"jsonrpc": "2.0", "error": fault.payload(), "id": node.get("id")})
                continue
            self.calls.append(Call(method, dict(params), connection.ident, connection.unanswered))
            self.counts[method] += 1
            try:
                result = await self._run(connection, method, params, overlapping=False)
            except RpcFault as fault:
                self.errors_sent[fault.code] += 1
                if ident is not None:
                    answers.append({"jsonrpc": "2.0", "error": fault.payload(), "id": ident})
                continue
            if ident is not None:
                answers.append({"jsonrpc": "2.0", "result": result, "id": ident})
        if answers:
            await self._write(connection, answers)

    async def _answer(self, connection: _Connection, method: str, params: dict, ident: Any, overlapping: bool) -> None:
        try:
            await self._notify()  # the call is recorded
            if self.latency:
                await asyncio.sleep(self.latency)
            held = self.held.get(method)
            if held is not None:
                await held.wait()
            fault = self._whole_call_fault(method)
            if fault is not None and fault.kind == "drop":
                connection.writer.close()
                return
            if fault is not None and fault.kind == "silence":
                await asyncio.Event().wait()
            try:
                if fault is not None:
                    raise RpcFault(fault.code, fault.message)
                result = await self._run(connection, method, params, overlapping)
            except RpcFault as fault_answer:
                if ident is not None:
                    await self._error(connection, fault_answer, ident)
                return
            if ident is not None:
                await self._write(connection, {"jsonrpc": "2.0", "result": result, "id": ident})
        finally:
            if ident is not None:
                connection.unanswered -= 1
            await self._notify()

    def _whole_call_fault(self, method: str) -> Fault | None:
        for fault in self.faults:
            if fault.kind in ("error", "drop", "silence") and fault.matches(method):
                fault.count -= 1
                return fault
        return None

    async def _run(self, connection: _Connection, method: str, params: dict, overlapping: bool) -> Any:
        """SignalJsonRpcCommandHandler.handleRequest: which account, which command."""
        params = dict(params)
        if not self.single:
            if method in SINGLE and params.get("account") is not None:
                if params.pop("account") not in self.accounts:
                    raise RpcFault(-32602, "Specified account does not exist")
                return await self._method(connection, method, params, overlapping)
            if method in MULTI:
                return await self._method(connection, method, params, overlapping)
            if method in SINGLE:
                if len(self.accounts) != 1:
                    raise RpcFault(-32602, "Method requires valid account parameter")
                return await self._method(connection, method, params, overlapping)
            raise RpcFault(-32601, "Method not implemented")
        if method not in SINGLE:
            raise RpcFault(-32601, "Method not implemented")
        return await self._method(connection, method, params, overlapping)

    async def _method(self, connection: _Connection, method: str, params: dict, overlapping: bool) -> Any:
        handler = getattr(self, f"_m_{method}")
        return await handler(connection, params, overlapping)

    # ------------------------------------------------------------------ methods
    async def _m_version(self, connection, params, overlapping):
        return {"version": self.version}

    async def _m_listAccounts(self, connection, params, overlapping):
        return [{"number": number} for number in self.accounts]

    async def _m_subscribeReceive(self, connection, params, overlapping):
        subscription = next(self._subscription_ids)
        connection.subscriptions.add(subscription)
        waiting, self._waiting = self._waiting, []
        for payload in waiting:
            self._spawn(connection, self._write(connection, self._receive_message(payload, subscription)))
        return subscription

    async def _m_unsubscribeReceive(self, connection, params, overlapping):
        subscription = params.get("subscription")
        if subscription is None:
            if self.single:
                connection.subscriptions.clear()
                return {}
            raise RpcFault(-1, "Missing subscription parameter with subscription id")
        if subscription not in connection.subscriptions:
            raise RpcFault(-1, "Unknown subscription id")
        connection.subscriptions.discard(subscription)
        return {}

    async def _m_getAttachment(self, connection, params, overlapping):
        ident = params.get("id")
        if ident is None:
            raise RpcFault(-1, "Missing attachment id parameter")
        data = self.attachments.get(str(ident))
        if data is None:
            raise RpcFault(-1, f"Could not find attachment with ID: {ident}")
        return {"data": base64.b64encode(data).decode()}

    async def _m_submitRateLimitChallenge(self, connection, params, overlapping):
        if not params.get("challenge") or not params.get("captcha"):
            raise RpcFault(-3, "Submit challenge error: missing challenge or captcha")
        self.challenges_submitted += 1
        # The proof is given: the rate limits that asked for this challenge are lifted.
        self.faults = [f for f in self.faults if not (f.kind == "rate_limit" and f.token == params["challenge"])]
        return {}

    async def _m_sendTyping(self, connection, params, overlapping):
        self._recipients(params)
        return {}

    async def _m_sendReceipt(self, connection, params, overlapping):
        self._recipients(params)
        return {}

    async def _m_sendReaction(self, connection, params, overlapping):
        recipients = self._recipients(params)
        return self._results(recipients, "sendReaction", lambda phone, timestamp: None, overlapping)

    async def _m_send(self, connection, params, overlapping):
        recipients = self._recipients(params)
        text = params.get("message") or ""
        if not isinstance(text, str):
            raise RpcFault(-32600, "Cannot deserialize value of type `java.lang.String`")
        attachments = [self._attachment(item) for item in _as_list(params.get("attachments", params.get("attachment")))]
        quote = None
        if params.get("quoteTimestamp") is not None:
            author = params.get("quoteAuthor")
            if author is None:
                raise RpcFault(-1, "Quote author parameter is missing")
            quote = (_as_long(params["quoteTimestamp"]), str(author))
        if not text and not attachments and params.get("sticker") is None and quote is None:
            raise RpcFault(
                -1, "Sending empty message is not allowed, either a message, attachment or sticker must be given."
            )
        edit = params.get("editTimestamp")
        edit_of = _as_long(edit) if edit is not None else None

        def deliver(phone: SignalPhone, timestamp: int) -> None:
            if edit_of is not None:
                phone._receive_edit(edit_of, timestamp, text, attachments)
                return
            message = BotMessage(phone.aci, timestamp, text, attachments, quote)
            self.sent[(phone.aci, timestamp)] = message
            phone.inbox.append(message)

        return self._results(recipients, "send", deliver, overlapping)

    async def _m_remoteDelete(self, connection, params, overlapping):
        recipients = self._recipients(params)
        target = params.get("targetTimestamp")
        if target is None:
            raise RpcFault(-32603, 'Cannot invoke "java.lang.Long.longValue()" (NullPointerException)')
        target = _as_long(target)
        return self._results(
            recipients, "remoteDelete", lambda phone, timestamp: phone._receive_delete(target), overlapping
        )

    def _recipients(self, params: dict) -> list[str]:
        """CommandUtil.getRecipientIdentifiers: ACIs or numbers; an unknown number is
        refused whole (UnregisteredRecipientException), an unknown ACI fails in the results."""
        if params.get("groupId") is not None or params.get("groupIds") is not None:
            raise RpcFault(-1, "Invalid group id")
        recipients: list[str] = []
        for value in _as_list(params.get("recipient", params.get("recipients"))):
            value = str(value)
            if _is_uuid(value):
                value = value.lower()
            elif NUMBER.match(value):
                phone = next((p for p in self.phones.values() if p.number == value and p.registered), None)
                if phone is None:
                    raise RpcFault(-1, f"The user {value} is not registered.")
                value = phone.aci
            else:
                raise RpcFault(-1, f"Invalid phone number '{value}': not a valid number")
            if value not in recipients:
                recipients.append(value)
        if not recipients:
            raise RpcFault(-1, "No recipients given")
        return recipients

    def _attachment(self, value: Any) -> tuple[str, bytes]:
        value = str(value)
        match = DATA_URI.match(value)
        if match:
            try:
                return match["mime"], base64.b64decode(match["data"], validate=True)
            except binascii.Error:
                pass
        elif not value.startswith("data:") and Path(value).is_file():
            return "application/octet-stream", Path(value).read_bytes()
        raise RpcFault(-32603, "Failed to send message: Invalid attachment (AttachmentInvalidException)")

    def _results(self, recipients: list[str], method: str, deliver, overlapping: bool) -> dict:
        """The send itself, and SendMessageResultUtils.outputResult's answer."""
        timestamp = self.next_timestamp()
        results = []
        for aci in recipients:
            phone = self.phones.get(aci)
            kind, extra = "SUCCESS", dict[str, Any]()
            fault = next(
                (
                    f
                    for f in self.faults
                    if f.kind in ("rate_limit", "unregistered", "untrusted", "network") and f.matches(method, aci)
                ),
                None,
            )
            if fault is not None:
                fault.count -= 1
                kind = {
                    "rate_limit": "RATE_LIMIT_FAILURE",
                    "unregistered": "UNREGISTERED_FAILURE",
                    "untrusted": "IDENTITY_FAILURE",
                    "network": "NETWORK_FAILURE",
                }[fault.kind]
                if fault.kind == "rate_limit":
                    if fault.token:
                        extra["token"] = fault.token
                    if fault.retry_after is not None:
                        extra["retryAfterSeconds"] = fault.retry_after
            elif phone is None or not phone.registered:
                kind = "UNREGISTERED_FAILURE"
            address = {"uuid": aci, "number": phone.number if phone and phone.shares_number else None, "username": None}
            results.append({"recipientAddress": address, "type": kind, **extra})
            if kind == "SUCCESS" and phone is not None:
                if overlapping and self.lose_pipelined:
                    phone.lost += 1
                else:
                    deliver(phone, timestamp)
        answer = {"timestamp": timestamp, "results": results}
        if not any(r["type"] == "SUCCESS" for r in results):
            types = {r["type"] for r in results}
            data = {"response": answer}
            if types == {"IDENTITY_FAILURE"}:
                raise RpcFault(-4, "Failed to send message due to untrusted identities", data)
            if types == {"RATE_LIMIT_FAILURE"}:
                raise RpcFault(-5, "Failed to send message due to rate limiting", data)
            raise RpcFault(-1, "Failed to send message", data)
        return answer

    # --------------------------------------------------------------- receiving
    def next_timestamp(self) -> int:
        """Milliseconds since the epoch, strictly increasing across everything sent."""
        self._last_ms = max(self._last_ms + 1, int(self.clock() * 1000))
        return self._last_ms

    def inject(
        self,
        kind: str,
        count: int = 1,
        *,
        method: str | None = None,
        recipient: str | SignalPhone | None = None,
        token: str | None = None,
        retry_after: int | None = None,
        code: int = -3,
        message: str = "injected",
    ) -> Fault:
        if isinstance(recipient, SignalPhone):
            recipient = recipient.aci
        fault = Fault(kind, count, method, recipient, token, retry_after, code, message)
        self.faults.append(fault)
        return fault

    def phone(self, name: str = "Personne", *, number: str | None = None, shares_number: bool = False) -> SignalPhone:
        """A person on Signal. Their number is hidden from the bot unless `shares_number`."""
        phone = SignalPhone(self, str(uuid.uuid4()), name, number or f"+1555{secrets.randbelow(10**7):07d}")
        phone.shares_number = shares_number
        self.phones[phone.aci] = phone
        return phone

    def bot_message(self, phone: SignalPhone, timestamp: int) -> BotMessage:
        return self.sent[(phone.aci, timestamp)]

    def push(self, payload: dict) -> None:
        """Deliver a `receive` payload (`{"envelope", "account", "exception"?}`) as the
        daemon would in its receive mode."""
        targets = [c for c in self._connections if c.internal or c.subscriptions]
        if not targets:
            (self._waiting if self.receive_mode == "manual" else self.lost).append(payload)
            return
        for connection in targets:
            if connection.internal:
                message = self._receive_message(payload, None)
                self._spawn(connection, self._write(connection, message))
            for subscription in sorted(connection.subscriptions):
                self._spawn(connection, self._write(connection, self._receive_message(payload, subscription)))

    async def sync_sent(self, phone: SignalPhone, text: str) -> None:
        """The account's own primary phone wrote to someone: linked devices get a sync message."""
        timestamp = self.next_timestamp()
        sent = {
            "destination": phone.aci,
            "destinationNumber": None,
            "destinationUuid": phone.aci,
            "timestamp": timestamp,
            "message": text,
            "expiresInSeconds": 0,
            "viewOnce": False,
        }
        envelope = {
            "source": self.account,
            "sourceNumber": self.account,
            "sourceUuid": self.aci,
            "sourceName": "Entraide",
            "sourceDevice": 1,
            "timestamp": timestamp,
            "serverReceivedTimestamp": timestamp + 30,
            "serverDeliveredTimestamp": timestamp + 31,
            "syncMessage": {"sentMessage": sent},
        }
        self.push({"envelope": envelope, "account": self.account})
        await asyncio.sleep(0)

    @staticmethod
    def _receive_message(payload: dict, subscription: int | None) -> dict:
        params = payload if subscription is None else {"subscription": subscription, "result": payload}
        return {"jsonrpc": "2.0", "method": "receive", "params": params}

    def store_attachment(self, data: bytes, content_type: str) -> dict:
        extension = {"image/jpeg": ".jpg", "image/png": ".png", "audio/aac": ".aac"}.get(content_type, "")
        ident = secrets.token_urlsafe(15).replace("-", "A").replace("_", "B") + extension
        self.attachments[ident] = bytes(data)
        return {
            "contentType": content_type,
            "filename": "IMG_0042.jpg" if content_type.startswith("image/") else None,
            "id": ident,
            "size": len(data),
            "width": None,
            "height": None,
            "caption": None,
            "uploadTimestamp": self.next_timestamp(),
        }


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _as_long(value: Any) -> int:
    if isinstance(value, bool):
        raise RpcFault(-32600, "Cannot deserialize value of type `long` from Boolean value")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise RpcFault(-32600, "Cannot deserialize value of type `long` from String") from None


def _is_uuid(value: str) -> bool:
    try:
        return len(value) == 36 and uuid.UUID(value) is not None
    except ValueError:
        return False


@dataclass(eq=False)
class SignalPhone:
    """A person with Signal on their phone, in a private chat with the bot."""

    daemon: FakeSignal
    aci: str
    name: str  # their profile name: the daemon passes it as `sourceName`; the bot must drop it
    number: str
    shares_number: bool = False
    registered: bool = True
    inbox: list[BotMessage] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)  # edits and deletes the app ignored, and why
    lost: int = 0  # messages lost to pipelined sends
    _revisions: dict[int, list[int]] = field(default_factory=dict)  # own messages: original -> revisions

    # ------------------------------------------------------------- as a person
    def _envelope(self, timestamp: int, **content: Any) -> dict:
        number = self.number if self.shares_number else None
        envelope = {
            "source": number or self.aci,
            "sourceNumber": number,
            "sourceUuid": self.aci,
            "sourceName": self.name,
            "sourceDevice": 1,
            "timestamp": timestamp,
            "serverReceivedTimestamp": timestamp + 37,
            "serverDeliveredTimestamp": timestamp + 41,
            **content,
        }
        return {"envelope": envelope, "account": self.daemon.account}

    def _data(self, timestamp: int, text: str | None, **extra: Any) -> dict:
        return {
            "timestamp": timestamp,
            "message": text,
            "expiresInSeconds": 0,
            "isExpirationUpdate": False,
            "viewOnce": False,
            **{k: v for k, v in extra.items() if v is not None},
        }

    def _quote(self, timestamp: int | None) -> dict | None:
        if timestamp is None:
            return None
        message = self.daemon.sent.get((self.aci, timestamp))
        bot = self.daemon.account
        return {
            "id": timestamp,
            "author": bot or self.daemon.aci,
            "authorNumber": bot,
            "authorUuid": self.daemon.aci,
            "text": message.text if message else None,
            "attachments": [],
        }

    async def _post(self, payload: dict) -> None:
        self.daemon.push(payload)
        await asyncio.sleep(0)

    async def send(
        self,
        text: str | None,
        *,
        quote: int | None = None,
        attachments: Sequence[tuple[bytes, str]] = (),
    ) -> int:
        """Write a message (optionally replying to a bot message by its timestamp); returns
        its timestamp, which names it with this phone's ACI."""
        timestamp = self.daemon.next_timestamp()
        stored = [self.daemon.store_attachment(data, mime) for data, mime in attachments]
        if text is not None and len(text.encode()) > LONG_TEXT_BYTES:
            # Signal sends a long body as an attachment; signal-cli puts it back in `message`
            # and still lists the attachment.
            stored.insert(0, self.daemon.store_attachment(text.encode(), "text/x-signal-plain"))
        data = self._data(timestamp, text, quote=self._quote(quote), attachments=stored or None)
        self._revisions[timestamp] = [timestamp]
        await self._post(self._envelope(timestamp, dataMessage=data))
        return timestamp

    async def send_photo(self, data: bytes, caption: str | None = None, *, quote: int | None = None) -> int:
        return await self.send(caption, quote=quote, attachments=[(data, "image/jpeg")])

    async def edit(self, original: int, text: str) -> int:
        """Edit one of this phone's messages; the edit targets its latest revision."""
        revisions = self._revisions[original]
        timestamp = self.daemon.next_timestamp()
        edit = {"targetSentTimestamp": revisions[-1], "dataMessage": self._data(timestamp, text)}
        revisions.append(timestamp)
        await self._post(self._envelope(timestamp, editMessage=edit))
        return timestamp

    async def delete(self, original: int) -> int:
        timestamp = self.daemon.next_timestamp()
        data = self._data(timestamp, None, remoteDelete={"timestamp": original})
        await self._post(self._envelope(timestamp, dataMessage=data))
        return timestamp

    async def react(self, target: int, emoji: str = "❤️", *, remove: bool = False) -> int:
        """React to a bot message."""
        timestamp = self.daemon.next_timestamp()
        bot = self.daemon.account
        reaction = {
            "emoji": emoji,
            "targetAuthor": bot or self.daemon.aci,
            "targetAuthorNumber": bot,
            "targetAuthorUuid": self.daemon.aci,
            "targetSentTimestamp": target,
            "isRemove": remove,
        }
        await self._post(self._envelope(timestamp, dataMessage=self._data(timestamp, None, reaction=reaction)))
        return timestamp

    async def receipt(self, *timestamps: int, read: bool = False) -> None:
        when = self.daemon.next_timestamp()
        receipt = {
            "when": when,
            "isDelivery": not read,
            "isRead": read,
            "isViewed": False,
            "timestamps": list(timestamps),
        }
        await self._post(self._envelope(when, receiptMessage=receipt))

    async def typing(self, action: str = "STARTED") -> None:
        timestamp = self.daemon.next_timestamp()
        await self._post(self._envelope(timestamp, typingMessage={"action": action, "timestamp": timestamp}))

    async def unreadable(self, kind: str = "ProtocolInvalidMessageException") -> None:
        """A message the daemon could not decrypt: an `exception` beside a bare envelope."""
        timestamp = self.daemon.next_timestamp()
        payload = self._envelope(timestamp)
        payload["exception"] = {"message": f"Invalid message from {self.aci}", "type": kind}
        await self._post(payload)

    # ------------------------------------------------------- as the bot's peer
    def _receive_edit(self, target: int, timestamp: int, text: str, attachments: list) -> None:
        message = self.daemon.sent.get((self.aci, target))
        if message is None or message.deleted:
            self.ignored.append("edit of an unknown message")
            return
        if message.latest != target:
            self.ignored.append("edit of an older revision")
            return
        if len(message.revisions) >= MAX_EDITS:
            self.ignored.append("more than ten edits")
            return
        if timestamp - message.timestamp > EDIT_WINDOW_MS:
            self.ignored.append("edit after a day")
            return
        message.revisions.append(timestamp)
        message.text = text
        if attachments:
            message.attachments = attachments
        self.daemon.sent[(self.aci, timestamp)] = message

    def _receive_delete(self, target: int) -> None:
        message = self.daemon.sent.get((self.aci, target))
        if message is None:
            self.ignored.append("delete of an unknown message")
            return
        if int(self.daemon.clock() * 1000) - message.timestamp > EDIT_WINDOW_MS:
            self.ignored.append("delete after a day")
            return
        message.deleted = True

    # ----------------------------------------------------------------- reading
    def received(self) -> list[BotMessage]:
        """Bot messages still visible, oldest first."""
        return [m for m in self.inbox if not m.deleted]

    def texts(self) -> list[str]:
        return [m.text for m in self.received()]

    async def wait_count(self, count: int, timeout: float = 5.0) -> list[BotMessage]:
        await self.daemon.wait_for(lambda: len(self.inbox) >= count, timeout)
        return self.inbox
