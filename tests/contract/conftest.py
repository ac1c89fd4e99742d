"""The adapters under the contract: each fixture builds one transport and the few powers a
test needs over the people on the other side (make a person, read what they see, press,
send media to the bot, block the bot, inject a fault). A new adapter (Signal) joins the
suite with one more `_<name>` builder in `ADAPTERS`: Signal joins through the fake
signal-cli daemon, and the router over Telegram and Signal at once (people alternate
between the two). What a transport can do is asked per chat (`capabilities_for`): behind
the router, two people may be on two messengers."""

from __future__ import annotations

import io
import itertools
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace

import pytest
from PIL import Image

from bot.ports.choices import ChoiceBook, NumberedChoices
from bot.ports.refs import ChatRef, Media, MessageRef
from bot.ports.transport import Transport


@dataclass
class Seen:
    """A message as the person sees it."""

    text: str | None
    labels: list[str]
    protected: bool
    reply_to: str | None
    has_media: bool
    forwarded: bool


@dataclass
class Side:
    """One adapter, and what a test can do on the people's side of it."""

    name: str
    transport: Transport  # what the core talks to: the adapter inside NumberedChoices
    book: ChoiceBook
    person: Callable[[], Awaitable[ChatRef]]
    seen: Callable[[MessageRef], Seen | None]  # None once deleted
    notices: Callable[[ChatRef], list[str]]
    last_text: Callable[[ChatRef], str | None]  # of the latest message the bot sent there
    press: Callable[[MessageRef, int], Awaitable[str]]  # a button's index -> the press id
    member_sends: Callable[[ChatRef, str, bytes], Awaitable[Media]]  # kind ("photo", "voice"), bytes
    block: Callable[[ChatRef], None]
    fail: Callable[[str, ChatRef], None]  # "rate" or "server", once, for that chat


def jpeg(size: int = 8) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (size, size), (120, 160, 200)).save(out, format="JPEG")
    return out.getvalue()


class _Clock:
    def __init__(self) -> None:
        self.current = 1_795_000_000.0

    def now(self) -> float:
        return self.current


# --------------------------------------------------------------------------- Telegram
async def _telegram(buttons: bool = True):
    from telegram import Bot, Message

    from bot.sandbox.fake_telegram import FakeTelegram
    from bot.sandbox.transport import FakeRequest
    from bot.telegram.adapter import CAPABILITIES, TelegramTransport, media_of

    clock = _Clock()
    api = FakeTelegram(clock=clock.now)
    bot = Bot(api.token, base_url="http://fake.invalid/bot", request=FakeRequest(api))
    await bot.initialize()
    adapter = TelegramTransport(bot, None, CAPABILITIES if buttons else replace(CAPABILITIES, buttons=False))
    book = ChoiceBook(clock)
    users = itertools.count(6_100_000_001, 7_919)

    async def person() -> ChatRef:
        user_id = next(users)
        phone = api.phone(user_id, "Personne")
        phone.started = True
        return ChatRef("telegram", str(user_id))

    def _message(ref: MessageRef) -> dict | None:
        return api.messages.get((int(ref.chat.id), int(ref.id)))

    def seen(ref: MessageRef) -> Seen | None:
        message = _message(ref)
        if message is None:
            return None
        rows = message.get("reply_markup", {}).get("inline_keyboard", [])
        return Seen(
            text=message.get("text", message.get("caption")),
            labels=[b["text"] for row in rows for b in row],
            protected=bool(message.get("has_protected_content")),
            reply_to=str(message["reply_to_message"]["message_id"]) if "reply_to_message" in message else None,
            has_media=any(k in message for k in ("photo", "voice", "video", "document", "sticker", "animation")),
            forwarded="forward_origin" in message,
        )

    def notices(chat: ChatRef) -> list[str]:
        return [n["text"] for n in api.phones[int(chat.id)].notices]

    def last_text(chat: ChatRef) -> str | None:
        inbox = api.phones[int(chat.id)].inbox
        return inbox[-1].get("text") if inbox else None

    async def press(ref: MessageRef, index: int) -> str:
        message = _message(ref)
        assert message is not None
        button = [b for row in message["reply_markup"]["inline_keyboard"] for b in row][index]
        return await api.phones[int(ref.chat.id)].press(message, button["callback_data"])

    async def member_sends(chat: ChatRef, kind: str, data: bytes) -> Media:
        phone = api.phones[int(chat.id)]
        sent = await (phone.send_photo(data) if kind == "photo" else phone.send_media(kind, data))
        message = sent.get("message", sent)
        media = media_of(Message.de_json(message, bot))
        assert media is not None
        return media

    def block(chat: ChatRef) -> None:
        api.phones[int(chat.id)].block()

    def fail(kind: str, chat: ChatRef) -> None:
        if kind == "rate":
            api.inject(429, chat_id=int(chat.id), retry_after=3)
        else:
            api.inject(500, chat_id=int(chat.id))

    side = Side(
        "telegram" if buttons else "telegram-numbered",
        NumberedChoices(adapter, book),
        book,
        person,
        seen,
        notices,
        last_text,
        press,
        member_sends,
        block,
        fail,
    )
    return side, bot.shutdown


