"""The Telegram adapter (python-telegram-bot): the only place, with `handlers/` and the
sandbox, that imports `telegram`."""
