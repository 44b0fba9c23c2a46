"""The stats, export and import-progress subcommands, driven through studyllm.cli.main."""

from __future__ import annotations

import json
import sqlite3
import zipfile

import pytest

from studyllm.cli import main

DECK = """---
title: Tiny deck
id: tiny
---

Q: What does a tokenizer do?
A: It splits text into tokens.

Q: What is the context window?
A: The number of tokens the model sees at once.
"""


@pytest.fixture
def homes(tmp_path):
    deck = tmp_path / "tiny.md"
    deck.write_text(DECK, encoding="utf-8")
    a, b = tmp_path / "a", tmp_path / "b"
    for home in (a, b):
        assert main(["--home", str(home), "import", str(deck)]) == 0
    from studyllm.store import Store

    with Store.open(a) as store:
        ids = [d for d in (store.next_card(),) if d]
        assert ids
        store.answer(ids[0].id, 4)
        store.answer(store.next_card().id, 2)
    return a, b, tmp_path


def test_help_for_each_command(capsys):
    for cmd in ("stats", "export", "import-progress"):
        with pytest.raises(SystemExit) as exit_:
            main([cmd, "--help"])
        assert exit_.value.code == 0
        assert f"usage: studyllm {cmd}" in capsys.readouterr().out


def test_stats_text_and_json(homes, capsys):
    a, _, _ = homes
    capsys.readouterr()
    assert main(["--home", str(a), "stats"]) == 0
    out = capsys.readouterr().out
    assert "streak 1 day(s)" in out and "True retention" in out and "Tiny deck" in out
    assert "Last 365 days: 2 answer(s), busiest day 2" in out
    assert main(["--home", str(a), "stats", "--json", "--days", "90"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert len(data["reviews_per_day"]) == 90 and data["reviews_per_day"][-1]["reviews"] == 2
    assert data["cards"]["learning"] == 2 and data["decks"][0]["key"] == "tiny"
    assert data["heatmap"]["total"] == 2 and len(data["heatmap"]["weeks"]) >= 53


def test_export_then_import_progress(homes, capsys):
    a, b, tmp = homes
    out = tmp / "p.json"
    assert main(["--home", str(a), "export", "--format", "json", "-o", str(out)]) == 0
    assert json.loads(out.read_text(encoding="utf-8"))["counts"]["review_log"] == 2
    assert main(["--home", str(b), "import-progress", str(out)]) == 0
    text = capsys.readouterr().out
    assert "2 added" in text
    assert main(["--home", str(b), "import-progress", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["added"] == 0 and report["already_present"] == 2
    assert main(["--home", str(b), "stats", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["cards"]["learning"] == 2


def test_export_csv_tsv_apkg(homes, capsys):
    a, _, tmp = homes
    assert main(["--home", str(a), "export", "--no-sync", "-f", "csv", "-o", str(tmp / "csv")]) == 0
    assert (tmp / "csv" / "review_log.csv").exists() and (tmp / "csv" / "card_states.csv").exists()
    assert main(["--home", str(a), "export", "--no-sync", "-f", "anki-tsv", "-o", str(tmp / "n.tsv")]) == 0
    assert (tmp / "n.tsv").read_text(encoding="utf-8").startswith("#separator:tab\n#html:true\n")
    assert main(["--home", str(a), "export", "--no-sync", "-f", "apkg", "-o", str(tmp / "n.apkg"),
                 "--deck", "tiny"]) == 0
    with zipfile.ZipFile(tmp / "n.apkg") as z:
        z.extract("collection.anki2", tmp)
    with sqlite3.connect(tmp / "collection.anki2") as conn:
        assert conn.execute("SELECT count(*) FROM notes").fetchone()[0] == 2
    capsys.readouterr()
    assert main(["--home", str(a), "export", "--no-sync", "-f", "anki-tsv", "-o", "-"]) == 0
    assert capsys.readouterr().out.count("\n") == 8


@pytest.mark.parametrize(
    "argv, needle",
    [
        (["export"], "-o FILE"),
        (["export", "--no-sync", "-f", "apkg", "-o", "-"], "standard output"),
        (["export", "--no-sync", "-f", "apkg", "-o", "{tmp}/x.apkg", "--deck", "nope"], "no deck with key 'nope'"),
        (["import-progress", "{tmp}/missing.json"], "no such file"),
        (["import-progress", "{tmp}/bad.json"], "line 1"),
    ],
)
def test_errors_are_one_line_without_traceback(homes, capsys, argv, needle):
    a, _, tmp = homes
    (tmp / "bad.json").write_text('{"format": "studyllm-progress", "version":', encoding="utf-8")
    argv = [x.replace("{tmp}", str(tmp)) for x in argv]
    capsys.readouterr()
    assert main(["--home", str(a), *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"studyllm {argv[0]}: error: ") and needle in err, err
    assert "Traceback" not in err


def test_failed_json_export_leaves_no_file(homes, monkeypatch, capsys):
    a, _, tmp = homes
    from studyllm.store import export

    def boom(store, fh, progress=None):
        fh.write("{")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(export, "export_json", boom)
    assert main(["--home", str(a), "export", "--no-sync", "-o", str(tmp / "p.json")]) == 1
    assert "No space left" in capsys.readouterr().err
    assert not (tmp / "p.json").exists()
    assert [p.name for p in tmp.iterdir() if p.name.startswith(".p.json")] == []


def test_import_progress_on_a_fresh_home_finds_the_shipped_decks(tmp_path, capsys):
    """Moving machines: answers on shipped-deck cards, exported and merged into a home that
    was never opened, land on those cards (the deck folders are scanned before the merge)."""
    from studyllm.store import Store

    a, fresh, out = tmp_path / "a", tmp_path / "fresh", tmp_path / "p.json"
    assert main(["--home", str(a), "due"]) == 0  # syncs the shipped decks
    with Store.open(a) as store:
        card = store.next_card()
        store.answer(card.id, 5)
    assert main(["--home", str(a), "export", "--no-sync", "-o", str(out)]) == 0
    capsys.readouterr()
    assert main(["--home", str(fresh), "import-progress", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["added"] == 1 and report["skipped_unknown"] == 0
    with Store.open(fresh) as store:
        with store.database.connect() as conn:
            card_id = conn.execute("SELECT id FROM card WHERE uid = ?", (card.uid,)).fetchone()[0]
        assert [h["grade"] for h in store.history(card_id)] == [5]
    # without the scan the same merge finds no card to put the answer on
    # (and that is an error: exit 1, said on stderr)
    assert main(["--home", str(tmp_path / "bare"), "import-progress", str(out), "--no-sync", "--json"]) == 1
    got = capsys.readouterr()
    assert json.loads(got.out)["skipped_unknown"] == 1 and "could not be placed" in got.err


@pytest.mark.parametrize("fmt", ["json", "csv"])
def test_export_is_self_contained_for_the_learners_own_decks(tmp_path, capsys, fmt):
    """A fresh home with only the export (JSON, or the CSV folder) gets the learner's own decks
    (their text travels in the export) and every answer, on shipped and user decks; the
    learner's file is not touched."""
    from studyllm.store import Store

    a, fresh = tmp_path / "a", tmp_path / "fresh"
    out = tmp_path / ("p.json" if fmt == "json" else "csvdir")
    own = tmp_path / "notes" / "mine.md"
    own.parent.mkdir()
    # front matter and a line starting with "-" (a spreadsheet formula start, quoted in CSV)
    text = "---\ntitle: Mine\n---\n# Mine\n\n" + "".join(
        f"Q: My question {i}, \"quoted\"?\nA: -{i} = my answer.\n\n" for i in range(4))
    own.write_text(text)
    assert main(["--home", str(a), "import", str(own)]) == 0
    with Store.open(a) as store:
        with store.database.connect() as conn:
            mine = [r[0] for r in conn.execute(
                "SELECT c.id FROM card c JOIN deck d ON d.id = c.deck_id WHERE d.key = 'mine' ORDER BY c.id")]
            shipped = conn.execute(
                "SELECT c.id FROM card c JOIN deck d ON d.id = c.deck_id WHERE d.key <> 'mine' LIMIT 1").fetchone()
        for cid in mine[:3]:
            store.answer(cid, 4)
        if shipped:
            store.answer(shipped[0], 5)
        n = 3 + bool(shipped)
    assert main(["--home", str(a), "export", "--no-sync", "-f", fmt, "-o", str(out)]) == 0
    capsys.readouterr()
    if fmt == "json":
        assert json.loads(out.read_text())["deck_sources"][0]["key"] == "mine"
    else:
        from studyllm.store.export_format import load_export

        assert [(d.key, d.data.decode()) for d in load_export(out).decks] == [("mine", text)]
    # a dry run lists the deck and changes nothing
    assert main(["--home", str(fresh), "import-progress", str(out), "--dry-run"]) == 0
    assert "would be imported" in capsys.readouterr().out
    code = main(["--home", str(fresh), "import-progress", str(out), "--json"])
    got = capsys.readouterr()
    report = json.loads(got.out)
    assert code == 0, got.err
    assert report["added"] == n and report["skipped_unknown"] == 0 and report["decks_imported"] == ["mine"]
    with Store.open(fresh) as store, store.database.connect() as conn:
        assert conn.execute("SELECT count(*) FROM review_log").fetchone()[0] == n
        assert conn.execute("SELECT count(*) FROM card c JOIN deck d ON d.id = c.deck_id"
                            " WHERE d.key = 'mine'").fetchone()[0] == 4
    assert own.read_text() == text
    # again: nothing doubled, exit 0
    assert main(["--home", str(fresh), "import-progress", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["added"] == 0


def test_a_hand_edited_deck_source_in_an_export_is_refused(tmp_path, capsys):
    out = tmp_path / "p.json"
    own = tmp_path / "mine.md"
    own.write_text("# Mine\n\nQ: One?\nA: Two.\n")
    assert main(["--home", str(tmp_path / "a"), "import", str(own)]) == 0
    assert main(["--home", str(tmp_path / "a"), "export", "--no-sync", "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    doc["deck_sources"][0]["text"] += "Q: Extra?\nA: Yes.\n"
    out.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["--home", str(tmp_path / "b"), "import-progress", str(out)]) == 1
    err = capsys.readouterr().err
    assert "deck_sources[0]" in err and "sha256" in err and "Traceback" not in err


@pytest.mark.parametrize(("fmt", "output", "error"), [
    ("json", "out.json", "--deck applies to anki-tsv and apkg; the JSON export is always complete"),
    ("csv", "csvdir", "--deck applies to anki-tsv and apkg; the CSV export is always complete"),
    ("csv", "-", "--format csv can't go to standard output; give -o DIR"),
    ("apkg", "-", "--format apkg can't go to standard output; give -o FILE.apkg"),
])
def test_export_refuses_what_a_format_cannot_do_before_opening_the_home(tmp_path, capsys, fmt, output, error):
    """Each format's entry in EXPORT_FORMATS says whether it takes --deck and standard output;
    a refusal comes before the home is opened (a mistake creates nothing)."""
    home = tmp_path / "never-made"
    args = ["--home", str(home), "export", "--format", fmt, "-o", str(tmp_path / output) if output != "-" else "-"]
    if "--deck" in error:
        args += ["--deck", "tiny"]
    assert main(args) == 1
    assert error in capsys.readouterr().err
    assert not home.exists()


def test_a_csv_export_without_its_deck_file_says_which_answers_could_not_be_placed(tmp_path, capsys):
    """An older CSV export (no deck_sources.csv), merged into a fresh home: the answers on the
    learner's deck are listed as not placed and the command exits 1; those on shipped decks land."""
    a, out = tmp_path / "a", tmp_path / "csvdir"
    own = tmp_path / "mine.md"
    own.write_text("# Mine\n\nQ: One?\nA: Two.\n")
    assert main(["--home", str(a), "import", str(own)]) == 0
    from studyllm.store import Store

    with Store.open(a) as store, store.database.connect() as conn:
        cid = conn.execute("SELECT c.id FROM card c JOIN deck d ON d.id = c.deck_id WHERE d.key = 'mine'").fetchone()[0]
        store.answer(cid, 4)
    assert main(["--home", str(a), "export", "--no-sync", "-f", "csv", "-o", str(out)]) == 0
    (out / "deck_sources.csv").unlink()
    capsys.readouterr()
    assert main(["--home", str(tmp_path / "fresh"), "import-progress", str(out)]) == 1
    got = capsys.readouterr()
    assert "could not be placed" in got.err and "My" not in got.err and "Traceback" not in got.err
    assert "One?" in got.out  # the card is named


def test_a_hand_edited_deck_in_a_csv_export_is_refused(tmp_path, capsys):
    out = tmp_path / "csvdir"
    own = tmp_path / "mine.md"
    own.write_text("# Mine\n\nQ: One?\nA: Two.\n")
    assert main(["--home", str(tmp_path / "a"), "import", str(own)]) == 0
    assert main(["--home", str(tmp_path / "a"), "export", "--no-sync", "-f", "csv", "-o", str(out)]) == 0
    decks = out / "deck_sources.csv"
    decks.write_text(decks.read_text(encoding="utf-8").replace("Two.", "Three."), encoding="utf-8")
    capsys.readouterr()
    assert main(["--home", str(tmp_path / "b"), "import-progress", str(out)]) == 1
    err = capsys.readouterr().err
    assert "deck_sources.csv: line 2" in err and "sha256" in err and "Traceback" not in err
