"""French typography and unbreakable phone numbers in the message catalogs.

    python -m locales.typography          # check: list what is wrong, exit 1 if anything is
    python -m locales.typography --fix    # rewrite the .po files in place (idempotent)

The choice (Imprimerie nationale's *Lexique des règles typographiques*, which the OQLF's
*Banque de dépannage linguistique* follows for careful typography):
- a narrow no-break space, U+202F, before « ; » « ! » « ? »;
- a no-break space, U+00A0, before « : », after « « » and before « » », and after « n° »;
  an ordinary space there lets a line end with « Pommier stable » and start the next with « : »;
- phone numbers never break: their spaces become U+00A0 and their hyphens U+2011
  (non-breaking hyphen): « 1 866 APPELLE », « 1 866 277-3553 », « 9-8-8 », « 514 600-1002 ».
Only spaces already there are changed: a missing space is not added (the French catalog
also holds a little English, « Welcome! »), and English keeps English punctuation.
Phone numbers are made unbreakable in every language. Every change replaces one character
by one character, so a .po file's line layout is kept.

Also checked, not fixed: « (s) »-style plurals, which must be gettext plural entries
(``msgid_plural``, see bot/core/i18n.py).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

NBSP = "\u00a0"  # no-break space
NNBSP = "\u202f"  # narrow no-break space
NBHYPHEN = "\u2011"  # non-breaking hyphen
_SPACE = f"[ {NBSP}{NNBSP}]"

ROOT = Path(__file__).resolve().parent
DOMAIN = "entraide"

# « 1 866 APPELLE », « 1 800 263-2266 », « 514 600-1002 », « 9-8-8 ».
_SEP = f"[ {NBSP}\\-{NBHYPHEN}]"
PHONE = re.compile(
    rf"(?<![\w\-{NBHYPHEN}])(?:1{_SEP})?\d{{3}}{_SEP}(?:\d{{3}}{_SEP}\d{{4}}|[A-Z]{{5,}})(?![\w\-{NBHYPHEN}])"
    rf"|(?<![\w\-{NBHYPHEN}])\d{_SEP}\d{_SEP}\d(?![\w\-{NBHYPHEN}])"
)
PLURAL_MARK = re.compile(r"\w\((?:s|es|x|ies)\)")

_FRENCH = [
    (re.compile(f"{_SPACE}+(?=[;!?])"), NNBSP),
    (re.compile(f"{_SPACE}+(?=[:»])"), NBSP),
    (re.compile(f"(?<=«){_SPACE}+"), NBSP),
    (re.compile(f"(?<=\\bn°){_SPACE}"), NBSP),
]


def _phone(match: re.Match) -> str:
    return match.group(0).replace(" ", NBSP).replace(NNBSP, NBSP).replace("-", NBHYPHEN)


def fix_text(text: str, locale: str) -> str:
    """The text with French spacing (for French) and unbreakable phone numbers."""
    if locale == "fr":
        for pattern, space in _FRENCH:
            # Each run of spaces becomes one no-break space: keep the length when the run is
            # one character (always so in the catalogs), so a .po line keeps its layout.
            text = pattern.sub(space, text)
    return PHONE.sub(_phone, text)


def problems(text: str, locale: str) -> list[str]:
    """What is wrong in one message, in words (empty: nothing)."""
    found = []
    fixed = fix_text(text, locale)
    if fixed != text:
        at = (
            next(i for i, (a, b) in enumerate(zip(text, fixed, strict=True)) if a != b)
            if len(text) == len(fixed)
            else 0
        )
        found.append(f"spacing or phone number near {text[max(0, at - 20) : at + 20]!r}")
    for mark in PLURAL_MARK.finditer(text):
        found.append(f"{mark.group(0)!r}: use a plural entry (msgid_plural), not a (s)")
    return found


def plain(text: str) -> str:
    """The text with ordinary spaces and hyphens again: for matching what a person typed."""
    return text.replace(NBSP, " ").replace(NNBSP, " ").replace(NBHYPHEN, "-")


# ----------------------------------------------------------------- .po files, line by line
_ESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n", "\\t": "\t", "\\r": "\r"}
_UNESCAPES = {v: k for k, v in _ESCAPES.items()}
_STRING = re.compile(r'^(?P<head>(?:msgstr(?:\[\d+\])?|msgid|msgid_plural|msgctxt)\s+)?"(?P<body>.*)"\s*$')


def _unescape(body: str) -> str:
    return re.sub(r'\\[\\"ntr]', lambda m: _ESCAPES[m.group(0)], body)


def _escape(text: str) -> str:
    return "".join(_UNESCAPES.get(c, c) for c in text)


def _string(line: str) -> re.Match[str]:
    """The string of a line `_entries` found one on."""
    match = _STRING.match(line)
    assert match is not None
    return match


def _entries(lines: list[str]):
    """(indices of the msgstr string lines of one entry, is_header) for every entry."""
    current: list[int] = []
    keyword = None
    header = False
    for index, line in enumerate(lines):
        match = _STRING.match(line)
        if match and match.group("head"):
            word = match.group("head").split()[0].split("[")[0]
            if word == "msgid":
                if current:
                    yield current, header
                current = []
                header = match.group("body") == ""
            elif word == "msgstr" and current and keyword == "msgstr":  # msgstr[1] after msgstr[0]: a new form
                yield current, header
                current = []
            keyword = word
            if word == "msgstr":
                current.append(index)
        elif match and keyword == "msgstr":
            current.append(index)
        elif not match:
            keyword = None if line.strip() == "" or line.startswith("#") else keyword
    if current:
        yield current, header


def messages(path: Path) -> list[str]:
    """Every translated string of a .po file (each plural form on its own)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [
        "".join(_unescape(_string(lines[i]).group("body")) for i in indices)
        for indices, header in _entries(lines)
        if not header
    ]


