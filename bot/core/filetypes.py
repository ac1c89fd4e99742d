"""What kind of file some bytes are (a member's photo, voice note, video), from their first
bytes, else from a file name: for messengers that take a MIME type with every file."""

from __future__ import annotations

import mimetypes

OCTET = "application/octet-stream"

# The first bytes of the kinds of files members send (photos, voice notes, videos, GIFs).
_MAGIC: tuple[tuple[bytes, int, str], ...] = (
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", 0, "image/png"),
    (b"GIF87a", 0, "image/gif"),
    (b"GIF89a", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
    (b"OggS", 0, "audio/ogg"),
    (b"ID3", 0, "audio/mpeg"),
    (b"%PDF", 0, "application/pdf"),
    (b"\x1aE\xdf\xa3", 0, "video/webm"),
)


def content_type(data: bytes, name: str | None = None) -> str:
    """The MIME type of a file: from its first bytes, else from its name's extension."""
    for magic, offset, kind in _MAGIC:
        if data[offset : offset + len(magic)] == magic:
            return kind
    if data[4:8] == b"ftyp":
        brand = data[8:12]
        return "audio/mp4" if brand in (b"M4A ", b"M4B ") else "video/mp4"
    if data[:2] in (b"\xff\xf1", b"\xff\xf9"):
        return "audio/aac"
    if name:
        guessed, _ = mimetypes.guess_type(name)
        if guessed:
            return guessed
    return OCTET
