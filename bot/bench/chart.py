"""`python -m bot.bench.chart report.json chart.svg`: the scale bench as an SVG chart.

Reads the JSON of `entraide bench scale --json` and draws, against the number of members
(logarithmic axis), four small panels: RSS, start-up, database size and the time to plan
a 20:00 check-in wave (its processor time: what it costs), each with its measured points, the straight line that linear
growth would give (from the first size whose figure is large enough to time), and the
target where there is one. Plain SVG
written by hand: no plotting library to install.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from xml.sax.saxutils import escape

from bot.bench.runs import GROWTH_FLOORS

PANELS = [  # (key, title, unit, target)
    ("rss_mb", "Mémoire (RSS) · memory", "MB", 300),
    ("startup_s", "Démarrage · start-up", "s", 5),
    ("db_mb", "Base de données · database", "MB", None),
    ("wave_plan_cpu_s", "Vague de 20 h (temps processeur) · 20:00 wave (CPU)", "s", None),
]
W, H = 360, 240  # one panel
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 34, 40


def _nice(value: float) -> float:
    if value <= 0:
        return 1.0
    exponent = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * exponent:
            return step * exponent
    return 10 * exponent


def _number(value: float) -> str:
    return f"{value:,.0f}".replace(",", "\u202f") if value >= 1000 else f"{value:g}"


def panel(entries: list[dict], key: str, title: str, unit: str, target: float | None, x0: int, y0: int) -> list[str]:
    members = [e["members"] for e in entries]
    values = [e[key] for e in entries]
    # Linear growth drawn from the first size large enough to time (bot.bench.runs.GROWTH_FLOORS).
    floor = GROWTH_FLOORS.get(key, 0.0)
    anchor = next((i for i, v in enumerate(values) if v >= floor), 0)
    linear = [values[anchor] * m / members[anchor] for m in members]
    top = _nice(max(values + ([target] if target else []) + [min(max(linear), 2 * max(values))]) * 1.1)
    lo, hi = math.log10(members[0]) - 0.15, math.log10(members[-1]) + 0.15
    inner_w, inner_h = W - LEFT - RIGHT, H - TOP - BOTTOM

    def x(m: float) -> float:
        return x0 + LEFT + (math.log10(m) - lo) / (hi - lo) * inner_w

    def y(v: float) -> float:
        return y0 + TOP + inner_h - min(v, top) / top * inner_h

    out = [
        f'<text x="{x0 + LEFT}" y="{y0 + 20}" class="title">{escape(title)} ({unit})</text>',
        f'<rect x="{x0 + LEFT}" y="{y0 + TOP}" width="{inner_w}" height="{inner_h}" class="frame"/>',
    ]
    for i in range(5):
        v = top * i / 4
        out.append(f'<line x1="{x0 + LEFT}" x2="{x0 + LEFT + inner_w}" y1="{y(v):.1f}" y2="{y(v):.1f}" class="grid"/>')
        out.append(f'<text x="{x0 + LEFT - 6}" y="{y(v) + 4:.1f}" class="tick" text-anchor="end">{_number(v)}</text>')
    for m in members:
        out.append(
            f'<text x="{x(m):.1f}" y="{y0 + H - BOTTOM + 16}" class="tick" text-anchor="middle">{_number(m)}</text>'
        )
    if target:
        out.append(
            f'<line x1="{x0 + LEFT}" x2="{x0 + LEFT + inner_w}" y1="{y(target):.1f}" '
            f'y2="{y(target):.1f}" class="target"/>'
        )
        out.append(
            f'<text x="{x0 + LEFT + inner_w - 4}" y="{y(target) - 4:.1f}" class="tick" '
            f'text-anchor="end">cible · target {target:g}</text>'
        )
    out.append(
        '<polyline class="linear" points="'
        + " ".join(f"{x(m):.1f},{y(v):.1f}" for m, v in zip(members, linear, strict=True))
        + '"/>'
    )
    out.append(
        '<polyline class="measured" points="'
        + " ".join(f"{x(m):.1f},{y(v):.1f}" for m, v in zip(members, values, strict=True))
        + '"/>'
    )
    for m, v in zip(members, values, strict=True):
        out.append(f'<circle cx="{x(m):.1f}" cy="{y(v):.1f}" r="3.5" class="point"/>')
        out.append(f'<text x="{x(m) + 6:.1f}" y="{y(v) - 6:.1f}" class="value">{v:g}</text>')
    return out


def chart(entries: list[dict]) -> str:
    entries = sorted(entries, key=lambda e: e["members"])
    width, height = 2 * W, 2 * H + 40
    body = []
    for index, (key, title, unit, target) in enumerate(PANELS):
        body += panel(entries, key, title, unit, target, (index % 2) * W, (index // 2) * H)
    legend_y = 2 * H + 22
    body += [
        f'<text x="{LEFT}" y="{legend_y - 6 + 6}" class="tick">membres · members (échelle log · log scale)</text>',
        f'<line x1="{W + 10}" x2="{W + 40}" y1="{legend_y}" y2="{legend_y}" class="measured"/>',
        f'<text x="{W + 46}" y="{legend_y + 4}" class="tick">mesuré · measured</text>',
        f'<line x1="{W + 160}" x2="{W + 190}" y1="{legend_y}" y2="{legend_y}" class="linear"/>',
        f'<text x="{W + 196}" y="{legend_y + 4}" class="tick">croissance linéaire · linear</text>',
    ]
    style = (
        ".title{font:600 13px sans-serif;fill:#222}.tick{font:11px sans-serif;fill:#555}"
        ".value{font:600 11px sans-serif;fill:#1f5f8b}.frame{fill:#fff;stroke:#bbb}"
        ".grid{stroke:#eee}.target{stroke:#c0392b;stroke-dasharray:6 4}"
        ".linear{fill:none;stroke:#999;stroke-dasharray:3 3}.measured{fill:none;stroke:#1f5f8b;stroke-width:2}"
        ".point{fill:#1f5f8b}"
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="entraide scale bench">'
        f'<style>{style}</style><rect width="100%" height="100%" fill="#fafafa"/>' + "".join(body) + "</svg>\n"
    )


def scale_entries(report: dict) -> list[dict]:
    return [r for r in report["results"] if r.get("scenario") == "scale" and "rss_mb" in r]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2:
        print("usage: python -m bot.bench.chart REPORT.json CHART.svg", file=sys.stderr)
        return 2
    entries = scale_entries(json.loads(Path(argv[0]).read_text()))
    if len(entries) < 2:
        print("the report needs at least two scale sizes", file=sys.stderr)
        return 2
    Path(argv[1]).write_text(chart(entries), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
