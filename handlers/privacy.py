"""Members' rights: `/confidentialite`, `/mesdonnees`, `/oublier`."""

from __future__ import annotations

from telegram import Update
from telegram.ext import Application

from bot.core.presses import ForgetMe, KeepMe, ToggleConsent
from bot.ports.replies import Reply
from bot.telegram.context import EntraideContext
from bot.telegram.menus import MEMBER_COMMANDS
from handlers.common import add_commands, answer_press, button, chat, pressed_as, require_member, send

_CMD = {c.fr: c for c in MEMBER_COMMANDS}


async def privacy(update: Update, context: EntraideContext) -> None:
    """What is kept, why, how long, who sees it; a toggle per optional consent."""
    await send(update, context, context.services.privacy.overview(require_member(context)))


async def privacy_press(update: Update, context: EntraideContext) -> None:
    member = require_member(context)
    press = pressed_as(context, ToggleConsent)
    await answer_press(update, context, await context.services.privacy.toggle(member, press.bit))


async def my_data(update: Update, context: EntraideContext) -> None:
    """Everything kept about the member, as a JSON file in the chat, in their language."""
    member = require_member(context)
    services = context.services
    data = await services.privacy.export(member)
    services.answers.document(
        chat(update),
        data,
        services.t(member.locale, "privacy.export_filename"),
        caption=services.t(member.locale, "privacy.export_caption"),
        member_id=member.id,
    )


async def forget(update: Update, context: EntraideContext) -> None:
    await send(update, context, context.services.privacy.forget_prompt(require_member(context)))


async def forget_press(update: Update, context: EntraideContext) -> None:
    """« Oui, tout effacer » (with the token of a pending request) or « Non »."""
    member = require_member(context)
    press = pressed_as(context, ForgetMe, KeepMe)
    if isinstance(press, ForgetMe):
        reply = await context.services.privacy.forget(member, press.token)
    else:
        reply = Reply(context.services.t(member.locale, "privacy.forget_cancelled"))
    await answer_press(update, context, reply)


def register(app: Application) -> None:
    add_commands(app, [(_CMD["confidentialite"], privacy), (_CMD["mesdonnees"], my_data), (_CMD["oublier"], forget)])
    app.add_handler(button(privacy_press, ToggleConsent))
    app.add_handler(button(forget_press, ForgetMe, KeepMe))
