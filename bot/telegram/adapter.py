"""The Telegram implementation of the transport port (python-telegram-bot)."""

from __future__ import annotations

import json
import logging

from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    BotCommandScopeDefault,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    ReplyParameters,
    Update,
)
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest

from bot.core import errors
from bot.core.buttons import ButtonSeal
from bot.core.text import Entity, Styled
from bot.monitoring import metrics
from bot.ports.transport import Button, Keyboard, Sent
from bot.telegram.menus import FACILITATOR_COMMANDS, MEMBER_COMMANDS, menu

log = logging.getLogger(__name__)


def markup(buttons: Keyboard | None, seal=None) -> InlineKeyboardMarkup | None:
    """Inline buttons; `seal(data)` seals each callback data for the chat it goes to."""
    if not buttons:
        return None
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(b.label, url=b.url)
                if b.url
                else InlineKeyboardButton(b.label, callback_data=seal(b.data) if seal else b.data)
                for b in row
            ]
            for row in buttons
        ]
    )


def _reply(reply_to: int | None) -> ReplyParameters | None:
    if reply_to is None:
        return None
    return ReplyParameters(message_id=reply_to, allow_sending_without_reply=True)


def _entities(entities) -> list[MessageEntity] | None:
    return [MessageEntity(e.kind, e.offset, e.length) for e in entities] or None


def _retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


class TelegramTransport:
    """Maps the port onto Bot API calls and Telegram errors onto delivery errors."""

    def __init__(self, bot: Bot, seal: ButtonSeal | None = None) -> None:
        self.bot = bot
        self.seal = seal

    def _markup(self, chat_id: int, buttons: Keyboard | None) -> InlineKeyboardMarkup | None:
        if self.seal is None:
            return markup(buttons)
        return markup(buttons, lambda data: self.seal.seal(chat_id, data))

    async def _call(self, coroutine):
        try:
            return await coroutine
        except RetryAfter as error:
            raise errors.RateLimited(_retry_seconds(error)) from error
        except Forbidden as error:
            raise errors.Unreachable(type(error).__name__) from error
        except BadRequest as error:
            text = error.message.lower()
            if "file is too big" in text:
                raise errors.TooLarge() from error
            if "not modified" in text:
                raise errors.NotModified() from error
            if "not found" in text or "can't be" in text or "no text" in text:
                raise errors.Gone() from error
            raise errors.Rejected(text[:80]) from error
        except (TimedOut, NetworkError) as error:
            raise errors.Transient(type(error).__name__) from error

    async def send_text(self, chat_id, text, *, buttons=None, reply_to=None, protect=False, entities=()) -> Sent:
        message = await self._call(
            self.bot.send_message(
                chat_id,
                text,
                reply_markup=self._markup(chat_id, buttons),
                reply_parameters=_reply(reply_to),
                protect_content=protect,
                parse_mode=None,
                entities=_entities(entities),
            )
        )
        return Sent(message.message_id)

    async def send_photo(self, chat_id, photo, *, caption=None, reply_to=None, protect=False, entities=()) -> Sent:
        message = await self._call(
            self.bot.send_photo(
                chat_id,
                photo,
                caption=caption,
                reply_parameters=_reply(reply_to),
                protect_content=protect,
                parse_mode=None,
                caption_entities=_entities(entities),
            )
        )
        return Sent(message.message_id, message.photo[-1].file_id if message.photo else None)

    async def send_document(self, chat_id, data, filename, *, caption=None) -> Sent:
        message = await self._call(
            self.bot.send_document(
                chat_id,
                data,
                filename=filename,
                caption=caption,
                parse_mode=None,
            )
        )
        return Sent(message.message_id)

    async def copy(
        self, chat_id, from_chat_id, message_id, *, caption=None, reply_to=None, protect=False, entities=()
    ) -> Sent:
        message_id_obj = await self._call(
            self.bot.copy_message(
                chat_id,
                from_chat_id,
                message_id,
                caption=caption,
                parse_mode=None,
                reply_parameters=_reply(reply_to),
                protect_content=protect,
                caption_entities=_entities(entities),
            )
        )
        return Sent(message_id_obj.message_id)

    async def edit_text(self, chat_id, message_id, text, *, buttons=None, entities=()) -> None:
        await self._call(
            self.bot.edit_message_text(
                text,
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=self._markup(chat_id, buttons),
                parse_mode=None,
                entities=_entities(entities),
            )
        )

    async def edit_caption(self, chat_id, message_id, caption, *, entities=()) -> None:
        await self._call(
            self.bot.edit_message_caption(
                chat_id=chat_id,
                message_id=message_id,
                caption=caption,
                parse_mode=None,
                caption_entities=_entities(entities),
            )
        )

    async def recall(self, chat_id, message_id) -> Styled | None:
        """Telegram has no method that reads a message, but an edit answers with the message
        edited: a one-button keyboard is set for that, and the caller's next edit (or
        delete) takes it away."""
        keyboard = self._markup(chat_id, [[Button("…", "noop")]])
        message = await self._call(
            self.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=keyboard)
        )
        if not isinstance(message, Message) or message.text is None:
            return None
        return Styled(
            message.text,
            tuple(Entity(str(getattr(e.type, "value", e.type)), e.offset, e.length) for e in message.entities or ()),
        )

    async def delete(self, chat_id, message_id) -> None:
        await self._call(self.bot.delete_message(chat_id, message_id))

    async def answer(self, callback_id, text=None, *, alert=False) -> None:
        try:
            await self._call(self.bot.answer_callback_query(callback_id, text=text, show_alert=alert))
        except (errors.Gone, errors.Rejected):
            pass  # an old press: Telegram no longer takes an answer for it

    async def ping(self) -> bool:
        """The Bot API answers (getMe, which sends nothing to anyone)."""
        await self._call(self.bot.get_me())
        return True

    async def fetch_file(self, file_ref) -> bytes:
        file = await self._call(self.bot.get_file(file_ref))
        return bytes(await self._call(file.download_as_bytearray()))


