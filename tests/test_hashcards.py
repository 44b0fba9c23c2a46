"""A hashcards collection (deck files + ``hashcards.db``) comes in with its review history.

The database is built here with hashcards' own schema (its ``src/schema.sql``), and the card
hashes the test writes into it are computed from hashcards' definition (``CardContent::hash``:
BLAKE3 of ``b"Basic" + question + answer``, or of ``b"Cloze" + text + start + end`` as 8-byte
little-endian byte offsets), not with the code under test."""

from __future__ import annotations

import json
import sqlite3
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest

from studyllm.cli import main

blake3 = pytest.importorskip("blake3")

# hashcards' src/schema.sql (commit a23b7e2)
SCHEMA = """
pragma foreign_keys = on;
create table cards (card_hash text primary key, added_at text not null, last_reviewed_at text, stability real,
    difficulty real, interval_raw real, interval_days integer, due_date text, review_count integer not null) strict;
create table sessions (session_id integer primary key, started_at text not null, ended_at text not null) strict;
create table reviews (review_id integer primary key,
    session_id integer not null references sessions (session_id) on update cascade on delete cascade,
    card_hash text not null references cards (card_hash) on update cascade on delete cascade,
    reviewed_at text not null, grade text not null, stability real not null, difficulty real not null,
    interval_raw real not null, interval_days integer not null, due_date text not null) strict;
"""

DECK = """\
---
name = "Cell biology"
---

Q: What does the ribosome
make?
A: Proteins.

C: The [nucleus] holds the cell's [DNA].

---

Q: What does the Golgi apparatus do?
A:

C: Arrays use \\[i\\] and [zero] based indexing.

Q: Never reviewed?
A: Right.
"""


def _basic(q: str, a: str) -> str:
    return blake3.blake3(b"Basic" + q.encode() + a.encode()).hexdigest()


def _cloze(text: str, start: int, end: int) -> str:
    return blake3.blake3(b"Cloze" + text.encode() + start.to_bytes(8, "little") + end.to_bytes(8, "little")).hexdigest()


RIBOSOME = _basic("What does the ribosome\nmake?", "Proteins.")
NUCLEUS = _cloze("The nucleus holds the cell's DNA.", 4, 10)
DNA = _cloze("The nucleus holds the cell's DNA.", 29, 31)
ZERO = _cloze("Arrays use [i] and zero based indexing.", 19, 22)
ORPHAN = _basic("A card since deleted", "from the deck")


def _collection(tmp: Path, days_ago: int = 20) -> tuple[Path, dict[str, list[tuple[str, str, int]]]]:
    root = tmp / "hc"
    root.mkdir()
    (root / "cells.md").write_text(DECK, encoding="utf-8")
    con = sqlite3.connect(root / "hashcards.db")
    con.executescript(SCHEMA)
    base = datetime.now().replace(microsecond=0) - timedelta(days=days_ago)
    history = {  # hash -> (grade, reviewed_at, interval_days) in order
        RIBOSOME: [("good", 0, 3), ("good", 3, 9)],
        NUCLEUS: [("forgot", 0, 1), ("hard", 1, 2), ("easy", 3, 12)],
        DNA: [("good", 0, 4)],
        ZERO: [("good", 0, 2), ("forgot", 2, 1)],
        ORPHAN: [("good", 0, 5)],
    }
    rows: dict[str, list[tuple[str, str, int]]] = {}
    con.execute("insert into sessions (started_at, ended_at) values (?, ?)", (base.isoformat(), base.isoformat()))
    for h, revs in history.items():
        con.execute("insert into cards (card_hash, added_at, review_count) values (?, ?, ?)",
                    (h, base.strftime("%Y-%m-%dT%H:%M:%S.000"), len(revs)))
        for grade, day, ivl in revs:
            at = base + timedelta(days=day, minutes=5)
            stamp = at.strftime("%Y-%m-%dT%H:%M:%S.") + "250"
            due = (at.date() + timedelta(days=ivl)).isoformat()
            con.execute("insert into reviews (session_id, card_hash, reviewed_at, grade, stability, difficulty,"
                        " interval_raw, interval_days, due_date) values (1, ?, ?, ?, ?, 5.2, ?, ?, ?)",
                        (h, stamp, grade, ivl + 0.5, float(ivl), ivl, due))
            rows.setdefault(h, []).append((grade, due, ivl))
    con.commit()
    con.close()
    return root, rows


