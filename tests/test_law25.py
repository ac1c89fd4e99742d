"""Law 25: the person in charge shown in /confidentialite, and the paperwork matching the code."""

import re
from pathlib import Path

import pytest

from bot.core.config import Config, ConfigError
from bot.services.checkins import RETENTION_DAYS as CHECKIN_DAYS
from bot.services.relay import MAP_HOURS
from bot.services.reports import RETENTION_DAYS as REPORT_DAYS
from bot.services.retention import CLOSED_ROOM_DAYS, INACTIVE_DAYS, NOTICE_DAYS
from locales.typography import plain
from storage.backup import KEEP, MAX_AGE_DAYS
from tests.support.harness import Harness

ROOT = Path(__file__).resolve().parent.parent
CONTACT = "Marie Tremblay, responsable de la vie privée, vieprivee@exemple.org"


async def privacy_text(tmp_path, contact, locale="fr"):
    h = Harness(tmp_path)
    h.config = h.config.with_(privacy_contact=contact)
    await h.start()
    try:
        phone = h.phone("Alice", language_code=locale)
        await h.onboard(phone, locale)
        await h.cmd(phone, "confidentialite")
        return plain(phone.last()["text"])
    finally:
        await h.stop()


async def test_the_person_in_charge_is_shown_in_confidentialite_when_set(tmp_path):
    shown = await privacy_text(tmp_path / "fr", CONTACT)
    assert f"Responsable de la protection des renseignements personnels : {CONTACT}" in shown
    shown_en = await privacy_text(tmp_path / "en", CONTACT, "en")
    assert f"Person in charge of personal information: {CONTACT}" in shown_en
    unset = await privacy_text(tmp_path / "unset", None)
    assert "Responsable de la protection" not in unset and "Ce qu'on garde" in unset


def test_the_contact_comes_from_the_environment_on_one_line():
    config = Config.from_env({"ENTRAIDE_PRIVACY_CONTACT": "  Marie Tremblay,\n vieprivee@exemple.org "})
    assert config.privacy_contact == "Marie Tremblay, vieprivee@exemple.org"
    assert Config.from_env({}).privacy_contact is None
    with pytest.raises(ConfigError):
        Config.from_env({"ENTRAIDE_PRIVACY_CONTACT": "x" * 301})


@pytest.mark.parametrize("name", ["vie-privee.md", "privacy.md"])
def test_the_privacy_file_states_the_retention_the_code_applies(name):
    text = (ROOT / "docs" / name).read_text()
    table = text[text.index("## 3.") : text.index("## 4.")]
    hours, days = ("heures", "jours") if name == "vie-privee.md" else ("hours", "days")
    assert re.search(rf"\b{MAP_HOURS} {hours}", table)
    for number in (REPORT_DAYS, CHECKIN_DAYS, CLOSED_ROOM_DAYS, NOTICE_DAYS, MAX_AGE_DAYS):
        assert re.search(rf"\b{number} {days}", table), number
    assert INACTIVE_DAYS == 365 and re.search(r"\b12 (mois|months)", table)
    assert re.search(rf"\b{KEEP}\b", table)
    for section in ("ENTRAIDE_PRIVACY_CONTACT", "entraide incident add", "## 2.3"):
        assert section in text
