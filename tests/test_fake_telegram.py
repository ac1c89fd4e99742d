"""The fake answers like Telegram, so stock python-telegram-bot parses it unchanged."""

import asyncio

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, InvalidToken, RetryAfter

from bot.sandbox.fake_telegram import FakeTelegram
from bot.sandbox.transport import FakeRequest, FakeServer


@pytest.fixture(params=["in-process", "http"])
async def bot_and_api(request):
    api = FakeTelegram()
    if request.param == "in-process":
        bot = Bot(
            api.token,
            base_url="http://fake.invalid/bot",
            base_file_url="http://fake.invalid/file/bot",
            request=FakeRequest(api),
            get_updates_request=FakeRequest(api),
        )
        async with bot:
            yield bot, api
    else:
        server = FakeServer(api)
        await server.start()
        bot = Bot(api.token, base_url=server.base_url, base_file_url=server.base_file_url)
        async with bot:
            yield bot, api
        await server.stop()


async def test_get_me_and_wrong_token(bot_and_api):
    bot, api = bot_and_api
    assert bot.username == api.bot_user["username"] and bot.bot.is_bot
    wrong = Bot("42:wrong", base_url="http://fake.invalid/bot", request=FakeRequest(api))
    with pytest.raises(InvalidToken):
        await wrong.get_me()


async def test_messages_have_integer_dates_and_per_chat_ids(bot_and_api):
    bot, api = bot_and_api
    alice = api.phone(5_000_000_001, "Alice")
    bob = api.phone(5_000_000_002, "Bob")
    await alice.send("hi")
    await bob.send("hi")
    first = await bot.send_message(alice.user_id, "un")
    second = await bot.send_message(bob.user_id, "deux")
    assert first.message_id == 2 and second.message_id == 2
    assert isinstance(alice.last()["date"], int)


async def test_rejects_what_telegram_rejects(bot_and_api):
    bot, api = bot_and_api
    alice = api.phone(5_000_000_001, "Alice")
    await alice.send("hi")
    with pytest.raises(BadRequest, match="(?i)too long"):
        await bot.send_message(alice.user_id, "x" * 4097)
    await bot.send_message(alice.user_id, "😀" * 2048)  # 4096 UTF-16 units: allowed
    with pytest.raises(BadRequest, match="(?i)too long"):
        await bot.send_message(alice.user_id, "😀" * 2049)
    with pytest.raises(BadRequest, match="(?i)button_data_invalid"):
        await bot.send_message(
            alice.user_id, "b", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="é" * 33)]])
        )
    with pytest.raises(BadRequest, match="(?i)empty"):
        await bot.send_message(alice.user_id, "")
    sent = await bot.send_message(alice.user_id, "same")
    with pytest.raises(BadRequest, match="(?i)^message is not modified"):
        await bot.edit_message_text("same", alice.user_id, sent.message_id)
    with pytest.raises(BadRequest, match="(?i)not found"):
        await bot.delete_message(alice.user_id, 9999)
    with pytest.raises(BadRequest, match="(?i)chat not found"):
        await bot.send_message(123, "nobody")


async def test_blocked_and_never_started(bot_and_api):
    bot, api = bot_and_api
    alice = api.phone(5_000_000_001, "Alice")
    silent = api.phone(5_000_000_003, "Silent")
    await alice.send("hi")
    alice.block()
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(alice.user_id, "x")
    with pytest.raises(Forbidden, match="initiate conversation"):
        await bot.send_message(silent.user_id, "x")


async def test_fault_injection_429_and_5xx(bot_and_api):
    bot, api = bot_and_api
    alice = api.phone(5_000_000_001, "Alice")
    await alice.send("hi")
    api.inject(429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(alice.user_id, "x")
    assert caught.value._retry_after.total_seconds() == 3
    api.inject(502)
    from telegram.error import NetworkError

    with pytest.raises(NetworkError):
        await bot.send_message(alice.user_id, "x")
    assert (await bot.send_message(alice.user_id, "ok")).text == "ok"


async def test_updates_commands_deep_links_and_callbacks(bot_and_api):
    bot, api = bot_and_api
    alice = api.phone(5_000_000_001, "Alice", username="alice", language_code="fr")
    await alice.start("ABCDEFGHJKLMNPQR")
    sent = await bot.send_message(
        alice.user_id, "choose", reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("A", callback_data="a:1")]])
    )
    await alice.press(sent.message_id, "a:1")
    await alice.edit(alice.sent[0]["message_id"], "/start edited")
    updates = await bot.get_updates(timeout=0)
    assert [u.effective_message.text if u.message or u.edited_message else u.callback_query.data for u in updates] == [
        "/start ABCDEFGHJKLMNPQR",
        "a:1",
        "/start edited",
    ]
    command = updates[0].message
    assert command.entities[0].type == "bot_command" and command.entities[0].length == 6
    assert command.from_user.language_code == "fr" and not command.from_user.is_bot
    assert updates[2].edited_message is not None
    assert await updates[1].callback_query.answer("merci")
    assert not await bot.get_updates(offset=updates[-1].update_id + 1, timeout=0)


