"""Sync under real conditions (slow): ``studyllm sync`` killed with SIGKILL at random moments,
round after round, merges all of a round's answers or none and loses nothing; and two real
``studyllm`` TUIs in tmux, one per home, study and sync through one folder."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from studyllm.store import Store
from studyllm.store import sync as S
from studyllm.store.importer import import_paths
from studyllm.testing.reliability import integrity, state_mismatches, write_markdown_deck

pytestmark = pytest.mark.slow

OTHER = "a0a0a0a0a0a0a0a0"  # the other device, whose journal the test writes as its sync would


def _journal_lines(cards: list[tuple[str, str]], n: int, start: datetime, seq0: int) -> str:
    out = []
    for i in range(n):
        uid, chash = cards[i % len(cards)]
        at = start + timedelta(seconds=i)
        grade = 2 + (7 * i + i // len(cards)) % 4  # each card's grades vary from pass to pass
        out.append(json.dumps({"t": "answer", "uid": f"crash{seq0 + i:010d}", "card": uid, "deck": "bulk",
                               "hash": chash, "day": at.date().isoformat(), "grade": grade, "ms": 700,
                               "at": at.isoformat(), "dev": OTHER, "seq": seq0 + i}, separators=(",", ":")))
    return "\n".join(out) + "\n"


def _db(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "studyllm.db", timeout=30)


def _count(home: Path, sql: str) -> int:
    conn = _db(home)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_kill9_during_studyllm_sync_merges_a_round_whole_or_not_at_all(tmp_path):
    folder, home = tmp_path / "shared", tmp_path / "b"
    deck = tmp_path / "bulk.md"
    write_markdown_deck(deck, 1, 1500)
    clock_start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    with Store.open(home) as store:
        assert import_paths(store, [deck]).ok
        S.enable(store, folder)
        with store.database.connect() as conn:
            cards = [(u, h) for u, h in conn.execute("SELECT uid, content_hash FROM card ORDER BY position")]
    journal = folder / "devices" / OTHER / "2026-03.jsonl"
    journal.parent.mkdir(parents=True)
    rng = random.Random(21)
    merged_before = 0
    written = 0
    local = 0
    outcomes = []
    took = 0.0
    for rnd in range(7):
        per_round = 8000
        with open(journal, "a") as fh:  # the other machine's new answers arrive
            fh.write(_journal_lines(cards, per_round, clock_start + timedelta(days=rnd), written))
        written += per_round
        with Store.open(home) as store:  # and this machine studied a little, to send
            for cid in [r for r in range(1, 6)]:
                store.answer(cid + rnd * 5, 4, 500)
                local += 1
        proc = subprocess.Popen([sys.executable, "-m", "studyllm", "--home", str(home), "sync"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        t0 = time.monotonic()
        if rnd == 0:  # the first round runs to the end: how long a sync of one round takes here
            proc.wait(timeout=300)
            took = time.monotonic() - t0
        else:  # the others are killed somewhere from the start-up to the end of the merge
            waiting = (written - merged_before) // per_round  # rounds a kill left for this sync too
            time.sleep(rng.uniform(0.3, 1.1) * took * (0.5 + waiting / 2))
            if proc.poll() is None:
                os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=300)
        killed = proc.returncode == -signal.SIGKILL
        assert killed or proc.returncode == 0, proc.stderr.read() if proc.stderr else ""
        assert integrity(home / "studyllm.db") == "ok"
        assert state_mismatches(home / "studyllm.db") == 0  # no card half-merged
        merged = _count(home, "SELECT count(*) FROM review_log WHERE uid LIKE 'crash%'")
        # whole rounds or nothing: the merge is one transaction
        assert merged in (merged_before, written) or (merged - merged_before) % per_round == 0, (rnd, merged)
        outcomes.append("killed" if killed else "finished")
        merged_before = merged
    # a sync that runs to the end merges everything, once
    with Store.open(home) as store:
        r = S.sync(store)
        assert not r.problems, r.problems
        assert S.sync(store).added == 0
        with store.database.connect() as conn:
            assert conn.execute("SELECT count(*) FROM review_log WHERE uid LIKE 'crash%'").fetchone()[0] == written
            assert conn.execute("SELECT count(*) FROM review_log").fetchone()[0] == written + local
            states = conn.execute("SELECT * FROM card_state ORDER BY card_id").fetchall()
        store.rebuild_states()  # the merged states are those of replaying the whole log
        with store.database.connect() as conn:
            assert conn.execute("SELECT * FROM card_state ORDER BY card_id").fetchall() == states
    assert "killed" in outcomes, outcomes  # the rounds did kill a sync
    # what this machine sent, killed or not, is in its journal once per answer (a line sent twice
    # by a push killed before it was marked sent is read once)
    mine = [p for p in (folder / "devices").iterdir() if p.name != OTHER]
    assert len(mine) == 1
    uids = [json.loads(line)["uid"] for f in mine[0].glob("*.jsonl") for line in f.read_text().splitlines()
            if json.loads(line)["t"] == "answer"]
    assert set(uids) == set(_local_uids(home))


def _local_uids(home: Path) -> list[str]:
    conn = _db(home)
    try:
        return [r[0] for r in conn.execute("SELECT uid FROM review_log WHERE uid NOT LIKE 'crash%'")]
    finally:
        conn.close()


# ------------------------------------------------------------------ two real TUIs in tmux

TMUX = shutil.which("tmux")
STUDYLLM = shutil.which("studyllm") or str(Path(sys.executable).parent / "studyllm")


def _tmux(*args: str) -> str:
    assert TMUX is not None
    return subprocess.run([TMUX, *args], check=True, capture_output=True, text=True).stdout


def _wait(session: str, text: str, timeout: float = 60.0) -> str:
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = _tmux("capture-pane", "-p", "-t", session)
        if text in shown:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; screen was:\n{shown}")


def _study(session: str, n: int, done_before: int) -> None:
    _tmux("send-keys", "-t", session, "s")
    for i in range(n):
        _wait(session, "Show answer")
        _tmux("send-keys", "-t", session, "Space")
        _wait(session, "5 perfect")  # the grade bar, once the answer shows
        _tmux("send-keys", "-t", session, "5")
        _wait(session, f"{i + 1} done")
    _tmux("send-keys", "-t", session, "Escape")
    _wait(session, f"{done_before + n} answered")


@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
@pytest.mark.skipif(not os.access(STUDYLLM, os.X_OK), reason="the studyllm command is not installed")
def test_two_real_studyllm_tuis_in_tmux_study_and_sync(tmp_path):
    folder = tmp_path / "shared"
    homes = {name: tmp_path / name for name in ("laptop", "desktop")}
    for home in homes.values():
        out = subprocess.run([STUDYLLM, "--home", str(home), "sync", "--folder", str(folder)],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0, out.stderr
    sessions = {name: f"studyllm-sync-{name}-{uuid.uuid4().hex[:6]}" for name in homes}
    try:
        for name, home in homes.items():
            _tmux("new-session", "-d", "-s", sessions[name], "-x", "100", "-y", "30",
                  f"env TERM=xterm-256color {STUDYLLM} --home '{home}'; echo STUDYLLM-EXITED $?; sleep 30")
        for name in homes:
            _wait(sessions[name], "Last sync")
            _wait(sessions[name], "0 answered")
        laptop, desktop = sessions["laptop"], sessions["desktop"]
        _study(laptop, 2, 0)  # back home: its answers are sent without a key
        _wait(laptop, "Last sync")
        time.sleep(1.0)
        _tmux("send-keys", "-t", desktop, "y")
        _wait(desktop, "2 answered")  # the laptop's answers, merged into the running desktop app
        _study(desktop, 1, 2)
        time.sleep(1.0)
        _tmux("send-keys", "-t", laptop, "y")
        _wait(laptop, "3 answered")
        for s in sessions.values():
            _tmux("send-keys", "-t", s, "q")
            _wait(s, "STUDYLLM-EXITED 0")
    finally:
        for s in sessions.values():
            subprocess.run([TMUX, "kill-session", "-t", s], capture_output=True)
    logs = []
    for home in homes.values():
        conn = _db(home)
        try:
            logs.append(sorted(conn.execute("SELECT uid, card_uid, reviewed_at, grade, kind FROM review_log")))
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        finally:
            conn.close()
    assert len(logs[0]) == 3 and logs[0] == logs[1]
