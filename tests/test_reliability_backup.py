"""Automatic backups: once a day, keep N, consistent copies, restore that never overwrites."""

from __future__ import annotations

import sqlite3
import threading

import pytest
from conftest import add_deck, settle

from studyllm.cli import main
from studyllm.store import Store, StoreError
from studyllm.store.backup import (
    auto_backup,
    check_database,
    list_backups,
    newest_good_backup,
    recovery_hint,
    restore_backup,
)


def answer_some(store, n):
    uids = []
    for _ in range(n):
        card = store.next_card()
        uids.append(store.answer(card.id, 4).log_uid)
    return uids


def log_uids(path):
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT uid FROM review_log")}
    finally:
        conn.close()


@pytest.fixture
def home(tmp_path):
    return tmp_path / "home"


@pytest.fixture
def opened(home, clock):
    s = Store.open(home, clock=clock)
    add_deck(s, "d", 30)
    yield s
    s.close()


def test_backup_is_a_consistent_copy_taken_once_a_day(opened, home, clock):
    uids = answer_some(opened, 3)
    first = auto_backup(opened)
    assert first is not None and first.parent == home / "backups"
    assert first.name.startswith("studyllm-20260302-")  # local date (Berlin), named by the clock
    assert check_database(first) is None
    assert log_uids(first) == set(uids)
    # a second start-up the same day does nothing, even after more answers
    answer_some(opened, 2)
    clock.advance(hours=8)
    assert auto_backup(opened) is None
    assert len(list_backups(home)) == 1
    # the next day makes a new one with the new answers
    clock.advance(days=1)
    second = auto_backup(opened)
    assert second is not None and second != first
    assert len(log_uids(second)) == 5
    assert [b.path for b in list_backups(home)] == [second, first]  # newest first


def test_keeps_only_the_newest_n(opened, home, clock):
    opened.set_setting("backups_keep", 3)
    made = []
    for _ in range(5):
        made.append(auto_backup(opened))
        clock.advance(days=1)
    names = [b.path for b in list_backups(home)]
    assert names == list(reversed(made[-3:]))
    assert not made[0].exists() and not made[1].exists()


def test_backups_off_when_keep_is_zero(opened, home):
    opened.set_setting("backups_keep", 0)
    assert auto_backup(opened) is None
    assert list_backups(home) == []


def test_memory_store_has_no_backup(store):
    assert auto_backup(store) is None


def test_backup_while_another_connection_writes(opened, home, clock):
    """The backup API copes with a writer busy in another connection: the copy is a valid
    database holding a prefix of the answers, never a torn file."""
    other = Store.open(home, clock=clock)
    stop = threading.Event()
    written: list[str] = []

    def writer():
        while not stop.is_set():
            card = other.next_card()
            if card is None:
                return
            written.append(other.answer(card.id, 5).log_uid)

    t = threading.Thread(target=writer)
    t.start()
    try:
        path = auto_backup(opened)
    finally:
        stop.set()
        t.join()
        other.close()
    assert check_database(path) is None
    assert log_uids(path) <= set(written)


def test_restore_moves_current_aside_and_brings_back_the_backup(opened, home):
    kept = answer_some(opened, 2)
    backup = auto_backup(opened)
    answer_some(opened, 3)
    opened.close()
    moved = restore_backup(home, backup)
    assert moved is not None and moved.name.startswith("studyllm.db.replaced-")
    assert len(log_uids(moved)) == 5  # the newer database is kept, not lost
    with Store.open(home) as again:
        assert {h for h in log_uids(home / "studyllm.db")} == set(kept)
        assert again.next_card() is not None


def damage(path):
    """Overwrite pages in the middle of the file: a valid header, broken b-trees."""
    data = bytearray(path.read_bytes())
    assert len(data) > 8192
    for i in range(4096, len(data) - 100, 1024):
        data[i : i + 100] = b"\xa5" * 100
    path.write_bytes(bytes(data))


