"""The operator CLI speaks the operator's language, French first, through the catalogs."""

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from bot.bench import runs as bench
from bot.cli import main as cli
from bot.core.i18n import Translator, placeholders
from locales.typography import plain

ROOT = Path(__file__).resolve().parent.parent
SOURCE = (ROOT / "bot" / "cli" / "main.py").read_text()
DOCTOR = (ROOT / "bot" / "cli" / "doctor.py").read_text()
BENCH = (ROOT / "bot" / "bench" / "runs.py").read_text()
SANDBOX = (ROOT / "bot" / "sandbox" / "session.py").read_text()
VERBS = ["run", "invite", "doctor", "purge", "backup", "rotate-key", "incident", "bench"]
FRENCH = {"LC_ALL": "", "LC_MESSAGES": "", "LANG": "fr_CA.UTF-8"}
ENGLISH = {"LC_ALL": "", "LC_MESSAGES": "", "LANG": "C.UTF-8"}


def used_keys() -> set[str]:
    keys = set(re.findall(r'say\(\s*"([a-z_]+)"', SOURCE + DOCTOR + SANDBOX))
    keys |= set(re.findall(r'SAY(?:\.plural)?\(\s*"([a-z_]+)"', BENCH))
    keys |= {f"bench_progress_{key}" for key in re.findall(r'progress\(\s*"([a-z_]+)"', BENCH)}
    keys |= set(bench.VERDICT_KEYS.values()) | {f"bench_target_{name.replace('-', '_')}" for name in bench.TARGETS}
    labels = re.search(r"for key in \(([^)]*)\)", DOCTOR).group(1)  # say(f"doctor_{key}")
    keys |= {f"doctor_{key}" for key in re.findall(r'"([a-z_]+)"', labels)}
    keys |= {f"{verb.replace('-', '_')}_help" for verb in ("doctor", "purge", "backup", "rotate-key")}
    keys |= set(cli.PURGE_KEYS.values()) | {key for _, key in cli.ARGPARSE_MESSAGES + cli.ERROR_MESSAGES}
    return {f"cli.{key}" for key in keys}


def test_the_locale_comes_from_lc_all_then_lc_messages_then_lang():
    assert cli.operator_locale({"LANG": "fr_CA.UTF-8"}) == "fr"
    assert cli.operator_locale({"LANG": "fr"}) == "fr"
    assert cli.operator_locale({"LANG": "en_CA.UTF-8"}) == "en"
    assert cli.operator_locale({"LANG": "C.UTF-8"}) == "en"
    assert cli.operator_locale({}) == "en"
    assert cli.operator_locale({"LC_ALL": "en_US.UTF-8", "LANG": "fr_CA.UTF-8"}) == "en"
    assert cli.operator_locale({"LC_MESSAGES": "fr_FR.UTF-8", "LANG": "en_CA.UTF-8"}) == "fr"
    assert cli.operator_locale({"LC_ALL": "", "LC_MESSAGES": "", "LANG": "fr_BE"}) == "fr"


def test_every_cli_string_is_in_both_catalogs_and_none_is_left_over():
    t = Translator()
    used = used_keys()
    for locale in ("fr", "en"):
        missing = used - t.keys(locale)
        assert not missing, (locale, missing)
    for key in used:
        if key in t.catalogs["fr"]:
            assert placeholders(t.catalogs["fr"][key]) == placeholders(t.catalogs["en"][key]), key
        else:  # a plural entry: every form of both languages takes the same placeholders
            forms = t.full["fr"].plurals[key] + t.full["en"].plurals[key]
            assert len({frozenset(placeholders(form)) for form in forms}) == 1, key
    defined = {key for key in t.keys("fr") if key.startswith("cli.")}
    assert defined == used, defined ^ used


def test_no_literal_reaches_the_operator_except_through_the_catalogs():
    """help=, description= and print() in bot/cli/main.py never take a string written in the code."""
    tree = ast.parse(SOURCE)
    offenders = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        for keyword in node.keywords:
            if keyword.arg in ("help", "description", "epilog") and isinstance(
                keyword.value, (ast.Constant, ast.JoinedStr)
            ):
                offenders.append(f"line {node.lineno}: {keyword.arg}=")
        if (
            isinstance(node.func, ast.Name)
            and node.func.id == "print"
            and node.args
            and isinstance(node.args[0], (ast.Constant, ast.JoinedStr))
        ):
            offenders.append(f"line {node.lineno}: print")
    assert offenders == []
    for key in cli.PURGE_KEYS:  # every count retention reports is one of those
        assert key in (ROOT / "bot" / "services" / "retention.py").read_text()


def run_cli(*args, env):
    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ENTRAIDE_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], capture_output=True, text=True, timeout=60, env={**base, **env}
    )


