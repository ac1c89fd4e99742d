"""The signal-cli JSON-RPC client against the fake daemon."""

from __future__ import annotations

import asyncio
import logging
import socket

import pytest

from bot.core.errors import RateLimited, Rejected, Transient, Unreachable
from bot.sandbox.fake_signal import FakeSignal
from bot.signal.envelopes import (
    Attachment,
    Deleted,
    Edited,
    Quote,
    Reacted,
    Received,
    Unreadable,
    parse_receive,
)
from bot.signal.results import CAPTCHA_LINE, DEFAULT_RETRY_AFTER, CaptchaRequired, UntrustedIdentity
from bot.signal.rpc import Backoff, SignalRpc, data_uri, parse_address

FAST = Backoff(initial=0.01, maximum=0.05)


@pytest.fixture
async def pair():
    fake = FakeSignal()
    host, port = await fake.serve()
    client = await SignalRpc(host, port, backoff=FAST, timeout=5).start(wait=5)
    yield fake, client
    await client.close()
    await fake.stop()


async def until(predicate, timeout: float = 5.0) -> None:
    """Wait (bounded) for something the client does on its own, such as reconnecting."""

    async def _poll():
        while not predicate():
            await asyncio.sleep(0.005)

    await asyncio.wait_for(_poll(), timeout)


async def next_event(client: SignalRpc, timeout: float = 5.0):
    iterator = client.events()
    return await asyncio.wait_for(iterator.__anext__(), timeout)


async def test_one_request_in_flight_even_when_many_are_made_at_once(pair):
    fake, client = pair
    ana = fake.phone("Ana")
    fake.latency = 0.005
    outcomes = await asyncio.gather(*(client.send([ana.aci], f"message {n}") for n in range(20)))
    assert fake.overlaps == 0 and [call.unanswered for call in fake.calls] == [0] * 20
    assert len({o.timestamp for o in outcomes}) == 20 and ana.lost == 0
    assert sorted(ana.texts()) == sorted(f"message {n}" for n in range(20))


async def test_notifications_reach_the_consumer_while_a_request_waits_for_its_answer(pair):
    fake, client = pair
    ana = fake.phone("Ana")
    fake.hold("version")
    call = asyncio.create_task(client.version())
    await fake.wait_for(lambda: fake.counts["version"] == 1)
    stamp = await ana.send("Allo")
    event = await next_event(client)
    assert not call.done()  # the answer is still held back
    assert event == Received(ana.aci, stamp, "Allo")
    fake.release("version")
    assert await call == "0.13.19"


async def test_a_dropped_connection_fails_the_request_in_flight_and_the_client_reconnects(pair):
    fake, client = pair
    ana = fake.phone("Ana")
    fake.inject("drop", method="send")
    with pytest.raises(Transient):
        await client.send([ana.aci], "perdu")
    outcome = await client.send([ana.aci], "retrouvé")  # waits for the new connection
    assert outcome.delivered == [ana.aci] and ana.texts() == ["retrouvé"]
    assert client.stats.connects == 2 and client.stats.disconnects == 1

    await fake.drop_connections()  # the daemon restarts between two calls
    await until(lambda: client.stats.connects == 3)
    assert await client.version() == "0.13.19"
    assert client.stats.connects == 3 and fake.overlaps == 0


async def test_a_daemon_that_stops_answering_gives_transient_and_a_fresh_connection(pair):
    fake, client = pair
    client.timeout = 0.2
    fake.inject("silence", method="version")
    with pytest.raises(Transient):
        await client.version()
    assert client.stats.timeouts == 1
    client.timeout = 5.0
    assert await client.version() == "0.13.19"
    assert client.stats.connects == 2 and fake.overlaps == 0


async def test_the_client_waits_for_a_daemon_that_is_not_up_yet_with_growing_delays():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    client = await SignalRpc("127.0.0.1", port, backoff=FAST).start()
    fake = FakeSignal()
    try:
        await asyncio.sleep(0.1)  # a few refused attempts
        assert not client.connected
        await fake.serve(port=port)
        assert await client.version() == "0.13.19"
    finally:
        await client.close()
        await fake.stop()


