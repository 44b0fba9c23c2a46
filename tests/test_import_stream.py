"""The streamed first import of a new deck (``importer._import_new_streamed``) stores exactly
what the whole-file import stores (every column of deck, card and card_state, and the same
report), and leaves to the whole-file import what it cannot do the same way, with nothing
of its own left behind."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from studyllm.decks import _limits
from studyllm.decks import parser as parser_module
from studyllm.store import Store
from studyllm.store import importer as importer_module
from studyllm.store.importer import import_paths, report_dict

MIXED = """---
title: Mixed deck
id: mixed
tags: [t1, t2]
new_per_day: 7
---
# Mixed deck

Q: What is `x`?
A: It is ``a `b` c``.

## Part 1

Capital :: Paris
Big ::: 大

The {{c1::Eiffel tower}} is in {{c2::Paris}}.

Q: one
A: answer that runs

over a blank line

C: The [dot product] measures [alignment].

What happens?
?
Uniform.

Q: dup
A: dup

Q: dup
A: dup

### Deeper #

Q: (in order) steps
A: not a list

A: stray answer
"""


def generated(n: int) -> str:
    parts = ["# Generated\n"]
    for i in range(n):
        if i % 40 == 0:
            parts.append(f"## Section {i // 40}\n")
        if i % 3 == 0:
            parts.append(f"Q: question {i} about `code {i}` and 注意力 {i}?\nA: answer {i}, with $x_{i}$.\n")
        elif i % 3 == 1:
            parts.append(f"term {i} :: meaning {i}\n")
        else:
            parts.append(f"The value {{{{c1::{i}}}}} follows {{{{c2::{i - 1}}}}}.\n")
    return "\n".join(parts)


def dump(home: Path) -> dict[str, list[tuple]]:
    conn = sqlite3.connect(home / "studyllm.db")
    try:
        return {table: conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()
                for table in ("deck", "card", "card_state")}
    finally:
        conn.close()


def run_import(tmp: Path, files: dict[str, str], clock, *, stream: bool, monkeypatch) -> tuple[dict, dict, int]:
    decks = tmp / "decks"
    decks.mkdir(parents=True)
    for name, text in files.items():
        (decks / name).write_text(text, encoding="utf-8")
    calls = []
    real = importer_module._import_new_streamed

    def spy(*args, **kwargs):
        out = real(*args, **kwargs)
        calls.append(out is not None)
        return out

    monkeypatch.setattr(importer_module, "_import_new_streamed", spy if stream else (lambda *a, **k: None))
    store = Store.open(tmp / "home", clock=clock)
    try:
        report = report_dict(import_paths(store, [decks]))
    finally:
        store.close()
    monkeypatch.setattr(importer_module, "_import_new_streamed", real)
    report = json.loads(json.dumps(report).replace(str(tmp.resolve()), "<tmp>").replace(str(tmp), "<tmp>"))
    rows = dump(tmp / "home")
    rows["deck"] = [(r[0], r[1], r[2], Path(r[3]).name, *r[4:]) for r in rows["deck"]]
    return report, rows, sum(calls)


FILES = {"a-mixed.md": MIXED, "b-generated.md": generated(700), "c-small.md": "Q: one?\nA: two\n\nx :: y\n",
         "d-list.md": "Q: a\nA: b\n\n- a list: the whole-file import\n", "e-none.md": "no cards here\n"}


@pytest.mark.parametrize("batch", [1, 50, 2000])
def test_streamed_import_stores_what_the_whole_file_import_stores(tmp_path, clock, monkeypatch, batch):
    monkeypatch.setattr(parser_module, "STREAM_BATCH", batch)
    monkeypatch.setattr(parser_module, "STREAM_CHUNK_BYTES", 512)
    streamed = run_import(tmp_path / "s", FILES, clock, stream=True, monkeypatch=monkeypatch)
    whole = run_import(tmp_path / "w", FILES, clock, stream=False, monkeypatch=monkeypatch)
    assert streamed[2] == 3  # mixed, generated and small streamed; the list and the empty deck did not
    assert streamed[0] == whole[0]
    assert streamed[1] == whole[1]
    assert len(streamed[1]["card"]) > 700


def test_streamed_import_then_reimport(tmp_path, clock, monkeypatch):
    """The deck a stream stored is an ordinary deck: the same file again is skipped as
    unchanged, and an edited file is matched card by card."""
    monkeypatch.setattr(parser_module, "STREAM_BATCH", 16)
    deck = tmp_path / "g.md"
    deck.write_text(generated(200), encoding="utf-8")
    store = Store.open(tmp_path / "home", clock=clock)
    try:
        first = import_paths(store, [deck])
        n = first.totals()["new"]
        assert n == 266  # 67 Q/A cards, 67 inline ones and 66 cloze notes of two cards
        again = import_paths(store, [deck])
        assert again.decks[0].skipped and again.decks[0].unchanged == n
        deck.write_text(generated(200).replace("answer 3,", "answer three,"), encoding="utf-8")
        edited = import_paths(store, [deck])
        t = edited.totals()
        assert (t["new"], t["updated"], t["unchanged"], t["archived"]) == (0, 1, n - 1, 0)
    finally:
        store.close()


def _import_past_the_card_limit(tmp_path, clock, monkeypatch):
    """A 40-card deck streamed 5 cards a batch into ``tmp_path/home`` where a file may hold 30:
    the error is found after several batches were written. Returns the import's report."""
    monkeypatch.setattr(parser_module, "STREAM_BATCH", 5)
    monkeypatch.setattr(_limits, "MAX_CARDS", 30)
    deck = tmp_path / "big.md"
    deck.write_text(generated(40), encoding="utf-8")
    store = Store.open(tmp_path / "home", clock=clock)
    try:
        return import_paths(store, [deck])
    finally:
        store.close()


