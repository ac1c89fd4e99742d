"""Does a message suggest a risk to someone's life? A pure function, in three layers.

`assess(text)` never decides anything by itself: it tells the relay how much care to
offer, and the member always chooses.

1. Normalisation (bot.services.risk.normalize): case, accents, elisions, SMS and Quebec
   spellings, lemmas.
2. Rules (bot.services.risk.rules): a short list of explicit first-person expressions
   (« je veux mourir », "kill myself"), matched on lemmas with up to three words in
   between; a rule that fires means `hold`. Everyday look-alikes (« mort de rire »,
   "dying to see it") are removed first; a bare « suicide » never fires.
3. Semantic (bot.services.risk.semantic): multilingual sentence embeddings computed on
   this machine and a head trained on the corpus's training split. A long message is
   scored sentence by sentence and in windows of three (bot.services.risk.sentences);
   the highest counts.
4. Lexical (bot.services.risk.lexical): the words and letter sequences of each piece,
   normalised, whose weighted score is added to that piece's semantic one.

Levels: `hold` (the message is held, resources and a choice are offered privately),
`gentle` (the message goes to the room, a short private note with the resources goes to
the sender), `none`. The score and the rule stay in memory: never stored, never logged.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from bot.services.risk.normalize import normalize
from bot.services.risk.rules import fires, fires_in
from bot.services.risk.sentences import pieces, sentences

__all__ = ["Assessment", "assess", "normalize"]

Level = Literal["none", "gentle", "hold"]
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Assessment:
    level: Level = "none"
    matched: str | None = None  # "rule" or "semantic", for tests only; never logged with the text
    score: float | None = None  # the highest piece's decision value; never stored or logged

    @property
    def at_risk(self) -> bool:
        """Resources are offered (held or not)."""
        return self.level != "none"

    @property
    def hold(self) -> bool:
        return self.level == "hold"


NONE = Assessment()
_semantic_failed = False


def _unavailable(error: Exception) -> None:
    """The rules still stand; say so once, with the error's type and never any text."""
    global _semantic_failed
    if not _semantic_failed:
        _semantic_failed = True
        log.error("crisis detector: semantic layer unavailable (%s); rules only", type(error).__name__)


def _semantic(parts: list[str], normalized: list[str]) -> float | None:
    """The best view's score, semantic and lexical (`Head.total`), or None if the model
    cannot run."""
    try:
        from bot.services.risk import semantic

        return semantic.head().total(semantic.embedder().encode(parts), normalized)
    except Exception as error:
        _unavailable(error)
        return None


def assess(text: str | None) -> Assessment:
    """How much care does this message call for: none, a gentle note, or a hold?"""
    if not text or not text.strip():
        return NONE
    # Each sentence is normalised once, for the rules and, in a long message (whose pieces
    # are its sentences), for the lexical layer.
    said = sentences(text) or [text]
    normalized = [normalize(sentence) for sentence in said]
    if fires_in(said, normalized):
        return Assessment("hold", "rule")
    parts = pieces(text)
    if parts != said:
        normalized = [normalize(part) for part in parts]
    score = _semantic(parts, normalized)
    if score is None:
        return NONE
    from bot.services.risk.semantic import head

    thresholds = head()
    if score >= thresholds.hold:
        return Assessment("hold", "semantic", score)
    if score >= thresholds.gentle:
        return Assessment("gentle", "semantic", score)
    return Assessment("none", None, score)


def warm_up(scratch: Path | None = None) -> None:
    """Load the model at start, so that a member's first message is not the slow one.
    `scratch` (the data directory) is where the encoder may keep its token table on disk."""
    from bot.services.risk import semantic

    try:
        fires("Je veux mourir. I want to die.")  # loads the lemma tables too
        semantic.warm_up(scratch)
    except Exception as error:
        _unavailable(error)