def _db(home: Path) -> sqlite3.Connection:
    return sqlite3.connect(home / "studyllm.db")


def test_the_hashes_are_hashcards_own():
    from studyllm.store.hashcards import parse_hashcards

    cards = parse_hashcards(DECK)
    assert [(c.line, c.index, c.hash) for c in cards] == [
        (5, 0, RIBOSOME), (9, 0, NUCLEUS), (9, 1, DNA),
        (13, 0, _basic("What does the Golgi apparatus do?", "")),
        (16, 0, ZERO), (18, 0, _basic("Never reviewed?", "Right."))]
    # an image's brackets are not a deletion; a cloze needs one
    (img,) = parse_hashcards("C: ![cell](cell.png) shows [mitochondria].\n")
    assert img.hash == _cloze("![cell](cell.png) shows mitochondria.", 24, 35)
    with pytest.raises(ValueError, match="line 2"):
        parse_hashcards("Q: a\nQ: b\n")


# hashcards' own parser tests (src/parser.rs, assert_cloze): input, text without brackets, deletions
CLOZE_VECTORS = [
    ("C: Foo [bar] baz.", "Foo bar baz.", [(4, 6)]),
    ("C: Foo [bar] baz [quux].", "Foo bar baz quux.", [(4, 6), (12, 15)]),
    ("C: Foo [bar] ![](image.jpg) [quux].", "Foo bar ![](image.jpg) quux.", [(4, 6), (23, 26)]),
    ("C: Key: [`\\[`]", "Key: `[`", [(5, 7)]),
    ("C: \\[markdown\\] [`\\[cloze\\]`]", "[markdown] `[cloze]`", [(11, 19)]),
    ("C: [foo]\n[bar]\nbaz.", "foo\nbar\nbaz.", [(0, 2), (4, 6)]),
    ("C:\nBuild something people want in Lisp.\n\n\u2014 [Paul Graham], [_Hackers and Painters_]\n\n",
     "Build something people want in Lisp.\n\n\u2014 Paul Graham, _Hackers and Painters_", [(42, 52), (55, 76)]),
    ("C: The notation [$n!$] means 'n factorial'.", "The notation $n!$ means 'n factorial'.", [(13, 16)]),
    ("C: [foo]\n---\nC: [bar]", None, None),
]


@pytest.mark.parametrize(("deck", "text", "deletions"), CLOZE_VECTORS)
def test_cloze_hashes_match_hashcards_own_parser_tests(deck, text, deletions):
    from studyllm.store.hashcards import parse_hashcards

    got = [c.hash for c in parse_hashcards(deck)]
    if text is None:  # two blocks split by a separator: "foo" and "bar", each (0, 2)
        assert got == [_cloze("foo", 0, 2), _cloze("bar", 0, 2)]
    else:
        assert got == [_cloze(text, a, b) for a, b in deletions]