def test_back_off_grows_to_its_ceiling_with_jitter_below_it():
    backoff = Backoff(initial=0.5, maximum=30.0, factor=2.0, jitter=0.5)
    assert [backoff.delay(n, lambda: 0.0) for n in range(8)] == [0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 30.0, 30.0]
    assert [backoff.delay(n, lambda: 1.0) for n in range(3)] == [0.25, 0.5, 1.0]


def test_the_daemon_address_is_host_and_port():
    assert parse_address("127.0.0.1:7583") == ("127.0.0.1", 7583)
    assert parse_address("[::1]:7583") == ("::1", 7583)
    for bad in ("127.0.0.1", ":7583", "host:port", "h:70000"):
        with pytest.raises(ValueError):
            parse_address(bad)


async def test_unregistered_recipients_are_unreachable(pair):
    fake, client = pair
    gone = fake.phone("Ana")
    gone.registered = False
    outcome = await client.send([gone.aci], "x")  # no recipient reached: the error carries the results
    with pytest.raises(Unreachable):
        outcome.raise_for(gone.aci)
    with pytest.raises(Unreachable):  # a number signal-cli cannot find is refused whole
        await client.send(["+15559999999"], "x")
    bea, cy = fake.phone("Béa"), fake.phone("Cy")
    fake.inject("unregistered", recipient=bea)  # left Signal since: the result says so, with no error
    outcome = await client.send([bea.aci, cy.aci], "x")
    assert outcome.delivered == [cy.aci] and isinstance(outcome.failures[bea.aci], Unreachable)
    assert gone.inbox == [] and bea.inbox == [] and cy.texts() == ["x"]


async def test_rate_limits_map_to_rate_limited_with_the_wait_given_and_a_captcha_line(pair, caplog):
    fake, client = pair
    ana, bea = fake.phone("Ana"), fake.phone("Béa")
    caplog.set_level(logging.DEBUG)
    fake.inject("rate_limit", 2, token="secret-challenge-token", retry_after=120)
    outcome = await client.send([ana.aci, bea.aci], "x")  # -5 with the results in data
    for person in (ana, bea):
        with pytest.raises(CaptchaRequired) as raised:
            outcome.raise_for(person.aci)
        assert raised.value.retry_after == 120 and raised.value.challenge == "secret-challenge-token"
        assert "secret-challenge-token" not in str(raised.value)
    assert [r.getMessage() for r in caplog.records].count(CAPTCHA_LINE) == 1  # once per challenge
    assert "secret-challenge-token" not in caplog.text

    fake.inject("rate_limit", recipient=ana)  # no wait given, no captcha
    outcome = await client.send([ana.aci], "y")
    with pytest.raises(RateLimited) as raised:
        outcome.raise_for(ana.aci)
    assert not isinstance(raised.value, CaptchaRequired) and raised.value.retry_after == DEFAULT_RETRY_AFTER

    fake.inject("error", method="send", code=-5, message="Rate limit exceeded: 413")
    with pytest.raises(RateLimited):
        await client.send([ana.aci], "z")
    assert ana.inbox == [] and bea.inbox == []


async def test_io_untrusted_network_and_user_errors_map_to_the_cores(pair):
    fake, client = pair
    ana = fake.phone("Ana")
    fake.inject("error", method="send", code=-3, message="Failed to connect")
    with pytest.raises(Transient):
        await client.send([ana.aci], "x")
    fake.inject("untrusted", recipient=ana)
    outcome = await client.send([ana.aci], "x")
    with pytest.raises(UntrustedIdentity):
        outcome.raise_for(ana.aci)
    assert issubclass(UntrustedIdentity, Unreachable)
    fake.inject("network", recipient=ana)
    with pytest.raises(Transient):
        (await client.send([ana.aci], "x")).raise_for(ana.aci)
    with pytest.raises(Rejected):  # an empty message: a bug of the bot, not worth retrying
        await client.send([ana.aci], "")
    with pytest.raises(Rejected):
        await client.send([], "x")
    with pytest.raises(Rejected):  # an unknown attachment id
        await client.get_attachment("nope")
    assert ana.inbox == []


