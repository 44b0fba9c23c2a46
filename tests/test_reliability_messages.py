""""Can't write here" is not "the file is damaged" (issue 17, item 10).

A full disk, a read-only home or a folder owned by someone else must be reported as such,
never as damage with advice to restore a backup over a healthy file. The read-only home is
real (the commands run as another user, ``nobody``, when the tests run as root; else the
folder is made read-only); the full disk is SQLite's own ``SQLITE_FULL``, raised by a page
limit on every connection the command opens."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest
from conftest import add_deck

from studyllm.store import Store
from studyllm.store import db as dbmod
from studyllm.store.backup import auto_backup, inspect_database, recovery_hint

RESTORE_ADVICE = ("restore", "no good backup", "damaged")


def real_error(make) -> sqlite3.Error:
    try:
        make()
    except sqlite3.Error as exc:
        return exc
    raise AssertionError("no error")


def test_error_kind_reads_real_sqlite_errors(tmp_path):
    full = sqlite3.connect(tmp_path / "full.db")
    full.execute("CREATE TABLE t (x)")
    full.execute("PRAGMA max_page_count = 2")
    assert dbmod.error_kind(real_error(lambda: full.execute("INSERT INTO t VALUES (zeroblob(100000))"))) == "full"
    ro = sqlite3.connect(tmp_path / "ro.db")
    ro.execute("CREATE TABLE t (x)")
    ro.execute("PRAGMA query_only = 1")
    assert dbmod.error_kind(real_error(lambda: ro.execute("INSERT INTO t VALUES (1)"))) == "readonly"
    (tmp_path / "notes.db").write_text("not a database, just notes " * 100)
    notes = sqlite3.connect(tmp_path / "notes.db")
    assert dbmod.error_kind(real_error(lambda: notes.execute("SELECT * FROM sqlite_master"))) == "damaged"
    for conn in (full, ro, notes):
        conn.close()


def test_explain_never_calls_a_full_or_read_only_disk_damage(tmp_path):
    full = sqlite3.connect(tmp_path / "full.db")
    full.execute("CREATE TABLE t (x)")
    full.execute("PRAGMA max_page_count = 2")
    text = dbmod.explain(real_error(lambda: full.execute("INSERT INTO t VALUES (zeroblob(100000))")))
    full.close()
    assert "disk is full" in text and "damaged" not in text
    assert "can't write here" in dbmod.explain(sqlite3.OperationalError("attempt to write a readonly database"))


@pytest.mark.slow  # runs a subprocess
def test_a_folder_instead_of_a_file_is_unreadable_not_damaged(tmp_path):
    (tmp_path / "studyllm.db").mkdir()
    problem = inspect_database(tmp_path / "studyllm.db")
    assert problem is not None and not problem.damaged
    assert recovery_hint(tmp_path) is None


# ------------------------------------------------------------------ a real read-only home
def _as_other_user() -> list[str] | None:
    """A command prefix that runs as a user who can't write a root-owned folder, or None."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        return None
    prefix = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = subprocess.run([*prefix, sys.executable, "-c", "import studyllm"], capture_output=True)
    return prefix if probe.returncode == 0 else None


@pytest.fixture
def readonly_home(clock):
    prefix = _as_other_user()
    if prefix is None:
        pytest.skip("can't run a command as another user here")
    base = Path(tempfile.mkdtemp(prefix="studyllm-ro-"))
    home = base / "home"
    with Store.open(home, clock=clock) as s:
        add_deck(s, "d", 10)
        s.answer(s.next_card().id, 4)
        assert auto_backup(s) is not None
    for p in [base, *base.rglob("*")]:  # readable by all, writable by no one but root
        p.chmod(0o755 if p.is_dir() else 0o644)
    if not prefix:  # not root: take our own write permission away
        for p in (home, home / "backups"):
            p.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    yield prefix, home
    for p in (home, home / "backups"):
        p.chmod(0o755)
    shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
@pytest.mark.parametrize("command", [["due"], ["backup", "--create"], ["settings", "new_per_day", "3"], ["stats"],
                                     ["import", "{decks}"]])
def test_a_read_only_home_is_reported_as_such_never_as_damage(readonly_home, command):
    prefix, home = readonly_home
    decks = Path(__file__).resolve().parents[1] / "decks"
    before = (home / "studyllm.db").read_bytes()
    args = [a.format(decks=decks) for a in command]
    env = {**os.environ, "HOME": str(home.parent)}
    proc = subprocess.run([*prefix, sys.executable, "-m", "studyllm", "--home", str(home), *args],
                          capture_output=True, text=True, env=env, cwd=home.parent, timeout=120)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    err = proc.stderr
    assert "can't write here" in err and ("not writable" in err or "read and write" in err), err
    assert "Traceback" not in err
    assert not any(word in err.lower() for word in RESTORE_ADVICE if word != "damaged"), err
    assert "the database is not damaged" in err or "damaged" not in err.replace("not damaged", ""), err
    assert (home / "studyllm.db").read_bytes() == before


