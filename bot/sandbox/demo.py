"""`entraide run --demo`: a short scene played on the sandbox phones, live in the page.

A facilitator opens « Stress et argent », two members join, one shares how she plans her
purchases, another points to a free budget-help organisation, and a workshop is set.
"""

from __future__ import annotations

import asyncio
import logging

from bot.sandbox.fake_telegram import Phone

log = logging.getLogger("entraide.sandbox.demo")
PAUSE = 1.2


async def _button(phone: Phone, prefix: str, timeout: float = 10.0) -> None:
    def find(p: Phone):
        for message in reversed(p.received()):
            for _label, data in p.buttons(message):
                if data and data.startswith(prefix):
                    return message, data
        return None

    message, data = await phone.wait_for(find, timeout)
    await asyncio.sleep(PAUSE / 2)
    await phone.press(message, data)


async def _onboard(phone: Phone, locale: str, code: str = "") -> None:
    await phone.start(code or None)
    for step in (f"ob:c:{locale}:", f"ob:a:{locale}:1:", f"ob:d:{locale}:"):
        await _button(phone, step)
    await asyncio.sleep(PAUSE)


async def play(sandbox) -> None:
    """Play the scene; a visitor watches it happen on the four phones."""
    try:
        phones = sandbox.phones
        fatou, alice, bruno = phones["fatou"], phones["alice"], phones["bruno"]
        await asyncio.sleep(PAUSE)
        await _onboard(fatou, "fr", sandbox.invite_code or "")
        await fatou.wait_text("animation", timeout=10)
        await fatou.command("/ouvrir", "Stress et argent | Parler d'argent sans gêne | 8")
        opened = await fatou.wait_text("Salle n°", timeout=10)
        room = opened["text"].split("n° ", 1)[1].split(" ", 1)[0]
        await asyncio.sleep(PAUSE)
        await _onboard(alice, "fr")
        await alice.command("/rejoindre", room)
        await alice.wait_text("Bienvenue dans", timeout=10)
        await _onboard(bruno, "en")
        await bruno.command("/join", room)
        await bruno.wait_text("Welcome to", timeout=10)
        await asyncio.sleep(PAUSE)
        await alice.send("Moi, je planifie mes achats le dimanche : une liste, un montant, et je m'y tiens. "
                         "Ça m'enlève beaucoup de stress.")
        await asyncio.sleep(PAUSE * 2)
        await bruno.send("Thanks. There's also a free budget-help organisation near me, an ACEF. It helped a lot.")
        await asyncio.sleep(PAUSE)
        await alice.command("/partager", "Liste du dimanche | Je fais ma liste et je fixe un montant avant l'épicerie.")
        await asyncio.sleep(PAUSE)
        await bruno.command("/share", "ACEF | Free help to make a budget, no judgement | https://www.consommateur.qc.ca/")
        await asyncio.sleep(PAUSE * 2)
        await fatou.command("/atelier")
        await fatou.wait_text("titre", timeout=10)
        await fatou.send("Budget sans gêne")
        await fatou.wait_text("Quand", timeout=10)
        await fatou.send("jeudi 19 h")
        await _button(fatou, "wsd:ok")
        await fatou.wait_text("description", timeout=10)
        await fatou.send("On met en commun nos trucs pour traverser la fin du mois.")
    except Exception as error:  # a demo hiccup must never stop the sandbox
        log.warning("the demo stopped early: %s", type(error).__name__)
