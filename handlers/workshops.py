"""Workshops: the facilitator's guided `/atelier`, members' `/ateliers` and RSVP buttons."""

from __future__ import annotations

import warnings

from telegram import Update
from telegram.ext import (
    Application,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.core.presses import (
    CancelWorkshop,
    ConfirmCancelWorkshop,
    ConfirmWhen,
    MoveWorkshop,
    Rsvp,
    SkipWorkshopDescription,
)
from bot.ports.replies import Reply
from bot.services.dates import DateError, parse_when
from bot.telegram.context import EntraideContext
from bot.telegram.menus import FACILITATOR_COMMANDS, MEMBER_COMMANDS, Command
from handlers.common import (
    COMMAND_FILTER,
    add_commands,
    answer_press,
    args_text,
    button,
    new_message,
    pressed_as,
    require_member,
    send,
)

WORKSHOP = next(c for c in FACILITATOR_COMMANDS if c.fr == "atelier")
WORKSHOPS = next(c for c in MEMBER_COMMANDS if c.fr == "ateliers")
CANCEL = Command("annuler", "cancel", "menu.cancel")
TITLE, WHEN, CONFIRM, DESCRIPTION = range(4)
TEXT = filters.TEXT & ~filters.COMMAND & filters.UpdateType.MESSAGE & filters.ChatType.PRIVATE


async def begin(update: Update, context: EntraideContext) -> int:
    """`/atelier`: title, then date and time, then an optional description."""
    await send(update, context, await context.services.workshops.begin(require_member(context), args_text(update)))
    return TITLE


async def title(update: Update, context: EntraideContext) -> int:
    member = require_member(context)
    await send(update, context, context.services.workshops.set_title(member, new_message(update).text or ""))
    return WHEN


async def when(update: Update, context: EntraideContext) -> int:
    member = require_member(context)
    try:
        reply = await context.services.workshops.set_when(member, new_message(update).text or "", parse_when)
    except DateError as error:
        await send(update, context, Reply(context.services.t(member.locale, error.key)))
        return WHEN
    await send(update, context, reply)
    return CONFIRM


async def confirm(update: Update, context: EntraideContext) -> int:
    member = require_member(context)
    workshops = context.services.workshops
    if pressed_as(context, ConfirmWhen).answer == "again":
        await answer_press(update, context, Reply(context.services.t(member.locale, "workshops.ask_when")))
        return WHEN
    if workshops.draft(member).workshop_id is not None:
        await answer_press(update, context, await workshops.move(member))
        return ConversationHandler.END
    await answer_press(update, context, workshops.ask_description(member))
    return DESCRIPTION


async def description(update: Update, context: EntraideContext) -> int:
    member = require_member(context)
    workshops = context.services.workshops
    if update.callback_query is not None:
        await answer_press(update, context, await workshops.save(member, ""))
    else:
        await send(update, context, await workshops.save(member, new_message(update).text or ""))
    return ConversationHandler.END


async def abandon(update: Update, context: EntraideContext) -> int:
    await send(update, context, context.services.workshops.abandon(require_member(context)))
    return ConversationHandler.END


async def move_press(update: Update, context: EntraideContext) -> int:
    """From `/ateliers`: a facilitator changes a workshop's date."""
    member = require_member(context)
    press = pressed_as(context, MoveWorkshop)
    workshop = await context.services.workshops.check_facilitated(member, press.workshop_id)
    reply = context.services.workshops.begin_move(member, workshop.id, workshop.room_id)
    await answer_press(update, context, Reply(reply.text, edit=False))
    return WHEN


async def timeout(update: Update, context: EntraideContext) -> None:
    if context.member is not None:
        context.services.workshops.abandon(context.member)


async def list_workshops(update: Update, context: EntraideContext) -> None:
    await send(update, context, await context.services.workshops.upcoming(require_member(context)))


async def rsvp_press(update: Update, context: EntraideContext) -> None:
    member = require_member(context)
    press = pressed_as(context, Rsvp)
    reply = await context.services.workshops.answer(member, press.workshop_id, press.answer)
    await answer_press(update, context, reply)


async def cancel_press(update: Update, context: EntraideContext) -> None:
    """« Annuler » asks first; the confirmation carries a single-use token."""
    member = require_member(context)
    press = pressed_as(context, ConfirmCancelWorkshop, CancelWorkshop)
    workshops = context.services.workshops
    if isinstance(press, ConfirmCancelWorkshop):
        reply = await workshops.cancel(member, press.workshop_id, press.token)
    else:
        assert isinstance(press, CancelWorkshop)
        reply = await workshops.cancel_prompt(member, press.workshop_id)
    await answer_press(update, context, reply)


def register(app: Application) -> None:
    with warnings.catch_warnings():
        # Tracking per chat and user, not per message, is what this exchange wants.
        warnings.filterwarnings("ignore", message="If 'per_message=False'", category=PTBUserWarning)
        conversation = _conversation()
    app.add_handler(conversation)
    add_commands(app, [(WORKSHOPS, list_workshops)])
    app.add_handler(button(rsvp_press, Rsvp))
    app.add_handler(button(cancel_press, CancelWorkshop, ConfirmCancelWorkshop))


def _conversation() -> ConversationHandler:
    return ConversationHandler(
        entry_points=[
            CommandHandler(WORKSHOP.names(), begin, filters=COMMAND_FILTER),
            button(move_press, MoveWorkshop),
        ],
        states={
            TITLE: [MessageHandler(TEXT, title)],
            WHEN: [MessageHandler(TEXT, when)],
            CONFIRM: [button(confirm, ConfirmWhen)],
            DESCRIPTION: [MessageHandler(TEXT, description), button(description, SkipWorkshopDescription)],
            ConversationHandler.TIMEOUT: [MessageHandler(filters.ALL, timeout)],
        },
        fallbacks=[CommandHandler(CANCEL.names(), abandon, filters=COMMAND_FILTER)],
        conversation_timeout=15 * 60,
        name="workshop-draft",
        persistent=False,
    )
