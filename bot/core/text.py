"""Text helpers: splitting under a length limit counted in the transport's unit, and the
bot's own formatting (entities, whose offsets are UTF-16 code units on every platform).

The limits themselves belong to each transport (`bot.ports.capabilities`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _utf16_units(char: str) -> int:
    return 2 if ord(char) > 0xFFFF else 1


def _utf8_units(char: str) -> int:
    return len(char.encode("utf-8"))


UNIT_SIZES: dict[str, Callable[[str], int]] = {"utf16": _utf16_units, "bytes": _utf8_units, "characters": lambda c: 1}


def measure(text: str, unit: str = "utf16") -> int:
    """The length of `text` counted in `unit` ("utf16", "bytes" of UTF-8, "characters")."""
    if unit == "utf16":
        return utf16_len(text)
    if unit == "bytes":
        return len(text.encode("utf-8"))
    return len(text)


def split_text(text: str, limit: int, unit: str = "utf16") -> list[str]:
    """Split into pieces of at most `limit` units, at a space or newline when possible.

    Nothing is dropped: joining the pieces (with the whitespace they were cut at) gives
    the text back.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    size_of = UNIT_SIZES[unit]
    pieces: list[str] = []
    rest = text
    while measure(rest, unit) > limit:
        # Longest prefix within the limit, in code points.
        cut, units = 0, 0
        for index, char in enumerate(rest):
            size = size_of(char)
            if units + size > limit:
                break
            units += size
            cut = index + 1
        cut = max(cut, 1)  # a single character wider than the limit still moves on
        window = rest[:cut]
        space = max(window.rfind("\n"), window.rfind(" "))
        if space > cut // 2:
            pieces.append(rest[:space])
            rest = rest[space + 1 :]
        else:
            pieces.append(window)
            rest = rest[cut:]
    pieces.append(rest)
    return pieces


# ------------------------------------------------------------------ labels and entities
@dataclass(frozen=True)
class Entity:
    """A formatting span the bot itself sets (never one typed by a member), in UTF-16 units."""

    kind: str  # "bold"
    offset: int
    length: int


@dataclass(frozen=True)
class Styled:
    """Text with the bot's own entities. Members' words are relayed as plain text, so a
    span in bold at the start of a line can only be a label the bot wrote."""

    text: str
    entities: tuple[Entity, ...] = ()

    def __add__(self, other: Styled) -> Styled:
        shift = utf16_len(self.text)
        moved = tuple(Entity(e.kind, e.offset + shift, e.length) for e in other.entities)
        return Styled(self.text + other.text, self.entities + moved)


def join_lines(lines: list[Styled]) -> Styled:
    """Lines of one message, one after the other, entities moved to where they land."""
    combined = Styled("")
    for index, line in enumerate(lines):
        combined = combined + (Styled("\n") if index else Styled("")) + line
    return combined


def split_labelled(message: Styled) -> list[Styled] | None:
    """Cut a message the bot sent back into its labelled lines: each starts with a bold
    label at the start of a line. None if the message does not start with one."""
    starts: list[int] = []  # UTF-16 offsets of labels that open a line
    units = _utf16_offsets(message.text)
    for entity in sorted(message.entities, key=lambda e: e.offset):
        if entity.kind != "bold":
            continue
        index = units.get(entity.offset)
        if index is not None and (index == 0 or message.text[index - 1] == "\n"):
            starts.append(index)
    if not starts or starts[0] != 0:
        return None
    lines = []
    for number, start in enumerate(starts):
        end = starts[number + 1] - 1 if number + 1 < len(starts) else len(message.text)
        text = message.text[start:end]
        base, limit = utf16_len(message.text[:start]), utf16_len(message.text[:end])
        lines.append(
            Styled(
                text,
                tuple(Entity(e.kind, e.offset - base, e.length) for e in message.entities if base <= e.offset < limit),
            )
        )
    return lines


def _utf16_offsets(text: str) -> dict[int, int]:
    """UTF-16 offset -> index in the string, for every character start."""
    offsets, units = {}, 0
    for index, char in enumerate(text):
        offsets[units] = index
        units += 2 if ord(char) > 0xFFFF else 1
    offsets[units] = len(text)
    return offsets


# Characters that draw nothing or reorder what is drawn: with them, a member's words could
# pass for a label (a pseudonym padded with U+200B, a line turned around by U+202E).
_INVISIBLE = {
    0x00AD,
    0x034F,
    0x061C,
    0x115F,
    0x1160,
    0x17B4,
    0x17B5,
    0x180B,
    0x180C,
    0x180D,
    0x180E,
    0x180F,
    0x200B,
    0x200C,
    0x200E,
    0x200F,
    0x202A,
    0x202B,
    0x202C,
    0x202D,
    0x202E,
    0x2060,
    0x2061,
    0x2062,
    0x2063,
    0x2064,
    0x2066,
    0x2067,
    0x2068,
    0x2069,
    0x206A,
    0x206B,
    0x206C,
    0x206D,
    0x206E,
    0x206F,
    0x3164,
    0xFEFF,
    0xFFA0,
    0xFFF9,
    0xFFFA,
    0xFFFB,
}
_ZWJ = 0x200D
_LINE_BREAKS = {0x000B, 0x000C, 0x001C, 0x001D, 0x001E, 0x0085, 0x2028, 0x2029}


def neutralise(text: str) -> str:
    """Drop invisible and bidirectional control characters; other line breaks become
    plain ones (so each is marked as a continuation). A zero-width joiner stays only
    between two symbols (emoji sequences such as 👩‍👧)."""
    out = []
    for index, char in enumerate(text):
        code = ord(char)
        if code in _INVISIBLE or 0xE0000 <= code <= 0xE007F and not _in_flag(text, index):
            continue
        if code == _ZWJ:
            before = text[index - 1] if index else ""
            after = text[index + 1] if index + 1 < len(text) else ""
            if not (_symbol(before) and _symbol(after)):
                continue
        if code in _LINE_BREAKS or char == "\r":
            if char == "\r" and text[index + 1 : index + 2] == "\n":
                continue
            char = "\n"
        out.append(char)
    return "".join(out)


def _symbol(char: str) -> bool:
    return bool(char) and (ord(char) >= 0x2190 and not char.isalnum() or ord(char) == 0xFE0F)


def _in_flag(text: str, index: int) -> bool:
    """Tag characters belong to a subdivision flag (🏴 + tags), nowhere else."""
    start = index
    while start > 0 and 0xE0000 <= ord(text[start - 1]) <= 0xE007F:
        start -= 1
    return start > 0 and text[start - 1] == "\U0001f3f4"


def mark_lines(body: str, mark: str) -> str:
    """A member's words made safe to show after a label: invisible and bidi controls
    dropped, and every line after the first starts with `mark` (a continuation), so no
    line of theirs can start where the bot's labels do."""
    lines = neutralise(body).split("\n")
    return "\n".join([lines[0]] + [mark + line for line in lines[1:]])


def labelled(render, words: str, mark: str = "") -> Styled:
    """One labelled line: `render(x)` gives the template with `x` where the words go
    (« Héron calme : x »); the label before them is set in bold by the bot (an entity,
    no parse mode). `words` come from `mark_lines`; when the template puts them on a line
    of their own, their first line gets `mark` too."""
    sentinel = "\ufffc"
    before, _, after = render(sentinel).partition(sentinel)
    if before.endswith("\n"):
        words = mark + words
    label = before.rstrip(" :\n\u00a0\u202f—-")
    entities = (Entity("bold", 0, utf16_len(label)),) if label else ()
    return Styled(before + words + after, entities)
