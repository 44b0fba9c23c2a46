"""Anki interop: reading Anki text exports as decks, writing notes TSV and .apkg with stable GUIDs."""

from __future__ import annotations

import io
import json
import sqlite3
import zipfile
from pathlib import Path

import pytest
from conftest import add_deck, make_deck

from studyllm.decks.anki_tsv import html_to_text, parse_anki_text, parse_anki_tsv
from studyllm.store import anki
from studyllm.store.importer import import_parsed


def cards_of(deck):
    return [(c.front, c.back) for c in deck.cards]


# --------------------------------------------------------------------------- reading


def test_anki_notes_export_with_headers():
    text = (
        "#separator:tab\n#html:true\n#guid column:1\n#notetype column:2\n#deck column:3\n#tags column:6\n"
        "abc1\tBasic\tLLM::Week 1\tWhat is a <b>token</b>?\tA piece of text<br>the model reads.\tweek1 basics\n"
        'x#2\tBasic\tLLM::Week 1\t"Two\tcolumns ""quoted"""\t4 &lt; 5 &amp;&nbsp;more\t\n'
    )
    deck = parse_anki_text(text, path="n.txt", stem="notes")
    assert deck.errors == []
    assert cards_of(deck) == [
        ("What is a token?", "A piece of text\nthe model reads."),
        ('Two\tcolumns "quoted"', "4 < 5 & more"),
    ]
    assert [c.extra for c in deck.cards] == [{"anki_guid": "abc1"}, {"anki_guid": "x#2"}]
    assert deck.cards[0].tags == ("week1", "basics") and deck.cards[1].tags == ()
    assert [c.line for c in deck.cards] == [7, 8]
    assert deck.key == "notes"


def test_plain_csv_without_headers_and_deck_header():
    deck = parse_anki_text("#deck:Course::Memory\nfront one,back one\n\nfront two,\"back, with comma\"\n", stem="x")
    assert deck.errors == []
    assert cards_of(deck) == [("front one", "back one"), ("front two", "back, with comma")]
    assert deck.title == "Memory" and deck.key == "course-memory"
    assert [c.line for c in deck.cards] == [2, 4]


@pytest.mark.parametrize("name, ch", [("semicolon", ";"), ("Pipe", "|"), ("comma", ","), ("Tab", "\t"), ("~", "~")])
def test_separator_names_and_characters(name, ch):
    deck = parse_anki_text(f"#separator:{name}\nq{ch}a\n")
    assert deck.errors == [] and cards_of(deck) == [("q", "a")]


def test_html_false_keeps_text_and_multiline_quoted_field():
    deck = parse_anki_text('#separator:comma\n#html:false\n"line one\nline two",<b>kept</b>\nnext,card\n')
    assert cards_of(deck) == [("line one\nline two", "<b>kept</b>"), ("next", "card")]
    assert [c.line for c in deck.cards] == [3, 5]


def test_extra_fields_go_to_the_back():
    deck = parse_anki_text("#separator:tab\nq\ta\tmore\t\n")
    assert cards_of(deck) == [("q", "a\n\nmore")]


@pytest.mark.parametrize(
    "text, line, needle",
    [
        ("#separator:tab\nq\ta\nonly one field\n", 3, "got 1 field"),
        ("#separator:bogus\nq\ta\n", 1, "unknown separator"),
        ("#separator:tab\n#html:maybe\nq\ta\n", 2, "#html"),
        ("#separator:tab\n#guid column:4\nq\ta\tg\tz\nq2\ta2\n", 4, "header names column 4"),
        ('#separator:tab\nq\ta\n"open quote\tb\n', 3, "bad quoting"),
        ("#separator:tab\n\ta\n", 2, "front is empty"),
        ("#separator:tab\n#html:true\n", 3, "no notes"),
        ("#separator:tab\n#guid column:zero\nq\ta\n", 2, "column number"),
    ],
)
def test_errors_name_the_line(text, line, needle):
    deck = parse_anki_text(text, path="bad.tsv")
    assert deck.errors, text
    err = deck.errors[0]
    assert err.line == line and needle in err.message, str(err)
    assert str(err).startswith(f"bad.tsv:{line}:")


def test_file_reading_bom_encoding_and_size(tmp_path):
    f = tmp_path / "My Deck.txt"
    f.write_bytes("\ufeff#separator:tab\nq\tä\n".encode("utf-8"))
    deck = parse_anki_tsv(f)
    assert cards_of(deck) == [("q", "ä")] and deck.key == "my-deck" and len(deck.content_hash) == 64
    f.write_bytes(b"#separator:tab\nq\ta\n\xff\xfe\tb\n")
    bad = parse_anki_tsv(f)
    assert bad.errors[0].line == 3 and "UTF-8" in bad.errors[0].message
    assert "larger than the 4 byte limit" in parse_anki_tsv(f, max_bytes=4).errors[0].message
    assert "cannot read" in parse_anki_tsv(tmp_path / "missing.tsv").errors[0].message


def test_html_to_text():
    assert html_to_text("<div>a</div><div>b</div>") == "a\nb"
    assert html_to_text("x&nbsp;&gt;&nbsp;y") == "x > y"
    assert html_to_text("<ul><li>one</li><li>two</li></ul>") == "one\ntwo"


def test_anki_tsv_imports_as_a_deck(store):
    deck = parse_anki_text("#separator:tab\n#guid column:3\nq1\ta1\tg1\nq2\ta2\tg2\n", stem="from-anki")
    report = import_parsed(store, deck, source_path="/x/from-anki.tsv")
    assert report.ok and report.new == 2
    again = import_parsed(store, parse_anki_text("#separator:tab\n#guid column:3\nq1\ta1\tg1\nq2\ta2\tg2\n",
                                                 stem="from-anki"), source_path="/x/from-anki.tsv")
    assert again.new == 0 and again.unchanged == 2


