"""Webhook mode end to end over HTTP: the fake Bot API really POSTs updates to the bot."""

import asyncio
import json

import aiohttp
import pytest

from bot.core.config import Config, ConfigError, check_webhook_url
from bot.telegram.runner import serve
from tests.support.live import LiveBot, free_port, setup_room, wait


class WebhookBot(LiveBot):
    """LiveBot in webhook mode (or polling again with `webhook=False`)."""

    def __init__(self, data_dir):
        super().__init__(data_dir)
        self.port = free_port()
        self.webhook = True

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/entraide/hook"

    async def start(self):
        if self.server._runner is None:
            await self.server.start()
        self.config = Config(
            token=self.api.token,
            api_url=self.server.base_url,
            data_dir=self.data_dir,
            poll_timeout=1,
            webhook_url=self.url if self.webhook else None,
            webhook_listen=("127.0.0.1", self.port),
        )
        self.stop_event = asyncio.Event()
        self.app = None
        self.task = asyncio.create_task(serve(self.config, self.stop_event, on_ready=self._ready))
        await wait(lambda: self.app is not None or self.task.done())
        if self.task.done():
            self.task.result()
        return self


async def post(url, body, secret=None):
    headers = {"Content-Type": "application/json"}
    if secret is not None:
        headers["X-Telegram-Bot-Api-Secret-Token"] = secret
    async with aiohttp.ClientSession() as session, session.post(url, data=json.dumps(body), headers=headers) as answer:
        return answer.status


@pytest.mark.e2e
async def test_webhook_relays_only_with_the_secret_then_polling_again(tmp_path):
    live = await WebhookBot(tmp_path / "data").start()
    api = live.api
    assert api.counts["setWebhook"] == 1
    secret = api.webhook["secret"]
    assert api.webhook["url"] == live.url and len(secret) >= 32
    assert set(api.webhook["allowed_updates"]) == {"message", "edited_message", "callback_query"}

    fac, room, (a, b) = await setup_room(live, count=2)
    await a.send("Je respire avant de répondre")
    await b.wait_text("Je respire avant de répondre")
    assert api.counts["getUpdates"] == 0  # every update came by POST
    assert api.webhook_posts[200] > 0 and api.webhook_posts[403] == 0

    # A request without the secret, or with another one, is refused before anything is read.
    forged = {
        "update_id": 9_999,
        "message": {
            "message_id": 999,
            "date": api.now(),
            "chat": a.chat_dict(),
            "from": a.user_dict(),
            "text": "message forgé",
        },
    }
    sends = api.counts["sendMessage"]
    assert await post(live.url, forged) == 403
    assert await post(live.url, forged, secret="x" * 43) == 403
    # Telegram itself with a wrong secret: refused, kept pending, tried again.
    api.webhook["secret"] = "not-the-secret"
    await a.send("envoyé pendant que le secret est faux")
    await wait(lambda: api.webhook_posts[403] >= 2)
    info = await live.app.bot.get_webhook_info()
    assert info.pending_update_count == 1 and "403" in info.last_error_message
    assert api.counts["sendMessage"] == sends  # nothing was processed
    assert all("faux" not in text and "forgé" not in text for p in (b, fac) for text in p.texts())
    api.webhook["secret"] = secret
    await b.wait_text("envoyé pendant que le secret est faux")
    assert sum("forgé" in text for p in (a, b, fac) for text in p.texts()) == 0
    assert sum("secret est faux" in text for text in b.texts()) == 1

    # Back to long polling: the webhook is deleted, getUpdates works, relays go on.
    await live.stop()
    live.webhook = False
    await live.start()
    await wait(lambda: api.counts["getUpdates"] > 0)
    assert api.webhook is None and api.webhook_deleted >= 1
    with pytest.raises(aiohttp.ClientConnectionError):
        await post(live.url, forged, secret=secret)  # nothing listens any more
    await a.send("de retour en attente longue")
    await b.wait_text("de retour en attente longue")
    assert api.errors_sent[409] == 0
    await live.stop()
    await live.server.stop()


def test_webhook_url_must_be_https_except_to_this_machine():
    assert check_webhook_url("https://entraide.example.org/hook")
    assert check_webhook_url("http://127.0.0.1:8443/hook")
    for bad in ("http://entraide.example.org/hook", "ftp://x/y", "https://", "https://x/h?token=1"):
        with pytest.raises(ConfigError):
            check_webhook_url(bad)
    config = Config.from_env({"ENTRAIDE_WEBHOOK_URL": "https://bot.example.org/entraide/hook"})
    assert config.webhook_listen == ("127.0.0.1", 8443) and config.webhook_path == "/entraide/hook"
    config = Config.from_env({"ENTRAIDE_WEBHOOK_LISTEN": "[::1]:9000"})
    assert config.webhook_url is None and config.webhook_listen == ("::1", 9000)
    for bad in ("8443", "host:", "host:99999", ":80"):
        with pytest.raises(ConfigError):
            Config.from_env({"ENTRAIDE_WEBHOOK_LISTEN": bad})
