"""`entraide run --demo`: a short scene played on the sandbox phones, live in the page.

A facilitator opens « Stress et argent », two members join on Telegram and one on Signal
(typing the numbers of the bot's choices), one shares how she plans her purchases, another
points to a free budget-help organisation, and a workshop is set.
"""

from __future__ import annotations

import asyncio
import logging
import re

from bot.sandbox.fake_telegram import Phone
from bot.sandbox.signal_screen import SignalScreen
from locales.typography import plain

log = logging.getLogger("entraide.sandbox.demo")
PAUSE = 1.2


async def _button(phone: Phone, prefix: str, pause: float, timeout: float = 10.0) -> None:
    def find(p: Phone):
        for message in reversed(p.received()):
            for _label, data in p.buttons(message):
                if data and data.startswith(prefix):
                    return message, data
        return None

    message, data = await phone.wait_for(find, timeout)
    await asyncio.sleep(pause / 2)
    await phone.press(message, data)


async def _onboard(phone: Phone, locale: str, pause: float, code: str = "") -> None:
    await phone.start(code or None)
    for step in (f"ob:c:{locale}:", f"ob:a:{locale}:1:", f"ob:d:{locale}:"):
        await _button(phone, step, pause)
    await asyncio.sleep(pause)


async def _signal_answer(screen: SignalScreen, text: str, expected: str, pause: float, timeout: float = 10.0) -> None:
    """Type on the Signal phone, then wait for the bot's list (a new message or a revision) to show `expected`."""
    await asyncio.sleep(pause / 2)
    await screen.send(text)
    daemon = screen.phone.daemon
    wanted = plain(expected)
    await daemon.wait_for(lambda: any(wanted in plain(m.text) for m in screen.phone.received()[-1:]), timeout)


async def _signal_joins(screen: SignalScreen, pause: float) -> None:
    """Onboarding and joining the room offered first, by numbers, as on Signal."""
    await _signal_answer(screen, "/start", "1️⃣", pause)
    await _signal_answer(screen, "1", "J'ai 14 ans", pause)
    await _signal_answer(screen, "1", "4️⃣", pause)
    await _signal_answer(screen, "4", "1️⃣ Rejoindre", pause)
    await _signal_answer(screen, "1", "Bienvenue dans «", pause)


async def play(sandbox) -> None:
    """Play the scene; a visitor watches it happen on the four phones."""
    pause = getattr(sandbox, "demo_pause", PAUSE)
    try:
        phones = sandbox.phones
        fatou, alice, bruno = phones["fatou"], phones["alice"], phones["bruno"]
        await asyncio.sleep(pause)
        await _onboard(fatou, "fr", pause, sandbox.invite_code or "")
        await fatou.wait_text("Tu fais maintenant partie de l'animation", timeout=10)
        await fatou.command("/ouvrir", "Stress et argent | Parler d'argent sans gêne | 8")
        opened = await fatou.wait_text("Salle n°", timeout=10)
        number = re.search(r"n°\s*(\d+)", opened["text"])
        assert number is not None, "the bot names the room it opened"
        room = number.group(1)
        await asyncio.sleep(pause)
        await _onboard(alice, "fr", pause)
        await _button(alice, f"join:{room}", pause)  # the join button at the end of onboarding
        await alice.wait_text("Bienvenue dans", timeout=10)
        await _onboard(bruno, "en", pause)
        await _button(bruno, f"join:{room}", pause)
        await bruno.wait_text("Welcome to", timeout=10)
        if sandbox.signal is not None:
            await _signal_joins(sandbox.signal, pause)
        await asyncio.sleep(pause)
        await alice.send(
            "Moi, je planifie mes achats le dimanche : une liste, un montant, et je m'y tiens. "
            "Ça m'enlève beaucoup de stress."
        )
        await asyncio.sleep(pause * 2)
        await bruno.send("Thanks. There's also a free budget-help organisation near me, an ACEF. It helped a lot.")
        await asyncio.sleep(pause)
        if sandbox.signal is not None:
            await sandbox.signal.send("Merci, je note l'idée de la liste. Je vous écris depuis Signal.")
            await asyncio.sleep(pause)
        await alice.command("/partager", "Liste du dimanche | Je fais ma liste et je fixe un montant avant l'épicerie.")
        await asyncio.sleep(pause)
        await bruno.command(
            "/share", "ACEF | Free help to make a budget, no judgement | https://www.consommateur.qc.ca/"
        )
        await asyncio.sleep(pause * 2)
        await fatou.command("/atelier")
        await fatou.wait_text("titre", timeout=10)
        await fatou.send("Budget sans gêne")
        await fatou.wait_text("Quand", timeout=10)
        await fatou.send("jeudi 19 h")
        await _button(fatou, "wsd:ok", pause)
        await fatou.wait_text("Une courte description", timeout=10)
        await fatou.send("On met en commun nos trucs pour traverser la fin du mois.")
        await fatou.wait_text("La salle est invitée à répondre", timeout=10)
    except asyncio.CancelledError:
        raise  # « Rejouer » or « Réinitialiser »
    except Exception as error:  # a demo hiccup must never stop the sandbox
        log.warning("the demo stopped early: %s", type(error).__name__)
