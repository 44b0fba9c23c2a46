"""The start-up re-scan is skipped only when nothing it reads changed (studyllm.store.rescan,
issue #23): any edit of a deck file, a file added to or taken from a deck folder, a new deck
folder or tracked source, a changed deck row, or a scan with a warning sends the next start
through the full re-scan again."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

from studyllm.cli_common import sync_decks
from studyllm.store import Store, rescan
from studyllm.store.importer import deck_folders, sync_folders
from studyllm.store.sources import tracked_paths

DECK = "---\nid: net\ntitle: Net\n---\n\nTCP :: ordered\n\nUDP :: datagrams\n"


@pytest.fixture
def steady(monkeypatch):
    """Files written by the test count as settled at once (the two-second rule has its own test)."""
    monkeypatch.setattr(rescan, "RECENT_NS", 0)


class Scans:
    """``sync_decks``, counted."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, store: Store) -> list[str]:
        self.n += 1
        return sync_decks(store)


def _setup(tmp_path):
    folder = tmp_path / "decks"
    folder.mkdir()
    deck = folder / "net.md"
    deck.write_text(DECK)
    store = Store.open(tmp_path / "home")
    store.set_setting("deck_folders", [str(folder)])
    return store, folder, deck


def _fronts(store: Store) -> set[str]:
    with store.database.connect() as conn:
        return {r[0] for r in conn.execute("SELECT front FROM card WHERE archived = 0")}


def _tick() -> None:
    time.sleep(0.05)  # past the file system's clock tick, so a rewrite changes the change time


def test_an_unchanged_start_skips_the_scan_and_an_edit_of_the_same_size_and_mtime_is_read(tmp_path, steady):
    store, _folder, deck = _setup(tmp_path)
    scans = Scans()
    assert rescan.rescan_if_changed(store, scans) == [] and scans.n == 1
    assert "TCP" in _fronts(store)
    assert rescan.rescan_if_changed(store, scans) == [] and scans.n == 1  # nothing changed: skipped
    before = deck.stat()
    _tick()
    deck.write_text(DECK.replace("TCP", "SCP"))  # same size
    os.utime(deck, ns=(before.st_atime_ns, before.st_mtime_ns))  # and the old modification time
    rescan.rescan_if_changed(store, scans)
    assert scans.n == 2 and "SCP" in _fronts(store) and "TCP" not in _fronts(store)
    rescan.rescan_if_changed(store, scans)
    assert scans.n == 2
    store.close()


def test_a_file_added_or_removed_and_a_new_folder_are_scanned(tmp_path, steady):
    store, folder, deck = _setup(tmp_path)
    scans = Scans()
    rescan.rescan_if_changed(store, scans)
    _tick()
    (folder / "sub").mkdir()
    (folder / "sub" / "more.md").write_text("---\nid: more\ntitle: More\n---\n\nDNS :: names\n")
    rescan.rescan_if_changed(store, scans)
    assert scans.n == 2 and "DNS" in _fronts(store)
    _tick()
    deck.unlink()  # its deck is archived by the scan
    rescan.rescan_if_changed(store, scans)
    assert scans.n == 3 and "TCP" not in _fronts(store)
    other = tmp_path / "other"
    other.mkdir()
    (other / "x.md").write_text("---\nid: x\ntitle: X\n---\n\nARP :: links\n")
    store.set_setting("deck_folders", [str(folder), str(other)])
    rescan.rescan_if_changed(store, scans)
    assert scans.n == 4 and "ARP" in _fronts(store)
    rescan.rescan_if_changed(store, scans)
    assert scans.n == 4
    store.close()


def test_a_changed_deck_row_or_setting_sends_the_next_start_through_the_scan(tmp_path, steady):
    store, _folder, _deck = _setup(tmp_path)
    scans = Scans()
    rescan.rescan_if_changed(store, scans)
    with store.database.connect() as conn, conn.begin():
        conn.execute("UPDATE deck SET content_hash = 'other' WHERE key = 'net'")
    rescan.rescan_if_changed(store, scans)
    assert scans.n == 2
    store.set_setting("max_deck_mb", store.setting("max_deck_mb") + 1)
    rescan.rescan_if_changed(store, scans)
    assert scans.n == 3
    rescan.rescan_if_changed(store, scans)
    assert scans.n == 3
    store.close()


