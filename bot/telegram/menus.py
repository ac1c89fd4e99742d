"""The command menus shown by Telegram, per language, and a larger one for facilitators
(the commands themselves are the same on every messenger: bot/core/commands.py)."""

from __future__ import annotations

from bot.core.commands import FACILITATOR_COMMANDS, MEMBER_COMMANDS, Command, menu

__all__ = ["FACILITATOR_COMMANDS", "MEMBER_COMMANDS", "Command", "menu"]