async def test_a_send_to_several_can_partly_fail_and_says_who(pair):
    fake, client = pair
    ana, bea, cy = fake.phone("Ana", shares_number=True), fake.phone("Béa"), fake.phone("Cy")
    fake.inject("network", recipient=bea)
    outcome = await client.send([ana.aci, bea.aci, cy.aci], "Bonsoir")
    assert sorted(outcome.delivered) == sorted([ana.aci, cy.aci])
    assert list(outcome.failures) == [bea.aci] and isinstance(outcome.failures[bea.aci], Transient)
    outcome.raise_for(ana.aci)  # nothing to raise for those who got it
    assert ana.texts() == cy.texts() == ["Bonsoir"] and bea.texts() == []
    assert ana.number.lstrip("+") not in repr(outcome)  # the daemon gave it; it is not kept


async def test_replies_edits_deletes_and_attachments_go_out_as_signal_cli_takes_them(pair):
    fake, client = pair
    ana = fake.phone("Ana")
    first = await client.send([ana.aci], "v1")
    stamp = await ana.send("une réponse")
    reply = await client.send([ana.aci], "Re", quote=(stamp, ana.aci))
    assert fake.bot_message(ana, reply.timestamp).quote == (stamp, ana.aci)
    second = await client.send([ana.aci], "v2", edit_of=first.timestamp)
    await client.send([ana.aci], "v3", edit_of=second.timestamp)
    assert ana.texts()[0] == "v3" and ana.ignored == []
    photo = await client.send([ana.aci], "", attachments=[data_uri(b"\x89PNG", "image/png", "a.png")])
    assert fake.bot_message(ana, photo.timestamp).attachments == [("image/png", b"\x89PNG")]
    deleted = await client.remote_delete([ana.aci], reply.timestamp)
    assert deleted.delivered == [ana.aci]
    assert [m.text for m in ana.received()] == ["v3", ""]


async def test_envelopes_become_typed_events_keyed_on_the_aci(pair):
    fake, client = pair
    ana = fake.phone("Ana", shares_number=True)
    bot = await client.send([ana.aci], "Bienvenue")
    events = client.events()

    async def nxt():
        return await asyncio.wait_for(events.__anext__(), 5)

    text = await ana.send("Allo")
    assert await nxt() == Received(ana.aci, text, "Allo")
    reply = await ana.send("Oui", quote=bot.timestamp)
    assert (await nxt()).quote == Quote(bot.timestamp, fake.aci)
    await ana.send_photo(b"\xff\xd8photo", "regarde")
    photo = await nxt()
    assert photo.text == "regarde" and photo.attachments[0].content_type == "image/jpeg"
    assert await client.get_attachment(photo.attachments[0].id) == b"\xff\xd8photo"
    second = await ana.edit(text, "Allô")
    third = await ana.edit(text, "Allô !")
    assert await nxt() == Edited(ana.aci, second, text, Received(ana.aci, second, "Allô"))
    assert await nxt() == Edited(ana.aci, third, second, Received(ana.aci, third, "Allô !"))  # edit of an edit
    removal = await ana.delete(reply)
    assert await nxt() == Deleted(ana.aci, removal, reply)
    await ana.receipt(bot.timestamp)
    await ana.typing()
    reaction = await ana.react(bot.timestamp, "👍")
    assert await nxt() == Reacted(ana.aci, reaction, "👍", fake.aci, bot.timestamp)  # receipts, typing: nothing
    await ana.unreadable()
    assert await nxt() == Unreadable(ana.aci, "ProtocolInvalidMessageException")
    assert client.stats.ignored == 2
    for event in (photo,):
        assert ana.number not in repr(event) and "Ana" not in repr(event) and "IMG_0042" not in repr(event)


