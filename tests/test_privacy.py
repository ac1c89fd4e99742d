"""Privacy rules, proved on what is actually at rest and in the logs."""

import logging
import os

from bot.core.logs import RedactingFilter, install_filter, redact
from tests.support.harness import jpeg_with_gps
from tests.support.privacy import SAFE_NEEDLE, needles_for, scan
from tests.support.rooms import room_with


async def test_no_identity_or_words_at_rest_after_a_scenario(h):
    fac, room_id, (a, b, c) = await room_with(h, "Alice", "Bruno", "Chloé")
    texts = ["Je planifie mes achats le dimanche", "ACEF budget gratuit", "merci beaucoup"]
    first = await h.say(a, texts[0])
    await h.say(b, texts[1], reply_to=b.last()["message_id"])
    await a.edit(first["message_id"], texts[2])
    await a.send_photo(jpeg_with_gps(), caption="photo du budget")
    await h.pump()
    await h.cmd(c, "quitter")
    await h.stop()  # checkpoint the WAL, as at shutdown
    hits = scan(h.data_dir, needles_for([fac, a, b, c], texts + ["photo du budget", "SecretCam"]))
    assert hits == []
    await h.start()


async def test_scan_would_see_a_leak(tmp_path):
    """The scanner itself works: a planted id is found in the decrypted rows, and a needle
    never matches random ciphertext by chance (short ones are only sought in decrypted text)."""
    from storage.database import Database, resolve_master_key

    db = await Database.open(tmp_path, resolve_master_key(tmp_path, None))
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO meta VALUES ('leak', 'Alice 5100000001 Zoé')")
        await tx.execute("INSERT INTO meta VALUES ('raw', ?)", ((5100000002).to_bytes(8, "little"),))
        await tx.execute("INSERT INTO meta VALUES ('noise', ?)", (os.urandom(256 * 1024),))
    await db.close()

    class P:
        user_id, first_name, username = 5100000001, "Alice", None

    class Q:
        user_id, first_name, username = 5100000002, "Zed", None

    class R:  # a short name planted in text is still found
        user_id, first_name, username = 5100000003, "Zoé", None

    assert len(scan(tmp_path, needles_for([P]))) == 2  # decimal id and first name
    assert scan(tmp_path, needles_for([Q])) == ["id 5100000002 (int64 le) in decrypted rows"]
    assert scan(tmp_path, needles_for([R])) == ["first name Zoé in decrypted rows"]
    # Every needle that is sought in ciphertext is long enough that chance cannot match it.
    for phone in (P, Q, R):
        for label, needle in needles_for([phone]).items():
            assert len(needle) >= SAFE_NEEDLE or label.startswith("first name"), label


def test_log_redaction_of_ids_and_tokens():
    line = redact("GET https://api.telegram.org/bot123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw/getMe chat 5123456789")
    assert "5123456789" not in line and "AAHdq" not in line
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "user %s said", (5100000001,), None)
    RedactingFilter().filter(record)
    assert "5100000001" not in record.getMessage()


async def test_logs_of_a_scenario_carry_no_ids_names_texts_or_token(h, caplog):
    install_filter()
    caplog.set_level(logging.DEBUG)
    caplog.handler.addFilter(RedactingFilter())
    fac, room_id, (a, b) = await room_with(h, "Alice", "Bruno")
    await h.say(a, "un secret bien gardé")
    b.block()
    await h.say(a, "encore un secret")
    await h.cmd(a, "nimporte")
    text = caplog.text
    for needle in [h.api.token, str(a.user_id), str(b.user_id), "Alice", "Bruno", "secret"]:
        assert needle not in text
