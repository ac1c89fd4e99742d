"""The crisis detector measured honestly: on held-out lines never used to build or tune it.

The training split (tests/data/crisis/train_*.tsv) builds the head and chooses its
thresholds; the held-out split (heldout_*.tsv) was written apart from it, by other hands,
and is only read here and by `entraide crisis-eval`.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bot.services.crisis import assess, normalize
from bot.services.risk import corpus
from bot.services.risk.corpus import CALM_CATEGORIES, CORPUS_DIR, RISK_CATEGORIES
from bot.services.risk.evaluation import evaluate, wilson

# The targets (issue "crisis care"), on the held-out split, per language: recall >= 95 %,
# holds on calm lines <= 5 %, holds or notes on calm lines <= 15 %. The split is rounds 5
# and 6 (written 2026-12-02 by eight new writers, each read once with the detector chosen
# before it was read; docs/crisis-detector.md). Round 5: recall fr 96.7 %, en 98.7 %; held
# 2.6 %, 4.1 %; held or noted 14.1 %, 11.2 %. Round 6 (after one rule prompted by round 5):
# recall 97.1 %, 98.1 %; held 1.7 %, 0.6 %; held or noted 12.4 %, 11.8 %. All met; the
# notes narrowly (their 95 % intervals reach 17 to 19 %).
RECALL_MIN = 0.95
CALM_HELD_MAX = 0.05
CALM_FLAGGED_MAX = {"fr": 0.15, "en": 0.15}


def test_the_corpus_is_well_formed_and_large_enough():
    files = sorted(CORPUS_DIR.glob("*.tsv"))
    lines = []
    for path in files:
        rows = corpus.read(path)
        expected_split = "heldout" if path.name.startswith("heldout") else "train"
        assert {row.split for row in rows} == {expected_split}, path.name
        lines += rows
    assert len(lines) >= 1500
    languages = Counter(line.lang for line in lines)
    assert languages["fr"] / len(lines) >= 0.60, languages
    categories = set(RISK_CATEGORIES) | set(CALM_CATEGORIES) | {"legacy"}
    assert {line.category for line in lines} <= categories
    for line in lines:
        if line.category in RISK_CATEGORIES:
            assert line.label != "none", line
        if line.category in CALM_CATEGORIES:
            assert line.label == "none", line
    # Plenty of everyday distress that is not a risk to life (in the held-out split too: below).
    assert sum(1 for x in lines if x.split == "train" and x.category == "distress") >= 90


def test_no_held_out_line_is_also_a_training_line():
    train = {normalize(line.text) for line in corpus.split("train")}
    heldout = corpus.split("heldout")
    assert len(heldout) >= 600
    assert sum(1 for x in heldout if x.category == "distress") >= 90
    assert not [line.text for line in heldout if normalize(line.text) in train]


@pytest.fixture(scope="module")
def heldout_report():
    return evaluate(corpus.split("heldout"), lambda text: assess(text).level)


@pytest.mark.parametrize("language", ["fr", "en"])
def test_held_out_recall_and_false_alarms(heldout_report, language, capsys):
    group = heldout_report.languages[language]
    with capsys.disabled():
        print(
            f"\n[crisis detector, held-out {language}] recall {group.recall}; calm held {group.hold_alarms}; "
            f"calm held or noted {group.any_alarms}"
        )
    assert group.risky >= 150 and group.calm >= 130
    assert group.recall.value >= RECALL_MIN, [line.text for line, _ in heldout_report.misses if line.lang == language]
    assert group.hold_alarms.value <= CALM_HELD_MAX
    assert group.any_alarms.value <= CALM_FLAGGED_MAX[language]


def test_wilson_interval():
    low, high = wilson(95, 100)
    assert 0.88 < low < 0.89 and 0.97 < high < 0.98
    assert wilson(0, 10)[0] == 0.0 and wilson(10, 10)[1] == pytest.approx(1.0)


@pytest.mark.parametrize(
    "raw,expected",
    [
        ("J’VEUX   PU VIVRE!!!", "je veux plus vivre"),
        ("m'enlever la vie", "me enlever la vie"),
        ("chu tannée", "je suis tannee"),
        ("im gonna", "i am going to"),
    ],
)
def test_normalisation(raw, expected):
    assert normalize(raw) == expected


def test_the_seed_examples():
    for phrase in (
        "mort de rire",
        "ça me tue",
        "je suis mort de fatigue",
        "en finir avec mes dettes",
        "this is killing me",
        "I'm dead lol",
    ):
        assert not assess(phrase).at_risk, phrase
    for phrase in ("jveux pu vivre", "m'enlever la vie", "kms", "i want to unalive myself"):
        assert assess(phrase).hold, phrase


def _bags(lines, rule):
    import numpy as np

    from bot.services.risk import train

    return train.Bags(
        lines, [np.zeros((1, 1))] * len(lines), np.asarray(rule), [x.text for x in lines], [[x.text] for x in lines]
    )


def _views(semantic, lexical=None):
    """Views of short lines (one each) with these scores."""
    import numpy as np

    from bot.services.risk import train

    count = len(semantic)
    words = np.zeros(count) if lexical is None else np.asarray(lexical, dtype=float)
    return train.Views(np.asarray(semantic, dtype=float), words, np.zeros(count, dtype=bool), np.arange(count))


def _long_check(semantic, lexical, rule=False):
    """Made-up long messages with one risky line, one per language (as LongCheck holds them)."""
    import numpy as np

    from bot.services.risk import train

    return train.LongCheck(
        ["fr", "en"], [500, 500], np.asarray([True, True]), np.asarray([rule, rule]), _views(semantic, lexical)
    )


def test_the_thresholds_meet_the_recall_and_calm_hold_targets_in_each_language():
    """A language whose risky lines score lower pulls the gentle threshold down for both; the
    hold threshold holds few enough calm lines of either."""
    import numpy as np

    from bot.services.risk import train

    lines, scores = [], []
    for lang, shift in (("fr", -1.0), ("en", 0.0)):
        for i in range(100):
            lines.append(corpus.Line(lang, "hold", "ideation", "train", f"{lang} risky {i}"))
            scores.append(shift + i / 100)
        for i in range(100):
            lines.append(corpus.Line(lang, "none", "distress", "train", f"{lang} calm {i}"))
            scores.append(shift - 0.5 + i / 50)
    bags = _bags(lines, [False] * len(lines))
    margin, weight, gentle, hold = train.choose_thresholds(bags, _views(scores), _long_check([0, 0], [0, 0], True))
    values = np.asarray(scores)
    for lang in ("fr", "en"):
        risky = np.asarray([x.lang == lang and x.at_risk for x in lines])
        calm = np.asarray([x.lang == lang and not x.at_risk for x in lines])
        assert (values[risky] >= gentle).mean() >= train.RECALL_TARGET
        assert (values[calm] >= hold).mean() <= train.CALM_HOLD_TARGET
    # French sets the gentle threshold (its second-lowest risky line), English the hold one.
    assert gentle == -0.98
    assert hold > gentle


def test_the_lexical_weight_is_taken_only_while_long_messages_keep_their_resources():
    """The lexical score lowers the notes on calm lines (here it tells them apart), so a weight
    is taken; but not one that would drown the one risky line of a made-up long message."""
    from bot.services.risk import train

    lines, semantic, words = [], [], []
    for lang in ("fr", "en"):
        for i in range(100):
            lines.append(corpus.Line(lang, "hold", "ideation", "train", f"{lang} risky {i}"))
            semantic.append(i / 100)
            words.append(1.0)
        for i in range(100):
            lines.append(corpus.Line(lang, "none", "distress", "train", f"{lang} calm {i}"))
            semantic.append(i / 100)
            words.append(-1.0)
    bags = _bags(lines, [False] * len(lines))
    views = _views(semantic, words)
    kept = train.choose_thresholds(bags, views, _long_check([0.9, 0.9], [1.0, 1.0]))
    assert kept[1] == max(train.LEXICAL_WEIGHTS)
    # The made-up long messages' ordinary words pull their lexical score far down.
    drowned = train.choose_thresholds(bags, views, _long_check([0.9, 0.9], [-20.0, -20.0]))
    assert drowned[1] == 0.0


def test_the_long_message_check_is_made_of_the_lines_it_is_given():
    from bot.services.risk import train

    lines = [corpus.Line("fr", "none", "everyday", "train", f"Phrase calme numéro {i}") for i in range(30)]
    lines += [corpus.Line("fr", "hold", "ideation", "train", f"Phrase risquée {i}") for i in range(5)]
    lines += [corpus.Line("en", "none", "everyday", "train", f"Calm line {i}") for i in range(30)]
    lines += [corpus.Line("en", "hold", "ideation", "train", f"Risky line {i}") for i in range(5)]
    messages = train.long_messages(lines, 7)
    assert messages == train.long_messages(lines, 7)  # deterministic
    known = {train._sentence(x.text) for x in lines}
    for lang, size, at_risk, text in messages:
        assert size - 200 < len(text) < size + 300
        parts = text.split(". ")
        assert {p if p.endswith(".") else p + "." for p in parts} <= known
        assert any(p.startswith(("Phrase risquée", "Risky")) for p in parts) == at_risk
        assert all(p.startswith(("Calm", "Risky")) == (lang == "en") for p in parts)
    counts = {(lang, size): 0 for lang in ("fr", "en") for size, _ in train.LONG_CHECK}
    for lang, size, _, _ in messages:
        counts[(lang, size)] += 1
    assert counts == {(lang, size): n for lang in ("fr", "en") for size, n in train.LONG_CHECK}
