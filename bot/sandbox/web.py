"""The sandbox page: four Telegram phones and one Signal phone in the browser, served by the
fake Bot API's own aiohttp app.

Plain HTML/CSS/JS (no build step). The page learns of changes by server-sent events and
then reads `/api/state`, which holds each phone's own chat only, addressed by slot —
no simulated Telegram id, Signal ACI or name of one phone ever reaches another phone's chat.
The Signal phone (`"transport": "signal"`) has no buttons: it types the number of a choice.
"""

from __future__ import annotations

import asyncio
import io
import json
from importlib import resources
from typing import TYPE_CHECKING

from aiohttp import web

from bot.sandbox.fake_telegram import FILE_KINDS

if TYPE_CHECKING:
    from bot.sandbox.session import Sandbox

STATIC = {"app.js": "text/javascript", "style.css": "text/css", "index.html": "text/html"}
MAX_TEXT = 5000


def _static(name: str) -> bytes:
    return (resources.files("bot.sandbox") / "static" / name).read_bytes()


def sample_photo() -> bytes:
    """A small picture carrying camera and GPS metadata, to see the bot strip them."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (480, 320), (236, 228, 212))
    draw = ImageDraw.Draw(image)
    for i in range(12):
        draw.rectangle([30 + i * 36, 260 - i * 16, 56 + i * 36, 280], fill=(90 + i * 10, 150, 130))
    draw.text((30, 24), "Budget - novembre", fill=(60, 60, 60))
    exif = Image.Exif()
    exif[0x0110] = "SandboxCam"
    exif[0x8825] = {1: "N", 2: (45.0, 30.0, 0.0), 3: "W", 4: (73.0, 34.0, 0.0)}
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def sample_document() -> bytes:
    """A small PDF whose metadata names its author: the bot refuses documents, to see why."""
    return (
        b"%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\n"
        b"3 0 obj << /Author (Prenom Nom) /Title (Budget de novembre) >> endobj\n"
        b"trailer << /Root 1 0 R /Info 3 0 R >>\n%%EOF\n"
    )


_FAVICON: bytes | None = None


def favicon() -> bytes:
    """The page's icon: a green sprout on a round leaf, drawn once."""
    global _FAVICON
    if _FAVICON is None:
        from PIL import Image, ImageDraw

        image = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
        draw = ImageDraw.Draw(image)
        draw.ellipse([2, 2, 62, 62], fill=(31, 111, 92, 255))
        draw.ellipse([16, 14, 34, 32], fill=(223, 241, 232, 255))
        draw.ellipse([30, 14, 48, 32], fill=(223, 241, 232, 255))
        draw.rectangle([30, 28, 34, 50], fill=(223, 241, 232, 255))
        out = io.BytesIO()
        image.save(out, format="ICO", sizes=[(16, 16), (32, 32), (48, 48)])
        _FAVICON = out.getvalue()
    return _FAVICON


def _message_view(message: dict, mine: bool) -> dict:
    view = {
        "id": message["message_id"],
        "mine": mine,
        "text": message.get("text"),
        "caption": message.get("caption"),
        # Bold spans (UTF-16 offsets, as JavaScript strings count): the bot's labels.
        "bold": [
            [e["offset"], e["length"]]
            for e in message.get("entities") or message.get("caption_entities") or []
            if e.get("type") == "bold"
        ],
        "edited": "edit_date" in message,
        "protected": bool(message.get("has_protected_content")),
        "buttons": [
            [{"label": b["text"], "data": b.get("callback_data"), "url": b.get("url")} for b in row]
            for row in message.get("reply_markup", {}).get("inline_keyboard", [])
        ],
    }
    for kind in FILE_KINDS:
        if kind in message:
            view["kind"] = kind
            file_id = message[kind][-1]["file_id"] if kind == "photo" else message[kind]["file_id"]
            view["file"] = f"/api/file/{file_id}"
            if kind == "photo":  # the size is known before the image loads: the chat does not jump
                view["width"], view["height"] = message[kind][-1]["width"], message[kind][-1]["height"]
            elif kind == "document":
                view["file_name"] = message[kind].get("file_name") or "document"
    reply = message.get("reply_to_message")
    if reply:
        view["reply_to"] = {"id": reply["message_id"], "text": (reply.get("text") or reply.get("caption") or "…")[:80]}
    return view


