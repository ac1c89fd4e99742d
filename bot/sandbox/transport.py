"""Two ways to reach the fake: in-process (`FakeRequest`) and over HTTP (`FakeServer`)."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote, urlsplit

from aiohttp import BodyPartReader, web
from telegram.request import BaseRequest, RequestData

from bot.sandbox.fake_telegram import FakeTelegram, NamedBytes

# Fields whose value is a string even when it looks like JSON (PTB does not encode them).
STRING_FIELDS = {
    "text",
    "caption",
    "callback_query_id",
    "parse_mode",
    "language_code",
    "file_id",
    "description",
    "short_description",
    "name",
    "url",
    "query",
    "emoji",
    "action",
    "callback_data",
    "data",
    "title",
    "photo",
    "document",
    "sticker",
    "voice",
    "video",
    "animation",
    "audio",
    "video_note",
    "drop_pending_updates_str",
    "secret_token",
}


def decode_field(name: str, value: str) -> Any:
    """Undo PTB's form encoding: strings stay, everything else was JSON."""
    if name in STRING_FIELDS:
        return value
    try:
        return json.loads(value)
    except (json.JSONDecodeError, TypeError):
        return value


def _split(url: str) -> tuple[str, str, bool]:
    """(token, method or file path, is_file) from a Bot API URL."""
    path = unquote(urlsplit(url).path)
    is_file = "/file/bot" in path
    marker = "/file/bot" if is_file else "/bot"
    rest = path.split(marker, 1)[1]
    token, _, tail = rest.partition("/")
    return token, tail, is_file


class FakeRequest(BaseRequest):
    """In-process transport for fast tests: PTB's own request pipeline, no sockets."""

    def __init__(self, api: FakeTelegram) -> None:
        self.api = api

    @property
    def read_timeout(self) -> float | None:
        return 1.0

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url,
        method,
        request_data: RequestData | None = None,
        read_timeout=None,
        write_timeout=None,
        connect_timeout=None,
        pool_timeout=None,
    ) -> tuple[int, bytes]:
        token, tail, is_file = _split(url)
        if is_file:
            return self.api.download(token, tail)
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        files: dict[str, bytes] = {}
        if request_data and request_data.contains_files:
            for name, part in request_data.multipart_data.items():
                content = part[1]
                files[name] = NamedBytes(content if isinstance(content, bytes) else content.read(), part[0])
        status, body = await self.api.handle(token, tail, params, files)
        return status, json.dumps(body).encode()


class FakeServer:
    """The same fake served over HTTP on 127.0.0.1, for end-to-end tests and the sandbox."""

    def __init__(self, api: FakeTelegram, host: str = "127.0.0.1", port: int = 0) -> None:
        self.api = api
        self.host = host
        self.port = port
        self.app = web.Application(client_max_size=64 * 1024 * 1024)
        self.app.router.add_route("*", "/bot{token}/{method}", self._method)
        self.app.router.add_get("/file/bot{token}/{path:.*}", self._file)
        self._runner: web.AppRunner | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        await self.api.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _method(self, request: web.Request) -> web.Response:
        params: dict[str, Any] = {k: decode_field(k, v) for k, v in request.query.items()}
        files: dict[str, bytes] = {}
        if request.content_type == "application/json":
            params.update(await request.json())
        elif request.content_type.startswith("multipart/"):
            reader = await request.multipart()
            async for part in reader:
                if not isinstance(part, BodyPartReader) or part.name is None:
                    continue  # the Bot API sends no nested multipart and no unnamed field
                if part.filename is not None:
                    files[part.name] = NamedBytes(bytes(await part.read()), part.filename)
                else:
                    params[part.name] = decode_field(part.name, await part.text())
        elif request.can_read_body:
            form = await request.post()
            params.update({k: decode_field(k, str(v)) for k, v in form.items()})
        status, body = await self.api.handle(request.match_info["token"], request.match_info["method"], params, files)
        return web.json_response(body, status=status)

    async def _file(self, request: web.Request) -> web.Response:
        status, data = self.api.download(request.match_info["token"], request.match_info["path"])
        return web.Response(body=data, status=status)
