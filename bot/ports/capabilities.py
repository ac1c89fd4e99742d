"""What a transport can do, so the core adapts instead of assuming Telegram.

Each adapter publishes one `Capabilities`: whether choices can be buttons (else they are
a numbered list answered by number), how long a text or a caption may be and the unit it
is counted in (Telegram: UTF-16 code units; Signal: bytes of UTF-8), how long a sent
message can still be edited or deleted, whether content can be protected from saving
and forwarding, whether the server can copy a message (else media are sent again), how
wide a button label and how long a press's notice may be, and how large a file the bot
may download.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.text import measure, split_text

UTF16 = "utf16"
BYTES = "bytes"
CHARACTERS = "characters"


@dataclass(frozen=True)
class Capabilities:
    name: str
    buttons: bool
    text_limit: int
    caption_limit: int
    unit: str = UTF16
    edit_window: float | None = None  # seconds after sending; None: no limit
    max_edits: int | None = None  # None: no limit
    delete_window: float | None = None
    protect: bool = False
    server_copy: bool = False
    button_width: int = 20  # characters a label keeps for a title (the rest of the label is fixed)
    notice_limit: int = 200  # characters of a press's notice
    max_download: int = 20 * 1024 * 1024  # bytes

    def measure(self, text: str) -> int:
        """The length of `text` in this transport's unit."""
        return measure(text, self.unit)

    def split(self, text: str, limit: int | None = None) -> list[str]:
        """`text` in pieces that each fit `limit` (default: a whole text message)."""
        return split_text(text, limit if limit is not None else self.text_limit, self.unit)

    def fits_text(self, text: str) -> bool:
        return self.measure(text) <= self.text_limit

    def fits_caption(self, text: str) -> bool:
        return self.measure(text) <= self.caption_limit

    def short(self, title: str, spare: int = 0) -> str:
        """A title cut to what a button label holds (`spare`: characters the label's own
        words take beyond the usual)."""
        return title[: max(1, self.button_width - spare)]

    def notice(self, text: str | None) -> str | None:
        """A press's notice cut to what the platform shows (never refused for its length)."""
        if text is None or len(text) <= self.notice_limit:
            return text
        return text[: self.notice_limit - 1] + "…"
