"""What Signal can do, as the bot uses it through signal-cli (plain data)."""

from __future__ import annotations

from bot.ports.capabilities import BYTES, Capabilities

SIGNAL = "signal"

# Signal, as the bot uses it through signal-cli: numbered choices; 2000 bytes of UTF-8 for
# a body (text or caption) before it becomes a long-text attachment; edits and deletes
# honoured for about a day, at most ten edits; no protection; no server copy; attachments
# up to about 100 MB.
CAPABILITIES = Capabilities(
    name=SIGNAL,
    buttons=False,
    text_limit=2000,
    caption_limit=2000,
    unit=BYTES,
    edit_window=24 * 3600,
    max_edits=10,
    delete_window=24 * 3600,
    protect=False,
    server_copy=False,
    button_width=20,
    notice_limit=200,
    max_download=100 * 1024 * 1024,
)
