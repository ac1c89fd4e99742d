"""`/start` (onboarding, invitations), `/aide`, `/langue`."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.core.errors import Refusal
from bot.core.presses import ONBOARDING, ChooseLanguage
from bot.ports.replies import Reply
from bot.telegram.adapter import set_facilitator_menu
from bot.telegram.context import EntraideContext
from bot.telegram.menus import MEMBER_COMMANDS
from handlers.common import (
    add_commands,
    answer_press,
    args_text,
    button,
    chat,
    chat_id_of,
    pressed,
    require_member,
    send,
    user_id_of,
)

START, HELP, LANGUAGE = (next(c for c in MEMBER_COMMANDS if c.fr == name) for name in ("start", "aide", "langue"))


async def start(update: Update, context: EntraideContext) -> None:
    """Begin onboarding, welcome back, or redeem a facilitator invitation."""
    step = await context.services.onboarding.start(context.member, context.locale, args_text(update))
    await send(update, context, step.reply)
    await _after(update, context, step)


async def onboarding_press(update: Update, context: EntraideContext) -> None:
    """A button of the onboarding flow (language, charter, age, consents)."""
    step = await context.services.onboarding.press(pressed(context), user_id_of(update), chat(update), context.member)
    if step is None:
        raise Refusal("common.stale_button")
    await answer_press(update, context, step.reply)
    await _after(update, context, step)


async def _after(update: Update, context: EntraideContext, step) -> None:
    if step.became_facilitator and step.member is not None:
        await set_facilitator_menu(context.bot, context.services.t, chat_id_of(update), step.member.locale)


async def help_command(update: Update, context: EntraideContext) -> None:
    """What the bot does, the commands, and what it is not (never clinical advice)."""
    t, locale = context.services.t, context.locale
    text = t(locale, "help.member")
    if context.member is not None and context.member.is_facilitator:
        text += "\n\n" + t(locale, "help.facilitator")
    await send(update, context, Reply(text))


async def language(update: Update, context: EntraideContext) -> None:
    """Choose the language of the bot's messages."""
    member = require_member(context)
    await send(update, context, context.services.language.prompt(member, context.locale))


async def language_press(update: Update, context: EntraideContext) -> None:
    """A button of the latest /langue message; an older one says it is stale."""
    member = require_member(context)
    choice = await context.services.language.choose(member, pressed(context))
    context.locale = choice
    await answer_press(update, context, Reply(context.services.t(choice, "language.set")))
    if member.is_facilitator:
        await set_facilitator_menu(context.bot, context.services.t, chat_id_of(update), choice)


def register(app: Application) -> None:
    add_commands(app, [(START, start), (HELP, help_command), (LANGUAGE, language)])
    app.add_handler(button(onboarding_press, *ONBOARDING))
    app.add_handler(button(language_press, ChooseLanguage))
