"""The shared knowledge board: no author at rest, withdraw by the author, pin and remove."""

from bot.retention import apply_retention
from tests.privacy import needles_for, scan
from tests.test_rooms import pseudonym_of, room_with
from locales.typography import plain


async def test_share_relays_under_pseudonym_and_keeps_no_author(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.cmd(a, "partager", "ACEF | Aide gratuite pour faire un budget | https://www.consommateur.qc.ca")
    assert "sans ton nom" in a.last()["text"]
    shared = b.last()["text"]
    assert shared.startswith(f"📚 {pseudonym_of(a)} partage") and "ACEF" in shared and "https://" in shared
    async with h.db.transaction() as tx:
        columns = {row[1] for row in await tx.all("PRAGMA table_info(board_entries)")}
        assert not columns & {"member_id", "author_id", "author", "pseudonym"}
    await h.restart()
    await h.cmd(b, "ressources")
    text = plain(b.last()["text"])
    assert text.index("1 866 APPELLE") < text.index("ACEF")  # resources first
    await h.stop()
    assert scan(h.data_dir, needles_for([a, b, fac])) == []
    await h.start()


async def test_nobody_else_can_withdraw(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.cmd(a, "partager", "Planifier ses achats\nJe fais ma liste le dimanche soir.")
    entry_id = a.buttons(a.last())[0][1].split(":")[1]
    query = await b.press(b.last(), f"bdw:{entry_id}:{'A' * 16}", forge=True)
    await h.pump()
    assert h.api.callback_answers[query]["text"]
    await h.cmd(b, "ressources")
    assert "Planifier ses achats" in b.last()["text"]


async def test_withdraw_by_author(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.cmd(a, "partager", "Planifier ses achats | Je fais ma liste le dimanche soir.")
    await a.press(a.last(), a.buttons(a.last())[0][1])
    await h.pump()
    assert "retiré du tableau" in a.last()["text"]
    await h.cmd(b, "ressources")
    assert "Planifier ses achats" not in b.last()["text"] and "encore vide" in b.last()["text"]


async def test_facilitators_pin_and_remove(h):
    fac, room_id, (a,) = await room_with(h, "Alice")
    await h.cmd(a, "partager", "Premier | un")
    await h.cmd(a, "partager", "Deuxième | deux")
    await h.cmd(fac, "ressources")
    board = fac.last()
    assert board["text"].index("Deuxième") < board["text"].index("Premier")
    pin_first = next(d for label, d in fac.buttons(board) if "Premier" in label)
    await fac.press(board, pin_first)
    await h.pump()
    assert board["text"].index("📌 Premier") < board["text"].index("Deuxième")
    await fac.press(board, "bd:del:2")
    await h.pump()
    await h.cmd(a, "ressources")
    assert "Deuxième" not in a.last()["text"] and "Premier" in a.last()["text"]
    assert not a.buttons(a.last())  # members see no moderation buttons


async def test_bad_share_input_and_risk_words_are_held(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.cmd(a, "partager")
    assert "/partager titre" in a.last()["text"]
    await h.cmd(a, "partager", "Titre | texte | pas-un-lien")
    assert "https://" in a.last()["text"]
    count = len(b.inbox)
    await h.cmd(a, "partager", "Ma liste | je veux plus vivre")
    assert "1 866 APPELLE" in plain(a.last()["text"]) and len(b.inbox) == count


async def test_board_goes_with_the_room_after_retention(h):
    fac, room_id, (a,) = await room_with(h, "Alice")
    await h.cmd(a, "partager", "Astuce | texte")
    await h.cmd(fac, "fermer", str(room_id))
    h.clock.advance(31 * 86400)
    await apply_retention(h.db, h.clock)
    async with h.db.transaction() as tx:
        assert await tx.scalar("SELECT count(*) FROM board_entries") == 0
