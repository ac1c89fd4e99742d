"""The shared knowledge board: no author at rest, withdraw by the author, pin and remove."""

from bot.services.board import normalise_link
from bot.services.retention import apply_retention
from locales.typography import plain
from tests.support.privacy import needles_for, scan
from tests.support.rooms import pseudonym_of, room_with


async def test_share_relays_under_pseudonym_and_keeps_no_author(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.cmd(a, "partager", "ACEF | Aide gratuite pour faire un budget | https://www.consommateur.qc.ca")
    # What the sender reads is exactly what happened: the room saw the pseudonym, the board keeps no author.
    thanks = plain(a.last()["text"])
    assert f"La salle l'a reçu sous ton pseudonyme, « {pseudonym_of(a)} »." in thanks
    assert "gardé sans auteur" in thanks and "sans ton nom ni ton pseudonyme" not in thanks
    shared = plain(b.last()["text"])
    assert shared.startswith(f"📚 {pseudonym_of(a)} partage") and "ACEF" in shared and "https://" in shared
    async with h.db.transaction() as tx:
        columns = {row[1] for row in await tx.all("PRAGMA table_info(board_entries)")}
        assert not columns & {"member_id", "author_id", "author", "pseudonym"}
    await h.restart()
    await h.cmd(b, "ressources")
    text = plain(b.last()["text"])
    assert text.index("1 866 APPELLE") < text.index("ACEF")  # resources first
    assert "\n\n\n" not in text  # one blank line between the resources and the board, no more
    assert "\n\nLe tableau de « Stress et argent »" in text
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


def test_links_as_people_type_them():
    assert normalise_link("www.consommateur.qc.ca") == "https://www.consommateur.qc.ca"
    assert normalise_link("consommateur.qc.ca/budget?x=1") == "https://consommateur.qc.ca/budget?x=1"
    assert normalise_link("http://www.acef.org.") == "http://www.acef.org"
    assert normalise_link("https://www.québec.ca") == "https://www.québec.ca"
    for bad in (
        "pas-un-lien",
        "javascript:alert(1)",
        "https://user:pw@evil.example.com",
        "http://localhost",
        "https://www.-bad-.com",
        "https://example.c0m",
        "ftp://example.org",
        "https://exa mple.org",
        "https://example.org:port",
        "www",
        "https://",
    ):
        assert normalise_link(bad) is None, bad


async def test_a_bare_host_is_accepted_and_shown_with_https(h):
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.cmd(a, "partager", "Office de la protection du consommateur | Droits et recours | www.consommateur.qc.ca")
    assert "La salle l'a reçu" in a.last()["text"]
    assert b.last()["text"].endswith("https://www.consommateur.qc.ca")
    await h.cmd(a, "partager", "ACEF\nUn budget gratuit, voir www.acef-centre.org")
    assert "www.acef-centre.org" in b.last()["text"] and "https://www.acef-centre.org" not in b.last()["text"]
    count = len(b.inbox)
    await h.cmd(a, "partager", "Piège | texte | https://user:pw@evil.example.com")
    assert "www.consommateur.qc.ca" in plain(a.last()["text"]) and len(b.inbox) == count
    await h.cmd(fac, "ressources")
    board = fac.last()["text"]
    assert "https://www.consommateur.qc.ca" in board and "Piège" not in board


async def test_alone_in_the_room_the_thanks_says_so(h):
    fac = h.phone("Fatou")
    await h.make_facilitator(fac)
    await h.cmd(fac, "ouvrir", "Solitude")
    await h.cmd(fac, "partager", "Marcher | Une marche le matin")
    assert "Personne d'autre n'est dans la salle" in a_text(fac) and "La salle l'a reçu" not in a_text(fac)


def a_text(phone) -> str:
    return plain(phone.last()["text"])


async def test_board_goes_with_the_room_after_retention(h):
    fac, room_id, (a,) = await room_with(h, "Alice")
    await h.cmd(a, "partager", "Astuce | texte")
    await h.cmd(fac, "fermer", str(room_id))
    h.clock.advance(31 * 86400)
    await apply_retention(h.db, h.clock)
    async with h.db.transaction() as tx:
        assert await tx.scalar("SELECT count(*) FROM board_entries") == 0
