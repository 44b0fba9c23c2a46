"""Layering rules from ARCHITECTURE.md, checked on the source: the pure layer imports neither
Textual nor SQLModel/SQLAlchemy, the store imports no Textual, the UI writes no SQL."""

import ast
from pathlib import Path

PKG = Path(__file__).resolve().parents[1] / "studyllm"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(a.name.split(".")[0] for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def files(*parts):
    for part in parts:
        p = PKG / part
        yield from ([p] if p.suffix == ".py" else sorted(p.rglob("*.py")))


def test_pure_layer_is_pure():
    for f in files("decks", "calc", "sm2.py", "clock.py", "schedule.py"):
        if f.exists():
            bad = imports_of(f) & {"textual", "sqlmodel", "sqlalchemy", "studyllm.store"}
            assert not bad, f"{f} imports {bad}"


def test_store_imports_no_textual():
    for f in files("store"):
        assert "textual" not in imports_of(f), f


def test_ui_writes_no_sql():
    ui = PKG / "ui"
    if not ui.exists():
        return
    for f in ui.rglob("*.py"):
        text = f.read_text(encoding="utf-8")
        assert ".execute(" not in text and "sqlalchemy" not in imports_of(f), f
        for verb in ("INSERT INTO", "UPDATE card", "DELETE FROM"):
            assert verb not in text, f"{f} contains SQL ({verb})"


def test_no_eval_exec_or_pickle():
    for f in PKG.rglob("*.py"):
        tree = ast.parse(f.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
                assert node.func.id not in ("eval", "exec"), f"{f}:{node.lineno} calls {node.func.id}"
        assert "pickle" not in imports_of(f), f
