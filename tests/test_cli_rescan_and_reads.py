"""Every command that reads cards re-scans the tracked sources (#16), and the export readers
read regular files only, size-checked (#17)."""

from __future__ import annotations

import json
import os
import sys

import pytest

from studyllm.cli import main
from studyllm.store.export_format import ProgressError, load_export, read_export_bytes


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDYLLM_HOME", str(tmp_path / "home"))
    return tmp_path


def run(capsys, *argv):
    code = main(list(argv))
    return code, capsys.readouterr().out


def _tracked_deck(home, capsys):
    deck = home / "net.md"
    deck.write_text("---\nid: net\ntitle: Net\n---\n\nTCP :: ordered\n\nUDP :: datagrams\n")
    assert run(capsys, "import", str(deck))[0] == 0
    with deck.open("a") as fh:
        fh.write("\nDNS :: names to addresses\n")  # appended after the import: only a re-scan sees it
    return deck


def _net_total(data):
    return next(d["total"] for d in data["decks"] if "Net" in d["title"])


def test_stats_rescans_tracked_sources(home, capsys):
    _tracked_deck(home, capsys)
    code, out = run(capsys, "stats", "--json", "--no-sync")
    assert code == 0 and _net_total(json.loads(out)) == 2  # --no-sync: as stored
    code, out = run(capsys, "stats", "--json")
    assert code == 0 and _net_total(json.loads(out)) == 3


def test_export_rescans_tracked_sources(home, capsys):
    _tracked_deck(home, capsys)
    out_file = home / "export.json"
    assert run(capsys, "export", "--no-sync", "--no-progress", "-o", str(out_file))[0] == 0
    fronts = {c[6] for c in json.loads(out_file.read_text())["cards"]["rows"]}
    assert "DNS" not in fronts
    assert run(capsys, "export", "--no-progress", "-o", str(out_file))[0] == 0
    assert "DNS" in {c[6] for c in json.loads(out_file.read_text())["cards"]["rows"]}


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
@pytest.mark.parametrize("name", ["export.json", "review_log.csv"])
def test_export_reader_refuses_a_fifo_without_blocking(tmp_path, name):
    fifo = tmp_path / name
    os.mkfifo(fifo)
    with pytest.raises(ProgressError, match="named pipe"):
        load_export(fifo)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_csv_export_folder_with_a_fifo_inside_is_refused(tmp_path):
    folder = tmp_path / "exp"
    folder.mkdir()
    os.mkfifo(folder / "review_log.csv")
    with pytest.raises(ProgressError, match="named pipe"):
        load_export(folder)


@pytest.mark.skipif(not os.path.exists("/dev/zero") or sys.platform == "win32", reason="needs /dev/zero")
def test_import_progress_of_dev_zero_is_refused(home, capsys):
    link = home / "zero.json"
    link.symlink_to("/dev/zero")
    code = main(["import-progress", "--no-sync", str(link)])
    err = capsys.readouterr().err
    assert code == 1 and "character device" in err and "Traceback" not in err


def test_export_reader_checks_the_size_as_it_reads(tmp_path):
    f = tmp_path / "big.json"
    f.write_bytes(b"x" * 2000)
    with pytest.raises(ProgressError, match="limit|large|over"):
        read_export_bytes(f, max_bytes=1000)
    assert read_export_bytes(f, max_bytes=2000) == b"x" * 2000
