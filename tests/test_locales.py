"""Every message exists in French and English, with the same placeholders."""

import re
from pathlib import Path

from bot.i18n import LOCALES, Translator, negotiate, placeholders
from bot.services.onboarding import OPTIONAL
from bot.services.relay import REFUSED

ROOT = Path(__file__).resolve().parents[1]


def test_both_catalogs_have_the_same_keys_and_placeholders():
    t = Translator()
    fr, en = t.catalogs["fr"], t.catalogs["en"]
    assert set(fr) == set(en), set(fr) ^ set(en)
    for key in fr:
        assert fr[key].strip() and en[key].strip(), key
        assert placeholders(fr[key]) == placeholders(en[key]), key


def test_every_key_used_in_the_code_exists():
    t = Translator()
    used = set()
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(re.findall(r'"((?:common|onboarding|consent|invite|help|language|rooms|relay|moderation|menu)\.[a-z_]+)"',
                                   path.read_text()))
    used |= {f"consent.{purpose}" for purpose, _ in OPTIONAL}
    used |= {f"relay.refused_{k}" for k in ("document", "audio", "contact", "location", "poll")}
    used |= {"relay.kind_sticker", "relay.kind_video_note"}
    page = (ROOT / "bot" / "sandbox" / "static" / "app.js").read_text()
    used |= set(re.findall(r'T\["(sandbox\.[a-z_]+)"\]', page))
    used |= {f"sandbox.kind_{kind}" for kind in ("sticker", "voice", "document", "video", "animation", "audio", "video_note")}
    for locale in LOCALES:
        missing = used - t.keys(locale)
        assert not missing, (locale, missing)
    assert REFUSED


def test_negotiation_prefers_stored_then_telegram_then_french():
    assert negotiate("en", "fr") == "en"
    assert negotiate(None, "en-CA") == "en"
    assert negotiate(None, "es") == "fr"
    assert negotiate(None, None) == "fr"


def test_menus_fit_telegram_rules():
    from bot.commands import FACILITATOR_COMMANDS, MEMBER_COMMANDS, menu

    t = Translator()
    for locale in LOCALES:
        for name, text in menu(MEMBER_COMMANDS + FACILITATOR_COMMANDS, locale, t):
            assert re.fullmatch(r"[a-z0-9_]{1,32}", name)
            assert 3 <= len(text) <= 256