def test_a_hashcards_folder_arrives_with_its_history(tmp_path, capsys):
    root, rows = _collection(tmp_path)
    home = tmp_path / "home"
    assert main(["--home", str(home), "import", str(root)]) == 0
    out = capsys.readouterr().out
    assert "hashcards history: 4 card(s) matched, 8 review(s) imported (0 already there), 4 schedule(s)" in out
    assert "1 reviewed card(s) of hashcards.db are in no deck file" in out
    con = _db(home)
    got = {}
    for front, variant, queue, reps, ivl, due, reviews, lapses in con.execute(
            "SELECT c.front, c.variant, s.queue, s.repetitions, s.interval, s.due_day, s.reviews, s.lapses"
            " FROM card c JOIN card_state s ON s.card_id = c.id"):
        got[(front.split("\n")[0], variant)] = (queue, reps, ivl, due, reviews, lapses)
    ribosome = got[("What does the ribosome", "")]
    nucleus = got[("The [...] holds the cell's DNA.", "d1")]
    dna = got[("The nucleus holds the cell's [...].", "d2")]
    zero = got[("Arrays use \\[i\\] and [...] based indexing.", "d1")]
    assert ribosome == (2, 2, 9, rows[RIBOSOME][-1][1], 2, 0)
    assert nucleus == (2, 2, 12, rows[NUCLEUS][-1][1], 3, 0)
    assert dna == (1, 1, 4, rows[DNA][-1][1], 1, 0)
    assert zero == (1, 0, 1, rows[ZERO][-1][1], 2, 1)
    assert got[("Never reviewed?", "")][4] == 0
    log = con.execute("SELECT uid, grade, kind, interval_after, due_after FROM review_log ORDER BY uid").fetchall()
    assert len(log) == 8 and all(u.startswith("hashcards:") for u, *_ in log)
    assert sorted(g for _, g, *_ in log) == sorted([4, 4, 2, 3, 5, 4, 4, 2])  # forgot/hard/good/easy -> 2/3/4/5
    assert {u.split(":")[1] for u, *_ in log} == {RIBOSOME, NUCLEUS, DNA, ZERO}
    con.close()
    # again: nothing doubles
    assert main(["--home", str(home), "import", "--json", str(root)]) == 0
    again = json.loads(capsys.readouterr().out)["hashcards"][0]
    assert (again["reviews_imported"], again["reviews_known"], again["cards_matched"]) == (0, 8, 4)
    con = _db(home)
    assert con.execute("SELECT count(*) FROM review_log").fetchone()[0] == 8
    assert con.execute("SELECT count(*) FROM card WHERE archived = 0").fetchone()[0] == 5  # the stub is no card
    con.close()


def test_a_card_answered_here_since_keeps_its_studyllm_state(tmp_path, capsys):
    root, _ = _collection(tmp_path)
    home = tmp_path / "home"
    assert main(["--home", str(home), "import", str(root)]) == 0
    con = _db(home)
    (card_id,) = con.execute("SELECT id FROM card WHERE front LIKE 'What does the ribosome%'").fetchone()
    con.close()
    from studyllm.store import Store

    store = Store.open(home)
    try:
        store.answer(card_id, 5)  # answered in studyllm, after hashcards' last review
        with store.database.connect() as c:
            ours = c.execute("SELECT interval, due_day FROM card_state WHERE card_id = ?", (card_id,)).fetchone()
    finally:
        store.close()
    assert ours[0] != 9  # the SM-2 step from hashcards' 9 days
    assert main(["--home", str(home), "import", str(root)]) == 0
    con = _db(home)
    assert con.execute("SELECT interval, due_day FROM card_state WHERE card_id = ?", (card_id,)).fetchone() == ours
    assert con.execute("SELECT count(*) FROM review_log WHERE card_id = ?", (card_id,)).fetchone()[0] == 3
    con.close()


def test_a_damaged_hashcards_db_changes_nothing(tmp_path, capsys):
    root, _ = _collection(tmp_path)
    (root / "hashcards.db").write_bytes(b"SQLite format 3\x00 but cut short")
    home = tmp_path / "home"
    assert main(["--home", str(home), "import", str(root)]) == 2
    err = capsys.readouterr().err
    assert "hashcards.db" in err and "nothing imported" in err and "Traceback" not in err
    if (home / "studyllm.db").exists():
        con = _db(home)
        assert con.execute("SELECT count(*) FROM card").fetchone()[0] == 0
        con.close()


def test_a_database_that_is_not_hashcards_is_refused(tmp_path, capsys):
    root = tmp_path / "hc"
    root.mkdir()
    (root / "d.md").write_text("Q: a\nA: b\n")
    sqlite3.connect(root / "hashcards.db").executescript("create table reviews (x); ")
    assert main(["--home", str(tmp_path / "home"), "import", str(root)]) == 2
    assert "not a hashcards database" in capsys.readouterr().err