def test_a_late_file_error_rolls_back_what_the_stream_wrote(tmp_path, clock, monkeypatch):
    """Too many cards, found after several batches were written: nothing of the file is
    stored, and the report is the whole-file import's error."""
    report = _import_past_the_card_limit(tmp_path, clock, monkeypatch)
    assert report.errors and "more than 30 cards" in str(report.errors[0])
    rows = dump(tmp_path / "home")
    assert rows["card"] == [] and rows["card_state"] == [] and rows["deck"] == []


def test_a_stored_deck_takes_the_whole_file_import(tmp_path, clock, monkeypatch):
    deck = tmp_path / "g.md"
    deck.write_text(generated(30), encoding="utf-8")
    store = Store.open(tmp_path / "home", clock=clock)
    calls = []
    real = importer_module._import_new_streamed
    monkeypatch.setattr(importer_module, "_import_new_streamed",
                        lambda *a, **k: calls.append(out := real(*a, **k)) or out)
    try:
        n = import_paths(store, [deck]).totals()["new"]
        deck.write_text(generated(31), encoding="utf-8")  # one more (Q/A) card
        report = import_paths(store, [deck])
    finally:
        store.close()
    # the edit is read through the segment table the streamed import left (or the whole file): never streamed
    assert calls[0] is not None and all(out is None for out in calls[1:])
    assert report.totals()["new"] == 1 and report.totals()["unchanged"] == n


def test_a_deck_whose_file_is_gone_may_continue_in_the_new_file(tmp_path, clock, monkeypatch):
    """A renamed file: the whole-file import finds the deck it continues (not a new deck)."""
    old = tmp_path / "old.md"
    old.write_text(generated(30), encoding="utf-8")
    store = Store.open(tmp_path / "home", clock=clock)
    try:
        import_paths(store, [old])
        new = tmp_path / "new.md"
        old.rename(new)
        report = import_paths(store, [new])
    finally:
        store.close()
    assert report.decks[0].moved_from.endswith("old.md")
    assert report.totals()["new"] == 0


def test_card_changes_reads_and_changes_like_a_list():
    from studyllm.store.importer import CardChange, CardChanges

    compact = CardChanges("d.md")
    plain: list = []
    for i in range(5):
        hashes = ("h", "n") if i == 2 else None
        compact.add_new(10 + i, f"front {i}", f"uid{i}", hashes)
        plain.append(CardChange("new", "d.md", 10 + i, f"front {i}", f"uid{i}", hashes=hashes or ("", "")))
    assert compact == plain and len(compact) == 5 and compact[-1] == plain[-1] and compact[1:3] == plain[1:3]
    assert [c.hashes for c in compact] == [("", ""), ("", ""), ("h", "n"), ("", ""), ("", "")]
    moved = CardChange("moved", "d.md", 11, "front 1", "old", layer="other file")
    compact[1] = moved
    plain[1] = moved
    compact.append(CardChange("archived", "d.md", 3, "gone", "uid9"))
    plain.append(CardChange("archived", "d.md", 3, "gone", "uid9"))
    compact.add_new(20, "late", "uid10", None)
    plain.append(CardChange("new", "d.md", 20, "late", "uid10"))
    assert compact == plain and [c.action for c in compact] == [c.action for c in plain]
    del compact[0]
    del plain[0]
    assert compact == plain and list(compact) == plain