def state(sandbox: Sandbox) -> dict:
    from bot.sandbox.session import PEOPLE

    phones = []
    # The facilitator first: the walk starts with her opening a room.
    for slot, name, language, facilitator in sorted(PEOPLE, key=lambda person: not person[3]):
        phone = sandbox.phones.get(slot)
        if phone is None:
            continue
        chat = [_message_view(m, False) for m in phone.inbox if not m.get("_deleted")]
        chat += [_message_view(m, True) for m in phone.sent if (phone.user_id, m["message_id"]) in sandbox.api.messages]
        chat.sort(key=lambda m: m["id"])
        phones.append(
            {
                "slot": slot,
                "name": name,
                "language": language,
                "facilitator": facilitator,
                "started": phone.started,
                "messages": chat,
                "notices": phone.notices[-5:],
                "transport": "telegram",
            }
        )
    screen = sandbox.signal
    if screen is not None:
        phones.append(
            {
                "slot": screen.slot,
                "name": screen.phone.name,
                "language": screen.language,
                "facilitator": False,
                "started": screen.started,
                "messages": screen.messages(),
                "notices": [],
                "transport": "signal",
            }
        )
    return {
        "ready": sandbox.app is not None,
        "language": sandbox.language,
        "phones": phones,
        "demo": {"enabled": sandbox.demo, "playing": sandbox.demo_playing},
    }


