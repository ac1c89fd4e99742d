"""The sandbox page in headless Chromium (Playwright, Debian's chromium; no browser download)."""

import asyncio
import json
import os
import shutil
from pathlib import Path

import pytest

from bot.core.config import Config

pytestmark = pytest.mark.browser

playwright_api = pytest.importorskip("playwright.async_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's chromium for the sandbox browser test")
    pytest.skip("no chromium on this machine (apt-get install chromium)", allow_module_level=True)

ARTIFACTS = Path(__file__).parent / "artifacts"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def _running(tmp_path, **options):
    from bot.sandbox.session import Sandbox

    box = Sandbox(tmp_path / "sandbox", port=0, **options)
    await box.start()
    stop = asyncio.Event()
    task = asyncio.create_task(box.run(Config(token=None, data_dir=tmp_path, poll_timeout=1), stop))
    for _ in range(200):
        if box.app is not None and box.invite_code is not None:
            break
        await asyncio.sleep(0.05)
    return box, stop, task


async def _stopped(box, stop, task):
    stop.set()
    await asyncio.wait_for(task, 20)
    await box.stop()


@pytest.fixture
async def sandbox(tmp_path):
    box, stop, task = await _running(tmp_path)
    yield box
    await _stopped(box, stop, task)


@pytest.fixture
async def demo_sandbox(tmp_path):
    box, stop, task = await _running(tmp_path, demo=True, demo_pause=0.05)
    yield box
    await _stopped(box, stop, task)


@pytest.fixture
async def page():
    async with playwright_api.async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = await browser.new_page(viewport={"width": 1400, "height": 950})
        yield page
        await browser.close()


def phone(page, slot):
    return page.locator(f'section[data-slot="{slot}"]')


async def click(page, slot, name):
    button = phone(page, slot).get_by_role("button", name=name, exact=True).last
    await button.wait_for(timeout=10_000)
    await button.click()


async def type_and_send(page, slot, text):
    box = phone(page, slot).get_by_role("textbox")
    await box.fill(text)
    await box.press("Enter")


async def expect_text(page, slot, text, timeout=10_000):
    await phone(page, slot).locator(".chat").get_by_text(text, exact=False).last.wait_for(timeout=timeout)


async def onboard(page, slot, english=False):
    await click(page, slot, "Démarrer")  # the page speaks French; the bot speaks the phone's language
    await click(page, slot, "I've read it, I agree" if english else "J'ai lu, ça me va")
    await click(page, slot, "I am 14 or older" if english else "J'ai 14 ans ou plus")
    await click(page, slot, "Confirm and take part in rooms ➜" if english else "Confirmer et participer aux salles ➜")
    await expect_text(page, slot, "All set" if english else "C'est fait")