def test_malformed_or_foreign_notifications_give_no_event():
    aci = "0b5f2c2e-95a4-4a43-9d0b-3a1f1c1d0e0f"
    cases = [
        None,
        [],
        {"envelope": "x"},
        {"envelope": {"sourceUuid": "+15551234567", "dataMessage": {"timestamp": 5, "message": "x"}}},
        {"envelope": {"sourceUuid": aci, "dataMessage": {"timestamp": "5", "message": "x"}}},
        {"envelope": {"sourceUuid": aci, "dataMessage": {"timestamp": 5, "message": None}}},
        {"envelope": {"sourceUuid": aci, "dataMessage": {"timestamp": 5, "message": "x", "groupInfo": {}}}},
        {"envelope": {"sourceUuid": aci, "editMessage": {"targetSentTimestamp": True, "dataMessage": {}}}},
        {"envelope": {"sourceUuid": aci, "syncMessage": {"sentMessage": {"message": "x"}}}},
        {"envelope": {"sourceUuid": aci, "dataMessage": {"timestamp": 5, "reaction": {"emoji": 1}}}},
    ]
    for params in cases:
        assert parse_receive(params) is None, params
    long_text = {
        "envelope": {
            "sourceUuid": aci.upper(),
            "dataMessage": {
                "timestamp": 9,
                "message": "a long text",
                "expiresInSeconds": 3600,
                "attachments": [{"contentType": "text/x-signal-plain", "id": "t.txt", "size": 3000}],
            },
        }
    }
    assert parse_receive({"subscription": 0, "result": long_text}) == Received(aci, 9, "a long text", expires_in=3600)
    sticker = {"envelope": {"sourceUuid": aci, "dataMessage": {"timestamp": 9, "message": None, "sticker": {}}}}
    assert parse_receive(sticker) == Received(aci, 9, None, sticker=True)
    voice = {
        "sourceUuid": aci,
        "dataMessage": {"timestamp": 9, "attachments": [{"contentType": "audio/aac", "id": "v"}]},
    }
    assert parse_receive({"envelope": voice}).attachments == (Attachment("v", "audio/aac"),)


async def test_a_hostile_daemon_line_changes_nothing(pair):
    fake, client = pair
    garbage = [b"not json\n", b"[1,2]\n", b'{"jsonrpc":"2.0","result":{},"id":999}\n', b'{"method":"callEvent"}\n']
    for line in garbage:
        client._dispatch(line)
    assert client.stats.ignored == len(garbage)
    assert await client.version() == "0.13.19"


async def test_manual_receive_mode_subscribes_and_subscribes_again_after_a_reconnect():
    fake = FakeSignal(receive_mode="manual")
    host, port = await fake.serve()
    ana = fake.phone("Ana")
    waiting = await ana.send("écrit avant")
    client = await SignalRpc(host, port, subscribe=True, backoff=FAST).start(wait=5)
    try:
        assert (await next_event(client)).timestamp == waiting
        await fake.drop_connections()
        await fake.wait_for(lambda: fake.counts["subscribeReceive"] == 2)
        after = await ana.send("écrit après")
        assert (await next_event(client)).timestamp == after
        assert fake.lost == []
    finally:
        await client.close()
        await fake.stop()


async def test_a_multi_account_daemon_gets_the_account_in_each_request():
    fake = FakeSignal(account=None, accounts=("+15550100199", "+15550100200"))
    host, port = await fake.serve()
    ana = fake.phone("Ana")
    client = await SignalRpc(host, port, account="+15550100199", backoff=FAST).start(wait=5)
    try:
        assert (await client.send([ana.aci], "x")).delivered == [ana.aci]
        assert fake.calls[-1].params["account"] == "+15550100199"
        assert await client.version() == "0.13.19" and "account" not in fake.calls[-1].params
    finally:
        await client.close()
        await fake.stop()


