"""Normalisation shared by the rules and the semantic layer.

Lower case, no accents, elisions expanded, SMS and Quebec spellings spelled out
(« jveux pu » -> « je veux plus », "kms" -> "kill myself"), repeated letters
squeezed; and French lemmas (simplemma's, kept in a small table) so that one rule
covers every form of a verb.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable
from functools import lru_cache

_APOSTROPHES = str.maketrans(
    {"’": "'", "‘": "'", "`": "'", "´": "'", "ʼ": "'", "œ": "oe", "æ": "ae", "Œ": "oe", "Æ": "ae"}
)

# Whole-word rewrites applied after accents and punctuation are gone: one look-up per word.
_WORDS = {
    # French / Quebec
    "jveu": "je veux",
    "jveux": "je veux",
    "jveut": "je veux",
    "jve": "je veux",
    "jvais": "je vais",
    "jva": "je vais",
    "jvai": "je vais",
    "chu": "je suis",
    "chui": "je suis",
    "shu": "je suis",
    "jsuis": "je suis",
    "jsui": "je suis",
    "jss": "je suis",
    "jme": "je me",
    "jmen": "je me en",
    "jai": "je ai",
    "jpense": "je pense",
    "jpeux": "je peux",
    "jpeu": "je peux",
    "jsais": "je sais",
    "mtuer": "me tuer",
    "msuicider": "me suicider",
    "menlever": "me enlever",
    "pu": "plus",
    "pus": "plus",
    "pk": "pourquoi",
    "pc": "parce que",
    "pcq": "parce que",
    "mourrir": "mourir",
    "mourire": "mourir",
    "vivres": "vivre",
    "suiside": "suicide",
    "suicidr": "suicider",
    "slm": "seulement",
    "veu": "veux",
    "vx": "veux",
    "voudrai": "voudrais",
    "ptete": "peut etre",
    "kk": "quelque",
    "ajd": "aujourd hui",
    "csoir": "ce soir",
    "stsoir": "ce soir",
    # English
    "im": "i am",
    "ima": "i am going to",
    "imma": "i am going to",
    "wanna": "want to",
    "gonna": "going to",
    "gunna": "going to",
    "dont": "do not",
    "cant": "can not",
    "isnt": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "cannot": "can not",
    "wont": "will not",
    "u": "you",
    "ur": "your",
    "kms": "kill myself",
    "kmsl": "kill myself",
    "unaliving": "killing",
    "sewerslide": "suicide",
    "suicde": "suicide",
    "myslef": "myself",
    "ive": "i have",
    "id": "i would",
    "thats": "that is",
    "whats": "what is",
    "its": "it is",
    "wouldnt": "would not",
    "didnt": "did not",
    "doesnt": "does not",
    "tmrw": "tomorrow",
    "tn": "tonight",
    "2nite": "tonight",
    "cuz": "because",
}


def any_of(patterns: Iterable[str]) -> re.Pattern[str]:
    """One expression that matches wherever any of `patterns` does: one search says whether
    a list has anything to do on a text (most texts match none)."""
    return re.compile("|".join(f"(?:{p})" for p in patterns))


# What a word look-up cannot do: spellings in two words, and words that depend on the next one.
_SMS: list[tuple[str, str | Callable[[re.Match[str]], str]]] = [
    (r"\bj veu[xt]?\b", "je veux"),
    (r"\bici bas\b", "ici"),
    (r"\bi m\b", "i am"),
    (r"\b(don|can|won) t\b", lambda m: {"don": "do not", "can": "can not", "won": "will not"}[m.group(1)]),
    (r"\bunalive( myself)?\b", "kill myself"),
    (r"\bmy self\b", "myself"),
    (r"\bi ve\b", "i have"),
    (r"\bi d\b", "i would"),
    (r"\b(what|that|it|there|he|she|who) s\b", r"\1 is"),
    (r"\b(nobody|they|you|we|he|she|it|everyone|everybody|people) d\b", r"\1 would"),
    (r"\bi ll\b", "i will"),
    (r"\bill\b(?= (kill|end|take|hurt|cut|jump|hang|do it|never|not be))", "i will"),
]
_SMS_COMPILED = [(re.compile(p), r) for p, r in _SMS]
# Most sentences hold none of them: one search says so, and the list is then skipped (when one
# matches, every rewrite runs in order as before, so the result is the same).
_SMS_ANY = any_of(p for p, _ in _SMS)

_ELISION = re.compile(r"\b(j|m|t|l|d|s|n|qu|c)'")
_ELIDED = {"j": "je ", "m": "me ", "t": "te ", "l": "l ", "d": "d ", "s": "se ", "n": "ne ", "qu": "que ", "c": "c "}
_REPEATED = re.compile(r"(.)\1{2,}")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_NE = re.compile(r"\bne (?=(veux|vais|peux|suis|sais|vois|vaut|sert|merite|ai)\b)")
_JE_AI = re.compile(r"\bje ai\b")
_SPACES = re.compile(r"\s+")


@lru_cache(maxsize=1)
def _without_marks() -> dict[int, None]:
    """str.translate's table that removes every combining character (accents once decomposed)."""
    return {code: None for code in range(0x110000) if unicodedata.combining(chr(code))}


def normalize(text: str) -> str:
    """Lower case, no accents, elisions expanded, SMS spellings spelled out, one space."""
    text = text.translate(_APOSTROPHES).lower()
    if not text.isascii():  # decomposing and removing marks leaves ASCII as it is
        text = unicodedata.normalize("NFKD", text).translate(_without_marks())
    text = _ELISION.sub(lambda m: _ELIDED[m.group(1)], text)
    text = _REPEATED.sub(r"\1", text)  # « veuuuux » -> « veux »
    text = _NOT_WORD.sub(" ", text).strip()
    # Words of a-z and 0-9 between single spaces: a look-up per word.
    text = " ".join([_WORDS.get(word, word) for word in text.split(" ")])
    if _SMS_ANY.search(text):
        for pattern, replacement in _SMS_COMPILED:
            text = pattern.sub(replacement, text)
    # Quebec French drops « ne »: « je veux plus » and « je ne veux plus » read the same.
    text = _NE.sub("", text)
    text = _JE_AI.sub("j ai", text)
    return _SPACES.sub(" ", text).strip()


@lru_cache(maxsize=1)
def _table() -> dict[str, str]:
    from bot.services.risk import lemma_table

    return lemma_table.load()


def lemmas(normalized: str) -> str:
    """The normalised text with each French verb or noun the rules name replaced by its
    lemma (« voudrais » -> « vouloir »), from simplemma's dictionary (lemma_table).

    English is matched on the normalised forms themselves: its morphology is light, and a
    lemmatiser turns "better off" into "good off".
    """
    table = _table()
    return " ".join(table.get(word, word) for word in normalized.split())
