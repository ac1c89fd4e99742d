"""The lexical layer of the crisis detector (bot.services.risk.lexical) and how the head adds it."""

from __future__ import annotations

import numpy as np

from bot.services.crisis import assess, normalize
from bot.services.risk import lexical, semantic
from bot.services.risk.lexical import BUCKETS, Lexical


def test_the_features_are_the_same_on_every_machine():
    """The committed weights are indexed by these slots: a change in the hashing (Python's
    salted hash(), another integer width) would silently scramble them. Golden values."""
    slots = lexical.buckets("je veux mourir")
    assert len(slots) == (15 + 14 + 13 + 12) + (3 + 2)  # letter sequences of 2..5 in " je veux mourir ", words, pairs
    assert slots[:4].tolist() == [245193, 382894, 662006, 670522]
    assert slots[-2:].tolist() == [269587, 515542]
    assert ((slots >= 0) & (slots < BUCKETS)).all()
    assert len(lexical.buckets("")) == 1  # the two spaces around an empty text


def test_features_have_unit_length_and_sublinear_counts():
    idf = np.ones(BUCKETS, dtype=np.float32)
    slots, values = lexical.features("ha ha ha ha", idf)
    assert len(slots) == len(set(slots.tolist()))
    assert abs(float(values @ values) - 1.0) < 1e-6
    _, counts = lexical.counts("ha ha ha ha")
    assert counts.max() == np.float32(1 + np.log(4))  # « ha », as a word and as letters, four times
    assert counts.min() == np.float32(1 + np.log(3))  # « ha ha », three times
    assert lexical.counts("je veux mourir")[1].max() == 1.0


def test_a_lexical_score_is_a_dot_product_plus_the_intercept():
    idf = np.ones(BUCKETS, dtype=np.float32)
    weights = np.zeros(BUCKETS, dtype=np.float32)
    slots, values = lexical.features("tuer le temps", idf)
    weights[slots[0]] = 2.0
    model = Lexical(weights, idf, -0.5)
    assert abs(model.score("tuer le temps") - (2.0 * float(values[0]) - 0.5)) < 1e-6
    assert model.score("   ") == -0.5
    assert model.score("zzz") == -0.5


def test_the_head_adds_the_weighted_lexical_score(tmp_path):
    head = semantic.head()
    assert head.lexical is not None and head.lexical_weight > 0
    text = "Grosse semaine, j'ai pleuré."
    vectors = semantic.embedder().encode([text])
    words = [normalize(text)]
    expected = head.message(vectors) + head.lexical_weight * head.lexical.score(words[0])
    assert abs(head.total(vectors, words) - expected) < 1e-9
    # Saved and loaded, it gives the same scores.
    path = tmp_path / "head.npz"
    head.save(path)
    again = semantic.Head.load(path)
    assert again.lexical is not None and again.lexical_weight == head.lexical_weight
    assert abs(again.total(vectors, words) - head.total(vectors, words)) < 1e-3
    # assess compares exactly this total with the thresholds.
    assert abs(assess(text).score - head.total(vectors, words)) < 1e-4


def test_a_long_message_adds_each_pieces_own_lexical_score():
    """Sentences and windows of three each get their own lexical score (a window: the mean of
    its sentences'), so that the calm words of a long message never drown its one risky line."""
    head = semantic.head()
    parts = [
        "On a fait l'épicerie samedi avec les enfants.",
        "Le prix du beurre a encore monté, c'est fou.",
        "Ma voisine m'a donné des pots de confiture.",
        "Je pense que je vais en finir ce soir.",
        "Pis dimanche il a neigé toute la journée.",
    ]
    vectors = semantic.embedder().encode(parts)
    words = [normalize(p) for p in parts]
    lexical_scores = np.asarray([head.lexical.score(w) for w in words]) * head.lexical_weight
    alone = np.asarray([head.score(v[None])[0] for v in vectors]) + lexical_scores
    sentences, windows = semantic.message_views(vectors)
    together = head.score(windows) + semantic.window_means(lexical_scores)
    expected = max(float(together.max()), float(alone.max()) - head.margin)
    assert abs(head.total(vectors, words) - expected) < 1e-4
    assert semantic.window_means(np.asarray([1.0, 2.0, 3.0, 4.0])).tolist() == [2.0, 3.0]
    assert semantic.window_means(np.asarray([1.0, 2.0])).tolist() == [1.5]


def test_a_head_without_a_lexical_layer_is_the_semantic_score_alone(tmp_path):
    head = semantic.head()
    bare = semantic.Head(head.support, head.dual, head.intercept, head.gamma, head.gentle, head.hold, head.margin)
    vectors = semantic.embedder().encode(["ok"])
    assert bare.total(vectors, ["ok"]) == bare.message(vectors)
    bare.save(tmp_path / "bare.npz")
    assert semantic.Head.load(tmp_path / "bare.npz").lexical is None


def test_scoring_many_pieces_at_once_gives_each_ones_own_score():
    """`scores` lays the pieces end to end: no letter sequence may run from one into the next."""
    model = semantic.head().lexical
    assert model is not None
    texts = [normalize(t) for t in ("Je veux mourir.", "Mort de rire!", "", "ok", "I keep thinking about it", "é")]
    one_by_one = np.asarray([model.score(t) for t in texts])
    assert np.abs(model.scores(texts) - one_by_one).max() < 1e-5
    assert np.abs(model.scores(texts[::-1]) - one_by_one[::-1]).max() < 1e-5
