"""Where a transport has no buttons, choices are a numbered list answered by number or by
their words, end to end through the core (here: the Telegram adapter told it has no
buttons, through the fake Bot API)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.core.clock import FixedClock
from bot.ports.choices import OPEN_FOR, STALE_FOR, ChoiceBook, OutOfRange, Picked, Stale, keycap, numbered
from bot.ports.refs import ChatRef, MessageRef
from bot.ports.transport import Button
from bot.services.onboarding import MIN_AGE, OPTIONAL
from bot.telegram.adapter import CAPABILITIES
from storage.members import MemberRepo
from tests.support.harness import Harness

NO_BUTTONS = replace(CAPABILITIES, buttons=False)


@pytest.fixture
async def nb(tmp_path):
    harness = Harness(tmp_path / "data")
    harness.build_options = {"capabilities": NO_BUTTONS}
    await harness.start()
    yield harness
    await harness.stop()


def _list_message(phone):
    """The latest message that shows a numbered list (the bot edits it as the flow goes)."""
    return next(m for m in reversed(phone.received()) if keycap(1) in m.get("text", ""))


async def _members(h) -> list:
    async with h.db.transaction() as tx:
        return await MemberRepo(tx).many(list(range(1, 50)))


async def test_onboarding_by_numbers_and_words_in_english(nb):
    t = nb.services.t
    phone = nb.phone("Aimée", language_code="fr")
    await phone.start()
    await nb.pump()
    shown = _list_message(phone)
    assert "reply_markup" not in shown or not shown["reply_markup"].get("inline_keyboard")
    assert f"{keycap(1)} {t('fr', 'onboarding.charter_ok')}" in shown["text"]
    assert f"{keycap(2)} {t('en', 'onboarding.in_this_language')}" in shown["text"]

    # Out of range: a kind answer in French, nothing else happens.
    await nb.say(phone, "7")
    assert phone.last()["text"] == t.plural("fr", "choices.out_of_range", 2)
    assert await _members(nb) == []

    # « 2 » picks the second choice: the welcome, now in English.
    await nb.say(phone, "2")
    shown = _list_message(phone)
    assert t("en", "onboarding.welcome") in shown["text"]
    assert f"{keycap(1)} {t('en', 'onboarding.charter_ok')}" in shown["text"]

    await nb.say(phone, "1️⃣")  # the keycap itself, as a phone's keyboard offers it
    shown = _list_message(phone)
    assert t("en", "onboarding.age_ok", age=MIN_AGE) in shown["text"]

    # Out of range now answers in English, with the size of this list.
    await nb.say(phone, "9")
    assert phone.last()["text"] == t.plural("en", "choices.out_of_range", 2)

    # The words of a choice pick it too (case and accents aside).
    await nb.say(phone, t("en", "onboarding.age_ok", age=MIN_AGE).upper())
    shown = _list_message(phone)
    assert t("en", "onboarding.consent_done") in shown["text"]

    done = len(OPTIONAL) + 1  # the toggles, then « done »
    await nb.say(phone, f"{done}.")
    members = await _members(nb)
    assert len(members) == 1 and members[0].locale == "en"
    assert not any(t("en", "choices.stale") == m.get("text") for m in phone.received())


async def test_a_late_or_stale_number_gets_a_kind_answer_in_french(nb):
    t = nb.services.t
    phone = nb.phone("Benoît", language_code="fr")
    await phone.start()
    await nb.pump()
    shown = _list_message(phone)
    nb.clock.current += OPEN_FOR + 60  # the list is no longer open
    await nb.say(phone, "1")
    assert phone.last()["text"] == t("fr", "choices.stale")
    await nb.say(phone, "2", reply_to=shown["message_id"])  # quoting the old list: too late as well
    assert phone.last()["text"] == t("fr", "choices.stale")
    assert await _members(nb) == []
    # A fresh /start shows a new list, and its numbers work again.
    await phone.start()
    await nb.pump()
    await nb.say(phone, "1")
    assert t("fr", "onboarding.age_ok", age=MIN_AGE) in _list_message(phone)["text"]


async def test_with_buttons_nothing_is_numbered(h):
    phone = h.phone("Chloé")
    await phone.start()
    await h.pump()
    assert keycap(1) not in phone.last()["text"]
    assert phone.buttons()
    assert h.services.choices.open_lists(ChatRef("telegram", str(phone.user_id))) == []


# ------------------------------------------------------------------ the book itself
CHAT = ChatRef("signal", "aci-1")
LIST = MessageRef(CHAT, "1700000000000")
KEYBOARD = [[Button("Oui", "y"), Button("Peut-être", "m")], [Button("Non", "n")], [Button("Site", url="https://x.ca")]]


def _book():
    clock = FixedClock(1_000_000.0)
    book = ChoiceBook(clock)
    text, choices = numbered("On se voit jeudi ?", KEYBOARD)
    book.remember(LIST, text, choices)
    return clock, book, text


def test_numbered_text_lists_choices_in_reading_order_and_links_apart():
    text, choices = numbered("On se voit jeudi ?", KEYBOARD)
    assert [c.data for c in choices] == ["y", "m", "n"]
    assert text.splitlines()[2:] == [
        f"{keycap(1)} Oui",
        f"{keycap(2)} Peut-être",
        f"{keycap(3)} Non",
        "🔗 Site",
        "https://x.ca",
    ]
    assert numbered("Rien", None) == ("Rien", ())


def test_the_book_maps_numbers_words_and_replies():
    clock, book, _ = _book()
    picked = book.answer(CHAT, "2")
    assert isinstance(picked, Picked) and picked.data == "m" and picked.list.message == LIST
    assert book.chat_of_press(picked.press) == CHAT and book.is_press(picked.press)
    assert isinstance(book.answer(CHAT, " 3) "), Picked)
    assert book.answer(CHAT, "peut etre").data == "m"
    assert book.answer(CHAT, "4").count == 3
    assert isinstance(book.answer(CHAT, "0"), OutOfRange)
    assert book.answer(CHAT, "Bonjour tout le monde") is None  # not an answer: goes on as usual
    assert book.answer(CHAT, "2", reply_to=MessageRef(CHAT, "99")) is None  # a reply to something else
    assert book.answer(ChatRef("signal", "aci-2"), "2") is None  # another chat has no list


def test_closed_and_expired_lists_are_stale_then_forgotten():
    clock, book, text = _book()
    book.remember(LIST, "Merci !", ())  # edited to something without choices
    assert book.answer(CHAT, "1") == Stale()
    assert book.answer(CHAT, "1", reply_to=LIST) == Stale()
    assert book.answer(CHAT, "oui") is None  # words are only ever an answer to an open list
    clock.current += STALE_FOR + 1
    assert book.answer(CHAT, "1") is None  # long after: just a message
    _, book, _ = _book()
    book.clock.current += OPEN_FOR + 1
    assert book.answer(CHAT, "1") == Stale()
