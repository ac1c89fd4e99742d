"""`/langue`: the member chooses the language of the bot's messages.

Each `/langue` message carries a fresh nonce in its buttons; only the latest one counts.
A button of an older `/langue` message (or one from before a restart) says it is stale
instead of switching the language silently.
"""

from __future__ import annotations

import secrets

from bot.core.errors import Refusal
from bot.core.i18n import LOCALES, Translator
from bot.core.presses import ChooseLanguage
from bot.ports.replies import Reply
from bot.ports.transport import Button
from bot.services.members import MemberService
from storage.members import Member

NAMES = {"fr": "Français", "en": "English"}  # each language named in itself, on every screen


class LanguageService:
    def __init__(self, t: Translator, members: MemberService) -> None:
        self.t = t
        self.members = members
        self._prompts: dict[int, str] = {}  # member id -> nonce of their latest /langue message

    def prompt(self, member: Member, locale: str) -> Reply:
        """The question and one button per language, bound to this very message."""
        nonce = secrets.token_urlsafe(6)
        self._prompts[member.id] = nonce
        return Reply(
            self.t(locale, "language.choose"),
            [[Button(NAMES[code], ChooseLanguage(code, nonce).pack()) for code in LOCALES]],
        )

    async def choose(self, member: Member, data: str) -> str:
        """A press on a /langue button: the language chosen (raises Refusal if stale)."""
        press = ChooseLanguage.unpack(data)
        if press is None:
            raise Refusal("common.stale_button")
        nonce = self._prompts.get(member.id)
        if nonce is None or not secrets.compare_digest(nonce, press.nonce):
            raise Refusal("language.stale")
        del self._prompts[member.id]  # used: the message is edited and loses its buttons
        await self.members.set_locale(member.id, press.locale)
        return press.locale
