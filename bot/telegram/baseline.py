"""The Telegram pieces the benchmarks need (`bot/bench/` itself imports no `telegram`):
a bare python-telegram-bot send loop, the yardstick the bot's overhead is measured
against, and PTB's stock rate limiter for the FIFO comparison."""

from __future__ import annotations

import asyncio
import time

from telegram import Bot
from telegram.ext import AIORateLimiter


async def bare_send_rate(token: str, base_url: str, chat_ids: list[int], messages: int) -> float:
    """Messages a second a plain PTB loop sends, `messages` to each chat, all chats at once."""
    bot = Bot(token, base_url=base_url)
    async with bot:
        started = time.perf_counter()

        async def loop(chat_id: int) -> None:
            for i in range(messages):
                await bot.send_message(chat_id, f"Pseudo : message {i}", protect_content=True)

        await asyncio.gather(*(loop(chat_id) for chat_id in chat_ids))
        return len(chat_ids) * messages / (time.perf_counter() - started)


def stock_rate_limiter(max_retries: int = 5) -> AIORateLimiter:
    """PTB's own AIORateLimiter (one FIFO queue, no priorities)."""
    return AIORateLimiter(max_retries=max_retries)
