"""The labelled corpus: TSV lines `lang  label  category  split  text`.

`label` is the care a careful person would choose: `hold`, `gentle` or `none`.
The training split builds and tunes the detector; the held-out split, written apart
from it by other hands, only measures it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

LABELS = ("hold", "gentle", "none")
RISK_CATEGORIES = ("ideation", "hopeless", "farewell", "plan", "selfharm", "third_party", "long", "sms")
CALM_CATEGORIES = ("idiom", "distress", "media", "gaming", "recovered", "prevention", "everyday", "long_none")

# In a source checkout the corpus sits with the tests; an installed bot has none.
CORPUS_DIR = Path(__file__).resolve().parents[3] / "tests" / "data" / "crisis"


class CorpusError(ValueError):
    """A line of a corpus file that cannot be read."""


@dataclass(frozen=True)
class Line:
    lang: str
    label: str
    category: str
    split: str
    text: str
    source: str = field(default="", compare=False)  # the file it came from (its writer): folds keep them together

    @property
    def at_risk(self) -> bool:
        return self.label != "none"


def read(path: Path) -> list[Line]:
    """Every line of one TSV file; a malformed line is an error naming its number."""
    lines = []
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not raw.strip() or raw.startswith("#"):
            continue
        fields = raw.split("\t")
        if len(fields) != 5:
            raise CorpusError(f"{path.name}:{number}: expected 5 tab-separated fields, got {len(fields)}")
        lang, label, category, split, text = (f.strip() for f in fields)
        if label not in LABELS:
            raise CorpusError(f"{path.name}:{number}: unknown label {label!r}")
        if lang not in ("fr", "en"):
            raise CorpusError(f"{path.name}:{number}: unknown language {lang!r}")
        lines.append(Line(lang, label, category, split, text, path.name))
    return lines


def split(name: str, folder: Path = CORPUS_DIR) -> list[Line]:
    """All lines of one split (`train` or `heldout`) from the corpus folder."""
    return [line for path in sorted(folder.glob("*.tsv")) for line in read(path) if line.split == name]