# ------------------------------------------------------------------ a full disk
FULL_DISK = textwrap.dedent("""
    import sys
    from studyllm.store import backup, db

    where = sys.argv.pop(1)
    original = db._set_pragmas

    def no_room(raw):
        original(raw)
        pages = raw.execute("PRAGMA page_count").fetchone()[0]
        raw.execute(f"PRAGMA max_page_count = {max(pages, 1)}")  # the disk is full: not one page more

    if where == "database":
        db._set_pragmas = no_room
    else:  # the backup folder's disk is full
        copy = backup._copy_with_backup_api

        def full_copy(source, target):
            import sqlite3
            conn = sqlite3.connect(target)
            conn.execute("PRAGMA max_page_count = 1")
            conn.execute("CREATE TABLE filler (x)")
            conn.close()
            copy(source, target)
        backup._copy_with_backup_api = full_copy
    from studyllm.cli import main
    sys.exit(main(sys.argv[1:]))
""")


def run_full(where: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", FULL_DISK, where, "--home", str(home), *args],
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def home_with_answers(tmp_path, clock) -> Path:
    home = tmp_path / "home"
    with Store.open(home, clock=clock) as s:
        add_deck(s, "d", 10)
        s.answer(s.next_card().id, 4)
        assert auto_backup(s) is not None
    return home


def test_a_full_disk_during_an_import_says_so_and_loses_nothing(home_with_answers, tmp_path):
    deck = tmp_path / "big.md"
    deck.write_text("".join(f"Q: question {i} {'x' * 200}\nA: answer {i}\n\n" for i in range(2000)))
    proc = run_full("database", home_with_answers, "import", str(deck))
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "disk is full" in out and "Traceback" not in out, out
    assert not any(word in out.lower() for word in RESTORE_ADVICE), out
    conn = sqlite3.connect(home_with_answers / "studyllm.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("SELECT count(*) FROM review_log").fetchone()[0] == 1
        assert conn.execute("SELECT count(*) FROM card").fetchone()[0] == 10  # nothing half-imported
    finally:
        conn.close()


def test_backup_create_on_a_full_disk_never_advises_restoring(home_with_answers):
    before = (home_with_answers / "studyllm.db").read_bytes()
    proc = run_full("backups", home_with_answers, "backup", "--create")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    err = proc.stderr
    assert "could not write a backup" in err and "disk is full" in err, err
    assert not any(word in err.lower() for word in RESTORE_ADVICE), err
    assert (home_with_answers / "studyllm.db").read_bytes() == before
    assert not [p for p in (home_with_answers / "backups").iterdir() if p.name.endswith(".tmp")]


async def test_an_answer_on_a_read_only_database_says_why_in_the_tui(tmp_path, clock, monkeypatch):
    from studyllm.ui.app import build_app

    store = Store.open(tmp_path / "home", clock=clock)
    add_deck(store, "d", 3)
    original = dbmod._set_pragmas

    def read_only(raw):
        original(raw)
        raw.execute("PRAGMA query_only = 1")

    monkeypatch.setattr(dbmod, "_set_pragmas", read_only)
    store.database.dispose()  # every connection from now on is read-only
    app = build_app(store)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
        await pilot.press("4")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert any("The answer wasn't saved: can't write here" in m for m in messages), messages
        assert not any("damaged" in m.replace("not damaged", "") for m in messages), messages
    store.close()


# ------------------------------------------------------------------ a real full disk (a tiny tmpfs)
@pytest.fixture
def full_disk_home(tmp_path, clock):
    mount, umount = shutil.which("mount"), shutil.which("umount")
    point = tmp_path / "disk"
    point.mkdir()
    if os.geteuid() != 0 or not mount or not umount or subprocess.run(
            [mount, "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(point)], capture_output=True).returncode != 0:
        pytest.skip("can't mount a small tmpfs here (needs root)")
    try:
        home = point / "home"
        with Store.open(home, clock=clock) as s:
            add_deck(s, "d", 10)
            s.answer(s.next_card().id, 4)
            assert auto_backup(s) is not None
        fd = os.open(point / "filler", os.O_WRONLY | os.O_CREAT)  # fill the disk to the last byte
        try:
            for size in (65536, 4096, 512, 1):
                try:
                    while os.write(fd, b"\0" * size):
                        pass
                except OSError:
                    pass
        finally:
            os.close(fd)
        yield home
    finally:
        subprocess.run([umount, "-l", str(point)], capture_output=True)


@pytest.mark.slow
@pytest.mark.parametrize("command", [["due"], ["import", "{deck}"], ["backup", "--create"]])
def test_a_really_full_disk_is_never_called_damage(full_disk_home, tmp_path, command):
    deck = tmp_path / "new.md"
    deck.write_text("".join(f"Q: question {i}\nA: answer {i}\n\n" for i in range(300)))
    before = (full_disk_home / "studyllm.db").read_bytes()
    args = [a.format(deck=deck) for a in command]
    proc = subprocess.run([sys.executable, "-m", "studyllm", "--home", str(full_disk_home), *args],
                          capture_output=True, text=True, timeout=120)
    err = proc.stderr
    assert proc.returncode == 1, proc.stdout + err
    assert "is full" in err and "Traceback" not in err, err
    assert "restore" not in err.lower() and "no good backup" not in err, err
    assert (full_disk_home / "studyllm.db").read_bytes() == before
