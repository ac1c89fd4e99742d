"""The Telegram implementation of the transport port (python-telegram-bot)."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence

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
from bot.core.presses import Noop
from bot.core.text import Entity, Styled
from bot.monitoring import metrics
from bot.ports.capabilities import Capabilities
from bot.ports.refs import ChatRef, Media, MessageRef
from bot.ports.transport import Button, Keyboard, Sent
from bot.telegram.capabilities import CAPABILITIES, TELEGRAM
from bot.telegram.menus import FACILITATOR_COMMANDS, MEMBER_COMMANDS, menu

log = logging.getLogger(__name__)


def deep_link(bot_username: str, code: str) -> str:
    """The link that opens the bot with a start payload (an invitation)."""
    return f"https://t.me/{bot_username}?start={code}"


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


def chat_of(chat_id: int) -> ChatRef:
    """The reference of a Telegram chat."""
    return ChatRef(TELEGRAM, str(int(chat_id)))


def message_of(chat_id: int, message_id: int) -> MessageRef:
    """The reference of a message in a Telegram chat."""
    return MessageRef(chat_of(chat_id), str(int(message_id)))


def media_of(message: Message) -> Media | None:
    """What a member's message carries, as the port knows it (None for plain text). A
    photo's handle is its largest size, to download; other media are relayed by copy."""
    source = message_of(message.chat_id, message.message_id)
    if message.photo:
        photo = message.photo[-1]
        return Media(TELEGRAM, photo.file_id, source, photo.file_size)
    for field in ("voice", "video", "animation", "sticker", "video_note", "audio", "document"):
        item = getattr(message, field, None)
        if item is not None:
            return Media(TELEGRAM, item.file_id, source, getattr(item, "file_size", None))
    return None


def _local(chat: ChatRef) -> int:
    transport, local = chat
    if transport != TELEGRAM:
        raise errors.Rejected("not a Telegram chat")
    return int(local)


def _message(message: MessageRef) -> tuple[int, int]:
    return _local(message.chat), int(message.id)


def _reply(reply_to: MessageRef | None) -> ReplyParameters | None:
    if reply_to is None:
        return None
    return ReplyParameters(message_id=int(reply_to.id), allow_sending_without_reply=True)


def _entities(entities) -> list[MessageEntity] | None:
    return [MessageEntity(e.kind, e.offset, e.length) for e in entities] or None


def _retry_seconds(error: RetryAfter) -> float:
    value = error.retry_after
    return value.total_seconds() if hasattr(value, "total_seconds") else float(value)


class TelegramTransport:
    """Maps the port onto Bot API calls and Telegram errors onto delivery errors."""

    name = TELEGRAM

    def __init__(self, bot: Bot, seal: ButtonSeal | None = None, capabilities: Capabilities = CAPABILITIES) -> None:
        self.bot = bot
        self.seal = seal
        self.capabilities = capabilities

    def capabilities_for(self, chat: ChatRef) -> Capabilities:
        return self.capabilities

    def _markup(self, chat_id: int, buttons: Keyboard | None) -> InlineKeyboardMarkup | None:
        if self.seal is None:
            return markup(buttons)
        seal = self.seal
        return markup(buttons, lambda data: seal.seal(chat_id, data))

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

    async def send(self, chat, text, *, buttons=None, reply_to=None, protect=False, entities=()) -> Sent:
        chat_id = _local(chat)
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
        return Sent(message_of(chat_id, message.message_id))

    async def send_photo(self, chat, photo, *, caption=None, reply_to=None, protect=False, entities=()) -> Sent:
        chat_id = _local(chat)
        if isinstance(photo, Media):
            photo = photo.id
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
        media = Media(TELEGRAM, message.photo[-1].file_id) if message.photo else None
        return Sent(message_of(chat_id, message.message_id), media)

    async def send_document(self, chat, data, filename, *, caption=None) -> Sent:
        chat_id = _local(chat)
        message = await self._call(
            self.bot.send_document(
                chat_id,
                data,
                filename=filename,
                caption=caption,
                parse_mode=None,
            )
        )
        return Sent(message_of(chat_id, message.message_id))

    async def relay_media(self, chat, media, *, caption=None, reply_to=None, protect=False, entities=()) -> Sent:
        """By copyMessage: the server copies the member's message, with no link to its origin."""
        if media.source is None:
            raise errors.Rejected("no message to copy")
        chat_id = _local(chat)
        from_chat, source_id = _message(media.source)
        message_id_obj = await self._call(
            self.bot.copy_message(
                chat_id,
                from_chat,
                source_id,
                caption=caption,
                parse_mode=None,
                reply_parameters=_reply(reply_to),
                protect_content=protect,
                caption_entities=_entities(entities),
            )
        )
        return Sent(message_of(chat_id, message_id_obj.message_id))

    async def edit(self, message, text, *, buttons=None, entities=()) -> None:
        chat_id, message_id = _message(message)
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

    async def edit_caption(self, message, caption, *, entities=()) -> None:
        chat_id, message_id = _message(message)
        await self._call(
            self.bot.edit_message_caption(
                chat_id=chat_id,
                message_id=message_id,
                caption=caption,
                parse_mode=None,
                caption_entities=_entities(entities),
            )
        )

    async def recall(self, message) -> Styled | None:
        """Telegram has no method that reads a message, but an edit answers with the message
        edited: a one-button keyboard is set for that, and the caller's next edit (or
        delete) takes it away."""
        chat_id, message_id = _message(message)
        keyboard = self._markup(chat_id, [[Button("…", Noop().pack())]])
        edited = await self._call(
            self.bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id, reply_markup=keyboard)
        )
        if not isinstance(edited, Message) or edited.text is None:
            return None
        return Styled(
            edited.text,
            tuple(Entity(str(getattr(e.type, "value", e.type)), e.offset, e.length) for e in edited.entities or ()),
        )

    async def delete(self, message) -> None:
        chat_id, message_id = _message(message)
        await self._call(self.bot.delete_message(chat_id, message_id))

    async def acknowledge(self, press, notice=None, *, alert=False) -> None:
        if press is None:
            return  # answered by a number: nothing to acknowledge on Telegram's side
        try:
            await self._call(
                self.bot.answer_callback_query(press, text=self.capabilities.notice(notice), show_alert=alert)
            )
        except (errors.Gone, errors.Rejected):
            pass  # an old press: Telegram no longer takes an answer for it

    async def ping(self) -> bool:
        """The Bot API answers (getMe, which sends nothing to anyone)."""
        await self._call(self.bot.get_me())
        return True

    async def fetch_attachment(self, media) -> bytes:
        file = await self._call(self.bot.get_file(media.id))
        return bytes(await self._call(file.download_as_bytearray()))


async def publish_menus(bot: Bot, t, facilitators: Sequence[tuple[int, str]] = ()) -> None:
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