# --------------------------------------------------------------------------- memory
async def _memory(buttons: bool = True):
    from bot.sandbox.memory import WITH_BUTTONS, WITHOUT_BUTTONS, MemoryTransport

    clock = _Clock()
    fake = MemoryTransport(WITH_BUTTONS if buttons else WITHOUT_BUTTONS, clock=clock.now)
    book = ChoiceBook(clock)

    async def person() -> ChatRef:
        return fake.person().chat

    def seen(ref: MessageRef) -> Seen | None:
        shown = fake.messages.get(ref)
        if shown is None or shown.deleted:
            return None
        return Seen(
            text=shown.text,
            labels=shown.labels,
            protected=shown.protected,
            reply_to=shown.reply_to.id if shown.reply_to else None,
            has_media=shown.photo is not None or shown.media is not None or shown.document is not None,
            forwarded=False,  # the memory transport has no forward at all
        )

    def notices(chat: ChatRef) -> list[str]:
        return [text for text, _ in fake.people[chat].notices]

    def last_text(chat: ChatRef) -> str | None:
        return fake.people[chat].last().text

    async def press(ref: MessageRef, index: int) -> str:
        return fake.press(ref, fake.messages[ref].labels[index])

    async def member_sends(chat: ChatRef, kind: str, data: bytes) -> Media:
        media = fake.member_sends(chat, None, data=data).media
        assert media is not None
        return media

    def block(chat: ChatRef) -> None:
        fake.people[chat].blocked = True

    def fail(kind: str, chat: ChatRef) -> None:
        fake.fail(kind, chat)

    async def nothing() -> None:
        return None

    side = Side(
        "memory" if buttons else "memory-numbered",
        NumberedChoices(fake, book),
        book,
        person,
        seen,
        notices,
        last_text,
        press,
        member_sends,
        block,
        fail,
    )
    return side, nothing


