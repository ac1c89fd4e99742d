"""Measure the detector on labelled lines: per language and category, with 95 % intervals.

Recall counts a risky line (label hold or gentle) as caught when resources are offered at
any level. False alarms are counted twice on calm lines (label none): held, and held or
noted. Intervals are Wilson score intervals, which stay honest near 0 % and 100 %.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from bot.services.risk.corpus import Line

Z95 = 1.959963984540054


def wilson(successes: int, total: int, z: float = Z95) -> tuple[float, float]:
    """The 95 % Wilson score interval of a proportion."""
    if total == 0:
        return (0.0, 1.0)
    p = successes / total
    denominator = 1 + z * z / total
    centre = (p + z * z / (2 * total)) / denominator
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


@dataclass(frozen=True)
class Rate:
    hits: int
    total: int

    @property
    def value(self) -> float:
        return self.hits / self.total if self.total else 0.0

    def __str__(self) -> str:
        if not self.total:
            return "—"
        low, high = wilson(self.hits, self.total)
        return f"{self.value:6.1%} [{low:.1%}–{high:.1%}] ({self.hits}/{self.total})"


@dataclass
class Group:
    """Counts for one slice of the lines (a language, a category, or both)."""

    risky: int = 0
    caught: int = 0
    calm: int = 0
    held: int = 0
    flagged: int = 0  # held or noted

    def add(self, line: Line, level: str) -> None:
        if line.at_risk:
            self.risky += 1
            self.caught += level != "none"
        else:
            self.calm += 1
            self.held += level == "hold"
            self.flagged += level != "none"

    @property
    def recall(self) -> Rate:
        return Rate(self.caught, self.risky)

    @property
    def hold_alarms(self) -> Rate:
        return Rate(self.held, self.calm)

    @property
    def any_alarms(self) -> Rate:
        return Rate(self.flagged, self.calm)


@dataclass(frozen=True)
class Labels:
    """The report's words, in the operator's language (the CLI passes them from the catalogs)."""

    intro: str = "Recall (any level) on risky lines; false alarms on calm lines (held | held or noted)."
    recall: str = "recall"
    held: str = "held"
    flagged: str = "held or noted"
    category: str = "category"
    missed: str = "Missed"
    alarms: str = "False alarms"


@dataclass
class Report:
    languages: dict[str, Group] = field(default_factory=dict)
    categories: dict[tuple[str, str], Group] = field(default_factory=dict)
    misses: list[tuple[Line, str]] = field(default_factory=list)
    alarms: list[tuple[Line, str]] = field(default_factory=list)

    def render(self, words: Labels = Labels()) -> str:
        out = [words.intro, ""]
        for lang, group in sorted(self.languages.items()):
            out.append(f"[{lang}] {words.recall} {group.recall}")
            out.append(f"     {words.held} {group.hold_alarms}   {words.flagged} {group.any_alarms}")
        out.append("")
        out.append(f"{'':4} {words.category:12} {words.recall:32} {words.held:32} {words.flagged:32}")
        for (lang, category), group in sorted(self.categories.items()):
            recall = str(group.recall) if group.risky else ""
            held = str(group.hold_alarms) if group.calm else ""
            flagged = str(group.any_alarms) if group.calm else ""
            out.append(f"{lang:4} {category:12} {recall:32} {held:32} {flagged:32}")
        out.append("")
        out.append(f"{words.missed} ({len(self.misses)}):")
        out += [f"  {line.lang} {line.category:11} {line.label:6} {line.text}" for line, _ in self.misses]
        out.append(f"{words.alarms} ({len(self.alarms)}):")
        out += [f"  {line.lang} {line.category:11} {level:6} {line.text}" for line, level in self.alarms]
        return "\n".join(out)


def evaluate(lines: Iterable[Line], level_of: Callable[[str], str]) -> Report:
    """Run every line through `level_of(text)` ("none", "gentle" or "hold") and count."""
    report = Report()
    for line in lines:
        level = level_of(line.text)
        report.languages.setdefault(line.lang, Group()).add(line, level)
        report.categories.setdefault((line.lang, line.category), Group()).add(line, level)
        if line.at_risk and level == "none":
            report.misses.append((line, level))
        elif not line.at_risk and level != "none":
            report.alarms.append((line, level))
    return report
