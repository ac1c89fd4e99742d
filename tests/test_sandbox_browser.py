"""The sandbox page in headless Chromium (Playwright, Debian's chromium; no browser download)."""

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from bot.config import Config

playwright_api = pytest.importorskip("playwright.async_api")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
if CHROMIUM is None:
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's chromium for the sandbox browser test")
    pytest.skip("no chromium on this machine (apt-get install chromium)", allow_module_level=True)

ARTIFACTS = Path(__file__).parent / "artifacts"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync"]


@pytest.fixture
async def sandbox(tmp_path):
    from bot.sandbox.session import Sandbox

    box = Sandbox(tmp_path / "sandbox", port=0)
    await box.start()
    stop = asyncio.Event()
    task = asyncio.create_task(box.run(Config(token=None, data_dir=tmp_path, poll_timeout=1), stop))
    for _ in range(200):
        if box.app is not None:
            break
        await asyncio.sleep(0.05)
    yield box
    stop.set()
    await asyncio.wait_for(task, 20)
    await box.stop()


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
    await phone(page, "alice").get_by_role("button", name="Envoyer une photo d'exemple (avec des métadonnées GPS)").click()
    await phone(page, "bruno").locator(".msg img").last.wait_for(timeout=10_000)
    await page.screenshot(path=str(ARTIFACTS / "sandbox-chat.png"))
    # Alice deletes her message: every copy goes.
    own = phone(page, "alice").locator(".msg.mine", has_text="le samedi").last
    await own.get_by_role("button", name="Supprimer").click()
    await expect_text(page, "alice", "retiré chez tout le monde")
    await phone(page, "bruno").locator(".msg", has_text="le samedi").first.wait_for(state="detached", timeout=10_000)

    # No phone shows another phone's name, and no simulated Telegram id is on the page.
    html = await page.content()
    for slot, p in sandbox.phones.items():
        assert str(p.user_id) not in html
    for slot, others in (("alice", ["Bruno", "Fatou", "Chloé"]), ("bruno", ["Alice", "Fatou", "Chloé"]),
                         ("fatou", ["Alice", "Bruno", "Chloé"])):
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
