"""Long messages are scored piece by piece: one sentence can carry the risk.

A short message is scored whole. A long one is cut into sentences (end punctuation and
line breaks; a sentence longer than MAX_PIECE is cut at commas, then spaces). The rules
read each sentence; the semantic layer embeds each sentence once and scores both the
sentences and every window of three neighbours (the mean of their vectors: context that
costs nothing more), and the highest counts (bot.services.risk.semantic.Head.message).
"""

from __future__ import annotations

import re

_BOUNDARY = re.compile(r"(?<=[.!?…;])\s+|\n+|(?<=[.!?…])(?=[A-ZÀ-Ý])")
MAX_PIECE = 400  # characters; a longer sentence is cut at commas, then at spaces
WHOLE_UP_TO = 300  # a message this short is scored whole
WINDOW = 3


def _cut(sentence: str) -> list[str]:
    if len(sentence) <= MAX_PIECE:
        return [sentence]
    parts, current = [], ""
    for chunk in re.split(r"(?<=[,:])\s+|\s+(?=(?:mais|but|pis|and)\b)", sentence):
        if current and len(current) + len(chunk) + 1 > MAX_PIECE:
            parts.append(current)
            current = chunk
        else:
            current = f"{current} {chunk}".strip()
    parts.append(current)
    out = []
    for part in parts:
        while len(part) > MAX_PIECE:
            split = part.rfind(" ", 0, MAX_PIECE)
            split = split if split > MAX_PIECE // 2 else MAX_PIECE
            out.append(part[:split])
            part = part[split:].strip()
        if part:
            out.append(part)
    return out


def sentences(text: str) -> list[str]:
    """The sentences of a message, none longer than MAX_PIECE characters."""
    pieces: list[str] = []
    for raw in _BOUNDARY.split(text.strip()):
        raw = raw.strip()
        if re.search(r"\w", raw):
            pieces.extend(_cut(raw))
    return pieces


def pieces(text: str) -> list[str]:
    """What the semantic layer embeds: a short message whole, a long one sentence by sentence."""
    text = text.strip()
    if len(text) <= WHOLE_UP_TO:
        return [text]
    return sentences(text) or [text]