def test_warnings_show_at_every_start(tmp_path, steady):
    store, _folder, _deck = _setup(tmp_path)
    gone = tmp_path / "gone.md"
    gone.write_text(DECK.replace("net", "gone"))
    with store.database.connect() as conn, conn.begin():
        conn.execute("INSERT INTO source (path, is_dir, added_at, state) VALUES (?, 0, '2026-01-01', 'ok')",
                     (str(gone),))
    scans = Scans()
    rescan.rescan_if_changed(store, scans)
    gone.unlink()
    for n in (2, 3):
        notes = rescan.rescan_if_changed(store, scans)
        assert scans.n == n and any("missing" in note for note in notes)
    store.close()


def test_a_file_changed_in_the_last_two_seconds_is_read_again_next_time(tmp_path):
    store, _folder, _deck = _setup(tmp_path)  # just written
    scans = Scans()
    rescan.rescan_if_changed(store, scans)
    rescan.rescan_if_changed(store, scans)
    assert scans.n == 2  # no stamp saved while a time in it is this recent
    store.close()


def test_the_roots_are_the_ones_the_full_scan_reads(tmp_path):
    store, folder, deck = _setup(tmp_path)
    with store.database.connect() as conn, conn.begin():
        conn.execute("INSERT INTO source (path, is_dir, added_at, state) VALUES (?, 1, '2026-01-01', 'ok')",
                     (str(tmp_path / "tracked"),))
    assert rescan.scan_roots(store) == [(p, True) for p in deck_folders(store)] + tracked_paths(store)
    store.close()


@pytest.mark.slow  # runs subprocesses
def test_a_second_tui_start_does_not_import_the_importer(tmp_path):
    home = tmp_path / "home"
    with Store.open(home) as store:
        sync_folders(store)
    code = (
        "import sys\n"
        "import textual.app\n"
        "textual.app.App.run = lambda self, *a, **k: None\n"
        "import studyllm.store.rescan as r\n"
        "r.RECENT_NS = 0\n"
        "from studyllm.cli import main\n"
        "assert main(['--home', sys.argv[1]]) == 0\n"
        "print('studyllm.store.importer' in sys.modules)\n"
    )
    runs = [subprocess.run([sys.executable, "-c", code, str(home)], capture_output=True, text=True, check=True)
            for _ in range(2)]
    assert [r.stdout.strip() for r in runs] == ["True", "False"]


def test_the_tui_start_picks_up_an_edit_made_since_the_last_start(tmp_path, steady, monkeypatch):
    """Through ``studyllm --home H`` itself (the app's run left out): a start after an edit
    shows the edited card, and one after no change skips the scan."""
    import textual.app

    from studyllm import cli

    store, _folder, deck = _setup(tmp_path)
    store.close()
    monkeypatch.setattr(textual.app.App, "run", lambda self, *a, **k: None)
    monkeypatch.setenv("TEXTUAL_FPS", "60")  # (the start sets it if unset; kept out of the other tests)
    scans = Scans()
    monkeypatch.setattr(cli, "_sync_decks", scans)
    home = str(tmp_path / "home")
    assert cli.main(["--home", home]) == 0 and scans.n == 1
    assert cli.main(["--home", home]) == 0 and scans.n == 1
    _tick()
    deck.write_text(DECK.replace("TCP :: ordered", "QUIC :: streams over UDP"))
    assert cli.main(["--home", home]) == 0 and scans.n == 2
    with Store.open(tmp_path / "home") as again:
        assert "QUIC" in _fronts(again) and "TCP" not in _fronts(again)


def test_a_stamp_that_cannot_be_written_does_not_stop_the_start(tmp_path, steady, monkeypatch):
    from contextlib import contextmanager

    from studyllm.store.db import DatabaseError

    store, _folder, _deck = _setup(tmp_path)

    @contextmanager
    def full_disk(_db):
        raise DatabaseError("database or disk is full")
        yield

    monkeypatch.setattr(rescan, "write_tx", full_disk)
    scans = Scans()
    assert rescan.rescan_if_changed(store, scans) == [] and "TCP" in _fronts(store)
    rescan.rescan_if_changed(store, scans)
    assert scans.n == 2  # no stamp: each start scans, as before
    store.close()