async def test_two_members_and_a_facilitator_in_the_browser(sandbox, page):
    ARTIFACTS.mkdir(exist_ok=True)
    await page.goto(sandbox.url)
    await page.get_by_text("rien n'est envoyé à Telegram").wait_for()
    await onboard(page, "alice")
    await onboard(page, "bruno", english=True)
    await onboard(page, "fatou")
    await expect_text(page, "fatou", "Tu fais maintenant partie de l'animation")
    await type_and_send(page, "fatou", "/ouvrir Stress et argent | Parler d'argent sans gêne")
    await expect_text(page, "fatou", "Salle n° 1")
    await type_and_send(page, "alice", "/rejoindre 1")
    await expect_text(page, "alice", "Bienvenue dans «\u00a0Stress et argent\u00a0»")
    await type_and_send(page, "bruno", "/join 1")
    await expect_text(page, "bruno", "Welcome to “Stress et argent”")
    await page.screenshot(path=str(ARTIFACTS / "sandbox-joined.png"))

    await type_and_send(page, "alice", "Je planifie mes achats le dimanche")
    await expect_text(page, "bruno", "Je planifie mes achats le dimanche")
    await expect_text(page, "fatou", "Je planifie mes achats le dimanche")
    # Bruno replies to the relayed message; Alice sees the reply to her own message.
    relayed = phone(page, "bruno").locator(".msg", has_text="Je planifie mes achats").last
    await relayed.get_by_role("button", name="Répondre").click()
    await type_and_send(page, "bruno", "There's a free budget-help organisation near me")
    await expect_text(page, "alice", "free budget-help organisation")
    quote = phone(page, "alice").locator(".msg", has_text="free budget-help").last.locator(".quote")
    assert "Je planifie mes achats" in await quote.inner_text()
    # Alice edits her message: the copies follow.
    own = phone(page, "alice").locator(".msg.mine", has_text="Je planifie mes achats le dimanche").last
    await own.get_by_role("button", name="Modifier").click()
    await type_and_send(page, "alice", "Je planifie mes achats le samedi")
    await expect_text(page, "bruno", "le samedi")
    # A sample photo arrives without its metadata.
    await (
        phone(page, "alice")
        .get_by_role("button", name="Envoyer une photo d'exemple (avec des métadonnées GPS)")
        .click()
    )
    await phone(page, "bruno").locator(".msg img").last.wait_for(timeout=10_000)
    await page.screenshot(path=str(ARTIFACTS / "sandbox-chat.png"))
    # Alice deletes her message: every copy goes.
    own = phone(page, "alice").locator(".msg.mine", has_text="le samedi").last
    await own.get_by_role("button", name="Supprimer").click()
    await expect_text(page, "alice", "retiré chez tout le monde")
    await phone(page, "bruno").locator(".msg", has_text="le samedi").first.wait_for(state="detached", timeout=10_000)

    # No phone shows another phone's name, and no simulated Telegram id is on the page.
    html = await page.content()
    for p in sandbox.phones.values():
        assert str(p.user_id) not in html
    for slot, others in (
        ("alice", ["Bruno", "Fatou", "Chloé"]),
        ("bruno", ["Alice", "Fatou", "Chloé"]),
        ("fatou", ["Alice", "Bruno", "Chloé"]),
    ):
        chat = await phone(page, slot).locator(".chat").inner_text()
        for name in others:
            assert name not in chat, (slot, name)


async def test_reset_and_language_switch(sandbox, page):
    await page.goto(sandbox.url)
    await onboard(page, "alice")
    await page.get_by_label("Langue de la page").select_option("en")
    await page.get_by_text("nothing reaches Telegram").wait_for()
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.get_by_role("button", name="Start over").click()
    await phone(page, "alice").get_by_role("button", name="Start").wait_for(timeout=15_000)
    await page.screenshot(path=str(ARTIFACTS / "sandbox-reset.png"))


async def test_keyboard_only_use(sandbox, page):
    await page.goto(sandbox.url)
    start = phone(page, "chloe").get_by_role("button", name="Démarrer")
    await start.focus()
    await page.keyboard.press("Enter")
    await phone(page, "chloe").get_by_role("button", name="J'ai lu, ça me va").wait_for(timeout=10_000)


class Taps:
    """Counts what a person does on a phone: each button tapped, each message sent."""

    def __init__(self, page, slot):
        self.page, self.slot, self.count = page, slot, 0

    async def tap(self, name):
        await click(self.page, self.slot, name)
        self.count += 1

    async def write(self, text):
        await type_and_send(self.page, self.slot, text)
        self.count += 1