def test_without_blake3_the_message_says_what_to_install(tmp_path, capsys, monkeypatch):
    root, _ = _collection(tmp_path)
    monkeypatch.setitem(sys.modules, "blake3", None)  # import blake3 -> ModuleNotFoundError
    assert main(["--home", str(tmp_path / "home"), "import", str(root)]) == 2
    err = capsys.readouterr().err
    assert "pip install 'studyllm[hashcards]'" in err and "Traceback" not in err


@pytest.mark.slow
def test_a_hashcards_folder_through_the_real_command(tmp_path):
    """The installed ``studyllm`` in a subprocess: import the folder, its history and schedules
    arrive (``due`` counts the cards hashcards has due), export it to Anki, import again."""
    import os
    import shutil
    import subprocess

    beside = Path(sys.executable).parent / "studyllm"  # this venv's command first (PATH may hold a stale shim)
    exe = str(beside) if beside.is_file() else (shutil.which("studyllm") or "")
    if not exe or not os.access(exe, os.X_OK):
        pytest.skip("the studyllm command is not installed")
    root, rows = _collection(tmp_path, days_ago=30)
    env = {**os.environ, "STUDYLLM_HOME": str(tmp_path / "home")}

    def run(*args: str) -> str:
        done = subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        return done.stdout

    out = run("import", str(root))
    assert "4 card(s) matched, 8 review(s) imported (0 already there), 4 schedule(s) taken over" in out
    due_dates = [revs[-1][1] for h, revs in rows.items() if h != ORPHAN]
    expect_due = sum(d <= date.today().isoformat() for d in due_dates)
    decks = json.loads(run("due", "--json", "--no-sync"))["decks"]
    (ours,) = [d for d in decks if d["title"] == "Cell biology"]
    assert ours["review"] == expect_due == 4  # 30 days on, every last interval has run out
    assert ours["learning"] == 2  # the two cards with one success since their last lapse
    run("export", "--format", "apkg", "--no-sync", "-o", str(tmp_path / "cells.apkg"))
    assert (tmp_path / "cells.apkg").stat().st_size > 0
    again = json.loads(run("import", "--json", str(root)))["hashcards"][0]
    assert (again["reviews_imported"], again["reviews_known"]) == (0, 8)


def test_a_dry_run_says_what_hashcards_db_holds_and_changes_nothing(tmp_path, capsys):
    root, _ = _collection(tmp_path)
    home = tmp_path / "home"
    assert main(["--home", str(home), "import", "--dry-run", str(root)]) == 0
    assert "hashcards.db holds 9 review(s) of 5 card(s)" in capsys.readouterr().out
    con = _db(home)
    assert con.execute("SELECT count(*) FROM review_log").fetchone()[0] == 0
    con.close()


def test_in_fsrs_mode_hashcards_own_fsrs_state_comes_along(tmp_path, capsys):
    from studyllm.store import Store

    root, rows = _collection(tmp_path)
    home = tmp_path / "home"
    store = Store.open(home)
    store.set_setting("scheduler", "fsrs")
    store.close()
    assert main(["--home", str(home), "import", str(root)]) == 0
    assert "4 schedule(s) taken over, 4 with their FSRS state" in capsys.readouterr().out
    con = _db(home)
    got = {front.split("\n")[0]: (json.loads(raw), queue, due) for front, raw, queue, due in con.execute(
        "SELECT c.front, s.fsrs_state, s.queue, s.due_day FROM card c JOIN card_state s ON s.card_id = c.id"
        " WHERE s.reviews > 0")}
    con.close()
    fs, queue, due = got["What does the ribosome"]
    assert (fs["stability"], fs["difficulty"], fs["phase"], queue) == (9.5, 5.2, 2, 2)  # the last review's
    from studyllm.clock import study_day

    store = Store.open(home)
    zone, rollover = store.clock.zone(), store.setting("rollover_hour")
    store.close()
    assert study_day(datetime.fromisoformat(fs["due"]), zone, rollover).isoformat() == due == rows[RIBOSOME][-1][1]
    assert all(q == 2 for _, q, _ in got.values())


