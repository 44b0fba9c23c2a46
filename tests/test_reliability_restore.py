"""Restoring a backup safely: never onto itself, never under a running studyllm, never a
database that isn't studyllm's (issue 17, items 2 and 3).

The "running studyllm" here is a real second process holding a store open, as the TUI or a
command does; the lock is ``fcntl.flock`` on ``studyllm.db.lock`` (studyllm.store.lock)."""

from __future__ import annotations

import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest
from conftest import add_deck

from studyllm.cli import main
from studyllm.store import Store, StoreError
from studyllm.store import db as dbmod
from studyllm.store.backup import auto_backup, create_backup, restore_backup, studyllm_problem
from studyllm.store.lock import DatabaseInUse, HomeLock, lock_path

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="flock locks are POSIX")


def answer_some(store: Store, n: int) -> list[str]:
    uids = []
    for _ in range(n):
        card = store.next_card()
        assert card is not None
        uids.append(store.answer(card.id, 4).log_uid)
    return uids


def log_uids(path: Path) -> set[str]:
    conn = sqlite3.connect(path)
    try:
        return {r[0] for r in conn.execute("SELECT uid FROM review_log")}
    finally:
        conn.close()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


@pytest.fixture
def with_backup(home: Path, clock) -> tuple[Path, set[str]]:
    """A home with 3 answers, a backup of them, and 2 answers after the backup; closed."""
    with Store.open(home, clock=clock) as s:
        add_deck(s, "d", 20)
        answer_some(s, 3)
        backup = auto_backup(s)
        assert backup is not None
        answer_some(s, 2)
    return backup, log_uids(home / "studyllm.db")


def files_in(folder: Path) -> tuple[list[str], bytes]:
    """The folder's file names and the database's bytes (reading a WAL database makes its
    -wal/-shm files, so those are left out)."""
    names = sorted(p.name for p in folder.iterdir() if not p.name.endswith(("-wal", "-shm")))
    return names, (folder / "studyllm.db").read_bytes()


# ------------------------------------------------------------------ item 2: onto itself
@pytest.mark.parametrize("how", ["path", "name-from-home", "hard-link"])
def test_restoring_the_live_database_onto_itself_changes_nothing(home, with_backup, capsys, monkeypatch, how):
    _backup, answers = with_backup
    db = home / "studyllm.db"
    before = files_in(home)
    if how == "path":
        arg = str(db)
    elif how == "name-from-home":  # `cd ~/.local/share/studyllm && studyllm backup --restore studyllm.db`
        monkeypatch.chdir(home)
        arg = "studyllm.db"
    else:
        os.link(db, home / "backups" / "linked.db")
        arg = str(home / "backups" / "linked.db")
    assert main(["--home", str(home), "backup", "--restore", arg]) == 1
    err = capsys.readouterr().err
    assert "is the live database itself" in err and "nothing was changed" in err
    assert "Traceback" not in err
    assert files_in(home) == before  # nothing moved aside, nothing created
    assert log_uids(db) == answers
    with Store.open(home) as again:
        assert again.next_card() is not None


def test_restoring_a_side_file_of_the_live_database_is_refused(home, with_backup):
    db = home / "studyllm.db"
    with Store.open(home) as s:  # leaves a -wal beside the database while open
        answer_some(s, 1)
        wal = Path(f"{db}-wal")
        assert wal.exists()
        s.close()
        with pytest.raises(StoreError):
            restore_backup(home, wal)
    assert db.exists()


# ------------------------------------------------------------------ item 3: a running studyllm
HOLDER = textwrap.dedent("""
    import sys
    from pathlib import Path
    from studyllm.store import Store

    store = Store.open(Path(sys.argv[1]))
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() == "answer":
            card = store.next_card()
            print(store.answer(card.id, 5).log_uid, flush=True)
        elif line.strip() == "quit":
            break
    store.close()
    print("closed", flush=True)
""")


def start_holder(home: Path) -> subprocess.Popen[str]:
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(home)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
    return proc


def ask(proc: subprocess.Popen[str], line: str) -> str:
    assert proc.stdin is not None and proc.stdout is not None
    proc.stdin.write(line + "\n")
    proc.stdin.flush()
    return proc.stdout.readline().strip()


@pytest.mark.slow  # runs a subprocess
def test_restore_is_refused_while_another_process_has_the_database_open(home, with_backup, capsys):
    backup, answers = with_backup
    db = home / "studyllm.db"
    holder = start_holder(home)
    try:
        first = ask(holder, "answer")
        assert main(["--home", str(home), "backup", "--restore", backup.name]) == 1
        err = capsys.readouterr().err
        assert "studyllm is running on" in err and "Nothing was changed" in err
        assert not list(home.glob("studyllm.db.replaced-*"))
        # the running process goes on writing to the one live file, and nothing is lost
        second = ask(holder, "answer")
        assert log_uids(db) == answers | {first, second}
        assert ask(holder, "quit") == "closed"
    finally:
        holder.kill()
        holder.wait()
    # once it has let go, the restore goes ahead, keeping the newer file aside
    assert main(["--home", str(home), "backup", "--restore", backup.name]) == 0
    (moved,) = (p for p in home.glob("studyllm.db.replaced-*") if not p.name.endswith(("-wal", "-shm")))
    assert log_uids(moved) == answers | {first, second}
    assert len(log_uids(db)) == 3


@pytest.mark.slow  # runs a subprocess
def test_a_killed_studyllm_leaves_no_stale_lock(home, with_backup):
    backup, _answers = with_backup
    holder = start_holder(home)
    with pytest.raises(StoreError, match="studyllm is running"):
        restore_backup(home, backup)
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    assert restore_backup(home, backup) is not None