async def test_the_sandbox_walk_facilitator_opens_a_room_member_joins_and_writes_in_six_taps(sandbox, page):
    """Issue 16: open the page, the facilitator opens a room (guided), a member joins and writes."""
    ARTIFACTS.mkdir(exist_ok=True)
    await page.goto(sandbox.url)
    # The page says where to begin (issue 16, item 4): the facilitator, shown first.
    await page.get_by_text(
        "Pour commencer\u00a0: Fatou (animation) appuie sur «\u00a0Démarrer\u00a0» et ouvre une salle"
    ).wait_for()
    assert await page.locator("section.phone").first.get_attribute("data-slot") == "fatou"
    await expect_text(page, "fatou", "Commence ici")
    await expect_text(page, "alice", "Quand Fatou aura ouvert une salle")
    fatou = Taps(page, "fatou")
    for name in ("Démarrer", "J'ai lu, ça me va", "J'ai 14 ans ou plus", "Confirmer et participer aux salles ➜"):
        await fatou.tap(name)
    await expect_text(page, "fatou", "Tu fais maintenant partie de l'animation")
    await fatou.tap("Ouvrir une salle")
    await expect_text(page, "fatou", "Quel en sera le thème")
    await fatou.write("Stress et argent")
    await fatou.tap("Passer, sans description")
    await fatou.tap("8")
    await expect_text(page, "fatou", "Salle n° 1 ouverte")

    alice = Taps(page, "alice")
    for name in ("Démarrer", "J'ai lu, ça me va", "J'ai 14 ans ou plus", "Confirmer et participer aux salles ➜"):
        await alice.tap(name)
    await alice.tap("Rejoindre n° 1")
    await expect_text(page, "alice", "Écris ton premier message ici")
    await alice.write("Bonjour, je suis nouvelle ici")
    await expect_text(page, "fatou", "Bonjour, je suis nouvelle ici")
    assert alice.count <= 6, alice.count
    mine = await phone(page, "alice").locator(".msg.mine").all_inner_texts()
    assert [text.split("\n")[0] for text in mine] == ["/start", "Bonjour, je suis nouvelle ici"]  # no command typed
    await page.screenshot(path=str(ARTIFACTS / "sandbox-walk.png"))


async def scroll_state(page, slot):
    return (
        await phone(page, slot)
        .locator(".chat")
        .evaluate(
            "c => ({top: c.scrollTop, bottom: c.scrollHeight - c.scrollTop - c.clientHeight <= 2,"
            " scrollable: c.scrollHeight > c.clientHeight + 50})"
        )
    )


async def wait_messages(page, slot, count):
    await page.wait_for_function(
        f"document.querySelectorAll('section[data-slot=\"{slot}\"] .msg').length >= {count}", timeout=10_000
    )
    return await phone(page, slot).locator(".msg").count()


async def test_each_chat_keeps_its_place_and_follows_only_at_the_bottom(sandbox, page):
    """Issue 16, item 5: another phone acting, a new message, an image or a reload move no chat."""
    await page.goto(sandbox.url)
    await onboard(page, "alice")
    for _ in range(3):
        count = await phone(page, "alice").locator(".msg").count()
        await type_and_send(page, "alice", "/aide")
        await wait_messages(page, "alice", count + 2)
    assert (await scroll_state(page, "alice"))["bottom"], "a new chat opens at its newest message"
    chat = phone(page, "alice").locator(".chat")
    await chat.evaluate("c => { c.scrollTop = 0; c.dispatchEvent(new Event('scroll')); }")
    assert (await scroll_state(page, "alice"))["scrollable"]

    await onboard(page, "bruno", english=True)  # another phone acts
    assert (await scroll_state(page, "alice"))["top"] == 0

    count = await phone(page, "alice").locator(".msg").count()
    await sandbox.phones["alice"].command("/aide")  # a new message arrives while she reads above
    count = await wait_messages(page, "alice", count + 2)
    assert (await scroll_state(page, "alice"))["top"] == 0
    jump = phone(page, "alice").get_by_role("button", name="Nouveaux messages ↓")
    await jump.wait_for()

    await page.reload()
    await wait_messages(page, "alice", count)
    assert (await scroll_state(page, "alice"))["top"] == 0, "the place survives a reload"
    assert (await scroll_state(page, "bruno"))["bottom"]
    assert not await phone(page, "bruno").locator(".jump").is_visible()

    down = phone(page, "alice").get_by_role("button", name="Aller en bas ↓")  # scrolled up: the arrow is there
    await down.click()
    assert (await scroll_state(page, "alice"))["bottom"]
    await down.wait_for(state="hidden")
    await sandbox.phones["alice"].command("/aide")
    count = await wait_messages(page, "alice", count + 2)
    assert (await scroll_state(page, "alice"))["bottom"], "at the bottom, it follows"
    await (
        phone(page, "alice")
        .get_by_role("button", name="Envoyer une photo d'exemple (avec des métadonnées GPS)")
        .click()
    )
    image = phone(page, "alice").locator(".msg img").last
    await image.wait_for()
    await page.wait_for_function(
        "(() => { const c = document.getElementById('chat-alice'); const i = c.querySelector('img');"
        " return i && i.complete && i.naturalHeight > 0 && c.scrollHeight - c.scrollTop - c.clientHeight <= 2; })()",
        timeout=10_000,
    )


