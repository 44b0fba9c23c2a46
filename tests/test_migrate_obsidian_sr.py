"""obsidian-SR `<!--SR:!due,interval,ease-->` comments give a new card its starting schedule once,
with one review-log row marked migrated; later imports ignore them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from studyllm.decks.parser import parse_deck
from studyllm.store import Store
from studyllm.store.importer import import_paths

DECK = """# Vault notes

softmax of equal logits::uniform <!--SR:!2026-12-10,12,250-->

Large:::big <!--SR:!2026-12-05,4,230!2026-12-20,20,270-->

What does attention compare?
?
Queries with keys.
<!--SR:!2026-12-08,6,210-->

never reviewed::no comment
"""


def test_the_parser_carries_each_cards_schedule():
    cards = parse_deck(DECK, "vault.md").cards
    got = {(c.front, c.variant): c.schedule for c in cards}
    assert got[("softmax of equal logits", "")] == ("2026-12-10", 12, 250)
    assert got[("Large", "")] == ("2026-12-05", 4, 230)
    assert got[("big", "reverse")] == ("2026-12-20", 20, 270)
    assert got[("What does attention compare?", "")] == ("2026-12-08", 6, 210)
    assert got[("never reviewed", "")] is None


def test_import_takes_over_the_schedules_once(tmp_path):
    deck = tmp_path / "vault.md"
    deck.write_text(DECK)
    store = Store.open(tmp_path / "home")
    try:
        report = import_paths(store, [deck])
        assert report.decks[0].migrated == 4
        assert "4 obsidian-SR schedule(s) taken over" in report.decks[0].summary()
        con = sqlite3.connect(tmp_path / "home" / "studyllm.db")
        rows = dict(((f, v), (d, i, e, r)) for f, v, d, i, e, r in con.execute(
            "SELECT c.front, c.variant, s.due_day, s.interval, s.ef_centi, s.reviews FROM card c"
            " JOIN card_state s ON s.card_id = c.id"))
        assert rows[("big", "reverse")] == ("2026-12-20", 20, 270, 1)
        assert rows[("never reviewed", "")] == (None, 0, 250, 0)
        logs = con.execute("SELECT uid, day, grade FROM review_log ORDER BY uid").fetchall()
        assert len(logs) == 4 and all(u.startswith("obsidian-sr:") for u, _, _ in logs)
        assert ("2026-11-28" in {d for _, d, _ in logs})  # 2026-12-10 minus 12 days
        con.close()
        deck.write_text(DECK + "\nanother::card\n")
        again = import_paths(store, [deck])
        assert again.decks[0].migrated == 0 and again.decks[0].new == 1
        con = sqlite3.connect(tmp_path / "home" / "studyllm.db")
        assert con.execute("SELECT count(*) FROM review_log").fetchone()[0] == 4
        con.close()
    finally:
        store.close()


VAULT = """\
---
tags: [flashcards]
---
# Attention #flashcards

Softmax of equal logits::uniform <!--SR:!{past1},12,250-->

Query:::the vector that looks for matches <!--SR:!{past2},4,230!{future1},20,270-->

What does attention compare?
?
Queries with keys.
<!--SR:!{future2},30,210-->

The ==softmax== turns scores into ==weights==.
<!--SR:!{past3},3,250!{future3},40,290-->

A card never reviewed::no comment
"""


@pytest.mark.slow
def test_an_obsidian_sr_vault_through_the_real_command(tmp_path):
    """The installed ``studyllm`` in a subprocess: import a vault written as obsidian-SR writes
    it, see the schedules taken over in the report and the due counts, and import again."""
    import json
    import os
    import shutil
    import subprocess
    import sys
    from datetime import date, timedelta

    beside = Path(sys.executable).parent / "studyllm"  # this venv's command first (PATH may hold a stale shim)
    exe = str(beside) if beside.is_file() else (shutil.which("studyllm") or "")
    if not exe or not os.access(exe, os.X_OK):
        pytest.skip("the studyllm command is not installed")
    today = date.today()
    days = {"past1": -12, "past2": -7, "past3": -2, "future1": 18, "future2": 28, "future3": 34}
    vault = tmp_path / "vault"
    vault.mkdir()
    (vault / "Attention.md").write_text(VAULT.format(**{k: (today + timedelta(d)).isoformat()
                                                        for k, d in days.items()}))
    home = str(tmp_path / "home")
    env = {**os.environ, "STUDYLLM_HOME": home}

    def run(*args: str) -> str:
        done = subprocess.run([exe, *args], capture_output=True, text=True, env=env, timeout=120)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr
        return done.stdout

    out = run("import", str(vault))
    assert "7 new" in out and "6 obsidian-SR schedule(s) taken over" in out
    due = {d["key"]: d for d in json.loads(run("due", "--json", "--no-sync"))["decks"]}
    (ours,) = [d for d in due.values() if d["title"].startswith("Attention")]
    assert (ours["review"], ours["new"]) == (3, 1)  # the three past due dates; the card without a comment
    again = json.loads(run("import", "--json", str(vault)))
    assert again["totals"]["migrated"] == 0 and again["totals"]["unchanged"] == 7


def test_a_hand_edited_sr_comment_gives_no_schedule_a_card_cannot_have(tmp_path):
    """``!9999-12-31,999999,9999`` was taken: a review in the year 7262 and an interval of 999,999
    days (36,500 is the longest studyllm schedules). Now a due day outside the years 1970-9998 (or a
    last review before 1970) leaves the card new, and an interval is at most 36,500 days."""
    from studyllm.store import Store
    from studyllm.store.importer import import_paths

    deck = tmp_path / "sr.md"
    deck.write_text("far::future <!--SR:!9999-12-31,999999,9999-->\n\n"
                    "old::past <!--SR:!1971-01-01,999,250-->\n\n"
                    "long::interval <!--SR:!2090-01-01,36525,250-->\n", encoding="utf-8")
    store = Store.open(tmp_path / "home")
    try:
        report = import_paths(store, [deck])
        assert report.ok
        with store.database.connect() as conn:
            rows = {f: (i, d, n) for f, i, d, n in conn.execute(
                "SELECT c.front, s.interval, s.due_day, s.reviews FROM card c JOIN card_state s ON s.card_id = c.id"
                " JOIN deck k ON k.id = c.deck_id WHERE k.key = 'sr'")}
            years = [int(at[:4]) for (at,) in conn.execute("SELECT reviewed_at FROM review_log")]
    finally:
        store.close()
    assert rows["far"][1:] == (None, 0) and rows["old"][1:] == (None, 0)
    assert rows["long"] == (36_500, "2090-01-01", 1)
    assert years and all(1970 <= y <= 2100 for y in years)