def _int(value: object) -> int:
    """A message id from the page: an int, or 0 (matches nothing)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def attach(sandbox: Sandbox) -> None:
    app = sandbox.server.app
    routes = web.RouteTableDef()

    def signal_of(request: web.Request):
        """The Signal phone's screen when the request is for it, else None."""
        screen = sandbox.signal
        return screen if screen is not None and request.match_info["slot"] == screen.slot else None

    def phone_of(request: web.Request):
        phone = sandbox.phones.get(request.match_info["slot"])
        if phone is None:
            raise web.HTTPNotFound(text="no such phone")
        return phone

    async def body(request: web.Request) -> dict:
        try:
            data = await request.json()
        except (json.JSONDecodeError, ValueError) as exc:
            raise web.HTTPBadRequest(text="JSON expected") from exc
        return data if isinstance(data, dict) else {}

    @routes.get("/")
    async def index(request: web.Request) -> web.Response:
        return web.Response(body=_static("index.html"), content_type="text/html", charset="utf-8")

    @routes.get("/favicon.ico")
    async def icon(request: web.Request) -> web.Response:
        return web.Response(body=favicon(), content_type="image/x-icon", headers={"Cache-Control": "max-age=86400"})

    @routes.get("/static/{name}")
    async def static(request: web.Request) -> web.Response:
        name = request.match_info["name"]
        if name not in STATIC:
            raise web.HTTPNotFound()
        return web.Response(body=_static(name), content_type=STATIC[name], charset="utf-8")

    @routes.get("/api/strings")
    async def strings(request: web.Request) -> web.Response:
        from bot.core.i18n import Translator

        language = request.query.get("lang", "fr")
        translator = sandbox.translator or Translator()
        sandbox.translator = translator
        catalog = translator.catalogs.get(language) or translator.catalogs["fr"]
        return web.json_response({k: v for k, v in catalog.items() if k.startswith("sandbox.")})

    @routes.get("/api/state")
    async def get_state(request: web.Request) -> web.Response:
        return web.json_response(state(sandbox))

    @routes.get("/api/events")
    async def events(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
        await response.prepare(request)
        queue: asyncio.Queue = asyncio.Queue()
        sandbox.api.listeners.add(queue)
        sandbox.page_connected()
        try:
            await response.write(b"event: change\ndata: {}\n\n")
            while not sandbox.api.closing:
                try:
                    await asyncio.wait_for(queue.get(), 15)
                    await response.write(b"event: change\ndata: {}\n\n")
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            sandbox.api.listeners.discard(queue)
        return response

    @routes.get("/api/file/{file_id}")
    async def file(request: web.Request) -> web.Response:
        stored = sandbox.api.files.get(request.match_info["file_id"])
        if stored is None:
            raise web.HTTPNotFound()
        if stored.path.endswith(".jpg"):
            return web.Response(body=stored.data, content_type="image/jpeg")
        name = stored.name or "document"
        kind = (
            "application/json"
            if name.endswith(".json")
            else ("application/pdf" if name.endswith(".pdf") else "application/octet-stream")
        )
        safe = "".join(c for c in name if c.isalnum() or c in "._-") or "document"
        return web.Response(
            body=stored.data, content_type=kind, headers={"Content-Disposition": f'attachment; filename="{safe}"'}
        )

    @routes.get("/api/{slot}/file/{timestamp}")
    async def signal_file(request: web.Request) -> web.Response:
        """A picture on the Signal phone (the bot's copy of a photo, or the person's own)."""
        screen = signal_of(request)
        timestamp = request.match_info["timestamp"]
        data = screen.file(int(timestamp)) if screen is not None and timestamp.isdigit() else None
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="image/jpeg")

    @routes.post("/api/{slot}/start")
    async def start(request: web.Request) -> web.Response:
        screen = signal_of(request)
        if screen is not None:  # on Signal, one writes first: /start typed as text
            await screen.send("/start")
            return web.json_response({"ok": True})
        phone = phone_of(request)
        payload = sandbox.invite_code if request.match_info["slot"] == sandbox.facilitator_slot else None
        await phone.start(payload)
        return web.json_response({"ok": True})

    @routes.post("/api/{slot}/send")
    async def send(request: web.Request) -> web.Response:
        screen, data = signal_of(request), await body(request)
        text = str(data.get("text", "")).strip()[:MAX_TEXT]
        if not text:
            raise web.HTTPBadRequest(text="empty")
        reply_to = data.get("reply_to")
        reply_to = int(reply_to) if isinstance(reply_to, int) and not isinstance(reply_to, bool) else None
        if screen is not None:  # commands and numbers are typed as text on Signal; a reply quotes
            await screen.send(text, quote=reply_to)
            return web.json_response({"ok": True})
        phone = phone_of(request)
        if text.startswith("/"):
            name, _, args = text.partition(" ")
            await phone.command(name, args, reply_to=reply_to)
        else:
            await phone.send(text, reply_to=reply_to)
        return web.json_response({"ok": True})

    @routes.post("/api/{slot}/press")
    async def press(request: web.Request) -> web.Response:
        phone, data = phone_of(request), await body(request)
        message = sandbox.api.messages.get((phone.user_id, int(data.get("message_id", 0))))
        if message is None:
            raise web.HTTPNotFound(text="message gone")
        await phone.press(message, str(data.get("data", "")))
        return web.json_response({"ok": True})

    @routes.post("/api/{slot}/edit")
    async def edit(request: web.Request) -> web.Response:
        screen, data = signal_of(request), await body(request)
        message_id = _int(data.get("message_id"))
        if screen is not None:
            if not await screen.edit(message_id, str(data.get("text", ""))[:MAX_TEXT]):
                raise web.HTTPForbidden(text="only one's own messages")
            return web.json_response({"ok": True})
        phone = phone_of(request)
        own = sandbox.api.messages.get((phone.user_id, message_id))
        if own is None or own.get("from", {}).get("id") != phone.user_id:
            raise web.HTTPForbidden(text="only one's own messages")
        await phone.edit(message_id, str(data.get("text", ""))[:MAX_TEXT])
        return web.json_response({"ok": True})

    @routes.post("/api/{slot}/delete")
    async def delete(request: web.Request) -> web.Response:
        """Telegram tells a bot nothing of a deletion: the phone asks with /supprimer in reply.
        Signal deletes for everyone (remoteDelete), and the bot hears of it."""
        screen, data = signal_of(request), await body(request)
        if screen is not None:
            if not await screen.delete(_int(data.get("message_id"))):
                raise web.HTTPForbidden(text="only one's own messages")
            return web.json_response({"ok": True})
        phone = phone_of(request)
        word = "/supprimer" if phone.language_code == "fr" else "/delete"
        await phone.command(word, reply_to=int(data.get("message_id", 0)))
        return web.json_response({"ok": True})

    @routes.post("/api/{slot}/photo")
    async def photo(request: web.Request) -> web.Response:
        screen, data = signal_of(request), await body(request)
        if screen is not None:
            await screen.send_photo(sample_photo(), caption=str(data.get("caption", ""))[:1000] or None)
            return web.json_response({"ok": True})
        phone = phone_of(request)
        await phone.send_photo(sample_photo(), caption=str(data.get("caption", ""))[:1000] or None)
        return web.json_response({"ok": True})

    @routes.post("/api/{slot}/document")
    async def document(request: web.Request) -> web.Response:
        """A sample document, to see the bot refuse it (files can carry who made them)."""
        phone = phone_of(request)
        data = sample_document()
        await phone.send_media(
            "document",
            data,
            extra={"file_name": "budget-novembre.pdf", "mime_type": "application/pdf", "file_size": len(data)},
        )
        return web.json_response({"ok": True})

    @routes.post("/api/replay")
    async def replay(request: web.Request) -> web.Response:
        sandbox.replay()
        return web.json_response({"ok": True})

    @routes.post("/api/reset")
    async def reset(request: web.Request) -> web.Response:
        sandbox.request_reset()
        return web.json_response({"ok": True})

    @routes.post("/api/language")
    async def language(request: web.Request) -> web.Response:
        data = await body(request)
        if data.get("language") in ("fr", "en"):
            sandbox.language = data["language"]
            await sandbox.api.notify()
        return web.json_response({"ok": True})

    app.add_routes(routes)
