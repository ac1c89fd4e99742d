"""Crisis care as tests drive it: lines at a known level, a private support room opened."""

from __future__ import annotations

# Chosen from what the committed head does (checked first, so a retrained head that
# changes its mind fails here, loudly, instead of testing something else).
GENTLE_FR = "Ma fille parle de disparaître, je sais pas quoi faire"
GENTLE_FR_AGAIN = "Ma voisine parle de plus en plus de disparaître, je sais pas comment l'aider"


async def ask_for_support(h, facilitator, member, words: str = "j'ai des idées noires") -> dict:
    """`member` writes something worrying, it is held, and they ask to talk with the
    animation; returns the alert `facilitator` gets (its first button takes the talk)."""
    await h.say(member, words)
    held = member.last()
    await member.press(held, data=member.buttons(held)[0][1])  # « talk »
    await h.pump()
    return facilitator.last()


async def take_support(h, facilitator, alert: dict) -> int:
    """`facilitator` takes the private support room the alert offers; returns its number."""
    data = facilitator.buttons(alert)[0][1]
    await facilitator.press(alert, data=data)
    await h.pump()
    return int(data.split(":")[1])
