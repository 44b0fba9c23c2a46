"""Possible rewrites, link/unlink, tracked sources, and files with skipped cards."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studyllm.cli import main
from studyllm.decks.model import DeckError, ParsedCard, ParsedDeck
from studyllm.store.importer import import_parsed, import_paths, sync_folders
from studyllm.store.links import LinkError, find_card, link, unlink

TEXT = "# Dup\n\nQ: What is it?\nA: The first answer about attention heads.\n\nQ: What is it?\nA: A second one.\n"
REWRITTEN = TEXT.replace("The first answer about attention heads.", "Something else entirely, 42.")


def _dump(store) -> tuple:
    """Every card, state and log row: what a round trip must give back exactly."""
    with store.database.connect() as conn:
        return tuple(
            tuple(conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall())
            for t in ("card", "card_state", "review_log")
        )


def _answer_first(store, clock, times: int = 3) -> int:
    c = store.next_card()
    assert c is not None
    for _ in range(times):
        store.answer(c.id, 4)
        clock.advance(days=7)
    return c.id


@pytest.fixture
def rewritten(store, clock, tmp_path):
    p = tmp_path / "dup.md"
    p.write_text(TEXT, encoding="utf-8")
    assert import_paths(store, [p]).ok
    old_id = _answer_first(store, clock)
    p.write_text(REWRITTEN, encoding="utf-8")
    r = import_paths(store, [p])
    (rw,) = r.decks[0].rewrites
    assert rw.old_id == old_id and 0.4 <= rw.score < 0.75 and rw.reviews == 3
    return store, rw, p


def test_link_moves_history_and_rebuilds_the_schedule(rewritten):
    store, rw, _ = rewritten
    before = store.card(rw.old_id)
    old, new, n = link(store, rw.old_uid, rw.new_uid)
    assert n == 3
    after = store.card(new.id)
    assert (after.reviews, after.repetitions, after.interval, after.due_day) == (
        before.reviews, before.repetitions, before.interval, before.due_day)
    assert after.queue == 2 and before.queue == -2 and after.front == "What is it?"
    assert after.back == "Something else entirely, 42."
    assert store.card(old.id).reviews == 0 and store.card(old.id).archived
    with store.database.connect() as conn:
        uids = {r[0] for r in conn.execute("SELECT card_uid FROM review_log")}
    assert uids == {rw.new_uid}


def test_link_unlink_round_trip_exactly(rewritten):
    store, rw, _ = rewritten
    start = _dump(store)
    link(store, rw.old_uid, rw.new_uid)
    assert _dump(store) != start
    unlink(store, rw.new_uid)
    assert _dump(store) == start


def test_unlink_after_new_answers_keeps_them_on_the_new_card(rewritten, clock):
    store, rw, _ = rewritten
    link(store, rw.old_uid, rw.new_uid)
    new_id = find_card(store, rw.new_uid).id
    clock.advance(days=30)
    store.answer(new_id, 5)
    unlink(store, rw.new_uid)
    assert store.card(rw.old_id).reviews == 3
    assert store.card(new_id).reviews == 1


def test_link_refuses_what_it_cannot_do(rewritten):
    store, rw, _ = rewritten
    with pytest.raises(LinkError, match="still in its deck file"):
        link(store, rw.new_uid, rw.old_uid)
    with pytest.raises(LinkError, match="no card"):
        link(store, "nope-nope", rw.new_uid)
    with pytest.raises(LinkError, match="not linked"):
        unlink(store, rw.new_uid)
    link(store, rw.old_uid, rw.new_uid)
    with pytest.raises(LinkError, match="already part of a link"):
        link(store, rw.old_uid, rw.new_uid)


def test_import_link_all_links_at_import_and_can_be_undone(store, clock, tmp_path):
    p = tmp_path / "dup.md"
    p.write_text(TEXT, encoding="utf-8")
    import_paths(store, [p])
    old_id = _answer_first(store, clock)
    p.write_text(REWRITTEN, encoding="utf-8")
    r = import_paths(store, [p], link="all")
    d = r.decks[0]
    assert d.linked == 1 and d.rewrites[0].linked
    assert [c.action for c in d.cards if c.action == "linked"] == ["linked"]
    new = find_card(store, d.rewrites[0].new_uid)
    assert store.card(new.id).reviews == 3 and store.card(old_id).reviews == 0
    unlink(store, new.uid)
    assert store.card(old_id).reviews == 3 and store.card(new.id).reviews == 0
    # a linked-away card is not offered again, nor matched on later imports
    link(store, d.rewrites[0].old_uid, new.uid)
    r = import_paths(store, [p], force=True)
    assert not r.decks[0].rewrites and r.decks[0].new == 0


def test_import_link_function_chooses(store, clock, tmp_path):
    p = tmp_path / "dup.md"
    p.write_text(TEXT, encoding="utf-8")
    import_paths(store, [p])
    _answer_first(store, clock)
    p.write_text(REWRITTEN, encoding="utf-8")
    seen = []
    r = import_paths(store, [p], link=lambda rws: seen.extend(rws) or [])
    assert len(seen) == 1 and r.decks[0].linked == 0


def test_dry_run_lists_rewrites_and_changes_nothing(store, clock, tmp_path):
    p = tmp_path / "dup.md"
    p.write_text(TEXT, encoding="utf-8")
    import_paths(store, [p])
    _answer_first(store, clock)
    start = _dump(store)
    p.write_text(REWRITTEN, encoding="utf-8")
    r = import_paths(store, [p], dry_run=True, link="all")
    assert len(r.decks[0].rewrites) == 1 and _dump(store) == start


def test_cli_link_unlink_and_json_report(tmp_path, capsys, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("STUDYLLM_HOME", str(home))
    p = tmp_path / "dup.md"
    p.write_text(TEXT, encoding="utf-8")
    assert main(["import", str(p)]) == 0
    from studyllm.store import Store

    with Store.open(home) as s:
        c = s.next_card()
        s.answer(c.id, 4)
    p.write_text(REWRITTEN, encoding="utf-8")
    capsys.readouterr()
    assert main(["import", "--json", str(p)]) == 0
    out = json.loads(capsys.readouterr().out)
    deck = out["decks"][0]
    assert out["totals"]["possible_rewrites"] == 1
    rw = deck["possible_rewrites"][0]
    assert rw["old"]["back"] == "The first answer about attention heads."
    assert rw["new"]["back"] == "Something else entirely, 42."
    assert {c["action"] for c in deck["cards"]} == {"new", "archived"}
    assert all(c["path"] == str(p) and c["line"] >= 1 for c in deck["cards"])
    assert main(["link", rw["old"]["uid"][:8], rw["new"]["uid"]]) == 0
    assert "Linked: 1 answer(s)" in capsys.readouterr().out
    assert main(["link"]) == 0
    assert f"{rw['old']['uid']} -> {rw['new']['uid']}" in capsys.readouterr().out
    assert main(["unlink", rw["new"]["uid"]]) == 0
    assert main(["unlink", rw["new"]["uid"]]) == 1
    assert "nothing to undo" in capsys.readouterr().err


def test_cli_verbose_lists_cards(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("STUDYLLM_HOME", str(tmp_path / "home"))
    p = tmp_path / "d.md"
    p.write_text("# D\n\nQ: one?\nA: 1\n\nQ: two \x1b[2J?\nA: 2\n", encoding="utf-8")
    assert main(["import", "--verbose", str(p)]) == 0
    out = capsys.readouterr().out
    assert f"new       {p}:3  one?" in out
    assert "\x1b" not in out


def test_cli_link_ask_needs_a_terminal(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("STUDYLLM_HOME", str(tmp_path / "home"))
    p = tmp_path / "d.md"
    p.write_text("Q: one?\nA: 1\n", encoding="utf-8")
    assert main(["import", "--link", str(p)]) == 2
    assert "--link all or --link none" in capsys.readouterr().err


# --------------------------------------------------------------------------- tracked sources


@pytest.fixture(autouse=True)
def _no_shipped_decks(monkeypatch):
    """The start-up scan would add the shipped course decks; these tests count their own cards."""
    monkeypatch.setattr("studyllm.paths.shipped_decks_dir", lambda: None)


def test_imported_file_is_tracked_and_rescanned(store, tmp_path):
    p = tmp_path / "mine.md"
    p.write_text("# Mine\n\nQ: one?\nA: 1\n", encoding="utf-8")
    import_paths(store, [p], track=True)
    p.write_text("# Mine\n\nQ: one?\nA: 1\n\nQ: two?\nA: 2\n", encoding="utf-8")
    r = sync_folders(store)
    assert any(d.new == 1 for d in r.decks)
    from studyllm.store.sources import list_sources

    (src,) = list_sources(store)
    assert (src.path, src.state, src.decks, src.cards) == (str(p.resolve()), "ok", 1, 2)


def test_missing_source_keeps_its_cards_and_comes_back(store, clock, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "a.md").write_text("# A\n\nQ: one?\nA: 1\n\nQ: two?\nA: 2\n", encoding="utf-8")
    import_paths(store, [folder], track=True)
    while (c := store.next_card()) is not None:
        store.answer(c.id, 5)
    start = _dump(store)
    moved = tmp_path / "elsewhere"
    folder.rename(moved)
    r = sync_folders(store)
    assert r.missing == [str(folder.resolve())]
    assert _dump(store) == start  # nothing archived, nothing lost
    from studyllm.store.sources import list_sources

    assert list_sources(store)[0].state == "missing"
    assert sum(d.total for d in store.decks()) == 2
    moved.rename(folder)
    r = sync_folders(store)
    assert not r.missing and _dump(store) == start
    assert list_sources(store)[0].state == "ok"


def test_forget_a_missing_source_archives_its_decks_with_history(store, clock, tmp_path):
    p = tmp_path / "a.md"
    p.write_text("# A\n\nQ: one?\nA: 1\n", encoding="utf-8")
    import_paths(store, [p], track=True)
    c = store.next_card()
    store.answer(c.id, 5)
    p.unlink()
    sync_folders(store)
    from studyllm.store.sources import forget, list_sources

    assert forget(store, p) == (str(p.resolve()), 1)
    assert list_sources(store) == []
    assert store.card(c.id).archived and store.card(c.id).reviews == 1
    p.write_text("# A\n\nQ: one?\nA: 1\n", encoding="utf-8")  # comes back: history with it
    import_paths(store, [p])
    assert not store.card(c.id).archived and store.card(c.id).reviews == 1


def test_renamed_file_takes_over_its_deck(store, clock, tmp_path):
    folder = tmp_path / "notes"
    folder.mkdir()
    a = folder / "old-name.md"
    a.write_text("# A\n\nQ: one?\nA: 1\n\nQ: two?\nA: 2\n", encoding="utf-8")
    import_paths(store, [folder], track=True)
    c = store.next_card()
    store.answer(c.id, 5)
    a.rename(folder / "new-name.md")
    r = sync_folders(store)
    (d,) = [d for d in r.decks if d.path.endswith("new-name.md")]
    assert d.new == 0 and d.moved_from == str(a.resolve())
    assert store.card(c.id).reviews == 1 and not store.card(c.id).archived
    assert sum(x.total for x in store.decks()) == 2


def test_cli_sources_list_and_forget(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("STUDYLLM_HOME", str(tmp_path / "home"))
    p = tmp_path / "d.md"
    p.write_text("Q: one?\nA: 1\n", encoding="utf-8")
    assert main(["import", str(p)]) == 0
    capsys.readouterr()
    assert main(["sources"]) == 0
    out = capsys.readouterr().out
    assert str(p.resolve()) in out and "1 deck(s), 1 card(s)" in out and "ok" in out
    assert main(["sources", "forget", str(p)]) == 0
    assert main(["sources", "forget", str(p)]) == 1
    assert main(["sources", "--json"]) == 0
    assert json.loads(capsys.readouterr().out.split("\n", 2)[-1] or "[]") == []


# --------------------------------------------------------------------------- skipped cards


def test_card_errors_keep_stored_cards(store):
    cards = [ParsedCard("basic", f"q{i}?", f"a{i}", line=3 * i + 1) for i in range(3)]
    d = ParsedDeck(path="s.md", key="s", title="S", cards=cards, content_hash="1")
    assert import_parsed(store, d, source_path="/nowhere/s.md").new == 3
    bad = DeckError("choice list has no correct answer", path="s.md", line=4)
    d2 = ParsedDeck(path="s.md", key="s", title="S", cards=[cards[0], cards[2]], content_hash="2", skipped=[bad])
    r = import_parsed(store, d2, source_path="/nowhere/s.md")
    assert r.ok and r.archived == 0 and r.card_errors == [bad]
    assert any("kept (not archived)" in w.message for w in r.warnings)
    assert "1 card(s) skipped" in r.summary()
    assert sum(x.total for x in store.decks()) == 3
    # once the file reads cleanly, the card really gone is archived
    d3 = ParsedDeck(path="s.md", key="s", title="S", cards=[cards[0], cards[2]], content_hash="3")
    assert import_parsed(store, d3, source_path="/nowhere/s.md").archived == 1


def test_tracked_paths_exist_in_fresh_and_old_databases(tmp_path):
    # a new database gets the tables from schema.sql; an older one from migration step 2 -> 3
    # (tests/test_store_migrations.py checks the upgraded sqlite_master equals a new one's)
    from studyllm.store import migrations
    from studyllm.store.db import schema_statements

    ddl = schema_statements()
    assert all(stmt in ddl for stmt in migrations._V3_TABLES)


def test_json_report_cards_have_the_documented_keys(store, tmp_path):
    p = tmp_path / "x.md"
    p.write_text("Q: a?\nA: b\n", encoding="utf-8")
    r = import_paths(store, [p])
    (c,) = r.decks[0].cards
    assert c.as_dict() == {"action": "new", "path": str(p), "line": 1, "front": "a?", "uid": c.uid}
    assert Path(c.path).name == "x.md"


# --------------------------------------------------------------------------- editing a shipped deck


def _shipped(tmp_path, monkeypatch) -> Path:
    shipped = tmp_path / "pkg" / "decks"
    shipped.mkdir(parents=True)
    (shipped / "01-course.md").write_text(
        "---\nid: course\ntitle: Course\n---\n\nQ: What is a token?\nA: A piece of text.\n", encoding="utf-8")
    monkeypatch.setattr("studyllm.paths.shipped_decks_dir", lambda: shipped)
    return shipped


def test_editing_a_shipped_deck_copies_it_and_the_copy_takes_over(file_store, tmp_path, monkeypatch):
    from studyllm.store.importer import editable_copy

    store = file_store
    shipped = _shipped(tmp_path, monkeypatch)
    sync_folders(store)
    c = store.next_card()
    store.answer(c.id, 5)
    path, copied = editable_copy(store, c.source_path)
    assert copied and path.parent == store.path.parent / "decks" and path.read_bytes() == (
        shipped / "01-course.md").read_bytes()
    assert store.setting("deck_folders") == [str(path.parent)]
    assert store.card(c.id).source_path == str(path.resolve()) and store.card(c.id).reviews == 1
    assert editable_copy(store, store.card(c.id).source_path) == (path, False)  # the copy is edited as is
    # an upgrade changes the shipped file: the copy is not overwritten, the shipped one not read
    (shipped / "01-course.md").write_text(
        "---\nid: course\ntitle: Course v2\n---\n\nQ: What is a token?\nA: A unit of text.\n", encoding="utf-8")
    path.write_text(path.read_text().replace("A piece of text.", "A piece of text (my note)."), encoding="utf-8")
    r = sync_folders(store)
    assert any(d.overridden_by for d in r.decks) and "my note" in path.read_text()
    assert store.card(c.id).back == "A piece of text (my note)." and store.card(c.id).reviews == 1
    assert len(store.decks()) == 1
    # deleting the copy goes back to the shipped deck, history kept
    path.unlink()
    sync_folders(store)
    card = store.card(c.id)
    assert card.back == "A unit of text." and card.reviews == 1 and not card.archived


# --------------------------------------------------------------------------- the write lock (#17 item 4)


def test_matching_runs_without_the_write_lock(file_store, tmp_path, monkeypatch):
    """While the importer computes the matching, another process can still write (an answer
    in the TUI): the lock is only taken for the short write at the end."""
    import sqlite3

    from studyllm.store import importer

    store = file_store
    p = tmp_path / "d.md"
    p.write_text("".join(f"Q: question number {i} about attention?\nA: answer {i}.\n\n" for i in range(50)),
                 encoding="utf-8")
    import_paths(store, [p])
    c = store.next_card()
    p.write_text(p.read_text().replace("about attention?", "about self-attention?"), encoding="utf-8")
    wrote = []
    real = importer.match_cards

    def spy(*args, **kwargs):
        other = sqlite3.connect(store.path, timeout=0, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # raises "database is locked" if the import held the lock
        other.execute("UPDATE card_state SET buried_until = NULL WHERE card_id = ?", (c.id,))
        other.execute("COMMIT")
        other.close()
        wrote.append(True)
        return real(*args, **kwargs)

    monkeypatch.setattr(importer, "match_cards", spy)
    r = import_paths(store, [p])
    assert wrote and r.ok and r.decks[0].updated == 50 and r.decks[0].new == 0


def test_a_plan_is_computed_again_when_the_deck_changed_meanwhile(store, tmp_path, monkeypatch):
    from studyllm.store import importer

    p = tmp_path / "d.md"
    p.write_text("Q: one?\nA: 1\n", encoding="utf-8")
    import_paths(store, [p])
    p.write_text("Q: one?\nA: 1\n\nQ: two?\nA: 2\n", encoding="utf-8")
    calls = []
    real = importer._plan

    def racing(conn, store_, parsed, source_path, report):
        plan = real(conn, store_, parsed, source_path, report)
        if not calls:  # another import lands between the plan and the write
            with importer.write_tx(store_.database) as w:
                w.execute("UPDATE deck SET updated_at = 'meanwhile' WHERE key = ?", (parsed.key,))
        calls.append(1)
        return plan

    monkeypatch.setattr(importer, "_plan", racing)
    # the whole-file path (an edited re-import that re-reads only changed segments falls back
    # to it when the deck changed meanwhile: tests/test_reimport_incremental.py)
    monkeypatch.setattr(importer, "_reimport_segments", lambda *a, **k: None)
    r = import_paths(store, [p])
    assert len(calls) == 2 and r.ok and r.decks[0].new == 1
    assert sum(d.total for d in store.decks()) == 2


def test_tracked_file_renamed_and_imported_again_is_relinked(store, clock, tmp_path):
    from studyllm.store.sources import list_sources

    a = tmp_path / "first.md"
    a.write_text("# A\n\nQ: one?\nA: 1\n\nQ: two?\nA: 2\n", encoding="utf-8")
    import_paths(store, [a], track=True)
    c = store.next_card()
    store.answer(c.id, 5)
    b = tmp_path / "second.md"
    a.rename(b)
    r = import_paths(store, [b], track=True)
    assert r.decks[0].new == 0 and r.decks[0].moved_from == str(a.resolve())
    states = {s.path: (s.state, s.moved_to) for s in list_sources(store)}
    assert states[str(a.resolve())] == ("moved", str(b.resolve()))
    assert states[str(b.resolve())] == ("ok", None)
    assert store.card(c.id).reviews == 1 and len(store.decks()) == 1


def test_cli_link_asks_on_a_terminal(tmp_path, capsys, monkeypatch):
    home = tmp_path / "home"
    monkeypatch.setenv("STUDYLLM_HOME", str(home))
    p = tmp_path / "dup.md"
    p.write_text(TEXT, encoding="utf-8")
    assert main(["import", str(p)]) == 0
    from studyllm.store import Store

    with Store.open(home) as s:
        c = s.next_card()
        s.answer(c.id, 4)
    p.write_text(REWRITTEN, encoding="utf-8")
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    answers = iter(["y"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    capsys.readouterr()
    assert main(["import", "--link", str(p)]) == 0
    out = capsys.readouterr().out
    assert "Possible rewrite" in out and "The first answer about attention heads." in out
    assert "Something else entirely, 42." in out and "1 linked" in out
    with Store.open(home) as s:
        assert s.card(c.id).reviews == 0 and s.card(c.id).archived


def test_cli_verbose_shows_the_rung_and_the_old_question(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("STUDYLLM_HOME", str(tmp_path / "home"))
    p = tmp_path / "d.md"
    p.write_text("# D\n\nQ: What does DNS do?\nA: Host names into IP addresses, using a hierarchy.\n", encoding="utf-8")
    assert main(["import", str(p)]) == 0
    p.write_text("# D\n\nQ: What is DNS for?\nA: Host names into IP addresses, using a hierarchy.\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["import", "-v", str(p)]) == 0
    out = capsys.readouterr().out
    assert f"updated   {p}:3  What is DNS for?" in out and "[answer]" in out and "(was: What does DNS do?)" in out
