"""The typed context every handler receives: services, the member and their language."""

from __future__ import annotations

from typing import TYPE_CHECKING

from telegram.ext import Application, CallbackContext, ExtBot

from bot.core.i18n import DEFAULT_LOCALE

if TYPE_CHECKING:
    from bot.services import Services
    from storage.members import Member

SERVICES_KEY = "services"


class EntraideContext(CallbackContext[ExtBot, dict, dict, dict]):
    """Resolved once per update by the identity middleware (handlers/middleware.py)."""

    def __init__(self, application: Application, chat_id: int | None = None, user_id: int | None = None) -> None:
        super().__init__(application, chat_id, user_id)
        self.member: Member | None = None
        self.locale: str = DEFAULT_LOCALE
        # A button press's data, once its seal is checked (bot/core/buttons.py).
        self.press: str | None = None

    @property
    def services(self) -> Services:
        return self.application.bot_data[SERVICES_KEY]
