"""SQL lives in storage/ only, and services reach the repositories from the transaction."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from storage.board import BoardRepo
from storage.checkins import CheckinRepo
from storage.database import Database, resolve_master_key
from storage.incidents import IncidentRepo
from storage.invites import InviteRepo
from storage.members import MemberRepo
from storage.relays import RelayRepo
from storage.reports import ReportRepo
from storage.rooms import RoomRepo
from storage.workshops import WorkshopRepo

ROOT = Path(__file__).resolve().parent.parent
# Everything that ships, except storage/ itself (tests may read the file to check it).
OUTSIDE_STORAGE = ("bot", "handlers", "locales")

_STATEMENTS = re.compile(
    r"\bSELECT\b.*\bFROM\b|\bINSERT\s+(?:OR\s+\w+\s+)?INTO\b|\bREPLACE\s+INTO\b|\bUPDATE\s+(?:OR\s+\w+\s+)?\w+\s+SET\b"
    r"|\bDELETE\s+FROM\b|\b(?:CREATE|DROP|ALTER)\s+(?:TABLE|INDEX|VIEW|TRIGGER)\b|\bPRAGMA\s+\w+|^\s*(?:VACUUM|BEGIN|COMMIT)\b",
    re.DOTALL,
)
# Calls that only make sense with a statement: on a connection or cursor, or Tx's raw ones.
_RAW_CALLS = {"execute", "executemany", "executescript", "execute_fetchall"}
_TX_CALLS = {"one", "all", "scalar", "insert", "execute"}
_REPOS = {
    "BoardRepo",
    "CheckinRepo",
    "IncidentRepo",
    "InviteRepo",
    "MemberRepo",
    "RelayRepo",
    "ReportRepo",
    "RoomRepo",
    "WorkshopRepo",
}


def _strings(node: ast.AST) -> list[str]:
    """String constants, with f-strings joined (their holes as a placeholder)."""
    found, parts = [], set()
    for child in ast.walk(node):
        if isinstance(child, ast.JoinedStr):
            found.append("".join(v.value if isinstance(v, ast.Constant) else "?" for v in child.values))
            parts.update(id(v) for v in child.values)
        elif isinstance(child, ast.Constant) and isinstance(child.value, str) and id(child) not in parts:
            found.append(child.value)
    return found


def sql_in(source: str) -> list[str]:
    """What in this source looks like SQL: a statement in a string, or a call that runs one."""
    tree = ast.parse(source)
    problems = [f"statement {text[:60]!r}" for text in _strings(tree) if _STATEMENTS.search(text)]
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name, owner = node.func.attr, node.func.value
            if name in _RAW_CALLS:
                problems.append(f"call .{name}(")
            elif name in _TX_CALLS and isinstance(owner, ast.Name) and owner.id == "tx":
                problems.append(f"call tx.{name}(")
            elif isinstance(owner, ast.Name) and owner.id == "sqlite3":
                problems.append("sqlite3")
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in _REPOS:
            problems.append(f"{node.func.id}(...) made outside the transaction")
    return problems


def _shipped_files() -> list[Path]:
    return sorted(path for folder in OUTSIDE_STORAGE for path in (ROOT / folder).rglob("*.py"))


def test_the_scan_finds_sql_in_the_shapes_it_takes():
    planted = """
async def f(tx, db, member_id, table):
    await tx.all("SELECT id, room_id FROM relays WHERE author_id = ?", (member_id,))
    await tx.execute(f"DELETE FROM {table} WHERE id = ?", (member_id,))
    await db._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    sql = "UPDATE members SET inactivity_notice_day = ? " "WHERE id = ?"
    rooms = RoomRepo(tx)
"""
    found = sql_in(planted)
    assert sum(p.startswith("statement") for p in found) == 4
    assert "call tx.all(" in found and "call .execute(" in found
    assert "RoomRepo(...) made outside the transaction" in found
    # Words a docstring or a log line may hold are not statements.
    assert sql_in('"""Delete from the map what retention no longer allows; select the rooms."""') == []
    assert sql_in("room = await tx.rooms.get(room_id)") == []


def test_no_sql_outside_storage():
    files = _shipped_files()
    assert len(files) > 40  # the scan does see the code
    offenders = {
        str(path.relative_to(ROOT)): problems for path in files if (problems := sql_in(path.read_text("utf-8")))
    }
    assert offenders == {}


async def test_repositories_come_from_the_transaction_once_each(tmp_path):
    db = await Database.open(tmp_path, resolve_master_key(tmp_path, None))
    try:
        kinds = {
            "members": MemberRepo,
            "rooms": RoomRepo,
            "relays": RelayRepo,
            "checkins": CheckinRepo,
            "workshops": WorkshopRepo,
            "reports": ReportRepo,
            "board": BoardRepo,
            "invites": InviteRepo,
            "incidents": IncidentRepo,
        }
        async with db.transaction() as tx:
            first = {name: getattr(tx, name) for name in kinds}
            for name, kind in kinds.items():
                assert isinstance(first[name], kind)
                assert first[name].tx is tx  # bound to this transaction
                assert getattr(tx, name) is first[name]  # made once, at first use
            assert await tx.members.count() == 0
        async with db.transaction() as other:
            assert all(getattr(other, name) is not first[name] for name in kinds)
            assert other.rooms.tx is other
    finally:
        await db.close()
