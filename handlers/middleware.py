"""Done once before every handler: private chats only, sealed buttons, bans, who is writing,
their language."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application, ApplicationHandlerStop, TypeHandler

from bot.core.buttons import plain
from bot.core.i18n import negotiate
from bot.core.presses import is_onboarding
from bot.services.flood import SLOW_DOWN
from bot.telegram.adapter import chat_of
from bot.telegram.context import EntraideContext

IDENTIFY_GROUP = -100


async def identify(update: Update, context: EntraideContext) -> None:
    chat, user = update.effective_chat, update.effective_user
    if chat is None or user is None or chat.type != "private" or user.is_bot:
        raise ApplicationHandlerStop  # the bot lives in private chats only
    services = context.services
    identity = await services.members.identify(user.id)
    if identity.banned:
        locale = negotiate(None, user.language_code)
        if update.callback_query:
            await services.transport.acknowledge(update.callback_query.id)
        if update.message:
            services.answers.text(chat_of(chat.id), services.t(locale, "common.banned"))
        raise ApplicationHandlerStop
    context.member = identity.member
    context.locale = negotiate(identity.member.locale if identity.member else None, user.language_code)
    if update.callback_query is not None:
        # The one check every press goes through: the bot issued this data to this chat.
        context.press = services.seal.open(chat.id, update.callback_query.data)
        if context.press is None:
            await services.transport.acknowledge(
                update.callback_query.id, services.t(context.locale, "common.stale_button"), alert=True
            )
            raise ApplicationHandlerStop
    kind = _action(update)
    if kind is not None:
        # Keyed in memory only: the member, else (before onboarding) the person's chat.
        verdict = services.gates.check(kind, identity.member.id if identity.member else -chat.id)
        if verdict != "ok":
            notice = services.t(context.locale, SLOW_DOWN[kind]) if verdict == "refuse" else None
            if update.callback_query is not None:
                await services.transport.acknowledge(update.callback_query.id, notice, alert=notice is not None)
            elif notice is not None:
                services.answers.text(
                    chat_of(chat.id), notice, member_id=identity.member.id if identity.member else None
                )
            raise ApplicationHandlerStop
    if identity.member is not None and services.onboarding.needs_consent(identity.member):
        if _is_onboarding(update):
            return
        reply = services.onboarding.reconsent_screen(identity.member, context.locale)
        if update.callback_query:
            await services.transport.acknowledge(update.callback_query.id)
        services.answers.text(
            chat_of(chat.id), services.t(context.locale, "onboarding.consent_again"), member_id=identity.member.id
        )
        services.answers.text(chat_of(chat.id), reply.text, buttons=reply.buttons, member_id=identity.member.id)
        raise ApplicationHandlerStop


def _action(update: Update) -> str | None:
    """The kinds of action limited per member (messages have their own gate, in the relay)."""
    if update.callback_query is not None:
        return "press"
    if update.edited_message is not None:
        return "edit"
    message = update.message
    if message and message.text and message.text.startswith("/"):
        return "command"
    return None


def _is_onboarding(update: Update) -> bool:
    if update.callback_query:
        return is_onboarding(plain(update.callback_query.data))
    text = (update.message.text if update.message else None) or ""
    return bool(text) and text.split()[0].split("@")[0] == "/start"


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, identify), group=IDENTIFY_GROUP)
