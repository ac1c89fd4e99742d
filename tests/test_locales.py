"""Every message exists in French and English, with the same placeholders."""

import re
from pathlib import Path

from bot.core.i18n import LOCALES, Translator, negotiate, placeholders
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
    fr_plural, en_plural = t.full["fr"].plurals, t.full["en"].plurals
    assert set(fr_plural) == set(en_plural), set(fr_plural) ^ set(en_plural)
    assert not set(fr_plural) & set(fr), "a key is either plain or plural"
    for key in fr_plural:
        forms = fr_plural[key] + en_plural[key]
        assert len(fr_plural[key]) == t.full["fr"].num_plurals and len(en_plural[key]) == t.full["en"].num_plurals
        assert all(form.strip() for form in forms), key
        assert all(placeholders(form) == placeholders(forms[0]) for form in forms), key
        assert "count" in placeholders(forms[0]), key


def test_plural_forms_follow_each_language():
    """French: 0 and 1 are singular (« 0 place libre »); English: only 1 (“0 places left”)."""
    t = Translator()
    fr = [t.plural("fr", "rooms.line", n, id=3, theme="Deuil") for n in (0, 1, 2, 12)]
    en = [t.plural("en", "rooms.line", n, id=3, theme="Grief") for n in (0, 1, 2, 12)]
    assert [line.rsplit("— ", 1)[1] for line in fr] == [
        "0 place libre",
        "1 place libre",
        "2 places libres",
        "12 places libres",
    ]
    assert [line.rsplit("— ", 1)[1] for line in en] == [
        "0 places left",
        "1 place left",
        "2 places left",
        "12 places left",
    ]
    assert t.plural("fr", "checkins.summary", 1, average="3,0").startswith("1 réponse,")
    assert t.plural("en", "privacy.forgotten", 1).count("1 copy of your recent messages is being removed") == 1
    assert t.plural("fr", "moderation.announce_done", 0, theme="x").endswith("(0 personne).")


def test_every_key_used_in_the_code_exists():
    t = Translator()
    used = set()
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(
                re.findall(
                    r'"((?:common|onboarding|consent|invite|help|language|rooms|relay|moderation|menu)\.[a-z_]+)"',
                    path.read_text(),
                )
            )
    used |= {f"consent.{purpose}" for purpose, _ in OPTIONAL}
    used |= {f"relay.refused_{k}" for k in ("document", "audio", "contact", "location", "poll")}
    used |= {"relay.kind_sticker", "relay.kind_video_note"}
    page = (ROOT / "bot" / "sandbox" / "static" / "app.js").read_text()
    used |= set(re.findall(r'T\["(sandbox\.[a-z_]+)"\]', page))
    used |= {
        f"sandbox.kind_{kind}" for kind in ("sticker", "voice", "document", "video", "animation", "audio", "video_note")
    }
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
    from bot.telegram.menus import FACILITATOR_COMMANDS, MEMBER_COMMANDS, menu

    t = Translator()
    for locale in LOCALES:
        for name, text in menu(MEMBER_COMMANDS + FACILITATOR_COMMANDS, locale, t):
            assert re.fullmatch(r"[a-z0-9_]{1,32}", name)
            assert 3 <= len(text) <= 256
