"""Importing the UI opens nothing (no database, no folder), and the store's modules never
pull Textual in at run time. (The UI holding no SQL is checked in test_import_hygiene.py.)"""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.slow  # a fresh interpreter
def test_importing_the_ui_opens_nothing_and_store_has_no_textual(tmp_path):
    code = (
        "import sys, os\n"
        "import studyllm.store.browse, studyllm.store.service\n"
        "assert 'textual' not in sys.modules, 'store imported textual'\n"
        "import studyllm.ui.app\n"
        "for m in ('home', 'study', 'browse', 'import_decks', 'settings', 'help'):\n"
        "    __import__('studyllm.ui.screens.' + m)\n"
        "print(sorted(os.listdir('.')))\n"
    )
    env = {"STUDYLLM_HOME": str(tmp_path / "home"), "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"  # no database, no folder created
    assert not (tmp_path / "home").exists()
