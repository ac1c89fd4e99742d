"""Signal's configuration (SIGNAL_CLI_RPC, SIGNAL_ACCOUNT) and `entraide doctor` asking the
fake signal-cli daemon for its version, in both of the CLI's languages; the bot's number
is never shown in full."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from bot.cli.doctor import diagnose
from bot.cli.say import Say
from bot.core.config import Config, ConfigError, masked_number
from bot.sandbox.fake_signal import FakeSignal

NUMBER = "+15145559876"


def test_signal_settings_are_read_and_checked():
    config = Config.from_env({"SIGNAL_CLI_RPC": "127.0.0.1:7583", "SIGNAL_ACCOUNT": " +1 514 555 9876 "})
    assert config.signal and config.signal_rpc == ("127.0.0.1", 7583) and config.signal_account == NUMBER
    assert NUMBER not in repr(config)  # the number never reaches a traceback or a log through the config
    assert not Config.from_env({}).signal
    assert Config.from_env({"SIGNAL_CLI_RPC": "[::1]:7583"}).signal_rpc == ("::1", 7583)
    for env in (
        {"SIGNAL_CLI_RPC": "7583"},
        {"SIGNAL_CLI_RPC": "127.0.0.1:7583", "SIGNAL_ACCOUNT": "5145559876"},
        {"SIGNAL_ACCOUNT": NUMBER},
    ):
        with pytest.raises(ConfigError) as caught:
            Config.from_env(env)
        assert NUMBER not in str(caught.value) and "5145559876" not in str(caught.value)
    assert masked_number(NUMBER) == "+•••••••••76" and masked_number(None) == ""


@pytest.mark.parametrize("locale", ["fr", "en"])
async def test_doctor_asks_the_daemon_its_version(tmp_path, locale):
    daemon = FakeSignal(NUMBER)
    host, port = await daemon.serve()
    try:
        config = Config(token=None, data_dir=tmp_path, signal_rpc=(host, port), signal_account=NUMBER)
        say = Say(locale)
        lines, healthy = await diagnose(config, say)
    finally:
        await daemon.stop()
    text = "\n".join(lines)
    assert healthy
    assert say("doctor_signal_ok", version=daemon.version) in text
    assert say("doctor_signal_account", number=masked_number(NUMBER)) in text
    assert NUMBER not in text and "5559876" not in text
    assert daemon.counts["version"] == 1


@pytest.mark.parametrize("locale", ["fr", "en"])
async def test_doctor_says_when_the_daemon_does_not_answer(tmp_path, locale):
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = Config(token=None, data_dir=tmp_path, signal_rpc=("127.0.0.1", port))
    say = Say(locale)
    lines, healthy = await diagnose(config, say)
    text = "\n".join(lines)
    assert not healthy
    assert say("doctor_signal_down", address=f"127.0.0.1:{port}") in text
    assert say("doctor_signal_account_unset") in text


async def test_doctor_without_signal_says_so(tmp_path):
    lines, healthy = await diagnose(Config(token=None, data_dir=tmp_path), Say("fr"))
    assert Say("fr")("doctor_signal_unset") in "\n".join(lines)


def test_compose_wires_the_signal_cli_service_with_its_flags():
    import yaml

    compose = yaml.safe_load((Path(__file__).resolve().parent.parent / "compose.yaml").read_text())
    bot = compose["services"]["entraide"]["environment"]
    assert bot["SIGNAL_CLI_RPC"].startswith("${SIGNAL_CLI_RPC") and bot["SIGNAL_ACCOUNT"].startswith("${")
    daemon = compose["services"]["signal-cli"]
    command = " ".join(daemon["command"])
    assert "--trust-new-identities always" in command and "--scrub-log" in command
    assert "daemon --tcp 0.0.0.0:7583 --receive-mode=manual" in command
    assert daemon["volumes"] == ["signal-data:/var/lib/signal-cli"]  # its own volume, never the bot's
    assert Config.from_env({"SIGNAL_CLI_RPC": "signal-cli:7583"}).signal_rpc == ("signal-cli", 7583)


def test_invite_on_signal_alone_prints_the_code_to_type(tmp_path):
    import os
    import re
    import subprocess
    import sys

    from locales.typography import plain

    base = {k: v for k, v in os.environ.items() if not k.startswith(("TELEGRAM_", "ENTRAIDE_", "SIGNAL_"))}
    env = {**base, "LANG": "fr_CA.UTF-8", "LC_ALL": "", "LC_MESSAGES": "", "ENTRAIDE_DATA_DIR": str(tmp_path)}
    env["SIGNAL_CLI_RPC"] = "127.0.0.1:7583"
    done = subprocess.run(
        [sys.executable, "-m", "bot.cli", "invite"], capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, done.stderr
    found = re.fullmatch(r"Sur Signal, la personne écrit au numéro du bot : /start (\S+)\n", plain(done.stdout))
    assert found is not None, done.stdout
    assert (tmp_path / "entraide.db").exists() and not (
        tmp_path / "sandbox"
    ).exists()  # the real data, not the sandbox's