async def test_logs_carry_no_number_aci_name_text_or_token(pair, caplog):
    fake, client = pair
    caplog.set_level(logging.DEBUG)
    ana, bea = fake.phone("Ana", shares_number=True), fake.phone("Béatrice")
    secrets_ = [ana.number, bea.number, ana.aci, bea.aci, fake.aci, fake.account, "Ana", "Béatrice"]
    await client.send([ana.aci, bea.aci], "texte très privé")
    await ana.send("confidence intime")
    await next_event(client)
    fake.inject("rate_limit", token="captcha-token-xyz", retry_after=5)
    await client.send([ana.aci], "encore")
    fake.inject("error", method="send", code=-1, message=f"Invalid phone number '{bea.number}': bad")
    with pytest.raises(Rejected):
        await client.send([bea.aci], "x")
    with pytest.raises(Unreachable):
        await client.send(["+15559999999"], "x")  # its answer names the number
    fake.inject("drop", method="send")
    with pytest.raises(Transient):
        await client.send([ana.aci], "y")
    await fake.wait_for(lambda: fake.connections == 1)  # in on-start mode, what comes before is lost
    await ana.unreadable()
    await next_event(client)
    assert await client.version()
    assert caplog.records  # something was said: connections, refusals, the captcha line
    for secret in [
        *secrets_,
        "+15559999999",
        "5559999999",
        "texte très privé",
        "confidence intime",
        "captcha-token-xyz",
    ]:
        assert secret.lower() not in caplog.text.lower(), secret


async def test_a_daemon_that_hangs_up_at_once_is_retried_with_growing_delays():
    delays: list[float] = []
    attempts = 0

    async def hangs_up(reader, writer):
        nonlocal attempts
        attempts += 1
        writer.close()

    server = await asyncio.start_server(hangs_up, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]

    class Recorded(Backoff):
        def delay(self, attempt, rng=None):
            delays.append(super().delay(attempt))
            return delays[-1]

    client = SignalRpc("127.0.0.1", port, backoff=Recorded(initial=0.001, maximum=0.004, jitter=0.0))
    await client.start()
    try:
        await until(lambda: len(delays) >= 4)
        assert delays[:4] == [0.002, 0.004, 0.004, 0.004]  # never back to the first delay
        with pytest.raises(Transient):
            client.connect_wait = 0.05
            await client.version()
    finally:
        await client.close()
        server.close()
        await server.wait_closed()


async def test_a_solved_captcha_lifts_the_rate_limit_and_a_refused_one_is_said_so(pair):
    fake, client = pair
    ana = fake.phone("Ana")
    fake.inject("rate_limit", 100, token="challenge-1", retry_after=3600)
    with pytest.raises(CaptchaRequired) as raised:
        (await client.send([ana.aci], "x")).raise_for(ana.aci)
    fake.inject("error", method="submitRateLimitChallenge", code=-6, message="Captcha rejected")
    with pytest.raises(Rejected):
        await client.submit_challenge(raised.value.challenge, "solved-captcha")
    await client.submit_challenge(raised.value.challenge, "solved-captcha")
    assert fake.challenges_submitted == 1
    (await client.send([ana.aci], "enfin")).raise_for(ana.aci)
    assert ana.texts() == ["enfin"]


async def test_long_texts_come_whole_and_the_accounts_own_sync_messages_give_nothing(pair):
    fake, client = pair
    ana = fake.phone("Ana")
    await fake.sync_sent(ana, "écrit depuis le téléphone du groupe")
    long = "é" * 1500  # 3000 bytes: sent as a long-text attachment
    stamp = await ana.send(long)
    assert await next_event(client) == Received(ana.aci, stamp, long)
    assert client.stats.ignored == 1


async def test_a_daemon_in_its_default_mode_with_a_subscription_tells_each_event_once():
    """In the default receive mode signal-cli pushes every event and also answers a
    subscription: each message must still reach the core once, never be relayed twice."""
    fake = FakeSignal()
    host, port = await fake.serve()
    client = await SignalRpc(host, port, subscribe=True, backoff=FAST).start(wait=5)
    try:
        await fake.wait_for(lambda: fake.counts["subscribeReceive"] == 1)
        ana = fake.phone("Ana")
        first = await ana.send("un")
        second = await ana.send("deux")
        got = [await next_event(client), await next_event(client)]
        assert [e.timestamp for e in got] == [first, second]
        with pytest.raises(asyncio.TimeoutError):
            await next_event(client, timeout=0.5)
        assert client.stats.duplicates == 2 and client.stats.events == 2
    finally:
        await client.close()
        await fake.stop()
