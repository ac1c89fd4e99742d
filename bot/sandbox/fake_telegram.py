"""A fake Telegram Bot API that answers like Telegram, with simulated phones.

One `FakeTelegram` holds the state (chats, messages, files, pending updates). It is
reached either in-process (`FakeRequest`, a `telegram.request.BaseRequest`) or over HTTP
on 127.0.0.1 (`FakeServer`), so stock python-telegram-bot parses its answers unchanged.
Phones (`Phone`) act as people: they send text, commands, photos, press buttons, edit,
block the bot. Every call is recorded; faults (429, 5xx, latency) can be injected.
"""

from __future__ import annotations

import asyncio
import copy
import io
import itertools
import json
import math
import secrets
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64

SEND_METHODS = {
    "sendMessage",
    "sendPhoto",
    "copyMessage",
    "forwardMessage",
    "sendDocument",
    "sendSticker",
    "sendVoice",
    "sendVideo",
    "sendAnimation",
    "sendAudio",
}
ENTITY_TYPES = {
    "mention",
    "hashtag",
    "cashtag",
    "bot_command",
    "url",
    "email",
    "phone_number",
    "bold",
    "italic",
    "underline",
    "strikethrough",
    "spoiler",
    "blockquote",
    "expandable_blockquote",
    "code",
    "pre",
    "text_link",
    "text_mention",
    "custom_emoji",
}
FILE_KINDS = ("photo", "sticker", "voice", "video", "animation", "document", "audio", "video_note")


