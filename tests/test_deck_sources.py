"""Files that are not files (issue 17, item 5): only regular files are read as decks, and
the size limit is checked on the open file as it is read.

Each command runs in a subprocess with a timeout, so a regression (a FIFO read that blocks,
``/dev/zero`` read until memory runs out) fails the test instead of hanging the suite."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from studyllm.decks.parser import parse_file
from studyllm.decks.source import DeckReadError, read_deck_bytes

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="POSIX special files")
GOOD = "# Good deck\n\nQ: What is attention?\nA: A weighted sum of values.\n"


def run_cli(home: Path, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "studyllm", "--home", str(home), *args],
                          capture_output=True, text=True, timeout=timeout)


def test_a_regular_file_is_read_whole(tmp_path):
    path = tmp_path / "deck.md"
    path.write_text(GOOD)
    assert read_deck_bytes(path, 1000) == GOOD.encode()
    assert read_deck_bytes(path, len(GOOD)) == GOOD.encode()  # exactly at the limit
    with pytest.raises(DeckReadError, match="larger than the 10 byte limit"):
        read_deck_bytes(path, 10)


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "symlink-to-dev-zero", "socket", "folder"])
def test_what_is_not_a_regular_file_is_refused_without_being_read(tmp_path, monkeypatch, kind):
    path = tmp_path / "notes.md"
    if kind == "fifo":
        os.mkfifo(path)
        expect = "named pipe"
    elif kind == "dev-zero":
        path = Path("/dev/zero")
        expect = "character device"
    elif kind == "symlink-to-dev-zero":
        path.symlink_to("/dev/zero")
        expect = "character device"
    elif kind == "socket":
        sock = socket.socket(socket.AF_UNIX)
        monkeypatch.chdir(tmp_path)  # a socket path must be short
        sock.bind("notes.md")
        path = Path("notes.md")
        expect = "socket"
    else:
        path.mkdir()
        expect = "folder"
    # in a child process with a timeout: before the fix a FIFO blocked forever
    code = ("import sys; from studyllm.decks.source import read_deck_bytes, DeckReadError\n"
            "try:\n    read_deck_bytes(sys.argv[1], 1 << 20)\nexcept DeckReadError as e:\n    print('refused:', e)\n")
    proc = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=30,
                          cwd=tmp_path)
    assert proc.stdout.startswith("refused:") and expect in proc.stdout, proc.stdout + proc.stderr
    deck = parse_file(path)
    assert deck.errors and expect in str(deck.errors[0]) and not deck.cards


def test_the_limit_is_checked_on_what_is_read_not_on_the_reported_size():
    """``/proc`` files report a size of 0 but hold more: the read itself stops at the limit."""
    maps = Path("/proc/self/maps")
    if not maps.exists() or maps.stat().st_size != 0:
        pytest.skip("no /proc files that report size 0")
    with pytest.raises(DeckReadError, match="larger than the 64 byte limit"):
        read_deck_bytes(maps, 64)


def test_import_of_dev_zero_is_refused_at_once(tmp_path):
    proc = run_cli(tmp_path / "home", "import", "/dev/zero")
    assert proc.returncode == 1
    assert "/dev/zero" in proc.stdout and "character device" in proc.stdout and "Traceback" not in proc.stderr


def test_a_fifo_and_a_device_link_in_a_deck_folder_are_skipped_and_the_rest_imports(tmp_path):
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "good.md").write_text(GOOD)
    os.mkfifo(folder / "pipe.md")
    (folder / "zero.md").symlink_to("/dev/zero")
    home = tmp_path / "home"
    proc = run_cli(home, "import", "--json", str(folder))
    report = json.loads(proc.stdout)
    assert proc.returncode == 1  # errors were reported
    by_name = {Path(d["path"]).name: d for d in report["decks"]}
    assert by_name["good.md"]["new"] == 1
    assert "named pipe" in json.dumps(by_name["pipe.md"]["errors"])
    # the link points outside the folder (refused as such) or at a device: either way, not read
    assert by_name["zero.md"]["errors"]


def test_a_fifo_in_the_deck_folders_does_not_block_start_up_or_due(tmp_path):
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "good.md").write_text(GOOD)
    os.mkfifo(folder / "pipe.md")
    home = tmp_path / "home"
    assert run_cli(home, "settings", "deck_folders", str(folder)).returncode == 0
    proc = run_cli(home, "due")  # re-scans the deck folders first, as the TUI's start does
    assert proc.returncode == 0, proc.stderr
    assert "Good deck" in proc.stdout
    assert "pipe.md" in proc.stderr and "named pipe" in proc.stderr


def test_an_anki_export_that_is_a_fifo_is_refused(tmp_path):
    os.mkfifo(tmp_path / "notes.tsv")
    proc = run_cli(tmp_path / "home", "import", str(tmp_path / "notes.tsv"))
    assert proc.returncode == 1 and "named pipe" in proc.stdout
