"""What the import-linter contracts can't say. The layers themselves (the pure core imports
neither Textual nor SQL, the store imports no Textual, the UI no SQLite/SQLAlchemy, no pickle,
no cycles) are contracts in pyproject.toml, checked by ``lint-imports`` in ``.ci/run``.

Here: the UI holds no SQL text (it calls store functions), and nothing calls eval or exec."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "studyllm"
SQL = re.compile(
    r"\b(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA)\b\s+\S"
    r"|exec_driver_sql|\.execute(many|script)?\(|\.database\b|sqlite3"
)


def test_ui_writes_no_sql():
    offenders = []
    for path in sorted((PKG / "ui").rglob("*.py")):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if SQL.search(line):
                offenders.append(f"{path.relative_to(PKG)}:{n}: {line.strip()}")
    assert offenders == []


def test_the_sql_check_catches_sql():
    # the pattern above is what keeps the UI free of SQL: it must match what SQL in a screen looks like
    for line in ('rows = conn.execute("SELECT id FROM card")', "self.app.store.database.connect()",
                 'sql = "UPDATE card_state SET queue = 0"', "import sqlite3", 'c.executemany("INSERT INTO t")'):
        assert SQL.search(line), line
    for line in ("Select(options)", "self.query_one('#deck', Select)", "Updated the deck.", "store.decks()"):
        assert not SQL.search(line), line


def test_no_eval_or_exec():
    for f in sorted(PKG.rglob("*.py")):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec", "compile", "__import__"), (
                    f"{f}:{node.lineno} calls {node.func.id}"
                )
