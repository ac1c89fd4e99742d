"""The one onboarding driver: a phone walks through the welcome as a person does.

Each button is pressed once it is shown, found by what it means (`ob:c:fr:`), whether
the bot sealed it for the chat or not; a token or code after it need not be named. In
the in-process harness `settle` runs the bot between presses (`Harness.pump`); over
HTTP or in the sandbox the bot runs on its own and the driver waits for each button.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.core.buttons import plain

DONE = {"fr": "C'est fait", "en": "All set"}


def _welcomed(phone) -> bool:
    return any(data and plain(data).startswith("ob:") for m in phone.received() for _, data in phone.buttons(m))


def shown(phone, wanted: str):
    """The newest message showing a button that means `wanted`, and that button's data."""
    for message in reversed(phone.received()):
        for _, data in phone.buttons(message):
            if data and (plain(data) == wanted or plain(data).startswith(wanted + ":")):
                return message, data
    return None


async def onboard(
    phone,
    locale: str = "fr",
    *,
    code: str | None = None,
    consents: tuple[int, ...] = (),
    settle: Callable[[], Awaitable[None]] | None = None,
    timeout: float = 10.0,
) -> None:
    """Language (when the phone's is the other one), charter, age (14 or more), the
    optional consents given by their bits, done. `code`: a facilitator invitation."""
    suffix = code or ""

    async def press(wanted: str) -> None:
        if settle is not None:
            found = shown(phone, wanted)
            assert found is not None, f"no button {wanted!r} shown"
        else:
            found = await phone.wait_for(lambda p: shown(p, wanted), timeout)
        await phone.press(*found)
        if settle is not None:
            await settle()

    await phone.start(code)
    if settle is not None:
        await settle()
    else:
        await phone.wait_for(_welcomed, timeout)
    if shown(phone, f"ob:c:{locale}:{suffix}") is None:
        await press(f"ob:l:{locale}:{suffix}")  # the other language, one tap away
    await press(f"ob:c:{locale}:{suffix}")
    await press(f"ob:a:{locale}:1:{suffix}")
    bits = 0
    for bit in consents:
        await press(f"ob:t:{locale}:{bits}:{bit}:{suffix}")
        bits ^= bit
    await press(f"ob:d:{locale}:{bits}:{suffix}")
    if settle is None:
        await phone.wait_text(DONE[locale], timeout)
