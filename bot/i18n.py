"""Message catalogs (gettext .po files under locales/, read with Babel).

Message ids are stable keys (``rooms.joined``); French is the default language.
"""

from __future__ import annotations

from importlib import resources
from string import Formatter

from babel.messages.pofile import read_po

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
DOMAIN = "entraide"


def negotiate(stored: str | None, telegram_code: str | None) -> str:
    """The member's stored choice, else Telegram's language_code, else French."""
    if stored in LOCALES:
        return stored
    if telegram_code:
        base = telegram_code.split("-")[0].split("_")[0].lower()
        if base in LOCALES:
            return base
    return DEFAULT_LOCALE


def load_catalog(locale: str) -> dict[str, str]:
    path = resources.files("locales") / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    return {str(m.id): str(m.string) for m in catalog if m.id and m.string}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


class Translator:
    """Looks up a key in the member's language and fills its placeholders."""

    def __init__(self, catalogs: dict[str, dict[str, str]] | None = None) -> None:
        self.catalogs = catalogs or {locale: load_catalog(locale) for locale in LOCALES}

    def __call__(self, locale: str, key: str, **params: object) -> str:
        catalog = self.catalogs.get(locale) or self.catalogs[DEFAULT_LOCALE]
        text = catalog.get(key) or self.catalogs[DEFAULT_LOCALE].get(key)
        if text is None:
            raise KeyError(f"missing message {key!r}")
        return text.format(**params) if params else text

    def keys(self, locale: str) -> set[str]:
        return set(self.catalogs[locale])