# --------------------------------------------------------------------------- Signal
async def _signal():
    import asyncio

    from bot.sandbox.fake_signal import FakeSignal
    from bot.signal.adapter import SignalTransport
    from bot.signal.envelopes import Received
    from bot.signal.rpc import SignalRpc

    clock = _Clock()
    daemon = FakeSignal(clock=clock.now)
    host, port = await daemon.serve()
    rpc = await SignalRpc(host, port, timeout=10).start(wait=5)
    adapter = SignalTransport(rpc, account=daemon.account, clock=clock.now)
    book = ChoiceBook(clock)
    events = rpc.events()

    async def person() -> ChatRef:
        return ChatRef("signal", daemon.phone("Personne").aci)

    def _message(ref: MessageRef):
        return daemon.sent.get((ref.chat.id, int(ref.id)))

    def seen(ref: MessageRef) -> Seen | None:
        message = _message(ref)
        if message is None or message.deleted:
            return None
        return Seen(
            text=message.text or None,
            labels=[],  # Signal has no buttons
            protected=False,  # nor any protection
            reply_to=str(message.quote[0]) if message.quote else None,
            has_media=bool(message.attachments),
            forwarded=False,  # nor forwards: everything the bot sends is its own message
        )

    def notices(chat: ChatRef) -> list[str]:
        return []  # no toasts: NumberedChoices sends notices as messages

    def last_text(chat: ChatRef) -> str | None:
        received = daemon.phones[chat.id].received()
        return received[-1].text if received else None

    async def press(ref: MessageRef, index: int) -> str:
        raise AssertionError("Signal has no buttons to press")

    async def member_sends(chat: ChatRef, kind: str, data: bytes) -> Media:
        mime = "image/jpeg" if kind == "photo" else "audio/aac"
        await daemon.phones[chat.id].send(None, attachments=[(data, mime)])
        event = await asyncio.wait_for(anext(events), 5)
        assert isinstance(event, Received) and event.attachments
        return adapter.media_of(event.author, event.timestamp, event.attachments[0])

    def block(chat: ChatRef) -> None:
        daemon.phones[chat.id].registered = False  # what the bot can tell: they are gone from Signal

    def fail(kind: str, chat: ChatRef) -> None:
        if kind == "rate":
            daemon.inject("rate_limit", recipient=chat.id, retry_after=3)
        else:
            daemon.inject("network", recipient=chat.id)

    async def close() -> None:
        await adapter.close()
        await rpc.close()
        await daemon.stop()

    side = Side(
        "signal",
        NumberedChoices(adapter, book),
        book,
        person,
        seen,
        notices,
        last_text,
        press,
        member_sends,
        block,
        fail,
    )
    side.daemon = daemon  # type: ignore[attr-defined]
    return side, close


# --------------------------------------------------------------------------- a router
async def _router():
    """Telegram (through the fake Bot API) and Signal (through the fake daemon) behind one
    router: people alternate between the two, as in a mixed room."""
    from bot.ports.router import TransportRouter

    telegram, close_telegram = await _telegram(True)
    signal, close_signal = await _signal()
    sides = {"telegram": telegram, "signal": signal}
    router = TransportRouter({name: s.transport.inner for name, s in sides.items()})  # type: ignore[attr-defined]
    book = ChoiceBook(_Clock())
    turn = itertools.cycle(["telegram", "signal"])

    async def person() -> ChatRef:
        return await sides[next(turn)].person()

    def of(ref) -> Side:
        return sides[ref.transport]

    async def press(ref: MessageRef, index: int) -> str:
        return await of(ref).press(ref, index)

    async def member_sends(chat: ChatRef, kind: str, data: bytes) -> Media:
        return await of(chat).member_sends(chat, kind, data)

    async def close() -> None:
        await close_signal()
        await close_telegram()

    side = Side(
        "router",
        NumberedChoices(router, book),
        book,
        person,
        lambda ref: of(ref).seen(ref),
        lambda chat: of(chat).notices(chat),
        lambda chat: of(chat).last_text(chat),
        press,
        member_sends,
        lambda chat: of(chat).block(chat),
        lambda kind, chat: of(chat).fail(kind, chat),
    )
    return side, close


ADAPTERS = {
    "telegram": lambda: _telegram(True),
    "telegram-numbered": lambda: _telegram(False),
    "memory": lambda: _memory(True),
    "memory-numbered": lambda: _memory(False),
    "signal": _signal,
    "router": _router,
}


@pytest.fixture(params=sorted(ADAPTERS))
async def side(request):
    built, close = await ADAPTERS[request.param]()
    yield built
    await close()