def test_generated_benchmark_tsv_parses(tmp_path, monkeypatch):
    """The benchmark's Anki-side deck (benchmarks/gen_decks.py, generated here) reads back whole."""
    monkeypatch.syspath_prepend(str(Path(__file__).resolve().parents[1] / "benchmarks"))
    import gen_decks

    _, f = gen_decks.generate(1000, seed=1, out_dir=tmp_path)
    deck = parse_anki_tsv(f)
    assert deck.errors == [] and len(deck.cards) == 1000
    assert all(c.extra.get("anki_guid") for c in deck.cards)


# --------------------------------------------------------------------------- writing


def tsv_export(store, **kw) -> str:
    buf = io.StringIO()
    anki.export_anki_tsv(store, buf, **kw)
    return buf.getvalue()


def test_tsv_export_headers_and_stable_guids(store):
    add_deck(store, "alpha", 3)
    text = tsv_export(store)
    lines = text.splitlines()
    assert lines[:6] == ["#separator:tab", "#html:true", "#notetype:Basic", "#guid column:1", "#deck column:2",
                         "#tags column:5"]
    assert len(lines) == 9
    assert tsv_export(store) == text  # the same on every export
    # reading our own export back gives the same cards and GUIDs
    back = parse_anki_text(text, stem="alpha")
    assert back.errors == []
    assert [c.front for c in back.cards] == [f"Question number {i} about transformers?" for i in range(3)]
    guids = [c.extra["anki_guid"] for c in back.cards]
    assert len(set(guids)) == 3
    # editing a card's text keeps its uid, hence its GUID: Anki updates the note
    edited = make_deck("alpha", 3)
    edited.cards[1] = type(edited.cards[1])("basic", "Question number 1 about transformers, edited?", "Answer 1.",
                                            heading_path=("Part",), line=6)
    assert import_parsed(store, edited, source_path="/nonexistent/alpha.md").updated == 1
    after = parse_anki_text(tsv_export(store), stem="alpha")
    assert [c.extra["anki_guid"] for c in after.cards] == guids
    assert after.cards[1].front.endswith("edited?")


def test_tsv_export_keeps_guids_from_anki_and_quotes_hash(store):
    deck = parse_anki_text('#separator:tab\n#guid column:3\nq1\ta1\t"#g1"\nq2\ta2\tg2\n', stem="from-anki")
    import_parsed(store, deck, source_path="/x/a.tsv")
    text = tsv_export(store)
    assert '"#g1"\t' in text  # a data line must not start with # (Anki would skip it as a comment)
    again = parse_anki_text(text)
    assert [c.extra["anki_guid"] for c in again.cards] == ["#g1", "g2"]


def test_tsv_export_renders_markdown_and_escapes_html(store):
    from studyllm.decks.model import ParsedCard, ParsedDeck

    deck = ParsedDeck(path="m.md", key="m", title="M", cards=[
        ParsedCard("basic", "What is **attention**?", "Uses `softmax` <script>x</script>", line=1, tags=("a b",)),
    ])
    import_parsed(store, deck, source_path="/x/m.md")
    row = tsv_export(store).splitlines()[6].split("\t")
    assert row[2] == "<p>What is <strong>attention</strong>?</p>"
    assert "<code>softmax</code>" in row[3] and "<script>" not in row[3] and "&lt;script&gt;" in row[3]
    assert row[4] == "a_b"


def test_tsv_export_deck_filter(store):
    add_deck(store, "alpha", 2)
    add_deck(store, "beta", 3)
    assert len(tsv_export(store, deck_keys=["beta"]).splitlines()) == 6 + 3


def read_apkg(path: Path, tmp_path: Path):
    with zipfile.ZipFile(path) as z:
        assert "collection.anki2" in z.namelist()
        z.extract("collection.anki2", tmp_path)
    conn = sqlite3.connect(tmp_path / "collection.anki2")
    try:
        notes = conn.execute("SELECT guid, flds, mid FROM notes ORDER BY id").fetchall()
        cards = conn.execute("SELECT nid, did FROM cards").fetchall()
        decks = json.loads(conn.execute("SELECT decks FROM col").fetchone()[0])
        models = json.loads(conn.execute("SELECT models FROM col").fetchone()[0])
    finally:
        conn.close()
    return notes, cards, decks, models


def test_apkg_notes_guids_and_stable_ids(store, tmp_path):
    add_deck(store, "alpha", 3)
    add_deck(store, "beta", 2)
    path = tmp_path / "out.apkg"
    assert anki.export_apkg(store, path) == 5
    notes, cards, decks, models = read_apkg(path, tmp_path / "one")
    tsv_guids = [line.split("\t")[0] for line in tsv_export(store).splitlines()[6:]]
    assert sorted(n[0] for n in notes) == sorted(tsv_guids)
    assert notes[0][1].split("\x1f") == ["<p>Question number 0 about transformers?</p>", "<p>Answer 0.</p>"]
    assert len(cards) == 5
    names = {d["name"]: int(i) for i, d in decks.items()}
    assert names["studyllm::ALPHA"] == anki.stable_id("studyllm", "deck", "alpha")
    assert {int(k) for k in models} == {notes[0][2]}
    # a second export gives the same GUIDs and ids
    anki.export_apkg(store, tmp_path / "again.apkg")
    notes2, _, decks2, models2 = read_apkg(tmp_path / "again.apkg", tmp_path / "two")
    assert [n[0] for n in notes2] == [n[0] for n in notes]
    assert set(decks2) == set(decks) and set(models2) == set(models)