def fix_file(path: Path, locale: str) -> bool:
    """Rewrite one .po file; True when something changed."""
    original = path.read_text(encoding="utf-8")
    lines = original.split("\n")
    for indices, header in _entries(lines):
        if header:
            continue
        parts = []
        for i in indices:
            match = _string(lines[i])
            parts.append((i, match.group("head") or "", _unescape(match.group("body"))))
        whole = "".join(text for _, _, text in parts)
        fixed = fix_text(whole, locale)
        if fixed == whole:
            continue
        if len(fixed) != len(whole):  # a run of spaces shrank: put it all on the first line
            layout = [len(whole)] + [0] * (len(parts) - 1)
        else:
            layout = [len(text) for _, _, text in parts]
        at = 0
        for (i, head, _), size in zip(parts, layout, strict=True):
            lines[i] = f'{head}"{_escape(fixed[at : at + size])}"'
            at += size
    text = "\n".join(lines)
    if text != original:
        path.write_text(text, encoding="utf-8")
        return True
    return False


def catalog_paths(root: Path = ROOT) -> dict[str, Path]:
    return {p.parent.parent.name: p for p in sorted(root.glob(f"*/LC_MESSAGES/{DOMAIN}.po"))}


def check(root: Path = ROOT) -> list[str]:
    """Every problem of every catalog, as « locale: problem » lines."""
    report = []
    for locale, path in catalog_paths(root).items():
        for message in messages(path):
            report += [f"{locale}: {p}" for p in problems(message, locale)]
    return report


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    root = ROOT
    if "--root" in argv:
        root = Path(argv[argv.index("--root") + 1])
    if "--fix" in argv:
        for locale, path in catalog_paths(root).items():
            if fix_file(path, locale):
                print(f"fixed {path}")
    report = check(root)
    for line in report:
        print(line)
    return 1 if report else 0


if __name__ == "__main__":
    sys.exit(main())
