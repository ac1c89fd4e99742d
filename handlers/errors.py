"""One error handler: refusals become kind localized answers, failures a log line without ids."""

from __future__ import annotations

import logging
import traceback

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.core.errors import DeliveryError, Refusal
from bot.core.i18n import negotiate
from bot.telegram.adapter import chat_of
from bot.telegram.context import EntraideContext

log = logging.getLogger("entraide.errors")


async def unknown_command(update: Update, context: EntraideContext) -> None:
    raise Refusal("common.unknown_command")


async def unsupported_update(update: Update, context: EntraideContext) -> None:
    """Buttons nobody registered (old versions, forged data)."""
    raise Refusal("common.stale_button")


async def _locale(update: Update, context: EntraideContext) -> str:
    """The person's language again: PTB gives an error handler a fresh context, without
    what the identity middleware resolved for the update."""
    user = update.effective_user
    if user is None:
        return context.locale
    try:
        identity = await context.services.members.identify(user.id)
    except Exception:  # the database itself failing: answer in Telegram's language
        return negotiate(None, user.language_code)
    return negotiate(identity.member.locale if identity.member else None, user.language_code)


async def on_error(update: object, context: EntraideContext) -> None:
    error = context.error
    services = context.services
    if not isinstance(update, Update):
        log.error("background failure: %s", type(error).__name__)
        return
    locale = await _locale(update, context)
    if isinstance(error, Refusal):
        text = services.t(locale, error.key, **error.params)
    else:
        if isinstance(error, DeliveryError):
            log.warning("delivery failed while handling an update: %s", type(error).__name__)
        else:
            # The traceback's code lines only: an exception's message may quote what was typed.
            log.error(
                "handler failed: %s\n%s",
                type(error).__name__,
                "".join(traceback.format_tb(error.__traceback__ if error else None)),
            )
        text = services.t(locale, "common.oops")
    try:
        if update.callback_query is not None:
            await services.transport.acknowledge(update.callback_query.id, text, alert=True)
        elif update.effective_chat is not None and update.effective_message is not None:
            services.answers.text(
                chat_of(update.effective_chat.id), text, member_id=context.member.id if context.member else None
            )
    except DeliveryError as failure:
        log.warning("could not tell the person about a failure: %s", type(failure).__name__)


def register(app: Application) -> None:
    """Registered after every other handler of group 0."""
    app.add_handler(MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, unknown_command))
    app.add_handler(CallbackQueryHandler(unsupported_update))
    app.add_error_handler(on_error)
