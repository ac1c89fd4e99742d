"""The tests' own layout: shared scaffolding lives in tests/support/, never in a test module."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TESTS = Path(__file__).parent


def _imported(path: Path) -> list[str]:
    """Every module `path` imports, at any depth (imports inside functions count too)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = "." * node.level + (node.module or "")
            names.append(base)
            names += [f"{base}.{alias.name}" if node.module else base + alias.name for alias in node.names]
    return names


def _test_module(name: str) -> bool:
    parts = name.lstrip(".").split(".")
    return any(part.startswith("test_") for part in parts)


@pytest.mark.parametrize("path", sorted(TESTS.rglob("*.py")), ids=lambda p: str(p.relative_to(TESTS)))
def test_no_test_module_imports_another_test_module(path):
    assert [name for name in _imported(path) if _test_module(name)] == []


def test_the_check_sees_every_kind_of_import(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text(
        "import tests.test_rooms\n"
        "from tests.test_e2e_http import LiveBot\n"
        "from . import test_checkins\n"
        "def helper():\n"
        "    from tests.test_crisis_care_http import GENTLE_FR\n"
        "from tests.support.rooms import room_with\n",
        encoding="utf-8",
    )
    found = [name for name in _imported(sample) if _test_module(name)]
    assert sorted(found) == sorted(
        [
            "tests.test_rooms",
            "tests.test_e2e_http",
            "tests.test_e2e_http.LiveBot",
            ".test_checkins",
            "tests.test_crisis_care_http",
            "tests.test_crisis_care_http.GENTLE_FR",
        ]
    )


def test_the_shared_scaffolding_is_a_package_of_its_own():
    support = TESTS / "support"
    assert (support / "__init__.py").is_file()
    assert not (TESTS / "harness.py").exists() and not (TESTS / "privacy.py").exists()
    assert all(not p.name.startswith("test_") for p in support.glob("*.py"))