async def publish_menus(bot: Bot, t, facilitators: list[tuple[int, str]] = ()) -> None:
    """Localized command menus: members' per language, a larger one in each facilitator's chat."""
    for language in ("fr", "en"):
        commands = [BotCommand(name, text) for name, text in menu(MEMBER_COMMANDS, language, t)]
        await bot.set_my_commands(commands, scope=BotCommandScopeDefault(), language_code=language)
    default = [BotCommand(name, text) for name, text in menu(MEMBER_COMMANDS, "fr", t)]
    await bot.set_my_commands(default, scope=BotCommandScopeDefault())
    for chat_id, locale in facilitators:
        await set_facilitator_menu(bot, t, chat_id, locale)


async def set_facilitator_menu(bot: Bot, t, chat_id: int, locale: str) -> None:
    pairs = menu(MEMBER_COMMANDS + FACILITATOR_COMMANDS, locale, t)
    try:
        await bot.set_my_commands([BotCommand(n, d) for n, d in pairs], scope=BotCommandScopeChat(chat_id))
    except (Forbidden, BadRequest):
        pass  # the facilitator blocked the bot: their menu can wait


class ReadableUpdates(BaseRequest):
    """The request object for `getUpdates`: an update python-telegram-bot cannot read (a
    newer Bot API shape, a malformed payload) is replaced by an empty update of the same
    id before PTB sees the batch. PTB would else fail on the whole batch, never move its
    offset and ask for the same updates again and again; now the bad one is acknowledged
    and skipped, counted in `skipped`, and nothing of its content is logged."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner
        self.skipped = 0

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url,
        method,
        request_data=None,
        read_timeout=None,
        write_timeout=None,
        connect_timeout=None,
        pool_timeout=None,
    ) -> tuple[int, bytes]:
        kwargs = {
            name: value
            for name, value in (
                ("read_timeout", read_timeout),
                ("write_timeout", write_timeout),
                ("connect_timeout", connect_timeout),
                ("pool_timeout", pool_timeout),
            )
            if value is not None
        }
        status, payload = await self.inner.do_request(url, method, request_data, **kwargs)
        if status == 200 and url.rstrip("/").endswith("/getUpdates"):
            payload = self._readable(payload)
        return status, payload

    def _readable(self, payload: bytes) -> bytes:
        try:
            body = json.loads(payload)
            updates = body["result"]
        except (ValueError, KeyError, TypeError):
            return payload  # not a batch: PTB reports it (as "invalid server response")
        if not isinstance(updates, list):
            return payload
        kept, changed = [], False
        for update in updates:
            try:
                Update.de_json(update, None)
                kept.append(update)
                continue
            except Exception:
                changed = True
                self.skipped += 1
                metrics.update_skipped()
                log.warning("skipped an update the bot cannot read (its content is not logged)")
            update_id = update.get("update_id") if isinstance(update, dict) else None
            if isinstance(update_id, int):
                kept.append({"update_id": update_id})  # acknowledged with the next poll
        if not changed:
            return payload
        body["result"] = kept
        return json.dumps(body).encode()