async def test_answers_to_presses_show_as_a_toast_or_an_alert_box(sandbox, page):
    """Issue 16, item 6: answerCallbackQuery notices and alerts, as Telegram shows them."""
    await page.goto(sandbox.url)
    await onboard(page, "fatou")
    await type_and_send(page, "fatou", "/ouvrir Solitude")
    await expect_text(page, "fatou", "Solitude")
    await onboard(page, "alice")
    await type_and_send(page, "alice", "/confidentialite")
    await click(page, "alice", "☐ Rappels d'ateliers\u00a0: non")
    toast = phone(page, "alice").get_by_role("status").get_by_text("Activé")
    await toast.wait_for(timeout=10_000)
    await click(page, "alice", "☑ Rappels d'ateliers\u00a0: oui")
    await phone(page, "alice").get_by_role("status").get_by_text("Désactivé").wait_for(timeout=10_000)

    await type_and_send(page, "alice", "/salles")
    await expect_text(page, "alice", "Salles ouvertes")
    await type_and_send(page, "fatou", "/fermer 1")
    await expect_text(page, "fatou", "fermée")
    await click(page, "alice", "Rejoindre n°\u00a01")  # a button from before the room closed
    alert = phone(page, "alice").get_by_role("alertdialog")
    await alert.wait_for(timeout=10_000)
    assert "n'existe pas ou est fermée" in await alert.inner_text()
    await page.screenshot(path=str(ARTIFACTS / "sandbox-alert.png"))
    await alert.get_by_role("button", name="OK").click()
    await alert.wait_for(state="detached")
    await page.reload()  # answers already shown are not shown again
    await expect_text(page, "alice", "Salles ouvertes")
    assert await phone(page, "alice").get_by_role("alertdialog").count() == 0


async def test_documents_the_data_file_the_caption_and_the_icon(sandbox, page):
    """Issue 16, item 9."""
    icon = await page.request.get(sandbox.url + "favicon.ico")
    assert icon.status == 200 and icon.headers["content-type"] == "image/x-icon"
    assert (await icon.body())[:4] == b"\x00\x00\x01\x00"
    await page.goto(sandbox.url)
    assert await page.locator('link[rel="icon"]').get_attribute("href") == "/favicon.ico"
    await onboard(page, "alice")
    await phone(page, "alice").get_by_role("button", name="Envoyer un document d'exemple (le bot le refuse)").click()
    await expect_text(page, "alice", "Les fichiers ne sont pas transmis")
    await phone(page, "alice").locator(".msg.mine a.file", has_text="budget-novembre.pdf").wait_for()

    await type_and_send(page, "alice", "/mesdonnees")
    link = phone(page, "alice").locator(".msg a.file", has_text="entraide-mes-donnees.json")
    await link.wait_for(timeout=10_000)
    async with page.expect_download() as download:
        await link.click()
    saved = await (await download.value).path()
    data = json.loads(Path(saved).read_text(encoding="utf-8"))
    assert isinstance(data, dict) and data
    assert (await download.value).suggested_filename == "entraide-mes-donnees.json"

    box = phone(page, "alice").get_by_role("textbox")
    await box.fill("mon tableau")
    await (
        phone(page, "alice")
        .get_by_role("button", name="Envoyer une photo d'exemple (avec des métadonnées GPS)")
        .click()
    )
    await phone(page, "alice").locator(".msg.mine", has_text="mon tableau").wait_for(timeout=10_000)
    assert await box.input_value() == ""