@pytest.mark.slow  # runs a subprocess
def test_every_command_holds_the_lock(home, with_backup):
    """Commands open the store with ``cli._open_store``: a process inside a command, between
    opening the store and finishing, blocks a restore."""
    backup, _answers = with_backup
    env = {**os.environ, "STUDYLLM_HOME": str(home)}
    child = textwrap.dedent(f"""
        import argparse, sys
        from studyllm.cli import _open_store
        store = _open_store(argparse.Namespace(home={str(home)!r}))
        print("open", flush=True)
        sys.stdin.readline()
        store.close()
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, env=env)
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "open"
        with pytest.raises(StoreError, match="studyllm is running"):
            restore_backup(home, backup)
    finally:
        proc.communicate("\n", timeout=30)
    assert restore_backup(home, backup) is not None


def test_a_studyllm_starting_during_a_restore_waits_then_says_why(home, with_backup, monkeypatch):
    db = home / "studyllm.db"
    with HomeLock(db).acquire(exclusive=True):  # what restore_backup holds while it swaps files
        monkeypatch.setattr(dbmod, "BUSY_TIMEOUT_MS", 300)
        with pytest.raises(StoreError, match="a backup is being restored"):
            Store.open(home)
    with Store.open(home) as s:  # and once it is done, opens normally
        assert s.next_card() is not None


def test_the_lock_is_shared_between_stores_and_exclusive_against_restore(home, with_backup):
    db = home / "studyllm.db"
    with Store.open(home), Store.open(home):  # two windows at once are fine
        assert lock_path(db).exists()
        with pytest.raises(DatabaseInUse):
            HomeLock(db).acquire(exclusive=True)
    with HomeLock(db).acquire(exclusive=True) as lock:
        assert lock.held and lock.exclusive


# ------------------------------------------------------------------ item 3: not studyllm's
def other_program_db(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE contacts (name TEXT, phone TEXT)")
    conn.execute("INSERT INTO contacts VALUES ('Ada', '123')")
    conn.commit()
    conn.close()
    return path


def test_a_valid_sqlite_file_that_is_not_studyllms_is_refused_up_front(home, with_backup, tmp_path, capsys):
    _backup, answers = with_backup
    before = files_in(home)
    foreign = other_program_db(tmp_path / "contacts.db")
    assert main(["--home", str(home), "backup", "--restore", str(foreign)]) == 1
    err = capsys.readouterr().err
    assert "not a studyllm one" in err and "contacts" in err and "Traceback" not in err
    assert files_in(home) == before
    assert log_uids(home / "studyllm.db") == answers


@pytest.mark.parametrize("version, message", [
    ("99", "made by a newer studyllm"),
    ("one", "is not a number"),
])
def test_a_backup_from_a_newer_or_odd_schema_is_refused(home, with_backup, tmp_path, version, message):
    backup, _answers = with_backup
    odd = tmp_path / "odd.db"
    create_backup(backup, tmp_path / "copies", __import__("datetime").datetime(2026, 1, 1))
    (copy,) = (tmp_path / "copies").glob("*.db")
    copy.rename(odd)
    conn = sqlite3.connect(odd)
    conn.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (version,))
    conn.commit()
    conn.close()
    assert message in (studyllm_problem(odd) or "")
    with pytest.raises(StoreError, match=message):
        restore_backup(home, odd)
    assert studyllm_problem(backup) is None


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_restore_is_refused_while_the_real_tui_runs(home, with_backup):
    backup, _answers = with_backup
    tmux = [shutil.which("tmux") or "tmux", "-L", "hardening"]
    session = f"restore-{uuid.uuid4().hex[:8]}"
    cmd = f"env TERM=xterm-256color {sys.executable} -m studyllm --home '{home}'; echo STUDYLLM-EXITED $?; sleep 30"

    def screen() -> str:
        return subprocess.run([*tmux, "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout

    def wait(text: str) -> None:
        deadline = time.monotonic() + 40
        while text not in screen():
            assert time.monotonic() < deadline, f"{text!r} never appeared:\n{screen()}"
            time.sleep(0.2)

    try:
        subprocess.run([*tmux, "new-session", "-d", "-s", session, "-x", "100", "-y", "30", cmd], check=True)
        wait("answered")
        proc = subprocess.run([sys.executable, "-m", "studyllm", "--home", str(home), "backup", "--restore",
                               backup.name], capture_output=True, text=True, timeout=60)
        assert proc.returncode == 1 and "studyllm is running" in proc.stderr, proc.stderr
        subprocess.run([*tmux, "send-keys", "-t", session, "s"], check=True)
        wait("Show answer")
        subprocess.run([*tmux, "send-keys", "-t", session, "Space"], check=True)
        wait("5 perfect")  # the grade bar, once the answer shows
        subprocess.run([*tmux, "send-keys", "-t", session, "5"], check=True)
        wait("1 done")
        subprocess.run([*tmux, "send-keys", "-t", session, "C-q"], check=True)
        wait("STUDYLLM-EXITED 0")
    finally:
        subprocess.run([*tmux, "kill-session", "-t", session], capture_output=True)
    conn = sqlite3.connect(home / "studyllm.db")
    try:  # the TUI's answer went to the one live database
        assert conn.execute("SELECT count(*) FROM review_log WHERE grade = 5").fetchone()[0] == 1
    finally:
        conn.close()
    proc = subprocess.run([sys.executable, "-m", "studyllm", "--home", str(home), "backup", "--restore", backup.name],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr  # once it has quit, the restore goes ahead
