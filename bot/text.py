"""Text helpers that respect Telegram's limits (counted in UTF-16 code units)."""

from __future__ import annotations

MAX_TEXT = 4096
MAX_CAPTION = 1024


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int) -> list[str]:
    """Split into pieces of at most `limit` UTF-16 units, at a space or newline when possible.

    Nothing is dropped: joining the pieces (with the whitespace they were cut at) gives
    the text back.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    pieces: list[str] = []
    rest = text
    while utf16_len(rest) > limit:
        # Longest prefix within the limit, in code points.
        cut, units = 0, 0
        for index, char in enumerate(rest):
            size = 2 if ord(char) > 0xFFFF else 1
            if units + size > limit:
                break
            units += size
            cut = index + 1
        window = rest[:cut]
        space = max(window.rfind("\n"), window.rfind(" "))
        if space > cut // 2:
            pieces.append(rest[:space])
            rest = rest[space + 1:]
        else:
            pieces.append(window)
            rest = rest[cut:]
    pieces.append(rest)
    return pieces
