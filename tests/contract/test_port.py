"""The transport port's behaviour, written once: every adapter passes it (tests/contract/
conftest.py lists them: Telegram through the fake Bot API, with and without buttons, the
in-memory transport, with Telegram-like and Signal-like capabilities, Signal through the
fake signal-cli daemon, and the router over Telegram and Signal). What a transport can do
is always asked for the chat at hand (`capabilities_for`)."""

from __future__ import annotations

import pytest

from bot.core import errors
from bot.core.text import Entity, Styled
from bot.ports.choices import Picked, keycap
from bot.ports.refs import MessageRef
from bot.ports.transport import Button
from tests.contract.conftest import jpeg

CHOICES = [[Button("Oui", "rsvp:1:y"), Button("Peut-être", "rsvp:1:m")], [Button("Non", "rsvp:1:n")]]


def _fill(caps, unit_char: str, units: int) -> str:
    """A text `units` long in the transport's unit, made of `unit_char`."""
    each = caps.measure(unit_char)
    assert units % each == 0
    return unit_char * (units // each)


# ------------------------------------------------------------------ sending
async def test_a_text_reaches_the_person_exactly_as_written(side):
    chat = await side.person()
    text = "Héron calme : *pas de gras* <b>ni balise</b> _ni_ `code` 💛"
    sent = await side.transport.send(chat, text)
    assert isinstance(sent.message, MessageRef)
    assert sent.message.chat == chat and sent.message.transport == chat.transport
    assert side.seen(sent.message).text == text


async def test_every_send_is_a_new_message(side):
    chat = await side.person()
    first = await side.transport.send(chat, "un")
    second = await side.transport.send(chat, "deux")
    assert first.message != second.message
    assert side.seen(first.message).text == "un" and side.seen(second.message).text == "deux"


async def test_the_bots_own_bold_label_survives_and_can_be_read_back(side):
    chat = await side.person()
    sent = await side.transport.send(chat, "Héron calme : bonjour", entities=[Entity("bold", 0, 11)])
    recalled = await side.transport.recall(sent.message)
    assert recalled is None or recalled == Styled("Héron calme : bonjour", (Entity("bold", 0, 11),))


async def test_a_reply_threads_and_a_vanished_target_is_no_failure(side):
    chat = await side.person()
    first = await side.transport.send(chat, "question")
    answer = await side.transport.send(chat, "réponse", reply_to=first.message)
    assert side.seen(answer.message).reply_to == first.message.id
    await side.transport.delete(first.message)
    late = await side.transport.send(chat, "encore", reply_to=first.message)
    assert side.seen(late.message).text == "encore"


async def test_protection_is_set_where_the_transport_can(side):
    chat = await side.person()
    sent = await side.transport.send(chat, "protégé", protect=True)
    assert side.seen(sent.message).protected == side.transport.capabilities_for(chat).protect


async def test_a_document_is_delivered(side):
    chat = await side.person()
    sent = await side.transport.send_document(chat, b'{"a": 1}', "mes-donnees.json", caption="Tes données")
    shown = side.seen(sent.message)
    assert shown.has_media and shown.text == "Tes données"


# ------------------------------------------------------------------ edits and deletes
async def test_an_edit_replaces_the_text(side):
    chat = await side.person()
    sent = await side.transport.send(chat, "avant")
    await side.transport.edit(sent.message, "après")
    assert side.seen(sent.message).text == "après"


async def test_an_edit_that_changes_nothing_is_not_modified(side):
    chat = await side.person()
    sent = await side.transport.send(chat, "pareil")
    with pytest.raises(errors.NotModified):
        await side.transport.edit(sent.message, "pareil")


async def test_a_deleted_message_is_gone_for_edits_and_deletes(side):
    chat = await side.person()
    sent = await side.transport.send(chat, "bientôt parti")
    await side.transport.delete(sent.message)
    assert side.seen(sent.message) is None
    with pytest.raises(errors.Gone):
        await side.transport.delete(sent.message)
    with pytest.raises(errors.Gone):
        await side.transport.edit(sent.message, "trop tard")


async def test_a_caption_can_be_edited(side):
    chat = await side.person()
    sent = await side.transport.send_photo(chat, jpeg(), caption="Héron calme")
    await side.transport.edit_caption(sent.message, "Héron calme : une photo")
    assert side.seen(sent.message).text == "Héron calme : une photo"


# ------------------------------------------------------------------ choices
async def test_choices_are_buttons_or_a_numbered_list_answered_by_number(side):
    chat = await side.person()
    sent = await side.transport.send(chat, "On se voit jeudi ?", buttons=CHOICES)
    shown = side.seen(sent.message)
    if side.transport.capabilities_for(chat).buttons:
        assert shown.labels == ["Oui", "Peut-être", "Non"]
        assert side.book.answer(chat, "2") is None  # nothing numbered: « 2 » is just a message
    else:
        assert shown.labels == []
        assert f"{keycap(2)} Peut-être" in shown.text and shown.text.startswith("On se voit jeudi ?")
        picked = side.book.answer(chat, "2")
        assert isinstance(picked, Picked) and picked.data == "rsvp:1:m" and picked.list.message == sent.message


async def test_choices_follow_an_edit_and_close_when_taken_away(side):
    chat = await side.person()
    sent = await side.transport.send(chat, "Ta réponse ?", buttons=CHOICES)
    await side.transport.edit(sent.message, "Merci, c'est noté.", buttons=[[Button("Changer", "rsvp:1:c")]])
    shown = side.seen(sent.message)
    if side.transport.capabilities_for(chat).buttons:
        assert shown.labels == ["Changer"]
    else:
        assert side.book.answer(chat, "1").data == "rsvp:1:c"
        await side.transport.edit(sent.message, "Merci.")
        assert keycap(1) not in side.seen(sent.message).text
        assert side.book.answer(chat, "1") is not None and not isinstance(side.book.answer(chat, "1"), Picked)


async def _press(side, chat, message, index: int) -> str:
    if side.transport.capabilities_for(chat).buttons:
        return await side.press(message, index)
    picked = side.book.answer(chat, str(index + 1))
    assert isinstance(picked, Picked)
    return picked.press


async def test_a_choice_is_acknowledged_with_its_notice_once(side):
    chat = await side.person()
    sent = await side.transport.send(chat, "On se voit jeudi ?", buttons=CHOICES)
    press = await _press(side, chat, sent.message, 0)
    await side.transport.acknowledge(press, "C'est noté 💛")
    if side.transport.capabilities_for(chat).buttons:
        assert side.notices(chat) == ["C'est noté 💛"]
    else:  # no toast without buttons: the notice comes as a message
        assert side.notices(chat) == [] and side.last_text(chat) == "C'est noté 💛"
    await side.transport.acknowledge(press, None)  # an old press again: never an error
    await side.transport.acknowledge("not-a-press-id", "rien")


async def test_a_long_notice_is_cut_to_what_shows_never_refused(side):
    chat = await side.person()
    sent = await side.transport.send(chat, "Choisis", buttons=CHOICES)
    press = await _press(side, chat, sent.message, 2)
    limit = side.transport.capabilities_for(chat).notice_limit
    await side.transport.acknowledge(press, "é" * (limit * 2), alert=True)
    if side.transport.capabilities_for(chat).buttons:
        (notice,) = side.notices(chat)
        assert 0 < len(notice) <= limit
    else:
        assert side.last_text(chat) == "é" * (limit * 2)  # a message holds it whole


# ------------------------------------------------------------------ limits, in their unit
async def test_a_text_at_the_limit_goes_and_one_unit_more_is_rejected(side):
    chat = await side.person()
    caps = side.transport.capabilities_for(chat)
    limit = caps.text_limit
    sent = await side.transport.send(chat, _fill(caps, "a", limit))
    assert len(side.seen(sent.message).text) == limit
    with pytest.raises(errors.Rejected):
        await side.transport.send(chat, _fill(caps, "a", limit) + "a")


async def test_the_limit_counts_in_the_transports_unit(side):
    chat = await side.person()
    caps = side.transport.capabilities_for(chat)
    emoji = "😀"
    units = caps.measure(emoji)
    assert units == {"utf16": 2, "bytes": 4}[caps.unit]
    fits = emoji * (caps.text_limit // units)
    await side.transport.send(chat, fits)
    with pytest.raises(errors.Rejected):
        await side.transport.send(chat, fits + emoji)
    assert caps.split(fits + emoji) == [fits, emoji]


async def test_a_caption_over_its_limit_is_rejected(side):
    chat = await side.person()
    caps = side.transport.capabilities_for(chat)
    limit = caps.caption_limit
    await side.transport.send_photo(chat, jpeg(), caption=_fill(caps, "a", limit))
    with pytest.raises(errors.Rejected):
        await side.transport.send_photo(chat, jpeg(), caption=_fill(caps, "a", limit) + "a")


# ------------------------------------------------------------------ errors
async def test_a_person_who_blocked_the_bot_is_unreachable(side):
    chat = await side.person()
    side.block(chat)
    with pytest.raises(errors.Unreachable):
        await side.transport.send(chat, "bonjour")


async def test_a_rate_limit_says_how_long_to_wait(side):
    chat = await side.person()
    side.fail("rate", chat)
    with pytest.raises(errors.RateLimited) as raised:
        await side.transport.send(chat, "vite")
    assert raised.value.retry_after > 0
    assert side.seen((await side.transport.send(chat, "plus tard")).message).text == "plus tard"


async def test_a_server_error_is_transient(side):
    chat = await side.person()
    side.fail("server", chat)
    with pytest.raises(errors.Transient):
        await side.transport.send(chat, "bonjour")


# ------------------------------------------------------------------ members' media
async def test_a_members_photo_can_be_fetched_and_sent_again(side):
    author, reader = await side.person(), await side.person()
    original = jpeg(16)
    media = await side.member_sends(author, "photo", original)
    assert await side.transport.fetch_attachment(media) == original
    sent = await side.transport.send_photo(reader, original, caption="Héron calme", protect=True)
    assert side.seen(sent.message).has_media
    if sent.media is not None:  # the same photo to the next person, without the bytes
        other = await side.person()
        again = await side.transport.send_photo(other, sent.media, caption="Héron calme")
        assert side.seen(again.message).has_media


async def test_a_members_media_is_relayed_with_the_bots_caption_and_no_origin(side):
    author, reader = await side.person(), await side.person()
    media = await side.member_sends(author, "voice", b"OggS voice")
    sent = await side.transport.relay_media(reader, media, caption="Héron calme", protect=True)
    shown = side.seen(sent.message)
    assert shown.has_media and shown.text == "Héron calme" and not shown.forwarded
    assert sent.message.chat == reader


# ------------------------------------------------------------------ the rest
async def test_the_platform_answers_a_ping(side):
    assert await side.transport.ping() is True


async def test_capabilities_describe_this_transport(side):
    chat = await side.person()
    caps = side.transport.capabilities_for(chat)
    assert caps.name == chat.transport  # the capabilities of whichever transport reaches that chat
    assert caps.unit in ("utf16", "bytes") and caps.text_limit > 0 and caps.caption_limit > 0
    assert caps.notice("x" * (caps.notice_limit + 5)).__len__() <= caps.notice_limit
    assert (
        caps.short("Un titre beaucoup trop long pour un bouton")
        == "Un titre beaucoup trop long pour un bouton"[: caps.button_width]
    )
