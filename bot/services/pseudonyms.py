"""Per-room pseudonyms from curated, kind, gender-neutral word lists.

A pseudonym is a nature word and a gentle quality (« Héron calme », "Calm Heron").
French adjectives are chosen so they read the same for anyone (épicènes). A member's
pseudonyms in different rooms share neither word, so nothing links them.
"""

from __future__ import annotations

import secrets

FR_NOUNS = (
    "Héron",
    "Érable",
    "Colibri",
    "Bouleau",
    "Castor",
    "Huard",
    "Pommier",
    "Ruisseau",
    "Caribou",
    "Mélèze",
    "Sapin",
    "Renard",
    "Pinson",
    "Merle",
    "Nuage",
    "Galet",
    "Roseau",
    "Tilleul",
    "Saule",
    "Cèdre",
    "Lichen",
    "Bleuet",
    "Harfang",
    "Orignal",
    "Geai",
    "Chêne",
    "Frêne",
    "Tournesol",
    "Lilas",
    "Quiscale",
    "Pluvier",
    "Fleuve",
    "Rocher",
    "Sentier",
    "Lac",
    "Vallon",
    "Phare",
    "Glaçon",
    "Flocon",
    "Peuplier",
)
FR_QUALITIES = (
    "calme",
    "paisible",
    "tranquille",
    "agile",
    "libre",
    "sincère",
    "fidèle",
    "souple",
    "tendre",
    "habile",
    "modeste",
    "sensible",
    "lucide",
    "aimable",
    "brave",
    "humble",
    "stable",
    "serviable",
    "solide",
    "rapide",
)
EN_NOUNS = (
    "Heron",
    "Maple",
    "Hummingbird",
    "Birch",
    "Beaver",
    "Loon",
    "Willow",
    "Cedar",
    "Fox",
    "Finch",
    "Otter",
    "River",
    "Cloud",
    "Pebble",
    "Reed",
    "Linden",
    "Aspen",
    "Blueberry",
    "Owl",
    "Moose",
    "Jay",
    "Oak",
    "Ash",
    "Sunflower",
    "Lilac",
    "Sparrow",
    "Pine",
    "Fern",
    "Robin",
    "Brook",
    "Lake",
    "Meadow",
    "Harbour",
    "Trail",
    "Snowflake",
    "Poplar",
    "Lighthouse",
    "Pond",
    "Tamarack",
    "Chickadee",
)
EN_QUALITIES = (
    "Calm",
    "Gentle",
    "Quiet",
    "Bright",
    "Steady",
    "Kind",
    "Brave",
    "Humble",
    "Patient",
    "Curious",
    "Warm",
    "Open",
    "Nimble",
    "Free",
    "Sincere",
    "Loyal",
    "Mellow",
    "Hopeful",
    "Thoughtful",
    "Easy",
)


def _words(name: str) -> set[str]:
    return {word.lower() for word in name.split()}


def compose(locale: str, noun: str, quality: str) -> str:
    return f"{quality} {noun}" if locale == "en" else f"{noun} {quality}"


def draw(locale: str, taken_in_room: set[str], own_elsewhere: set[str], choice=secrets.choice) -> str:
    """A pseudonym free in the room that shares no word with the member's other ones."""
    nouns, qualities = (EN_NOUNS, EN_QUALITIES) if locale == "en" else (FR_NOUNS, FR_QUALITIES)
    avoid = set().union(*(_words(name) for name in own_elsewhere)) if own_elsewhere else set()
    taken = {name.lower() for name in taken_in_room}
    for _ in range(500):
        noun, quality = choice(nouns), choice(qualities)
        candidate = compose(locale, noun, quality)
        if candidate.lower() in taken or _words(candidate) & avoid:
            continue
        return candidate
    # Every combination taken (a room never gets this big): add a number.
    base = compose(locale, choice(nouns), choice(qualities))
    number = 2
    while f"{base} {number}".lower() in taken:
        number += 1
    return f"{base} {number}"
