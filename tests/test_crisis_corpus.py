"""The risk detector on a corpus of real-sounding phrases, half of them look-alikes.

Prints recall and false-alarm rate per language; targets: recall >= 95 %, false alarms <= 5 %.
"""

from pathlib import Path

import pytest

from bot.services.crisis import assess, normalize

DATA = Path(__file__).parent / "data"


def corpus(language):
    rows = []
    for line in (DATA / f"crisis_{language}.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            label, phrase = line.split("\t", 1)
            rows.append((label == "1", phrase))
    return rows


@pytest.mark.parametrize("language", ["fr", "en"])
def test_recall_and_false_alarms(language, capsys):
    rows = corpus(language)
    risky = [p for risk, p in rows if risk]
    alike = [p for risk, p in rows if not risk]
    assert len(rows) >= 150 and len(alike) >= len(rows) // 2 - 5
    missed = [p for p in risky if not assess(p).at_risk]
    alarms = [p for p in alike if assess(p).at_risk]
    recall = 1 - len(missed) / len(risky)
    false_alarms = len(alarms) / len(alike)
    with capsys.disabled():
        print(f"\n[crisis detector] {language}: {len(rows)} phrases, recall {recall:.1%}, "
              f"false alarms {false_alarms:.1%} (missed {len(missed)}, false alarms {len(alarms)})")
    assert recall >= 0.95, missed
    assert false_alarms <= 0.05, alarms


@pytest.mark.parametrize("raw,expected", [
    ("J’VEUX   PU VIVRE!!!", "je veux plus vivre"),
    ("m'enlever la vie", "me enlever la vie"),
    ("chu tannée", "je suis tannee"),
    ("im gonna", "i am going to"),
])
def test_normalisation(raw, expected):
    assert normalize(raw) == expected


def test_the_seed_examples():
    for phrase in ("mort de rire", "ça me tue", "je suis mort de fatigue", "en finir avec mes dettes",
                   "this is killing me", "I'm dead lol"):
        assert not assess(phrase).at_risk, phrase
    for phrase in ("jveux pu vivre", "m'enlever la vie", "kms", "unalive"):
        assert assess(phrase if phrase != "unalive" else "i want to unalive").at_risk, phrase
