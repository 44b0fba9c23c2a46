"""Schema creation, pragmas, upgrades, and clear errors for bad database files."""

import sqlite3

import pytest
from conftest import add_deck

from studyllm.store import Store, StoreError, models
from studyllm.store import db as dbmod


def test_creates_schema_and_pragmas(tmp_path, clock):
    s = Store.open(tmp_path / "h", clock=clock)
    with s.database.connect() as conn:
        tables = {r[0] for r in conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"meta", "setting", "deck", "card", "card_state", "review_log"} <= tables
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == dbmod.BUSY_TIMEOUT_MS
        assert dbmod.schema_version(conn) == models.SCHEMA_VERSION
    s.close()


def test_nothing_created_until_opened(tmp_path, monkeypatch):
    import importlib

    home = tmp_path / "not-yet"
    monkeypatch.setenv("STUDYLLM_HOME", str(home))
    import studyllm.cli
    import studyllm.store.service

    importlib.reload(studyllm.cli)
    assert not home.exists()
    from studyllm.paths import resolve_home

    assert resolve_home() == home
    assert resolve_home(tmp_path / "x") == tmp_path / "x"


def test_reopen_keeps_data(tmp_path, clock):
    s = Store.open(tmp_path, clock=clock)
    add_deck(s, "d", 3)
    c = s.next_card()
    s.answer(c.id, 5)
    s.close()
    s = Store.open(tmp_path, clock=clock)
    assert s.card(c.id).reviews == 1
    assert s.counts().new == 2
    s.close()


def _fill(store):
    add_deck(store, "d", 4)
    for _ in range(3):
        c = store.next_card()
        store.answer(c.id, 4)
    store.set_setting("new_per_day", 7)


def _dump(path):
    con = sqlite3.connect(path)
    out = {}
    for t in ("deck", "card", "card_state", "review_log", "setting"):
        out[t] = con.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
    con.close()
    return out


def test_upgrade_runs_registered_step_in_place(tmp_path, clock, monkeypatch):
    s = Store.open(tmp_path, clock=clock)
    _fill(s)
    s.close()
    before = _dump(tmp_path / "studyllm.db")

    def v1_to_v2(conn):
        conn.exec_driver_sql("ALTER TABLE card ADD COLUMN note TEXT NOT NULL DEFAULT ''")

    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(dbmod.MIGRATIONS, 1, v1_to_v2)
    s = Store.open(tmp_path, clock=clock)
    with s.database.connect() as conn:
        assert dbmod.schema_version(conn) == 2
        cols = [r[1] for r in conn.exec_driver_sql("PRAGMA table_info(card)")]
    s.close()
    assert "note" in cols
    after = _dump(tmp_path / "studyllm.db")
    assert after["review_log"] == before["review_log"]
    assert after["card_state"] == before["card_state"]
    assert [r[:-1] for r in after["card"]] == before["card"]
    assert after["setting"] == before["setting"]


def test_failed_upgrade_changes_nothing(tmp_path, clock, monkeypatch):
    s = Store.open(tmp_path, clock=clock)
    _fill(s)
    s.close()
    before = _dump(tmp_path / "studyllm.db")

    def broken(conn):
        conn.exec_driver_sql("ALTER TABLE card ADD COLUMN x TEXT")
        raise StoreError("upgrade step failed on purpose")

    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", 2)
    monkeypatch.setitem(dbmod.MIGRATIONS, 1, broken)
    with pytest.raises(StoreError, match="on purpose"):
        Store.open(tmp_path, clock=clock)
    monkeypatch.undo()
    assert _dump(tmp_path / "studyllm.db") == before
    con = sqlite3.connect(tmp_path / "studyllm.db")
    assert "x" not in [r[1] for r in con.execute("PRAGMA table_info(card)")]
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("1",)
    con.close()


def test_newer_schema_refused(tmp_path, clock):
    s = Store.open(tmp_path, clock=clock)
    s.close()
    con = sqlite3.connect(tmp_path / "studyllm.db")
    con.execute("UPDATE meta SET value='99' WHERE key='schema_version'")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="newer"):
        Store.open(tmp_path, clock=clock)


def test_not_sqlite_file_is_refused_and_untouched(tmp_path):
    db = tmp_path / "studyllm.db"
    db.write_bytes(b"my notes, not a database\n" * 10)
    with pytest.raises(StoreError, match="not a studyllm"):
        Store.open(tmp_path)
    assert db.read_bytes() == b"my notes, not a database\n" * 10


def test_corrupt_sqlite_file_gives_clear_error(tmp_path):
    db = tmp_path / "studyllm.db"
    db.write_bytes(dbmod.SQLITE_HEADER + b"\x00\x10garbage" * 500)
    data = db.read_bytes()
    with pytest.raises(StoreError, match="damaged|not a database"):
        Store.open(tmp_path)
    assert db.read_bytes() == data


def test_unwritable_folder(tmp_path):
    import os

    if os.geteuid() == 0:
        # root ignores permission bits; use a path under a regular file instead
        blocker = tmp_path / "file"
        blocker.write_text("x")
        with pytest.raises(StoreError, match="cannot create the data folder"):
            Store.open(blocker / "home")
        return
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o500)
    with pytest.raises(StoreError, match="not writable|cannot"):
        Store.open(ro / "home")


def test_settings_bad_value_falls_back_with_warning(store):
    with store.database.begin() as conn:
        conn.exec_driver_sql("INSERT INTO setting(key, value) VALUES ('new_per_day', '\"lots\"')")
        conn.exec_driver_sql("INSERT INTO setting(key, value) VALUES ('rollover_hour', '{broken')")
    with pytest.warns(UserWarning, match="new_per_day"):
        values = store.settings()
    assert values["new_per_day"] == 20
    assert values["rollover_hour"] == 4
    assert any("rollover_hour" in w for w in store.warnings)


def test_set_setting_validates(store):
    with pytest.raises(ValueError, match="rollover_hour"):
        store.set_setting("rollover_hour", 24)
    with pytest.raises(ValueError, match="unknown setting"):
        store.set_setting("nope", 1)
    store.set_setting("grading_mode", "four")
    assert store.setting("grading_mode") == "four"
