"""The French lemmas the rules need, taken from simplemma's dictionary into a small table.

simplemma's whole French dictionary costs about 22 MB of memory at run time; the rules
only ever ask for a few dozen verbs and nouns. This script keeps every form of those
(accents removed, as the normalised text has none) in `lemmas_fr.json`:

    python -m bot.services.risk.lemma_table           # writes the table (needs the train extra)
    python -m bot.services.risk.lemma_table --check   # compares it with simplemma's dictionary
"""

from __future__ import annotations

import argparse
import json
import unicodedata
from pathlib import Path

TABLE = Path(__file__).with_name("lemmas_fr.json")

# Every lemma a French rule in bot.services.risk.rules names.
LEMMAS = sorted(
    """
vouloir aller penser songer rever avoir etre devoir finir decider planifier prevoir essayer tenter falloir
souhaiter preferer meriter aimer mourir crever disparaitre suicider tuer enlever oter mettre pendre jeter
couper scarifier mutiler bruler taillader reveiller vivre exister noyer sauter empoisonner endormir laisser
prendre avaler acheter ecrire donner dire partir dormir idee pensee envie raison gout lettre pilule
medicament comprime
""".split()
)


def _plain(word: str) -> str:
    return unicodedata.normalize("NFKD", word.lower()).encode("ascii", "ignore").decode()


def build() -> dict[str, str]:
    """Form -> lemma for every form of LEMMAS in simplemma's French dictionary."""
    from simplemma.strategies.dictionaries import DefaultDictionaryFactory

    wanted = set(LEMMAS)
    exact: dict[str, str] = {}
    accented: dict[str, str] = {}
    for form, lemma in DefaultDictionaryFactory().get_dictionary("fr").items():
        plain_form, plain_lemma = _plain(form), _plain(lemma)
        if (
            plain_lemma in wanted and plain_form != plain_lemma and " " not in plain_form and len(plain_form) > 2
        ):  # « a », « ai » stay: « penser a », « j ai »
            # A form written without accents says what it is; one that only loses its accents
            # here (« pensée ») fills in where no such form exists, the first lemma in order.
            target = exact if form.lower() == plain_form else accented
            target[plain_form] = min(target.get(plain_form, plain_lemma), plain_lemma)
    table = {**accented, **exact}
    for lemma in LEMMAS:  # a lemma is its own lemma, even where the dictionary says otherwise
        table.pop(lemma, None)
    return dict(sorted(table.items()))


def load() -> dict[str, str]:
    return json.loads(TABLE.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare the committed table with simplemma")
    args = parser.parse_args(argv)
    table = build()
    if args.check:
        same = table == load()
        print("lemmas_fr.json matches simplemma" if same else "lemmas_fr.json differs from simplemma")
        return 0 if same else 1
    TABLE.write_text(json.dumps(table, ensure_ascii=True, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {TABLE} ({len(table)} forms of {len(LEMMAS)} lemmas)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
