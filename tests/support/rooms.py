"""A room with its facilitator and members, in the in-process harness, and how its messages read."""

from __future__ import annotations

import re

from locales.typography import plain


async def room_with(h, *names, theme="Stress et argent", capacity=""):
    fac = h.phone("Fatou", username="fatou_anim")
    await h.make_facilitator(fac)
    await h.cmd(fac, "ouvrir", f"{theme} | Parler d'argent sans gêne{(' | ' + capacity) if capacity else ''}")
    room_id = int(re.search(r"(\d+)", fac.last()["text"]).group(1))
    phones = []
    for name in names:
        phone = h.phone(name, username=f"{name.lower()}_x")
        await h.onboard(phone)
        await h.cmd(phone, "rejoindre", str(room_id))
        phones.append(phone)
    return fac, room_id, phones


def pseudonym_of(phone) -> str:
    for message in reversed(phone.received()):
        found = re.search(
            r"(?:tu es|you are|Ici, tu es|Here you are)(?: maintenant| now)? [«“] ?([^»”]+?) ?[»”]",
            plain(message.get("text", "")),
        )
        if found:
            return found.group(1)
    raise AssertionError("no pseudonym announced")


async def burst(h, author, texts):
    h.api.latency = 0.02  # each send takes a moment: later lines wait behind it
    sent = []
    for text in texts:
        sent.append(await author.send(text))
        await h.process()  # no waiting for deliveries: they pile up per chat
        h.clock.advance(3.1)
    await h.pump()
    h.api.latency = 0
    return sent


def labels_in_bold(message) -> list[str]:
    """The bold spans of a message (UTF-16 offsets), as text."""
    raw = message["text"].encode("utf-16-le")
    return [
        raw[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message.get("entities", [])
        if e["type"] == "bold"
    ]