def test_a_card_studyllm_reads_differently_gets_no_history(tmp_path, capsys):
    root = tmp_path / "hc"
    root.mkdir()
    # studyllm reads a lone "?" line as its multi-line separator: front "Q: Which one", back "A: c"
    (root / "odd.md").write_text("Q: Which one\n?\nA: c\n")
    h = _basic("Which one\n?", "c")
    con = sqlite3.connect(root / "hashcards.db")
    con.executescript(SCHEMA)
    con.execute("insert into sessions (started_at, ended_at) values ('x', 'y')")
    con.execute("insert into cards (card_hash, added_at, review_count) values (?, 'x', 1)", (h,))
    con.execute("insert into reviews (session_id, card_hash, reviewed_at, grade, stability, difficulty, interval_raw,"
                " interval_days, due_date) values (1, ?, '2026-11-01T10:00:00.000', 'good', 3, 5, 3, 3, '2026-11-04')",
                (h,))
    con.commit()
    con.close()
    assert main(["--home", str(tmp_path / "home"), "import", str(root)]) == 0
    out = capsys.readouterr().out
    assert "0 card(s) matched, 0 review(s) imported" in out
    assert "odd.md:1: studyllm reads this card differently from hashcards" in out and "another question" in out


# -- hostile hashcards.db values (session 28) --------------------------------------------------------------


@pytest.mark.parametrize("column,value", [
    ("review_id", "x"),  # int('x'): a traceback
    ("reviewed_at", "0001-01-01T00:00:00.000"),  # a study day before year 1: OverflowError
    ("reviewed_at", "9999-12-31T23:59:59.999"),  # later read back by `sched evaluate`: OverflowError
    ("due_date", "9999-12-31"),
    ("interval_days", 2**62),  # stored as the card's interval
    ("interval_days", 1e300),  # int(1e300) does not fit SQLite: OverflowError
], ids=["id-text", "year-1", "year-9999", "due-9999", "interval-2**62", "interval-1e300"])
def test_an_out_of_range_hashcards_review_is_refused_and_nothing_is_imported(tmp_path, capsys, column, value):
    root, _ = _collection(tmp_path)
    con = sqlite3.connect(root / "hashcards.db")
    # hashcards' own tables are STRICT; a hand-made (or other tool's) database need not be
    con.executescript("CREATE TABLE loose AS SELECT * FROM reviews; DROP TABLE reviews;"
                      " ALTER TABLE loose RENAME TO reviews;")
    con.execute(f"UPDATE reviews SET {column} = ? WHERE rowid = (SELECT min(rowid) FROM reviews)", (value,))
    con.commit()
    con.close()
    home = tmp_path / "home"
    assert main(["--home", str(home), "import", str(root)]) == 2
    err = capsys.readouterr().err
    assert "is damaged" in err and "nothing imported" in err and "Traceback" not in err
    con = _db(home)
    assert con.execute("SELECT count(*) FROM review_log").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM deck WHERE source_path LIKE ?", (f"{root}%",)).fetchone()[0] == 0
    con.close()


def test_a_compact_due_date_is_stored_in_the_iso_form(tmp_path, capsys):
    """``date.fromisoformat`` reads ``20250104``; stored raw, it sorted before every ISO day."""
    root, rows = _collection(tmp_path)
    con = sqlite3.connect(root / "hashcards.db")
    con.execute("UPDATE reviews SET due_date = replace(due_date, '-', '')")
    con.commit()
    con.close()
    home = tmp_path / "home"
    assert main(["--home", str(home), "import", str(root)]) == 0
    con = _db(home)
    days = {d for (d,) in con.execute("SELECT due_day FROM card_state WHERE due_day IS NOT NULL")}
    days |= {d for (d,) in con.execute("SELECT due_after FROM review_log")}
    con.close()
    assert days and all(date.fromisoformat(d).isoformat() == d for d in days)
