"""Layer rules for the UI: no SQL in studyllm/ui, nothing opened at import time, and the
store and browse queries never import Textual."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

UI = Path(__file__).resolve().parents[1] / "studyllm" / "ui"
SQL = re.compile(r"\b(SELECT|INSERT|UPDATE|DELETE)\b\s+\S|\.executemany\(|\.execute\(|\.database\b|sqlite3")


def test_ui_writes_no_sql():
    offenders = []
    for path in UI.rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if SQL.search(line):
                offenders.append(f"{path.name}:{n}: {line.strip()}")
    assert offenders == []


def test_importing_the_ui_opens_nothing_and_store_has_no_textual(tmp_path):
    code = (
        "import sys, os\n"
        "import studyllm.store.browse, studyllm.store.service\n"
        "assert 'textual' not in sys.modules, 'store imported textual'\n"
        "import studyllm.ui.app\n"
        "for m in ('home', 'study', 'browse', 'import_decks', 'settings', 'help', 'placeholder'):\n"
        "    __import__('studyllm.ui.screens.' + m)\n"
        "print(sorted(os.listdir('.')))\n"
    )
    env = {"STUDYLLM_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"  # no database, no folder created
    assert not (tmp_path / "home").exists()
