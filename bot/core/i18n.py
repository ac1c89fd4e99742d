"""Message catalogs (gettext .po files under locales/, read with Babel).

Message ids are stable keys (``rooms.joined``); French is the default language.
A message that depends on a number is a gettext plural entry (``msgid_plural``, one
``msgstr[i]`` per form); its form is chosen by the catalog's ``Plural-Forms`` rule, as
gettext's ``ngettext`` does (French: 0 and 1 are singular; English: only 1).
"""

from __future__ import annotations

import gettext
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from string import Formatter

from babel.dates import format_date, get_day_names
from babel.messages.pofile import read_po

LOCALES = ("fr", "en")
DEFAULT_LOCALE = "fr"
DOMAIN = "entraide"
# Babel (CLDR) locale of each language, for dates, numbers and zone names.
BABEL_LOCALES = {"fr": "fr_CA", "en": "en_CA"}


def negotiate(stored: str | None, telegram_code: str | None) -> str:
    """The member's stored choice, else Telegram's language_code, else French."""
    if stored in LOCALES:
        return stored
    if telegram_code:
        base = telegram_code.split("-")[0].split("_")[0].lower()
        if base in LOCALES:
            return base
    return DEFAULT_LOCALE


@dataclass
class Catalog:
    """One language: plain messages, plural messages (one text per form) and the rule."""

    messages: dict[str, str]
    plurals: dict[str, tuple[str, ...]] = field(default_factory=dict)
    plural_expr: str = "(n != 1)"
    num_plurals: int = 2

    def __post_init__(self) -> None:
        self.form: Callable[[int], int] = gettext.c2py(self.plural_expr)


def read_catalog(locale: str) -> Catalog:
    path = resources.files("locales") / locale / "LC_MESSAGES" / f"{DOMAIN}.po"
    with path.open("rb") as handle:
        catalog = read_po(handle, locale=locale)
    messages, plurals = {}, {}
    for m in catalog:
        if not m.id:
            continue
        if m.pluralizable:
            if isinstance(m.string, (list, tuple)) and all(m.string):
                plurals[str(m.id[0])] = tuple(str(s) for s in m.string)
        elif m.string:
            messages[str(m.id)] = str(m.string)
    return Catalog(messages, plurals, catalog.plural_expr, catalog.num_plurals)


def load_catalog(locale: str) -> dict[str, str]:
    """The plain (non-plural) messages of one language."""
    return read_catalog(locale).messages


def format_day(day: date, locale: str) -> str:
    """A day as people write it: « 30 novembre 2026 », « 1er décembre 2026 », "November 30, 2026"."""
    if locale == "fr":
        text = format_date(day, "d MMMM y", locale=BABEL_LOCALES["fr"])
        return "1er" + text[1:] if day.day == 1 else text
    return format_date(day, "MMMM d, y", locale=BABEL_LOCALES.get(locale, "en_CA"))


def weekday_names(locale: str) -> list[str]:
    """Monday first, in the language (« lundi », "Monday")."""
    names = get_day_names("wide", locale=BABEL_LOCALES.get(locale, BABEL_LOCALES[DEFAULT_LOCALE]))
    return [names[i] for i in range(7)]


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in Formatter().parse(text) if name}


class Translator:
    """Looks up a key in the member's language and fills its placeholders."""

    def __init__(
        self, catalogs: dict[str, dict[str, str]] | None = None, plurals: dict[str, Catalog] | None = None
    ) -> None:
        if catalogs is None:
            full = {locale: read_catalog(locale) for locale in LOCALES}
            catalogs = {locale: c.messages for locale, c in full.items()}
            plurals = plurals or full
        self.catalogs = catalogs
        self.full: dict[str, Catalog] = plurals or {locale: Catalog({}) for locale in catalogs}

    def __call__(self, locale: str, key: str, **params: object) -> str:
        catalog = self.catalogs.get(locale) or self.catalogs[DEFAULT_LOCALE]
        text = catalog.get(key) or self.catalogs[DEFAULT_LOCALE].get(key)
        if text is None:
            if any(key in c.plurals for c in self.full.values()):
                raise KeyError(f"message {key!r} has plural forms: use Translator.plural")
            raise KeyError(f"missing message {key!r}")
        return text.format(**params) if params else text

    def plural(self, locale: str, key: str, count: int, **params: object) -> str:
        """The form of `key` for `count` (its ``{count}`` placeholder), as ngettext chooses it."""
        catalog = self.full.get(locale)
        if catalog is None or key not in catalog.plurals:
            catalog = self.full[DEFAULT_LOCALE]
        forms = catalog.plurals.get(key)
        if forms is None:
            raise KeyError(f"missing plural message {key!r}")
        index = min(catalog.form(abs(int(count))), len(forms) - 1)
        return forms[index].format(count=count, **params)

    def keys(self, locale: str) -> set[str]:
        """Every key of one language, plural ones included."""
        return set(self.catalogs[locale]) | set(self.full[locale].plurals if locale in self.full else ())
