"""The operator's language, and every string the command line shows in it (catalog keys `cli.*`)."""

from __future__ import annotations

import os
from collections.abc import Mapping

from bot.core.i18n import Translator


def operator_locale(env: Mapping[str, str] | None = None) -> str:
    """The operator's language, as POSIX looks for it: LC_ALL, LC_MESSAGES, then LANG."""
    env = os.environ if env is None else env
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = (env.get(name) or "").strip()
        if value:
            return "fr" if value.lower().startswith("fr") else "en"
    return "en"


class Say:
    """Every string the CLI shows, in the operator's language (catalog keys `cli.*`)."""

    def __init__(self, locale: str | None = None, translator: Translator | None = None) -> None:
        self.locale = locale or operator_locale()
        self.t = translator or Translator()

    def __call__(self, key: str, **params: object) -> str:
        return self.t(self.locale, f"cli.{key}", **params)

    def plural(self, key: str, count: int, **params: object) -> str:
        return self.t.plural(self.locale, f"cli.{key}", count, **params)