def schema(home: Path) -> list[tuple]:
    conn = sqlite3.connect(home / "studyllm.db")
    try:
        return conn.execute("SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name").fetchall()
    finally:
        conn.close()


def test_a_bulk_first_import_builds_the_indexes_after_the_rows(tmp_path, clock, monkeypatch):
    """Into an empty card table, the stream drops the card and card_state indexes and makes them
    again once the rows are in: the same rows and report, and the same schema as a new home's."""
    made = []
    real = importer_module.defer_indexes
    monkeypatch.setattr(importer_module, "defer_indexes", lambda *a: made.append(real(*a)) or made[-1])
    monkeypatch.setattr(importer_module, "BULK_INDEX_AFTER", 1)
    monkeypatch.setattr(parser_module, "STREAM_BATCH", 50)
    fresh = Store.open(tmp_path / "fresh", clock=clock)
    fresh.close()
    streamed = run_import(tmp_path / "s", FILES, clock, stream=True, monkeypatch=monkeypatch)
    assert made and len(made[0]) == 0  # handed back to restore_indexes, which made them all again
    whole = run_import(tmp_path / "w", FILES, clock, stream=False, monkeypatch=monkeypatch)
    assert streamed[0] == whole[0]
    assert streamed[1] == whole[1]
    assert schema(tmp_path / "s" / "home") == schema(tmp_path / "fresh")
    names = {row[1] for row in schema(tmp_path / "fresh") if row[0] == "index"}
    assert {"ix_card_content_hash", "ix_card_norm_hash", "ix_state_queue_position"} <= names


def test_only_an_empty_card_table_defers_its_indexes(tmp_path, clock, monkeypatch):
    calls = []
    monkeypatch.setattr(importer_module, "defer_indexes", lambda *a: calls.append(a) or [])
    monkeypatch.setattr(importer_module, "BULK_INDEX_AFTER", 1)
    (tmp_path / "a.md").write_text(generated(30), encoding="utf-8")
    (tmp_path / "b.md").write_text(generated(30).replace("# Generated", "# Other"), encoding="utf-8")
    store = Store.open(tmp_path / "home", clock=clock)
    try:
        import_paths(store, [tmp_path / "a.md"])
        import_paths(store, [tmp_path / "b.md"])
    finally:
        store.close()
    assert len(calls) == 1  # the first deck only: the second one's table has rows


def test_a_late_error_after_the_indexes_were_dropped_keeps_them(tmp_path, clock, monkeypatch):
    monkeypatch.setattr(importer_module, "BULK_INDEX_AFTER", 1)
    Store.open(tmp_path / "fresh", clock=clock).close()
    report = _import_past_the_card_limit(tmp_path, clock, monkeypatch)
    assert report.errors and "more than 30 cards" in str(report.errors[0])
    assert dump(tmp_path / "home")["card"] == []
    assert schema(tmp_path / "home") == schema(tmp_path / "fresh")


def test_defer_indexes_keeps_unique_ones(tmp_path, clock):
    from studyllm.store.db import defer_indexes, restore_indexes, write_tx

    store = Store.open(tmp_path / "home", clock=clock)
    try:
        with write_tx(store.database) as conn:
            conn.execute("CREATE UNIQUE INDEX ix_test_unique ON card (line, position)")
        with write_tx(store.database) as conn:
            dropped = defer_indexes(conn, ("card",))
            left = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'"
                                               " AND tbl_name = 'card'")}
            restore_indexes(conn, dropped)
    finally:
        store.close()
    assert "ix_test_unique" in left and "ix_card_content_hash" not in left
    assert not dropped


def test_card_changes_extend_new_is_add_new_per_card():
    from studyllm.store.importer import CardChange, CardChanges

    one, batch = CardChanges("d.md"), CardChanges("d.md")
    for start in (0, 3):
        lines, fronts, uids = [start + 1, start + 2, start + 3], [f"f{start}", "g", "h"], [f"u{start}", "v", "w"]
        kept = {1: ("c", "n")}
        for k in range(3):
            one.add_new(lines[k], fronts[k], uids[k], kept.get(k))
        batch.extend_new(lines, fronts, uids, kept)
    assert batch == one and [c.hashes for c in batch] == [c.hashes for c in one]
    assert batch[4].hashes == ("c", "n")
    one.append(CardChange("archived", "d.md", 3, "gone", "x"))
    batch.append(CardChange("archived", "d.md", 3, "gone", "x"))
    one.add_new(9, "late", "y", ("a", "b"))
    batch.extend_new([9], ["late"], ["y"], {0: ("a", "b")})
    assert batch == one and [c.hashes for c in batch] == [c.hashes for c in one]
