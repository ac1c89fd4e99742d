"""The core knows no messenger: `telegram` is imported only by the Telegram adapter
(bot/telegram/), the Telegram handlers (handlers/) and the sandbox (bot/sandbox/)."""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOWED = ("bot/telegram/", "handlers/", "bot/sandbox/")
SKIPPED = (".venv", "tests", "build", "dist", ".git")

BLOCKER = textwrap.dedent(
    """
    import importlib.abc
    import sys

    class NoTelegram(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name == "telegram" or name.startswith("telegram."):
                raise ModuleNotFoundError(f"blocked: {name}")
            return None

    sys.meta_path.insert(0, NoTelegram())
    """
)


def _run(code: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-c", BLOCKER + textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True, timeout=120
    )


def test_the_blocker_really_blocks_telegram():
    result = _run("import telegram\n")
    assert result.returncode != 0
    assert "blocked: telegram" in result.stderr


def test_services_and_ports_import_with_telegram_blocked():
    result = _run(
        """
        import bot.services
        import bot.services.relay, bot.services.answers, bot.services.notify
        import bot.ports.transport, bot.ports.capabilities, bot.ports.refs, bot.ports.replies
        import bot.ports.kinds, bot.ports.choices
        import bot.cli.main, bot.cli.doctor
        from bot.services import Services
        assert not any(m == "telegram" or m.startswith("telegram.") for m in sys.modules), "telegram loaded"
        print("ok")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def _imports_telegram(path: Path) -> list[int]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        if any(name == "telegram" or name.startswith("telegram.") for name in names):
            lines.append(node.lineno)
    return lines


def _project_files() -> list[Path]:
    return [
        path for path in sorted(ROOT.rglob("*.py")) if not any(part in SKIPPED for part in path.relative_to(ROOT).parts)
    ]


def test_no_file_outside_the_adapter_handlers_and_sandbox_imports_telegram():
    files = _project_files()
    assert any(p.relative_to(ROOT).as_posix() == "bot/services/relay/service.py" for p in files)  # the scan sees it
    offenders = [
        f"{path.relative_to(ROOT).as_posix()}:{line}"
        for path in files
        if not path.relative_to(ROOT).as_posix().startswith(ALLOWED)
        for line in _imports_telegram(path)
    ]
    assert offenders == []


def test_the_scan_finds_an_import_where_there_is_one(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from telegram.ext import Application\n    import os, telegram\n")
    assert _imports_telegram(sample) == [2, 3]
    assert _imports_telegram(ROOT / "bot/telegram/adapter.py")  # the adapter does import it
