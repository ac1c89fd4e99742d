"""Logging that never carries ids, names, texts or the token (privacy rule 7)."""

from __future__ import annotations

import logging
import re

# Long digit runs (Telegram ids, phone numbers, Signal timestamps), UUIDs (Signal ACIs)
# and bot-token shapes.
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_TOKEN = re.compile(r"\b\d{5,}:[A-Za-z0-9_-]{20,}\b")
_DIGITS = re.compile(r"\d{6,}")
_BOT_URL = re.compile(r"/bot[^/\s]+/")


def redact(text: str) -> str:
    text = _TOKEN.sub("[token]", text)
    text = _BOT_URL.sub("/bot[token]/", text)
    text = _UUID.sub("[id]", text)
    return _DIGITS.sub("[n]", text)


class RedactingFilter(logging.Filter):
    """Rewrites every record's final message with `redact`."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.name.startswith("telegram") and record.args:
            # python-telegram-bot may quote what it received (a whole update, with names,
            # usernames and text, when it cannot parse one): only numbers pass.
            def keep(value):
                return value if isinstance(value, (int, float)) else "[withheld]"

            if isinstance(record.args, dict):
                record.args = {key: keep(value) for key, value in record.args.items()}
            else:
                args = record.args if isinstance(record.args, tuple) else (record.args,)
                record.args = tuple(keep(value) for value in args)
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            # Keep the exception type, drop its message and locals.
            message += f" ({type(record.exc_info[1]).__name__})"
            record.exc_info = None
            record.exc_text = None
        record.msg = redact(message)
        record.args = ()
        return True


def setup_logging(level: int = logging.INFO) -> None:
    root = logging.getLogger()
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactingFilter())
    root.handlers[:] = [handler]
    root.setLevel(level)
    install_filter()


def install_filter() -> None:
    """Silence chatty libraries: httpx logs the token at INFO; PTB and aiosqlite log
    parameters (texts, names, ids) at DEBUG, so they never go below INFO, whatever the root level."""
    logging.getLogger("telegram").setLevel(logging.INFO)
    logging.getLogger("aiosqlite").setLevel(logging.WARNING)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    logging.getLogger("tornado.access").setLevel(logging.ERROR)  # the webhook server's request lines
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(RedactingFilter())
