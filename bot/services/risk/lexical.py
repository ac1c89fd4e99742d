"""The lexical layer: the words and letter sequences a message uses, beside its meaning.

Sentence vectors blur the small words that change everything: « mort *de rire* », "*used
to*", « il y a cinq ans », "lol". A logistic regression over hashed features of the whole
normalised message (letter sequences of 2 to 5 inside and across words, words and word
pairs; tf–idf, unit length) reads them. It is trained by bot.services.risk.train on the
same training lines as the semantic head, and its score is added to the head's with a
weight chosen out of fold (`Head.lexical_weight`): alone it is weaker than the head, added
to it, out of fold, it lowers the notes on calm lines by about a third at the same recall
(docs/crisis-detector.md).

Features are hashed into BUCKETS slots (no vocabulary to hold): the same text gives the
same slots on every machine and every run (numpy's fixed-width integer arithmetic and
CRC-32, never Python's salted `hash`).
"""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass

import numpy as np

BUCKETS = 1 << 20
CHAR_SIZES = (2, 3, 4, 5)
_WORD = re.compile(r"\w+")
_PRIME = np.uint64(1000003)
_WORD_MIX = np.uint64(2654435761)


def _letter_hashes(codes: np.ndarray, owner: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A 64-bit hash of every letter sequence of each size in CHAR_SIZES among `codes` (code
    points) that stays within one text (`owner`: the text of each code point), and its text."""
    hashes, owners = [], []
    for size in CHAR_SIZES:
        count = len(codes) - size + 1
        if count <= 0:
            continue
        values = np.full(count, size, dtype=np.uint64)
        for offset in range(size):
            values *= _PRIME
            values += codes[offset : offset + count]
        inside = owner[:count] == owner[size - 1 :]
        hashes.append(values[inside])
        owners.append(owner[:count][inside])
    if not hashes:
        return np.zeros(0, dtype=np.uint64), np.zeros(0, dtype=np.int64)
    return np.concatenate(hashes), np.concatenate(owners)


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le"), dtype=np.uint32).astype(np.uint64)


def _word_hashes(normalized: str) -> np.ndarray:
    """A hash of every word and every pair of neighbouring words."""
    words = _WORD.findall(normalized)
    grams = words + [f"{a} {b}" for a, b in zip(words, words[1:], strict=False)]
    crcs = np.fromiter((zlib.crc32(g.encode("utf-8")) for g in grams), dtype=np.uint64, count=len(grams))
    return crcs * _WORD_MIX + np.uint64(7)


def _slots(hashes: np.ndarray) -> np.ndarray:
    """Hashes to slots, through a 64-bit finaliser so that neighbouring hashes land far apart."""
    hashes = hashes ^ (hashes >> np.uint64(29))
    hashes *= np.uint64(0xBF58476D1CE4E5B9)
    hashes ^= hashes >> np.uint64(32)
    return (hashes % np.uint64(BUCKETS)).astype(np.int64)


def _all_hashes(texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """A hash of every feature occurrence of each text (its letter sequences, then its words
    and word pairs), and the index of the text each comes from: the texts are laid end to
    end, each between its two spaces, and a letter sequence that would run from one into the
    next is left out."""
    spaced = [f" {text} " for text in texts]
    owner = np.repeat(np.arange(len(texts)), [len(x) for x in spaced])
    letters, owners = _letter_hashes(_codes("".join(spaced)), owner)
    hashes, whose = [letters], [owners]
    for index, text in enumerate(texts):
        words = _word_hashes(text)
        hashes.append(words)
        whose.append(np.full(len(words), index))
    return np.concatenate(hashes), np.concatenate(whose).astype(np.int64)


def buckets(normalized: str) -> np.ndarray:
    """The slot of each feature occurrence of a normalised text (bot.services.risk.normalize)."""
    return _slots(_all_hashes([normalized])[0])


def _counts(texts: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(text, slot, sublinear term frequency 1 + log count) of each distinct slot of each
    text, ordered by text then slot."""
    hashes, owner = _all_hashes(texts)
    unique, repeats = np.unique(owner * BUCKETS + _slots(hashes), return_counts=True)
    text, slot = np.divmod(unique, BUCKETS)
    return text, slot, (1.0 + np.log(repeats)).astype(np.float32)


def tf_idf(texts: list[str], idf: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(text, slot, tf–idf value) of each distinct slot of each text, each text's values of
    unit length (every text has a feature: the two spaces around an empty one): what
    `Lexical.scores` reads."""
    text, slot, values = _counts(texts)
    values *= idf[slot]
    lengths = np.sqrt(np.bincount(text, weights=values * values, minlength=len(texts)))
    return text, slot, (values / lengths[text]).astype(np.float32)


def counts(normalized: str) -> tuple[np.ndarray, np.ndarray]:
    """The distinct slots of a text and their sublinear term frequencies (1 + log count)."""
    _, slots, values = _counts([normalized])
    return slots, values


def document_frequencies(texts: list[str]) -> np.ndarray:
    """The inverse document frequency of each slot over `texts` (smoothed, as scikit-learn's)."""
    _, slots, _ = _counts(texts)
    seen = np.bincount(slots, minlength=BUCKETS).astype(np.float64)
    return (np.log((1.0 + len(texts)) / (1.0 + seen)) + 1.0).astype(np.float32)


def features(normalized: str, idf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct slots of a text and their tf–idf values, of unit length: `tf_idf` for one
    text, its length summed in float32 as the committed weights were trained on (training
    reads these; a length rounded otherwise moves the fitted weights by 10⁻³)."""
    slots, values = counts(normalized)
    values *= idf[slots]
    length = float(np.sqrt(values @ values))
    if length > 0:
        values /= length
    return slots, values


@dataclass(frozen=True)
class Lexical:
    """A linear model over the hashed features: a decision value, positive toward risk."""

    weights: np.ndarray  # (BUCKETS,) float32
    idf: np.ndarray  # (BUCKETS,) float32
    intercept: float

    def score(self, normalized: str) -> float:
        return float(self.scores([normalized])[0])

    def scores(self, texts: list[str]) -> np.ndarray:
        """The decision value of each text, all at once (the pieces of a long message, in one
        sort of all their features); an empty text gets the intercept."""
        text, slot, values = tf_idf(texts, self.idf)
        out = np.bincount(text, weights=values * self.weights[slot], minlength=len(texts)) + self.intercept
        out[[not t.strip() for t in texts]] = self.intercept
        return out
