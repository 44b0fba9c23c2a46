"""Schema creation, pragmas, upgrades, and clear errors for bad database files."""

import sqlite3

import pytest
from conftest import add_deck

from studyllm.store import Store, StoreError, models
from studyllm.store import db as dbmod

CURRENT = dbmod.SCHEMA_VERSION  # a simulated next release adds the step CURRENT -> CURRENT + 1


def test_creates_schema_and_pragmas(tmp_path, clock):
    s = Store.open(tmp_path / "h", clock=clock)
    with s.database.connect() as conn:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        assert {"meta", "setting", "deck", "card", "card_state", "review_log"} <= tables
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == dbmod.BUSY_TIMEOUT_MS
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
        conn.execute("ALTER TABLE card ADD COLUMN note TEXT NOT NULL DEFAULT ''")

    monkeypatch.setitem(dbmod.MIGRATIONS, CURRENT, v1_to_v2)
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", CURRENT + 1)
    s = Store.open(tmp_path, clock=clock)
    with s.database.connect() as conn:
        assert dbmod.schema_version(conn) == CURRENT + 1
        cols = [r[1] for r in conn.execute("PRAGMA table_info(card)")]
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
        conn.execute("ALTER TABLE card ADD COLUMN x TEXT")
        raise StoreError("upgrade step failed on purpose")

    monkeypatch.setitem(dbmod.MIGRATIONS, CURRENT, broken)
    monkeypatch.setattr(dbmod, "SCHEMA_VERSION", CURRENT + 1)
    with pytest.raises(StoreError, match="on purpose"):
        Store.open(tmp_path, clock=clock)
    monkeypatch.undo()
    assert _dump(tmp_path / "studyllm.db") == before
    con = sqlite3.connect(tmp_path / "studyllm.db")
    assert "x" not in [r[1] for r in con.execute("PRAGMA table_info(card)")]
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == (str(CURRENT),)
    assert con.execute("PRAGMA user_version").fetchone() == (CURRENT,)
    con.close()


def test_newer_schema_refused(tmp_path, clock):
    s = Store.open(tmp_path, clock=clock)
    s.close()
    con = sqlite3.connect(tmp_path / "studyllm.db")
    con.execute("PRAGMA user_version = 99")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="schema version 99, newer"):
        Store.open(tmp_path, clock=clock)


@pytest.mark.parametrize("value", ["abc", "", "1.5", "-3", "0", "²", "9" * 5000], ids=lambda v: repr(v)[:12])
def test_a_version_that_is_not_a_number_is_a_clear_error(tmp_path, clock, value):
    """A schema-1 file keeps its version in the meta table; junk there is refused with a
    message naming it, and the file is left as it was (#17 item 11)."""
    s = Store.open(tmp_path, clock=clock)
    s.close()
    con = sqlite3.connect(tmp_path / "studyllm.db")
    con.execute("PRAGMA user_version = 0")
    con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (value,))
    con.commit()
    con.close()
    before = (tmp_path / "studyllm.db").read_bytes()
    with pytest.raises(StoreError, match=r"schema version \(meta.schema_version\) is .*not a schema version number"):
        Store.open(tmp_path, clock=clock)
    assert (tmp_path / "studyllm.db").read_bytes() == before


def test_a_negative_user_version_is_a_clear_error(tmp_path, clock):
    Store.open(tmp_path, clock=clock).close()
    con = sqlite3.connect(tmp_path / "studyllm.db")
    con.execute("PRAGMA user_version = -4")
    con.commit()
    con.close()
    with pytest.raises(StoreError, match="user_version.* is -4"):
        Store.open(tmp_path, clock=clock)


def test_the_cli_reports_a_bad_version_without_a_traceback(tmp_path, clock, capsys):
    from studyllm.cli import main

    Store.open(tmp_path, clock=clock).close()
    con = sqlite3.connect(tmp_path / "studyllm.db")
    con.execute("PRAGMA user_version = 0")
    con.execute("UPDATE meta SET value = 'two' WHERE key = 'schema_version'")
    con.commit()
    con.close()
    assert main(["--home", str(tmp_path), "due"]) != 0
    err = capsys.readouterr().err
    assert "'two', not a schema version number" in err and "Traceback" not in err


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
        conn.execute("INSERT INTO setting(key, value) VALUES ('new_per_day', '\"lots\"')")
        conn.execute("INSERT INTO setting(key, value) VALUES ('rollover_hour', '{broken')")
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
