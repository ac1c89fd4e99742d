"""A facilitator schedules a workshop, in the in-process harness."""

from __future__ import annotations


async def schedule(h, fac, title="Budget sans gêne", when="jeudi 19 h", description=None):
    await h.cmd(fac, "atelier")
    assert "titre" in fac.last()["text"]
    await h.say(fac, title)
    await h.say(fac, when)
    assert "C'est bien ça" in fac.last()["text"]
    await fac.press(fac.last(), "wsd:ok")
    await h.pump()
    if description is None:
        await fac.press(fac.last(), "wsd:skip")
        await h.pump()
    else:
        await h.say(fac, description)
    assert any("planifié" in t for t in fac.texts()[-3:])