def test_entraide_help_is_french_under_a_french_locale():
    done = run_cli("--help", env=FRENCH)
    assert done.returncode == 0, done.stderr
    text = plain(done.stdout)
    assert text.startswith("utilisation : entraide")
    assert "afficher cette aide et quitter" in text and "des salles d'entraide anonymes" in text
    for phrase in (
        "faire tourner le bot",
        "lien d'invitation à l'animation",
        "règles de conservation",
        "copie de sécurité chiffrée",
        "registre des incidents de confidentialité",
    ):
        assert phrase in " ".join(text.split()), phrase
    assert "usage:" not in text and "show this help" not in text and "positional arguments" not in text
    english = run_cli("--help", env=ENGLISH)
    assert english.stdout.startswith("usage: entraide") and "show this help message and exit" in english.stdout


@pytest.mark.parametrize("verb", VERBS)
def test_every_verbs_help_is_french(verb, monkeypatch, capsys):
    for name, value in FRENCH.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as exited:
        cli.main([verb, "--help"])
    assert exited.value.code == 0
    text = " ".join(plain(capsys.readouterr().out).split())
    t = Translator()
    assert text.startswith(f"utilisation : entraide {verb}")
    assert "afficher cette aide et quitter" in text
    assert " ".join(plain(t("fr", f"cli.{verb.replace('-', '_')}_help")).split()) in text
    for english in ("usage:", "show this help", "(default", "sandbox:", "scale: member"):
        assert english not in text, english


def test_argparse_errors_are_french_too():
    done = run_cli("incident", env=FRENCH)
    assert done.returncode == 2
    assert plain(done.stderr).splitlines()[-1] == "entraide incident : erreur : il manque : action"
    done = run_cli("bench", "--latency", "vite", env=FRENCH)
    assert done.returncode == 2 and "valeur invalide (float) : 'vite'" in plain(done.stderr)
    done = run_cli("ouvrir", env=FRENCH)
    assert done.returncode == 2 and "choix invalide" in plain(done.stderr)
    done = run_cli("incident", env=ENGLISH)
    assert "the following arguments are required: action" in done.stderr


async def test_doctor_reports_in_the_operators_language(tmp_path):
    from storage.database import Database, resolve_master_key

    db = await Database.open(tmp_path, resolve_master_key(tmp_path, None))
    await db.close()
    french = run_cli("doctor", env={**FRENCH, "ENTRAIDE_DATA_DIR": str(tmp_path)})
    assert french.returncode == 0, french.stdout + french.stderr
    text = plain(french.stdout)
    assert "version du schéma :" in text and re.search(r"vérification : +ok", text)
    assert "ATTENTION : il est à côté de la base de données" in text
    assert "schema version" not in text and "WARNING" not in text
    english = run_cli("doctor", env={**ENGLISH, "ENTRAIDE_DATA_DIR": str(tmp_path)})
    assert "database check:     ok" in english.stdout and "schema version:" in english.stdout


async def test_a_french_operator_reads_purge_and_incident_in_french(tmp_path):
    from storage.database import Database, resolve_master_key

    db = await Database.open(tmp_path, resolve_master_key(tmp_path, None))
    await db.close()
    env = {**FRENCH, "ENTRAIDE_DATA_DIR": str(tmp_path)}
    done = run_cli("purge", env=env)
    assert done.returncode == 0, done.stderr
    text = plain(done.stdout)
    assert "carte des messages (plus de 48 h) : 0" in text and "membres inactifs effacés : 0" in text
    assert len(text.splitlines()) == len(cli.PURGE_KEYS)
    assert not any(english in text for english in cli.PURGE_KEYS)
    done = run_cli("incident", "add", "--nature", "essai", "--measures", "aucune", "--day", "2026-03-04", env=env)
    assert done.returncode == 0 and plain(done.stdout).strip() == "n° 1 inscrit au registre, le 2026-03-04"
    done = run_cli("incident", "list", env={**ENGLISH, "ENTRAIDE_DATA_DIR": str(tmp_path)})
    assert done.stdout.strip() == "#1\t2026-03-04\tessai\taucune"


