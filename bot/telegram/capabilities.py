"""What Telegram can do, as the bot uses it (plain data: importing it loads no `telegram`)."""

from __future__ import annotations

from bot.ports.capabilities import UTF16, Capabilities

TELEGRAM = "telegram"

# Telegram's Bot API, as the bot uses it: inline buttons; 4096 UTF-16 units of text and
# 1024 of caption; a bot edits its own messages in a private chat at any time and deletes
# them within 48 hours; protect_content; copyMessage; a callback answer shows 200
# characters; bots download files of up to 20 MB.
CAPABILITIES = Capabilities(
    name=TELEGRAM,
    buttons=True,
    text_limit=4096,
    caption_limit=1024,
    unit=UTF16,
    edit_window=None,
    max_edits=None,
    delete_window=48 * 3600,
    protect=True,
    server_copy=True,
    button_width=20,
    notice_limit=200,
    max_download=20 * 1024 * 1024,
)
