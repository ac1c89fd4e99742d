"""The catalogs read like typeset French: no (s), no breakable space before high punctuation,
phone numbers that never break (the rules and their source: locales/typography.py)."""

import shutil
import subprocess
import sys

from bot.core.i18n import LOCALES, Translator
from locales.typography import NBHYPHEN, NBSP, NNBSP, catalog_paths, check, fix_file, fix_text, messages, problems


def every_text(t: Translator, locale: str) -> list[str]:
    return list(t.catalogs[locale].values()) + [form for forms in t.full[locale].plurals.values() for form in forms]


def test_catalogs_have_no_plain_space_before_high_punctuation_and_no_s_in_parentheses():
    assert check() == []
    t = Translator()
    for locale in LOCALES:
        for text in every_text(t, locale):
            assert "(s)" not in text and "(ies)" not in text, text
            assert problems(text, locale) == [], (locale, text)
            if locale == "fr":
                for mark in ";!?":
                    assert f" {mark}" not in text and f"{NBSP}{mark}" not in text, text
                assert " :" not in text and "« " not in text and " »" not in text, text


def test_the_rules_of_the_fixer():
    # Narrow no-break space before ; ! ?, no-break space before : and inside guillemets.
    assert fix_text("Bienvenue ! Ça va ? Oui ; merci", "fr") == f"Bienvenue{NNBSP}! Ça va{NNBSP}? Oui{NNBSP}; merci"
    assert fix_text("« Pommier stable » : bonjour", "fr") == f"«{NBSP}Pommier stable{NBSP}»{NBSP}: bonjour"
    assert fix_text("salle n° 3", "fr") == f"salle n°{NBSP}3"
    # Not a space that is not there, not a URL, not an hour, not English punctuation.
    assert fix_text("Welcome! https://suicide.ca 21:30", "fr") == "Welcome! https://suicide.ca 21:30"
    assert fix_text("Done: really? yes!", "en") == "Done: really? yes!"
    # Phone numbers never break, in both languages.
    for locale in LOCALES:
        assert fix_text("1 866 APPELLE (1 866 277-3553)", locale) == (
            f"1{NBSP}866{NBSP}APPELLE (1{NBSP}866{NBSP}277{NBHYPHEN}3553)"
        )
        assert (
            fix_text("9-8-8, texto 514 600-1002", locale)
            == f"9{NBHYPHEN}8{NBHYPHEN}8, texto 514{NBSP}600{NBHYPHEN}1002"
        )
        assert fix_text("Info-Social 811, texto 535353", locale) == "Info-Social 811, texto 535353"
    # Idempotent.
    once = fix_text("« x » : 1 800 263-2266 ?", "fr")
    assert fix_text(once, "fr") == once
    assert problems("1 place(s) libre(s)", "en") and problems("Bonjour !", "fr") and not problems(once, "fr")


def test_the_fixer_rewrites_a_catalog_in_place_and_keeps_its_layout(tmp_path):
    for locale, path in catalog_paths().items():
        target = tmp_path / locale / "LC_MESSAGES" / path.name
        target.parent.mkdir(parents=True)
        shutil.copy(path, target)
    po = tmp_path / "fr" / "LC_MESSAGES" / "entraide.po"
    po.write_text(
        po.read_text() + '\nmsgid "x.new"\nmsgstr ""\n"Appelle le 9-8-8 !\\n"\n"« Salut » : ça va ?"\n'
        '\nmsgid "x.plural"\nmsgid_plural "x.plural"\nmsgstr[0] "{count} place ?"\nmsgstr[1] "{count} places ?"\n'
    )
    assert check(tmp_path) != []
    lines_before = po.read_text().count("\n")
    done = subprocess.run(
        [sys.executable, "-m", "locales.typography", "--fix", "--root", str(tmp_path)], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout
    assert check(tmp_path) == [] and po.read_text().count("\n") == lines_before
    texts = messages(po)
    assert f"Appelle le 9{NBHYPHEN}8{NBHYPHEN}8{NNBSP}!\n«{NBSP}Salut{NBSP}»{NBSP}: ça va{NNBSP}?" in texts
    assert f"{{count}} places{NNBSP}?" in texts
    assert fix_file(po, "fr") is False  # a second run changes nothing