class ApiError(Exception):
    """An error answer in Telegram's shape."""

    def __init__(self, code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict:
        body: dict[str, Any] = {"ok": False, "error_code": self.code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(text: str) -> ApiError:
    return ApiError(400, f"Bad Request: {text}")


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@dataclass
class Fault:
    """Answer the next `count` matching calls with an error instead of running them."""

    status: int
    count: int = 1
    method: str | None = None
    chat_id: int | None = None
    retry_after: int | None = None
    description: str | None = None  # for a 400: Telegram's words, e.g. "message can't be edited"

    def matches(self, method: str, params: dict) -> bool:
        if self.count <= 0:
            return False
        if self.method and self.method != method:
            return False
        return self.chat_id is None or _as_int(params.get("chat_id")) == self.chat_id


@dataclass
class Limits:
    """Emulated flood limits: at most `per_chat` sends a second to one chat, `overall` in all."""

    per_chat: float = 1.0
    overall: float = 30.0
    window: float = 1.0


@dataclass
class StoredFile:
    file_id: str
    unique_id: str
    data: bytes
    path: str
    name: str | None = None  # the file name a document was uploaded with


class NamedBytes(bytes):
    """An uploaded file's bytes, with the file name the multipart part carried."""

    filename: str | None = None

    def __new__(cls, data: bytes, filename: str | None = None) -> NamedBytes:
        value = super().__new__(cls, data)
        value.filename = filename
        return value


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class FakeTelegram:
    """The state of a fake Bot API server for one bot."""

    def __init__(
        self,
        token: str = "123456:TEST-fake-token",
        *,
        username: str = "entraide_test_bot",
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.bot_user = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": "Entraide",
            "username": username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.clock = clock
        self.phones: dict[int, Phone] = {}
        self.messages: dict[tuple[int, int], dict] = {}
        self._next_message_id: dict[int, int] = {}
        self.files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._updates: deque[dict] = deque()
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self.commands: dict[tuple[str, str], list[dict]] = {}
        self.calls: list[tuple[str, dict]] = []
        self.counts: Counter[str] = Counter()
        self.errors_sent: Counter[int] = Counter()
        self.limit_hits: Counter[str] = Counter()  # which emulated limit answered 429
        self.faults: list[Fault] = []
        self.latency = 0.0
        self.limits: Limits | None = None
        self._sent_times: dict[int | None, deque[float]] = {}
        self._changed: asyncio.Condition | None = None
        self.callback_answers: dict[str, dict] = {}
        self._query_owners: dict[str, int] = {}  # which phone pressed, until the bot answers
        self._notice_ids = itertools.count(1)
        self.webhook_deleted = 0
        self.webhook: dict | None = None  # url, secret, allowed_updates while a webhook is set
        self.webhook_posts: Counter[int | None] = Counter()  # HTTP status of each POST (None: no answer)
        self.webhook_retry = 0.1  # seconds before a refused POST is tried again (Telegram: longer)
        self._webhook_task: asyncio.Task | None = None
        self._webhook_error: tuple[int, str] | None = None
        self.closing = False
        self.listeners: set[asyncio.Queue] = set()
        self.watchers: list[Callable[[Phone, dict], None]] = []  # called for each bot message
        # Telegram-like, when on: a call to a chat told to wait (429) that comes back before
        # retry_after has passed is refused again and counted in `early_retries`.
        self.enforce_retry_after = False
        self.early_retries = 0
        self._retry_until: dict[int | None, float] = {}
        self.held: dict[int, asyncio.Event] = {}  # chats whose calls wait (a slow phone, a bad link)
        self.max_download = 20 * 1024 * 1024  # getFile refuses bigger files, as Telegram does

    # ------------------------------------------------------------------ phones
    def phone(
        self,
        user_id: int,
        first_name: str,
        *,
        username: str | None = None,
        language_code: str | None = "fr",
        last_name: str | None = None,
    ) -> Phone:
        phone = Phone(self, user_id, first_name, username, language_code, last_name)
        self.phones[user_id] = phone
        return phone

    @property
    def changed(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def close(self) -> None:
        """End every pending long poll now (the server is going away)."""
        self.closing = True
        await self.notify()

    async def notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()
        for queue in list(self.listeners):
            if queue.empty():
                queue.put_nowait("change")

    def reset(self) -> None:
        """Forget every chat, file and pending update (the sandbox's « Réinitialiser »)."""
        self.phones.clear()
        self.messages.clear()
        self._next_message_id.clear()
        self.files.clear()
        self._files_by_path.clear()
        self._updates.clear()
        self.callback_answers.clear()
        self._query_owners.clear()
        self.commands.clear()

    def _new_message_id(self, chat_id: int) -> int:
        number = self._next_message_id.get(chat_id, 0) + 1
        self._next_message_id[chat_id] = number
        return number

    def now(self) -> int:
        return int(self.clock())

    def push_update(self, kind: str, payload: dict) -> dict:
        update = {"update_id": next(self._update_ids), kind: copy.deepcopy(payload)}
        self._updates.append(update)
        return update

    def store_file(self, data: bytes, kind: str, name: str | None = None) -> StoredFile:
        unique = secrets.token_hex(8)
        stored = StoredFile(
            file_id=f"{kind}-{unique}-{len(self.files)}",
            unique_id=unique,
            data=bytes(data),
            path=f"{kind}s/file_{len(self.files)}.{'jpg' if kind == 'photo' else 'bin'}",
            name=name,
        )
        self.files[stored.file_id] = stored
        self._files_by_path[stored.path] = stored
        return stored

    def photo_sizes(self, stored: StoredFile) -> list[dict]:
        width, height = _image_size(stored.data)
        return [
            {
                "file_id": stored.file_id,
                "file_unique_id": stored.unique_id,
                "width": width,
                "height": height,
                "file_size": len(stored.data),
            }
        ]

    # --------------------------------------------------------------- transport
    async def handle(self, token: str, method: str, params: dict, files: dict[str, bytes]) -> tuple[int, dict]:
        """Run one Bot API call; returns the HTTP status and the JSON body."""
        if token != self.token:
            return 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        self.calls.append((method, dict(params)))
        self.counts[method] += 1
        if method != "getUpdates":
            if self.latency:
                await asyncio.sleep(self.latency)
            held = self.held.get(_as_int(params.get("chat_id")) or 0)
            if held is not None:
                await held.wait()
            try:
                self._check_retry_after(params)
                self._apply_faults(method, params)
                self._apply_limits(method, params)
            except ApiError as error:
                self.errors_sent[error.code] += 1
                if error.retry_after is not None and self.enforce_retry_after:
                    key = _as_int(params.get("chat_id"))
                    self._retry_until[key] = max(self._retry_until.get(key, 0.0), self.clock() + error.retry_after)
                return error.code, error.payload()
        handler = getattr(self, f"_m_{method}", None)
        if handler is None:
            self.errors_sent[404] += 1
            return 404, {"ok": False, "error_code": 404, "description": "Not Found"}
        try:
            result = await handler(params, files)
        except ApiError as error:
            self.errors_sent[error.code] += 1
            return error.code, error.payload()
        if method != "getUpdates":
            await self.notify()
        return 200, {"ok": True, "result": result}

    def _check_retry_after(self, params: dict) -> None:
        if not self.enforce_retry_after:
            return
        until = self._retry_until.get(_as_int(params.get("chat_id")), 0.0)
        if self.clock() < until:
            self.early_retries += 1
            raise ApiError(
                429,
                f"Too Many Requests: retry after {math.ceil(until - self.clock())}",
                math.ceil(until - self.clock()),
            )

    def _apply_faults(self, method: str, params: dict) -> None:
        for fault in self.faults:
            if fault.matches(method, params):
                fault.count -= 1
                if fault.status == 429:
                    raise ApiError(
                        429, f"Too Many Requests: retry after {fault.retry_after or 1}", fault.retry_after or 1
                    )
                if fault.status == 403:
                    raise ApiError(403, "Forbidden: bot was blocked by the user")
                raise ApiError(
                    fault.status,
                    "Internal Server Error"
                    if fault.status >= 500
                    else f"Bad Request: {fault.description or 'injected'}",
                )

    def _apply_limits(self, method: str, params: dict) -> None:
        if self.limits is None or method not in SEND_METHODS:
            return
        now = self.clock()
        chat = _as_int(params.get("chat_id"))
        checks = [(chat, self.limits.per_chat), (None, self.limits.overall)]
        for key, rate in checks:
            sent = self._sent_times.setdefault(key, deque())
            while sent and sent[0] <= now - self.limits.window:
                sent.popleft()
            if len(sent) >= rate * self.limits.window:
                self.limit_hits["overall" if key is None else "per chat"] += 1
                wait = max(1, math.ceil(sent[0] + self.limits.window - now))
                raise ApiError(429, f"Too Many Requests: retry after {wait}", wait)
        for key, _ in checks:
            self._sent_times[key].append(now)

    def inject(
        self,
        status: int,
        count: int = 1,
        *,
        method: str | None = None,
        chat_id: int | None = None,
        retry_after: int | None = None,
        description: str | None = None,
    ) -> Fault:
        fault = Fault(status, count, method, chat_id, retry_after, description)
        self.faults.append(fault)
        return fault

    def hold(self, chat_id: int) -> asyncio.Event:
        """Calls for this chat wait until the returned event is set (`release`)."""
        return self.held.setdefault(chat_id, asyncio.Event())

    def release(self, chat_id: int) -> None:
        event = self.held.pop(chat_id, None)
        if event is not None:
            event.set()

    def push_raw_update(self, payload: dict) -> dict:
        """An update exactly as given (e.g. one python-telegram-bot cannot read)."""
        update = {"update_id": next(self._update_ids), **copy.deepcopy(payload)}
        self._updates.append(update)
        return update

    def download(self, token: str, path: str) -> tuple[int, bytes]:
        if token != self.token:
            return 401, b'{"ok":false,"error_code":401,"description":"Unauthorized"}'
        stored = self._files_by_path.get(path)
        if stored is None:
            return 404, b'{"ok":false,"error_code":404,"description":"Not Found"}'
        return 200, stored.data

    # ----------------------------------------------------------------- helpers
    def _chat(self, params: dict, key: str = "chat_id") -> Phone:
        chat_id = _as_int(params.get(key))
        if chat_id is None:
            raise bad_request("chat_id is empty")
        phone = self.phones.get(chat_id)
        if phone is None:
            raise bad_request("chat not found")
        if key == "chat_id":
            if phone.blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            if not phone.started:
                raise ApiError(403, "Forbidden: bot can't initiate conversation with a user")
        return phone

    def _check_markup(self, params: dict) -> dict | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if isinstance(markup, str):
            markup = json.loads(markup)
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if not button.get("text"):
                    raise bad_request("text buttons are unallowed in the inline keyboard")
                data = button.get("callback_data")
                if data is not None and not (1 <= len(str(data).encode()) <= MAX_CALLBACK_DATA):
                    raise bad_request("BUTTON_DATA_INVALID")
                if data is None and not button.get("url"):
                    raise bad_request("BUTTON_TYPE_INVALID")
        return markup

    def _reply_target(self, chat_id: int, params: dict) -> dict | None:
        reply_id = _as_int(params.get("reply_to_message_id"))
        parameters = params.get("reply_parameters")
        if isinstance(parameters, str):
            parameters = json.loads(parameters)
        allow_missing = bool(params.get("allow_sending_without_reply"))
        if parameters:
            reply_id = _as_int(parameters.get("message_id"))
            allow_missing = allow_missing or bool(parameters.get("allow_sending_without_reply"))
        if reply_id is None:
            return None
        target = self.messages.get((chat_id, reply_id))
        if target is None and not allow_missing:
            raise bad_request("message to be replied not found")
        return _shallow(target) if target else None

    def _bot_message(self, phone: Phone, params: dict, content: dict) -> dict:
        markup = self._check_markup(params)
        message = {
            "message_id": self._new_message_id(phone.user_id),
            "from": dict(self.bot_user),
            "chat": phone.chat_dict(),
            "date": self.now(),
            **content,
        }
        reply = self._reply_target(phone.user_id, params)
        if reply:
            message["reply_to_message"] = reply
        if markup:
            message["reply_markup"] = markup
        if params.get("protect_content") in (True, "true", "True"):
            message["has_protected_content"] = True
        self.messages[(phone.user_id, message["message_id"])] = message
        phone.inbox.append(message)
        for watcher in self.watchers:
            watcher(phone, message)
        return message

    @staticmethod
    def _text(params: dict, key: str = "text", limit: int = MAX_TEXT, required: bool = True) -> str | None:
        text = params.get(key)
        if text is None or text == "":
            if required:
                raise bad_request("message text is empty")
            return None
        text = str(text)
        if utf16_len(text) > limit:
            raise bad_request("message is too long" if key == "text" else "message caption is too long")
        return text

    @staticmethod
    def _entities(params: dict, key: str, text: str | None) -> list[dict] | None:
        """Entities sent with a text or caption, checked like Telegram does (type, UTF-16
        offsets inside the text) and kept as given, in offset order."""
        raw = params.get(key)
        if raw is None or raw == "":
            return None
        if isinstance(raw, str):
            raw = json.loads(raw)
        if not isinstance(raw, list):
            raise bad_request(f"can't parse {key} JSON object")
        size = utf16_len(text or "")
        kept = []
        for entity in raw:
            kind, offset, length = entity.get("type"), _as_int(entity.get("offset")), _as_int(entity.get("length"))
            if kind not in ENTITY_TYPES or offset is None or length is None:
                raise bad_request(f"can't parse entities: unsupported entity {kind!r}")
            if offset < 0 or length <= 0 or offset + length > size:
                raise bad_request("can't parse entities: entity beyond the end of the text")
            kept.append({k: v for k, v in entity.items() if v is not None})
        return sorted(kept, key=lambda e: (e["offset"], -e["length"])) or None

    def _input_file(self, params: dict, files: dict[str, bytes], key: str) -> StoredFile:
        value = params.get(key)
        if isinstance(value, str) and value.startswith("attach://"):
            value = files.get(value[len("attach://") :])
        elif value is None:
            value = files.get(key)
        if isinstance(value, (bytes, bytearray)):
            return self.store_file(bytes(value), key, getattr(value, "filename", None))
        if isinstance(value, str) and value in self.files:
            return self.files[value]
        raise bad_request("wrong file identifier/HTTP URL specified")

    # ------------------------------------------------------------------ methods
    async def _m_getMe(self, params, files):
        return dict(self.bot_user)

    async def _m_logOut(self, params, files):
        return True

    async def _m_close(self, params, files):
        return True

    async def _m_deleteWebhook(self, params, files):
        self.webhook_deleted += 1
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self._updates.clear()
        self.webhook = None
        self._webhook_error = None
        await self.notify()  # the pusher sees the webhook gone and ends
        return True

    async def _m_setWebhook(self, params, files):
        url = str(params.get("url") or "")
        if not url:  # an empty URL removes the webhook, as in Telegram
            return await self._m_deleteWebhook(params, files)
        parts = urlsplit(url)
        local = parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")
        if parts.scheme != "https" and not local:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        secret = params.get("secret_token")
        if secret is not None:
            secret = str(secret)
            if not (1 <= len(secret) <= 256) or not all(c.isascii() and (c.isalnum() or c in "_-") for c in secret):
                raise bad_request("bad webhook: secret token contains unallowed characters")
        allowed = params.get("allowed_updates")
        if isinstance(allowed, str):
            allowed = json.loads(allowed)
        if params.get("drop_pending_updates") in (True, "true", "True"):
            self._updates.clear()
        self.webhook = {
            "url": url,
            "secret": secret,
            "allowed_updates": allowed or None,
            "max_connections": _as_int(params.get("max_connections")) or 40,
        }
        self._webhook_error = None
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._push_webhook())
        return True

    async def _m_getWebhookInfo(self, params, files):
        info: dict[str, Any] = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self.webhook:
            info["max_connections"] = self.webhook["max_connections"]
            if self.webhook["allowed_updates"]:
                info["allowed_updates"] = self.webhook["allowed_updates"]
        if self._webhook_error:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    async def _push_webhook(self) -> None:
        """While a webhook is set, POST each pending update to it, in order, as Telegram does:
        an update stays pending (and is tried again) until the bot answers 2xx."""
        import aiohttp

        async with aiohttp.ClientSession() as session:
            while self.webhook is not None and not self.closing:
                if not self._updates:
                    async with self.changed:
                        await self.changed.wait_for(lambda: bool(self._updates) or self.webhook is None or self.closing)
                    continue
                hook, update = self.webhook, self._updates[0]
                allowed = hook["allowed_updates"]
                if allowed and not any(kind in update for kind in allowed):
                    self._updates.popleft()
                    continue
                headers = {"Content-Type": "application/json"}
                if hook["secret"]:
                    headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret"]
                try:
                    async with session.post(
                        hook["url"], data=json.dumps(update), headers=headers, timeout=aiohttp.ClientTimeout(total=10)
                    ) as answer:
                        status: int | None = answer.status
                except (TimeoutError, aiohttp.ClientError, OSError):
                    status = None
                self.webhook_posts[status] += 1
                if status is not None and 200 <= status < 300:
                    if self._updates and self._updates[0] is update:
                        self._updates.popleft()
                    await self.notify()
                    continue
                self._webhook_error = (
                    self.now(),
                    "Connection refused" if status is None else f"Wrong response from the webhook: {status}",
                )
                await asyncio.sleep(self.webhook_retry)

    async def _m_getUpdates(self, params, files):
        if self.webhook is not None:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = _as_int(params.get("offset")) or 0
        limit = _as_int(params.get("limit")) or 100
        timeout = float(params.get("timeout") or 0)
        while self._updates and self._updates[0]["update_id"] < offset:
            self._updates.popleft()
        if not self._updates and timeout > 0:
            try:
                async with self.changed:
                    await asyncio.wait_for(self.changed.wait_for(lambda: bool(self._updates) or self.closing), timeout)
            except TimeoutError:
                pass
        return [update for _, update in zip(range(limit), list(self._updates), strict=False)]

    async def _m_setMyCommands(self, params, files):
        commands = params.get("commands")
        if isinstance(commands, str):
            commands = json.loads(commands)
        scope = params.get("scope") or {"type": "default"}
        if isinstance(scope, str):
            scope = json.loads(scope)
        for command in commands:
            name = command.get("command", "")
            if not (1 <= len(name) <= 32) or not name.replace("_", "").isalnum() or name != name.lower():
                raise bad_request("BOT_COMMAND_INVALID")
            if not (1 <= len(command.get("description", "")) <= 256):
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        key = (json.dumps(scope, sort_keys=True), params.get("language_code") or "")
        self.commands[key] = list(commands)
        return True

    async def _m_getMyCommands(self, params, files):
        scope = params.get("scope") or {"type": "default"}
        if isinstance(scope, str):
            scope = json.loads(scope)
        return self.commands.get((json.dumps(scope, sort_keys=True), params.get("language_code") or ""), [])

    async def _m_deleteMyCommands(self, params, files):
        return True

    async def _m_setChatMenuButton(self, params, files):
        return True

    async def _m_sendChatAction(self, params, files):
        self._chat(params)
        return True

    async def _m_sendMessage(self, params, files):
        phone = self._chat(params)
        text = self._text(params)
        content: dict[str, Any] = {"text": text}
        entities = self._entities(params, "entities", text)
        if entities:
            content["entities"] = entities
        return self._bot_message(phone, params, content)

    async def _m_sendPhoto(self, params, files):
        phone = self._chat(params)
        caption = self._text(params, "caption", MAX_CAPTION, required=False)
        stored = self._input_file(params, files, "photo")
        content: dict[str, Any] = {"photo": self.photo_sizes(stored)}
        if caption:
            content["caption"] = caption
            entities = self._entities(params, "caption_entities", caption)
            if entities:
                content["caption_entities"] = entities
        return self._bot_message(phone, params, content)

    async def _m_sendDocument(self, params, files):
        phone = self._chat(params)
        caption = self._text(params, "caption", MAX_CAPTION, required=False)
        stored = self._input_file(params, files, "document")
        content: dict[str, Any] = {
            "document": {
                "file_id": stored.file_id,
                "file_unique_id": stored.unique_id,
                "file_name": stored.name or "document",
                "file_size": len(stored.data),
            }
        }
        if caption:
            content["caption"] = caption
        return self._bot_message(phone, params, content)

    async def _m_copyMessage(self, params, files):
        phone = self._chat(params)
        source_chat = _as_int(params.get("from_chat_id"))
        source = self.messages.get((source_chat or 0, _as_int(params.get("message_id")) or 0))
        if source is None:
            raise bad_request("message to copy not found")
        if source.get("has_protected_content"):
            raise bad_request("message can't be copied")  # what protect_content means for copies too
        content = {
            k: v for k, v in source.items() if k in FILE_KINDS + ("text", "caption", "entities", "caption_entities")
        }
        if "caption" in params and any(k in content for k in FILE_KINDS):
            caption = self._text(params, "caption", MAX_CAPTION, required=False)
            content.pop("caption_entities", None)
            if caption:
                content["caption"] = caption
                entities = self._entities(params, "caption_entities", caption)
                if entities:
                    content["caption_entities"] = entities
            else:
                content.pop("caption", None)
        message = self._bot_message(phone, params, content)
        return {"message_id": message["message_id"]}

    async def _m_forwardMessage(self, params, files):
        phone = self._chat(params)
        source_chat = _as_int(params.get("from_chat_id"))
        source = self.messages.get((source_chat or 0, _as_int(params.get("message_id")) or 0))
        if source is None:
            raise bad_request("message to forward not found")
        if source.get("has_protected_content"):
            raise bad_request("message can't be forwarded")
        content = {k: v for k, v in source.items() if k in FILE_KINDS + ("text", "caption")}
        content["forward_origin"] = {"type": "user", "date": source["date"], "sender_user": source.get("from")}
        return self._bot_message(phone, params, content)

    def _editable(self, params: dict) -> tuple[Phone, dict]:
        phone = self._chat(params)
        message = self.messages.get((phone.user_id, _as_int(params.get("message_id")) or 0))
        if message is None or message.get("from", {}).get("id") != self.bot_user["id"]:
            raise bad_request("message to edit not found")
        return phone, message

    def _not_modified(self) -> ApiError:
        return bad_request(
            "message is not modified: specified new message content and reply markup are "
            "exactly the same as a current message content and reply markup of the message"
        )

    async def _m_editMessageText(self, params, files):
        _, message = self._editable(params)
        if "text" not in message:
            raise bad_request("there is no text in the message to edit")
        text = self._text(params)
        entities = self._entities(params, "entities", text)
        markup = self._check_markup(params)
        if text == message["text"] and entities == message.get("entities") and markup == message.get("reply_markup"):
            raise self._not_modified()
        message["text"] = text
        _set_entities(message, "entities", entities)
        message["edit_date"] = self.now()
        _set_markup(message, markup)
        return message

    async def _m_editMessageCaption(self, params, files):
        _, message = self._editable(params)
        if not any(k in message for k in FILE_KINDS):
            raise bad_request("there is no caption in the message to edit")
        caption = self._text(params, "caption", MAX_CAPTION, required=False)
        entities = self._entities(params, "caption_entities", caption) if caption else None
        markup = self._check_markup(params)
        if (
            caption == message.get("caption")
            and entities == message.get("caption_entities")
            and markup == message.get("reply_markup")
        ):
            raise self._not_modified()
        if caption:
            message["caption"] = caption
        else:
            message.pop("caption", None)
        _set_entities(message, "caption_entities", entities)
        message["edit_date"] = self.now()
        _set_markup(message, markup)
        return message

    async def _m_editMessageReplyMarkup(self, params, files):
        _, message = self._editable(params)
        markup = self._check_markup(params)
        if markup == message.get("reply_markup"):
            raise self._not_modified()
        _set_markup(message, markup)
        message["edit_date"] = self.now()
        return message

    async def _m_deleteMessage(self, params, files):
        phone = self._chat(params)
        key = (phone.user_id, _as_int(params.get("message_id")) or 0)
        message = self.messages.pop(key, None)
        if message is None:
            raise bad_request("message to delete not found")
        message["_deleted"] = True
        return True

    async def _m_answerCallbackQuery(self, params, files):
        query_id = str(params.get("callback_query_id", ""))
        if query_id not in self.callback_answers:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        if self.callback_answers[query_id]:
            raise bad_request("query is too old and response timeout expired or query ID is invalid")
        self.callback_answers[query_id] = {"text": params.get("text"), "show_alert": params.get("show_alert")}
        phone = self.phones.get(self._query_owners.pop(query_id, 0))
        if phone is not None and params.get("text"):
            # What Telegram shows the person: a toast, or an alert box to dismiss.
            phone.notices.append(
                {
                    "id": next(self._notice_ids),
                    "text": str(params["text"]),
                    "alert": params.get("show_alert") in (True, "true", "True", 1),
                }
            )
            del phone.notices[:-20]
        return True

    async def _m_getFile(self, params, files):
        stored = self.files.get(str(params.get("file_id", "")))
        if stored is None:
            raise bad_request("invalid file_id")
        if len(stored.data) > self.max_download:
            raise bad_request("file is too big")
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": len(stored.data),
            "file_path": stored.path,
        }


def _set_entities(message: dict, key: str, entities: list[dict] | None) -> None:
    if entities:
        message[key] = entities
    else:
        message.pop(key, None)


def _set_markup(message: dict, markup: dict | None) -> None:
    if markup:
        message["reply_markup"] = markup
    else:
        message.pop("reply_markup", None)


def _shallow(message: dict) -> dict:
    return {k: v for k, v in message.items() if k not in ("reply_to_message", "_deleted")}


def _image_size(data: bytes) -> tuple[int, int]:
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return image.size
    except Exception:
        return 1, 1


@dataclass
class Phone:
    """A person with Telegram on their phone, in a private chat with the bot."""

    api: FakeTelegram
    user_id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "fr"
    last_name: str | None = None
    blocked: bool = False
    started: bool = False
    inbox: list[dict] = field(default_factory=list)
    sent: list[dict] = field(default_factory=list)
    notices: list[dict] = field(default_factory=list)  # answers to button presses, newest last

    def user_dict(self) -> dict:
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat_dict(self) -> dict:
        chat: dict[str, Any] = {"id": self.user_id, "type": "private", "first_name": self.first_name}
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    async def _post(self, content: dict, reply_to: int | None = None) -> dict:
        self.started = True
        message = {
            "message_id": self.api._new_message_id(self.user_id),
            "from": self.user_dict(),
            "chat": self.chat_dict(),
            "date": self.api.now(),
            **content,
        }
        if reply_to is not None:
            target = self.api.messages.get((self.user_id, reply_to))
            if target is not None:
                message["reply_to_message"] = _shallow(target)
        self.api.messages[(self.user_id, message["message_id"])] = message
        self.sent.append(message)
        self.api.push_update("message", message)
        await self.api.notify()
        return message

    async def send(self, text: str, *, reply_to: int | None = None) -> dict:
        """Type and send a text message."""
        return await self._post({"text": text}, reply_to)

    async def command(self, name: str, args: str = "", *, reply_to: int | None = None) -> dict:
        """Send `/name args` with the bot_command entity Telegram adds."""
        command = name if name.startswith("/") else f"/{name}"
        text = f"{command} {args}".strip()
        entities = [{"type": "bot_command", "offset": 0, "length": utf16_len(command)}]
        return await self._post({"text": text, "entities": entities}, reply_to)

    async def start(self, payload: str | None = None) -> dict:
        """Press Start, possibly through a deep link carrying a payload."""
        return await self.command("/start", payload or "")

    async def send_photo(self, data: bytes, caption: str | None = None, *, reply_to: int | None = None) -> dict:
        stored = self.api.store_file(data, "photo")
        content: dict[str, Any] = {"photo": self.api.photo_sizes(stored)}
        if caption:
            content["caption"] = caption
        return await self._post(content, reply_to)

    async def send_media(self, kind: str, data: bytes = b"media", *, extra: dict | None = None) -> dict:
        """Send a sticker, voice, video, animation, document, audio or video_note."""
        stored = self.api.store_file(data, kind, (extra or {}).get("file_name"))
        body = {"file_id": stored.file_id, "file_unique_id": stored.unique_id, **(extra or {})}
        defaults: dict[str, dict[str, object]] = {
            "sticker": {"width": 512, "height": 512, "is_animated": False, "is_video": False, "type": "regular"},
            "voice": {"duration": 3},
            "video": {"width": 320, "height": 240, "duration": 2},
            "animation": {"width": 320, "height": 240, "duration": 2},
            "video_note": {"length": 240, "duration": 2},
            "audio": {"duration": 3},
            "document": {"file_name": "notes.pdf"},
        }
        return await self._post({kind: {**defaults.get(kind, {}), **body}})

    async def send_raw(self, content: dict) -> dict:
        """Send any other message content (location, contact, poll...)."""
        return await self._post(content)

    async def edit(self, message_id: int, text: str) -> dict:
        """Edit one of this phone's own messages; Telegram sends an edited_message update."""
        message = self.api.messages[(self.user_id, message_id)]
        key = "caption" if any(k in message for k in FILE_KINDS) else "text"
        message[key] = text
        message["edit_date"] = self.api.now()
        self.api.push_update("edited_message", _shallow(message))
        await self.api.notify()
        return message

    async def press(
        self, message: dict | int, data: str | None = None, *, label: str | None = None, forge: bool = False
    ) -> str:
        """Press an inline button of a bot message, by its data or its label."""
        if isinstance(message, int):
            message = self.api.messages[(self.user_id, message)]
        buttons = [b for row in message.get("reply_markup", {}).get("inline_keyboard", []) for b in row]
        if not forge:
            chosen = [
                b
                for b in buttons
                if (data is None or b.get("callback_data") == data) and (label is None or b.get("text") == label)
            ]
            if not chosen:
                raise AssertionError(f"no such button: data={data!r} label={label!r}")
            data = chosen[0].get("callback_data")
        query_id = str(next(self.api._callback_ids)) + secrets.token_hex(4)
        self.api.callback_answers[query_id] = {}
        self.api._query_owners[query_id] = self.user_id
        query = {
            "id": query_id,
            "from": self.user_dict(),
            "chat_instance": str(self.user_id * 7),
            "message": _shallow(message),
            "data": data,
        }
        self.api.push_update("callback_query", query)
        await self.api.notify()
        return query_id

    def block(self) -> None:
        self.blocked = True

    def unblock(self) -> None:
        self.blocked = False

    # ----------------------------------------------------------------- reading
    def received(self) -> list[dict]:
        """Bot messages still visible in this chat, oldest first."""
        return [m for m in self.inbox if not m.get("_deleted")]

    def texts(self) -> list[str]:
        return [m.get("text") or m.get("caption") or "" for m in self.received()]

    def last(self) -> dict:
        visible = self.received()
        if not visible:
            raise AssertionError(f"phone {self.first_name} received nothing")
        return visible[-1]

    def buttons(self, message: dict | None = None) -> list[tuple[str, str]]:
        message = message or self.last()
        return [
            (b["text"], b.get("callback_data") or b.get("url"))
            for row in message.get("reply_markup", {}).get("inline_keyboard", [])
            for b in row
        ]

    async def wait_for(self, predicate: Callable[[Phone], Any], timeout: float = 5.0) -> Any:
        """Wait until `predicate(self)` is truthy; returns its value."""

        async def _until() -> Any:
            async with self.api.changed:
                result = predicate(self)
                while not result:
                    await self.api.changed.wait()
                    result = predicate(self)
                return result

        return await asyncio.wait_for(_until(), timeout)

    async def wait_count(self, count: int, timeout: float = 5.0) -> list[dict]:
        """Wait until this phone has received at least `count` bot messages in all."""
        await self.wait_for(lambda p: len(p.inbox) >= count, timeout)
        return self.inbox

    async def wait_text(self, fragment: str, timeout: float = 5.0) -> dict:
        """Wait for a visible bot message containing `fragment`; returns the newest one.

        Spaces match whatever their kind: the bot's « Salle : » has a no-break space."""
        from locales.typography import plain

        wanted = plain(fragment)

        def _find(phone: Phone):
            for message in reversed(phone.received()):
                if wanted in plain(message.get("text") or message.get("caption") or ""):
                    return message
            return None

        return await self.wait_for(_find, timeout)