async def test_files_round_trip_and_forwards_are_counted(bot_and_api):
    bot, api = bot_and_api
    alice = api.phone(5_000_000_001, "Alice")
    bob = api.phone(5_000_000_002, "Bob")
    await bob.send("hi")
    sent = await alice.send_photo(b"\xff\xd8not-really-a-jpeg")
    file = await bot.get_file(sent["photo"][-1]["file_id"])
    assert bytes(await file.download_as_bytearray()) == b"\xff\xd8not-really-a-jpeg"
    await bot.forward_message(bob.user_id, alice.user_id, sent["message_id"])
    assert api.counts["forwardMessage"] == 1
    assert "forward_origin" in bob.last()


async def test_answers_to_presses_reach_the_phone_that_pressed_and_documents_keep_their_name(bot_and_api):
    """What the sandbox page shows: a toast or an alert per phone, and a named file to download."""
    bot, api = bot_and_api
    alice, bob = api.phone(5_000_000_001, "Alice"), api.phone(5_000_000_002, "Bob")
    await alice.start()
    await bob.start()
    markup = InlineKeyboardMarkup([[InlineKeyboardButton("Go", callback_data="go")]])
    sent = await bot.send_message(alice.user_id, "press", reply_markup=markup)
    first = await alice.press(sent.message_id, "go")
    second = await alice.press(sent.message_id, "go")
    third = await alice.press(sent.message_id, "go")
    await bot.answer_callback_query(first, text="Noté : tu viens")
    await bot.answer_callback_query(second, text="Ce bouton n'est plus valide.", show_alert=True)
    await bot.answer_callback_query(third)  # no text: nothing to show
    assert [(n["text"], n["alert"]) for n in alice.notices] == [
        ("Noté : tu viens", False),
        ("Ce bouton n'est plus valide.", True),
    ]
    assert alice.notices[0]["id"] < alice.notices[1]["id"] and bob.notices == []
    document = await bot.send_document(bob.user_id, b'{"a": 1}', filename="entraide-mes-donnees.json")
    assert document.document.file_name == "entraide-mes-donnees.json"
    assert api.files[document.document.file_id].name == "entraide-mes-donnees.json"


async def test_entities_are_checked_recorded_and_returned_by_edits(bot_and_api):
    from telegram import MessageEntity
    from telegram.error import BadRequest

    bot, api = bot_and_api
    alice = api.phone(5_000_000_001, "Alice")
    await alice.send("hi")
    text = "🌱 Lilas : allo"  # the emoji counts two UTF-16 units
    sent = await bot.send_message(alice.user_id, text, entities=[MessageEntity("bold", 0, 8)])
    assert alice.last()["entities"] == [{"type": "bold", "offset": 0, "length": 8}]
    assert sent.entities[0].type == "bold" and sent.entities[0].length == 8
    for wrong in (MessageEntity("bold", 10, 9), MessageEntity("bold", -1, 2)):
        try:
            await bot.send_message(alice.user_id, text, entities=[wrong])
        except BadRequest as error:
            assert "entities" in error.message
        else:
            raise AssertionError("an entity beyond the text was accepted")
    await bot.edit_message_text(
        "Lilas : allo", chat_id=alice.user_id, message_id=sent.message_id, entities=[MessageEntity("bold", 0, 5)]
    )
    assert alice.last()["entities"] == [{"type": "bold", "offset": 0, "length": 5}]
    # An edit of the buttons answers with the message, text and entities as they are.
    edited = await bot.edit_message_reply_markup(
        chat_id=alice.user_id,
        message_id=sent.message_id,
        reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("…", callback_data="x")]]),
    )
    assert edited.text == "Lilas : allo" and edited.entities[0].length == 5
    await bot.edit_message_text("plain", chat_id=alice.user_id, message_id=sent.message_id)
    assert "entities" not in alice.last() and "reply_markup" not in alice.last()


async def test_webhooks_are_set_checked_reported_and_deleted_like_telegram(bot_and_api):
    from telegram.error import Conflict

    bot, api = bot_and_api
    with pytest.raises(BadRequest, match="(?i)https url must be provided"):
        await bot.set_webhook("http://example.org/hook")
    with pytest.raises(BadRequest, match="(?i)unallowed characters"):
        await bot.set_webhook("https://example.org/hook", secret_token="not allowed!")
    assert (await bot.get_webhook_info()).url == ""
    # Nothing listens on port 9: the fake keeps the update pending and reports the failure.
    assert await bot.set_webhook("http://127.0.0.1:9/hook", secret_token="s3cret_-token", allowed_updates=["message"])
    info = await bot.get_webhook_info()
    assert info.url == "http://127.0.0.1:9/hook" and info.allowed_updates == ("message",)
    with pytest.raises(Conflict):
        await bot.get_updates()
    phone = api.phone(5_600_000_001, "Alice")
    await phone.send("bonjour")
    for _ in range(200):
        if api.webhook_posts[None]:
            break
        await asyncio.sleep(0.01)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1 and info.last_error_message == "Connection refused"
    assert await bot.delete_webhook()
    assert (await bot.get_webhook_info()).url == "" and api.webhook is None
    (update,) = await bot.get_updates()  # still there for polling
    assert update.message.text == "bonjour"