async def test_the_demo_waits_for_a_page_and_can_be_replayed(demo_sandbox, page):
    """Issue 16, item 8."""
    box = demo_sandbox
    assert box.demo_plays == 0 and not box.demo_playing
    assert not any(p.started for p in box.phones.values()), "nothing plays before someone watches"
    await page.goto(box.url)
    await expect_text(page, "fatou", "La salle est invitée à répondre", timeout=30_000)
    await expect_text(page, "alice", "Budget sans gêne")
    await expect_text(page, "alice", "Je vous écris depuis Signal")  # the Signal member took part
    await expect_text(page, "samir", "Liste du dimanche")
    assert box.demo_plays == 1
    await page.get_by_role("button", name="Rejouer la démo").click()
    for _ in range(600):
        if box.demo_plays == 2 and not box.demo_playing:
            break
        await asyncio.sleep(0.05)
    await expect_text(page, "fatou", "La salle est invitée à répondre", timeout=30_000)
    opened = await phone(page, "fatou").locator(".msg", has_text="Salle n°\u00a01 ouverte").count()
    assert box.demo_plays == 2 and opened == 1, "played again from a clean start"
    # « Réinitialiser » gives empty phones to try things by hand: no scene this time.
    page.on("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await page.get_by_role("button", name="Réinitialiser").click()
    await phone(page, "fatou").get_by_role("button", name="Démarrer").wait_for(timeout=15_000)
    for _ in range(200):
        if box.app is not None and box.invite_code is not None:
            break
        await asyncio.sleep(0.05)
    assert box.demo_task is None and box.demo_plays == 2


async def test_the_signal_phone_types_numbers_and_shares_the_room(sandbox, page):
    """Issue 13, item 5: the Signal phone is drawn apart (« Signal »), has no buttons, answers
    the bot's numbered choices by typing the number, and shares Fatou's room with Alice."""
    ARTIFACTS.mkdir(exist_ok=True)
    await page.goto(sandbox.url)
    samir = phone(page, "samir")
    await samir.wait_for()
    assert await samir.get_attribute("data-transport") == "signal"
    assert (await samir.locator(".messenger").inner_text()).strip() == "Signal"
    assert await phone(page, "alice").locator(".messenger").count() == 0
    await onboard(page, "fatou")
    await expect_text(page, "fatou", "Tu fais maintenant partie de l'animation")
    await type_and_send(page, "fatou", "/ouvrir Stress et argent | Parler d'argent sans gêne")
    await expect_text(page, "fatou", "Salle n° 1")
    await onboard(page, "alice")
    await type_and_send(page, "alice", "/rejoindre 1")
    await expect_text(page, "alice", "Bienvenue dans")

    await click(page, "samir", "Démarrer")  # on Signal the page types /start
    await expect_text(page, "samir", "1️⃣ J'ai lu, ça me va")
    await type_and_send(page, "samir", "1")
    await expect_text(page, "samir", "1️⃣ J'ai 14 ans ou plus")
    await type_and_send(page, "samir", "1")
    await expect_text(page, "samir", "4️⃣ Confirmer et participer aux salles")
    await type_and_send(page, "samir", "4")
    await expect_text(page, "samir", "1️⃣ Rejoindre n°\u00a01")
    assert await samir.locator(".keyboard").count() == 0  # numbered lists, never buttons
    await type_and_send(page, "samir", "1")
    await expect_text(page, "samir", "Bienvenue dans «\u00a0Stress et argent\u00a0»")

    await type_and_send(page, "samir", "Bonsoir depuis Signal")
    await expect_text(page, "alice", "Bonsoir depuis Signal")
    copy = await phone(page, "alice").locator(".msg", has_text="Bonsoir depuis Signal").last.inner_text()
    assert "Samir" not in copy  # a pseudonym on the Telegram phone, never the profile name
    await type_and_send(page, "alice", "Bienvenue, Signal")
    await expect_text(page, "samir", "Bienvenue, Signal")
    await page.screenshot(path=str(ARTIFACTS / "sandbox-signal.png"))
