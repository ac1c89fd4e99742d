"""How updates are taken in: one person's updates in order, different people's at once.

`PerChatUpdateProcessor` extends python-telegram-bot's `BaseUpdateProcessor`. Updates of
one chat (the bot lives in private chats, so one person) run one after the other, in
the order Telegram gave them; updates of different chats run concurrently. One member
sending thirty commands in a row then waits for their own answers, never delays anyone
else's message. Updates without a chat (none the bot asked for) share one queue.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor

MAX_CONCURRENT = 256


def chat_key(update: object) -> int | None:
    if isinstance(update, Update):
        if update.effective_chat is not None:
            return update.effective_chat.id
        if update.effective_user is not None:
            return update.effective_user.id
    return None


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Serialises updates per chat; different chats are processed concurrently."""

    def __init__(self, max_concurrent_updates: int = MAX_CONCURRENT) -> None:
        super().__init__(max_concurrent_updates)
        self._tails: dict[int | None, asyncio.Future] = {}

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:  # type: ignore[misc]
        """PTB's own version takes a concurrency slot first; here the person's place in line
        is taken first (before any await, so arrival order is kept), then the slot: an
        update waiting for its turn holds none."""
        key = chat_key(update)
        previous = self._tails.get(key)
        done = asyncio.get_running_loop().create_future()
        self._tails[key] = done
        started = False
        try:
            if previous is not None:
                await asyncio.shield(previous)
            async with self._semaphore:
                started = True
                await self.do_process_update(update, coroutine)
        finally:
            if not started and hasattr(coroutine, "close"):
                coroutine.close()  # cancelled while waiting its turn (shutdown)
            done.set_result(None)
            if self._tails.get(key) is done:
                del self._tails[key]

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        await coroutine

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
