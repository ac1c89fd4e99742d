"""Train the semantic head on the training split, deterministically, and write head.npz.

    python -m bot.services.risk.train            # writes bot/services/risk/head.npz
    python -m bot.services.risk.train --check    # retrains and compares with the committed file

Needs the `train` extra (scikit-learn). Only lines of split `train` are read: the
held-out lines never reach this script. Steps:
1. every short line is one example (risk = label hold or gentle);
2. long lines are bags of sentences and of windows of three (bot.services.risk.sentences):
   all of a calm long line's are calm; of a risky long line only the one a first model
   finds the most alarming is taken as the risky example (the rest is ordinary life);
3. long messages are also made up, with a fixed seed, from the training lines themselves:
   ordinary lines joined (calm) and ordinary lines around one risky line (risky), so the
   head sees that a long ordinary message is calm and a risk inside one is not;
4. a support-vector classifier (RBF kernel, balanced classes; libsvm's solver is
   deterministic) is fitted on the embeddings of the raw text (measured better than the
   normalised text, a logistic regression, a small MLP, character n-grams and a Nystroem
   approximation of the same kernel: see docs/crisis-detector.md);
5. the thresholds come from 5-fold out-of-fold scores on the real training lines (the
   made-up ones are built from each fold's own lines only), computed the way `assess`
   computes them (rules first, then Head.message). The margin a lone sentence must beat its
   windows by is the one (of a few) that flags the fewest calm lines at the recall target;
   - gentle: the highest threshold that still offers resources on >= 98 % of risky lines (a miss
     costs more than a note; and held-out recall came out 3 to 5 points below this figure);
   - hold: the lowest threshold above it that holds <= 3 % of calm lines.
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import dataclass

import numpy as np

from bot.services.risk import corpus, semantic
from bot.services.risk.rules import fires
from bot.services.risk.semantic import message_views
from bot.services.risk.sentences import WHOLE_UP_TO, pieces

C = 4.0
GAMMA = 2.0  # times scikit-learn's "scale" (1 / (features x variance)); chosen by 5-fold CV on train
FOLDS = 5
RECALL_TARGET = 0.98
CALM_HOLD_TARGET = 0.03
SEED = 20261201
MADE_UP_CALM, MADE_UP_RISKY = 300, 150
MARGINS = (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 100.0)


@dataclass
class Bags:
    lines: list[corpus.Line]
    vectors: list[np.ndarray]  # one matrix of piece vectors per line
    rule: np.ndarray  # a rule fired on the line


class Vectors:
    """Embeddings of pieces, each text computed once."""

    def __init__(self, embedder: semantic.Embedder) -> None:
        self.embedder = embedder
        self.known: dict[str, np.ndarray] = {}

    def of(self, texts: list[list[str]]) -> list[np.ndarray]:
        missing = sorted({p for group in texts for p in group if p not in self.known})
        for start in range(0, len(missing), 256):
            batch = missing[start : start + 256]
            for text, vector in zip(batch, self.embedder.encode(batch), strict=True):
                self.known[text] = vector
        return [np.vstack([self.known[p] for p in group]) for group in texts]


def build_bags(lines: list[corpus.Line], vectors: Vectors) -> Bags:
    rule = np.asarray([fires(line.text) for line in lines])
    return Bags(lines, vectors.of([pieces(line.text) for line in lines]), rule)


def _sentence(text: str) -> str:
    text = text.strip()
    return text if text[-1:] in ".!?…" else text + "."


def made_up(lines: list[corpus.Line], seed: int) -> list[tuple[str, bool]]:
    """Long messages built from the given training lines: (text, at_risk)."""
    rng = random.Random(seed)
    calm = sorted(x.text for x in lines if not x.at_risk and len(x.text) < WHOLE_UP_TO and x.category != "legacy")
    risky = sorted(x.text for x in lines if x.label == "hold" and len(x.text) < 200 and x.category != "legacy")
    out = []
    for index in range(MADE_UP_CALM + MADE_UP_RISKY):
        parts = [_sentence(rng.choice(calm)) for _ in range(rng.randint(4, 9))]
        at_risk = index >= MADE_UP_CALM
        if at_risk:
            parts.insert(rng.randrange(len(parts) + 1), _sentence(rng.choice(risky)))
        out.append((" ".join(parts), at_risk))
    return out


def _fit(x: np.ndarray, y: np.ndarray):
    from sklearn.svm import SVC

    model = SVC(C=C, kernel="rbf", gamma=GAMMA / (x.shape[1] * x.var()), class_weight="balanced")
    model.fit(x, y)
    return model


def _views(vectors: np.ndarray) -> np.ndarray:
    if len(vectors) == 1:
        return vectors
    alone, together = message_views(vectors)
    return np.vstack([alone, together])


def _examples(bags: list[tuple[np.ndarray, bool]], first=None) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for vectors, at_risk in bags:
        views = _views(vectors)
        if not at_risk:
            xs.append(views)
            ys.extend([0] * len(views))
        elif len(views) == 1:
            xs.append(views)
            ys.append(1)
        elif first is not None:  # the sentence or window of a risky long message that carries it
            best = int(np.argmax(first.decision_function(views)))
            xs.append(views[best : best + 1])
            ys.append(1)
    return np.vstack(xs), np.asarray(ys)


def fit_head(bags: Bags, indices, vectors: Vectors, seed: int = SEED):
    chosen = [bags.lines[i] for i in indices]
    extra = made_up(chosen, seed)
    extra_vectors = vectors.of([pieces(text) for text, _ in extra])
    all_bags = [(bags.vectors[i], bags.lines[i].at_risk) for i in indices]
    all_bags += [(v, at_risk) for v, (_, at_risk) in zip(extra_vectors, extra, strict=True)]
    first = _fit(*_examples(all_bags))
    return _fit(*_examples(all_bags, first))


def line_scores(model, bags: Bags, indices) -> np.ndarray:
    """For each line: (best window, best lone sentence); the same twice for a short line."""
    out = []
    for i in indices:
        vectors = bags.vectors[i]
        if len(vectors) == 1:
            value = float(model.decision_function(vectors)[0])
            out.append((value, value))
        else:
            alone, together = message_views(vectors)
            out.append((float(model.decision_function(together).max()), float(model.decision_function(alone).max())))
    return np.asarray(out)


def combine(pairs: np.ndarray, margin: float) -> np.ndarray:
    return np.maximum(pairs[:, 0], pairs[:, 1] - margin)


def out_of_fold(bags: Bags, vectors: Vectors) -> np.ndarray:
    """Every training line scored by a head that did not see it (stratified, fixed folds)."""
    from sklearn.model_selection import StratifiedKFold

    strata = [f"{line.lang}:{line.label}" for line in bags.lines]
    scores = np.zeros((len(bags.lines), 2))
    folds = StratifiedKFold(n_splits=FOLDS, shuffle=True, random_state=SEED)
    for fold, (train_idx, test_idx) in enumerate(folds.split(np.zeros(len(strata)), strata)):
        model = fit_head(bags, train_idx, vectors, SEED + fold + 1)
        scores[test_idx] = line_scores(model, bags, test_idx)
    return scores


def _gentle(bags: Bags, scores: np.ndarray) -> float:
    risky = np.asarray([line.at_risk for line in bags.lines])
    candidates = np.unique(np.round(scores, 4))
    for t in sorted(candidates, reverse=True):
        if (bags.rule[risky] | (scores[risky] >= t)).mean() >= RECALL_TARGET:
            return float(t)
    return float(candidates.min())


def choose_thresholds(bags: Bags, pairs: np.ndarray) -> tuple[float, float, float]:
    """(margin, gentle, hold) from out-of-fold scores of the training lines."""
    risky = np.asarray([line.at_risk for line in bags.lines])

    def calm_flagged(margin: float) -> float:
        scores = combine(pairs, margin)
        return float((bags.rule[~risky] | (scores[~risky] >= _gentle(bags, scores))).mean())

    margin = min(MARGINS, key=lambda m: (round(calm_flagged(m), 4), m))
    scores = combine(pairs, margin)
    gentle = _gentle(bags, scores)
    candidates = np.unique(np.round(scores, 4))
    hold = float(candidates.max())
    for t in sorted(c for c in candidates if c > gentle):
        if (bags.rule[~risky] | (scores[~risky] >= t)).mean() <= CALM_HOLD_TARGET:
            hold = float(t)
            break
    return margin, round(gentle, 4), round(max(hold, gentle), 4)


def report(bags: Bags, scores: np.ndarray, gentle: float, hold: float) -> str:
    out = []
    at_risk = np.asarray([line.at_risk for line in bags.lines])
    offered = bags.rule | (scores >= gentle)
    held = bags.rule | (scores >= hold)
    for lang in ("fr", "en"):
        mask = np.asarray([line.lang == lang for line in bags.lines])
        risky, calm = at_risk & mask, ~at_risk & mask
        out.append(
            f"{lang}: out-of-fold recall {offered[risky].mean():.1%} of {risky.sum()} "
            f"(held {held[risky].mean():.1%}), calm held {held[calm].mean():.1%}, "
            f"calm noted or held {offered[calm].mean():.1%} of {calm.sum()}"
        )
    return "\n".join(out)


def train(
    embedder: semantic.Embedder | None = None,
    verbose: bool = True,
    thresholds: tuple[float, float, float] | None = None,
) -> semantic.Head:
    """The head from the training split. With `thresholds` (margin, gentle, hold) given,
    the five-fold search that chooses them is skipped: only the weights are fitted."""
    lines = corpus.split("train")
    if not lines:
        raise SystemExit("no training lines found under tests/data/crisis/")
    vectors = Vectors(embedder or semantic.Embedder())
    bags = build_bags(lines, vectors)
    if thresholds is not None:
        model = fit_head(bags, range(len(lines)), vectors)
        margin, gentle, hold = thresholds
        return semantic.Head(
            model.support_vectors_.astype(np.float32),
            model.dual_coef_[0].astype(np.float32),
            float(model.intercept_[0]),
            float(model._gamma),
            gentle,
            hold,
            margin,
        )
    pairs = out_of_fold(bags, vectors)
    margin, gentle, hold = choose_thresholds(bags, pairs)
    if verbose:
        print(f"{len(lines)} training lines; margin {margin}, thresholds gentle {gentle}, hold {hold}", file=sys.stderr)
        print(report(bags, combine(pairs, margin), gentle, hold), file=sys.stderr)
    model = fit_head(bags, range(len(lines)), vectors)
    return semantic.Head(
        model.support_vectors_.astype(np.float32),
        model.dual_coef_[0].astype(np.float32),
        float(model.intercept_[0]),
        float(model._gamma),
        gentle,
        hold,
        margin,
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--check", action="store_true", help="retrain and compare with the committed head.npz")
    parser.add_argument(
        "--weights-only",
        action="store_true",
        help="with --check: fit the weights under the committed thresholds (minutes less)",
    )
    args = parser.parse_args(argv)
    committed = semantic.Head.load() if args.check else None
    head = train(
        thresholds=(committed.margin, committed.gentle, committed.hold)
        if committed is not None and args.weights_only
        else None
    )
    if committed is not None:
        probe = np.vstack([head.support[:50], committed.support[:50]])
        # Sentence vectors differ in their last bits with the batch they were computed in, so
        # libsvm may keep a support vector more or less: the decisions are what must agree.
        same = (
            abs(len(committed.dual) - len(head.dual)) <= max(5, len(head.dual) // 200)
            and committed.margin == head.margin
            and abs(committed.gentle - head.gentle) < 1e-3
            and abs(committed.hold - head.hold) < 1e-3
            and np.allclose(committed.score(probe), head.score(probe), atol=1e-2)
        )
        worst = float(np.abs(committed.score(probe) - head.score(probe)).max())
        print(
            ("head.npz matches a fresh training" if same else "head.npz differs from a fresh training")
            + f" ({len(committed.dual)} / {len(head.dual)} support vectors, largest decision gap {worst:.4f})"
        )
        return 0 if same else 1
    head.save()
    print(f"wrote {semantic.HEAD_FILE} ({len(head.dual)} support vectors)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