def real_errors(tmp_path) -> list[Exception]:
    """Errors as the configuration, the key handling and the locks really word them."""
    from bot.core import datalock
    from bot.core.config import ConfigError, check_contact, check_webhook_url, parse_listen
    from storage import database
    from storage.database import resolve_master_key

    found = []

    def catch(call, *args, **kwargs):
        try:
            call(*args, **kwargs)
        except Exception as error:  # each call below must raise
            found.append(error)
        else:
            raise AssertionError(f"{call} did not raise")

    catch(parse_listen, "ENTRAIDE_WEBHOOK_LISTEN", "8443")
    catch(check_contact, "x" * 301)
    catch(check_webhook_url, "http://example.org/hook")
    catch(check_webhook_url, "https://example.org/hook?x=1")
    catch(cli.Config.from_env, {"ENTRAIDE_TZ": "Mars/Olympus"})
    catch(cli.Config.from_env, {"TELEGRAM_API_URL": "ftp://x"})
    catch(cli.Config.from_env, {"SIGNAL_CLI_RPC": "127.0.0.1:7583", "SIGNAL_ACCOUNT": "514-555-0123"})
    catch(cli.Config.from_env, {"SIGNAL_ACCOUNT": "+15145550123"})
    found.append(ConfigError("ENTRAIDE_METRICS_LISTEN=127.0.0.1:9464: cannot listen there (Address already in use)"))
    found.append(ConfigError("Telegram refused ENTRAIDE_WEBHOOK_URL: bad webhook: Failed to resolve host"))
    catch(database._decode_key, "pas du base64 !", "ENTRAIDE_MASTER_KEY")
    catch(database._decode_key, "QUFB", "ENTRAIDE_MASTER_KEY")
    catch(resolve_master_key, tmp_path / "nothing", None, create=False)
    (tmp_path / "orphan").mkdir()
    (tmp_path / "orphan" / database.DB_NAME).write_bytes(b"")
    catch(resolve_master_key, tmp_path / "orphan", None)
    message = re.search(r'RotationPending\("([^"]+)"\)', (ROOT / "storage" / "database.py").read_text()).group(1)
    found.append(database.RotationPending(message))
    found.append(database.WrongKey("the master key does not open this database (nothing was changed)"))
    for refusal in (datalock.BOT_RUNNING, datalock.STOP_THE_BOT, datalock.OTHER_VERB, datalock.ROTATING):
        found.append(datalock.DataDirBusy(refusal.format(dir=tmp_path)))
    return found


def test_configuration_and_storage_errors_are_told_in_french(tmp_path):
    say = cli.Say("fr")
    errors = real_errors(tmp_path)
    matched = set()
    for error in errors:
        keys = [key for pattern, key in cli.ERROR_MESSAGES if pattern.fullmatch(str(error))]
        assert keys, f"no French for: {error}"
        matched.add(keys[0])
        told = plain(cli.explain(error, say))
        assert told.startswith("entraide : ") and str(error) not in told
        assert " / " not in told  # one language, not both
    assert matched == {key for _, key in cli.ERROR_MESSAGES}  # no pattern is dead


def test_a_french_operator_gets_a_french_error_from_the_cli(tmp_path):
    done = run_cli("purge", env={**FRENCH, "ENTRAIDE_DATA_DIR": str(tmp_path), "ENTRAIDE_TZ": "Mars/Olympus"})
    assert done.returncode == 2
    assert plain(done.stderr).strip() == (
        "entraide : ENTRAIDE_TZ='Mars/Olympus' n'est pas un fuseau horaire connu (par exemple America/Montreal)"
    )


def test_the_bench_speaks_the_operators_language(monkeypatch, capsys):
    """Progress lines, the table, its verdicts and targets come from the catalogs, in French first."""
    from bot.cli.say import Say

    results = [
        bench.Result("fan-out", {"multiple": 1.2}),
        bench.Result("scale", {"rss_mb": 400}, missed=["<= 300 MB"]),
        bench.Result("overhead", error="RuntimeError: boom"),
    ]
    monkeypatch.setattr(bench, "SAY", Say("fr"))
    french = re.sub(r"[ \n]+", " ", bench.table(results))
    bench.progress("done", name="scale", verdict=bench.SAY(bench.VERDICT_KEYS["missed target"]))
    assert "scale\u00a0: cible manquée" in capsys.readouterr().err
    assert french.startswith("scénario verdict\u00a0: cible")
    assert "atteinte\u00a0: multiple ≤ 2,0" in french and "CIBLE MANQUÉE\u00a0: <= 300 MB" in french
    assert "ÉCHEC\u00a0: RuntimeError: boom" in french
    assert "1 scénario sur 3 a atteint sa cible\u202f; manquées\u00a0: scale\u202f; en échec\u00a0: overhead." in french
    monkeypatch.setattr(bench, "SAY", Say("en"))
    english = re.sub(r"[ \n]+", " ", bench.table(results[:1]))
    assert english.endswith("1 scenario of 1 met its target.")


def test_the_sandbox_banner_speaks_the_operators_language(tmp_path):
    from bot.cli.say import Say
    from bot.sandbox.session import Sandbox

    sandbox = Sandbox(tmp_path / "sandbox", port=0)
    french = sandbox.banner(Say("fr"))
    assert french.startswith("Bac à sable entraide\u00a0: rien n'est envoyé à Telegram ni à Signal.")
    assert "Faux démon signal-cli\u00a0: 127.0.0.1" in french
    assert "Ctrl+C pour arrêter." in french and "to stop" not in french
    assert "Ctrl+C to stop." in sandbox.banner(Say("en"))