def test_damaged_database_is_reported_kept_and_restorable(opened, home, clock):
    answer_some(opened, 4)
    good = auto_backup(opened)
    opened.close()  # a restore waits for every studyllm to let go of the database
    conn = sqlite3.connect(home / "studyllm.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    db = home / "studyllm.db"
    damage(db)
    damaged_bytes = db.read_bytes()
    assert check_database(db) is not None
    hint = recovery_hint(home)
    assert hint and good.name in hint and f"studyllm backup --restore {good.name}" in hint
    assert newest_good_backup(home) == good
    moved = restore_backup(home, good)
    assert moved.name.startswith("studyllm.db.damaged-")
    assert moved.read_bytes() == damaged_bytes  # kept byte for byte
    assert check_database(db) is None
    assert len(log_uids(db)) == 4


def test_not_sqlite_file_gives_clear_message_and_is_never_overwritten(home, capsys):
    home.mkdir()
    db = home / "studyllm.db"
    db.write_text("these are my notes, not a database\n")
    with pytest.raises(StoreError, match="not a studyllm"):
        Store.open(home)
    assert "not an SQLite database" in check_database(db)
    assert recovery_hint(home) == f"no good backup was found in {home / 'backups'}"
    assert db.read_text() == "these are my notes, not a database\n"
    # the backup command refuses to back up the broken file
    assert main(["--home", str(home), "backup", "--create"]) == 1
    assert "not an SQLite database" in capsys.readouterr().err
    assert db.read_text() == "these are my notes, not a database\n"


def test_newest_good_backup_skips_a_damaged_one(opened, home, clock):
    answer_some(opened, 2)
    older = auto_backup(opened)
    clock.advance(days=1)
    newer = auto_backup(opened)
    newer.write_bytes(b"SQLite format 3\x00" + b"\x00" * 100)
    assert check_database(newer) is not None
    assert newest_good_backup(home) == older
    with pytest.raises(StoreError, match="can't be restored"):
        restore_backup(home, newer)


def test_backup_command_lists_creates_and_restores(opened, home, clock, capsys):
    answer_some(opened, 2)
    opened.close()
    assert main(["--home", str(home), "backup"]) == 0
    assert "No backups yet" in capsys.readouterr().out
    assert main(["--home", str(home), "backup", "--create"]) == 0
    out = capsys.readouterr().out
    assert "Backup written" in out
    (info,) = list_backups(home)
    assert main(["--home", str(home), "backup", "--verify"]) == 0
    out = capsys.readouterr().out
    assert info.name in out and "ok" in out
    assert main(["--home", str(home), "backup", "--restore", "no-such.db"]) == 1
    assert "no backup named" in capsys.readouterr().err
    assert main(["--home", str(home), "backup", "--restore", info.name]) == 0
    out = capsys.readouterr().out
    assert f"Restored {info.name}" in out and "studyllm.db.replaced-" in out
    assert len(log_uids(home / "studyllm.db")) == 2


def test_two_restores_in_the_same_second_keep_both_old_files(opened, home):
    backup = auto_backup(opened)
    opened.close()
    first = restore_backup(home, backup)
    second = restore_backup(home, backup)
    assert first != second and first.exists() and second.exists()


# ------------------------------------------------------------------ wiring into the CLI (lead's cli.py)
def test_tui_start_up_asks_the_app_for_the_daily_backup(home, monkeypatch):
    import studyllm.ui.app as ui_app

    asked = []

    class NoApp:
        def run(self):
            return None

    monkeypatch.setattr(ui_app, "build_app", lambda store, **kw: asked.append(kw.get("daily_backup")) or NoApp())
    assert main(["--home", str(home)]) == 0
    assert asked == [True]  # made by the app's worker (tested above), not before the screen shows


def test_damaged_database_message_offers_the_newest_good_backup(opened, home, capsys):
    answer_some(opened, 3)
    good = auto_backup(opened)
    opened.close()  # a restore waits for every studyllm to let go of the database
    conn = sqlite3.connect(home / "studyllm.db")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    damage(home / "studyllm.db")
    before = (home / "studyllm.db").read_bytes()
    assert main(["--home", str(home), "due", "--no-sync"]) == 1
    err = capsys.readouterr().err
    assert "damaged" in err
    assert f"studyllm backup --restore {good.name}" in err
    assert (home / "studyllm.db").read_bytes() == before  # never overwritten


@pytest.mark.parametrize("daily", [True, False])
async def test_the_tui_backs_up_in_a_worker_once_the_home_screen_is_up(opened, home, daily):
    from studyllm.ui.app import build_app

    app = build_app(opened, daily_backup=daily)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)  # the backup starts once the first frames are out (app._after_first_frames)
        await app.workers.wait_for_complete()
        await pilot.pause()
        made = list_backups(home)
        assert len(made) == (1 if daily else 0)
        if daily:
            assert check_database(made[0].path) is None
        assert app.is_running


async def test_a_failed_tui_backup_is_a_warning_and_the_app_goes_on(opened, home, monkeypatch):
    from studyllm.store import backup
    from studyllm.ui.app import build_app

    def fail(store):
        raise StoreError("disk full (test)")

    monkeypatch.setattr(backup, "auto_backup", fail)
    app = build_app(opened, daily_backup=True)
    shown = []
    monkeypatch.setattr(app, "notify", lambda message, **kw: shown.append((message, kw.get("severity"))))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert ("No backup today: disk full (test)", "warning") in shown
        assert app.is_running
        await pilot.press("s")
        await pilot.pause()
        assert type(app.screen).__name__ == "StudyScreen"
