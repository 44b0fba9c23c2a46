"""Edits people make to real decks (session 28 review of issues #15/#16), each on answered
cards: the card that holds the same text keeps its history, and only a card that is really
new starts fresh. Each case found a bug; the decks are written here."""

from __future__ import annotations

from pathlib import Path

import pytest

from studyllm.store.importer import import_paths


def _rows(store) -> list[tuple[str, str, bool, int]]:
    """(variant, front, archived, review count) of every card."""
    with store.database.connect() as conn:
        return [
            (r[0], r[1], bool(r[2]), r[3])
            for r in conn.execute(
                "SELECT c.variant, c.front, c.archived,"
                " (SELECT count(*) FROM review_log l WHERE l.card_id = c.id) FROM card c ORDER BY c.id")
        ]


def _answer_all(store) -> None:
    while (c := store.next_card()) is not None:
        store.answer(c.id, 4)


def _import(store, *paths: Path):
    report = import_paths(store, list(paths))
    assert report.ok, report.errors
    return report.decks[0]


def _live(store) -> dict[str, int]:
    """front -> review count of the active cards."""
    return {front: logs for _v, front, archived, logs in _rows(store) if not archived}


NOTE = "The {{c1::root}} servers sit above the {{c2::TLD}} servers.\n"
ROOT_HIDDEN = "The [...] servers sit above the TLD servers."
TLD_HIDDEN = "The root servers sit above the [...] servers."


@pytest.mark.parametrize("edited", [
    "The {{c2::root}} servers sit above the {{c1::TLD}} servers.\n",  # numbers swapped
    "C: The [root] servers sit above the [TLD] servers.\n",  # rewritten as a hashcards C: block
    "The ==root== servers sit above the ==TLD== servers.\n",  # rewritten as obsidian-SR highlights
], ids=["renumbered", "to-C-block", "to-highlights"])
def test_a_cloze_keeps_its_history_whatever_its_number_or_syntax(store, tmp_path, edited):
    # before: the cloze index (c1, d1, hl1) was part of the text the syntax rung compared, so
    # a C: block or highlights never matched, and swapping c1/c2 gave the root card's history
    # to the card that now hides TLD
    deck = tmp_path / "dns.md"
    deck.write_text("# DNS\n\n" + NOTE + "\nQ: Other card\nA: So the deck has two notes.\n", encoding="utf-8")
    _import(store, deck)
    _answer_all(store)
    deck.write_text("# DNS\n\n" + edited + "\nQ: Other card\nA: So the deck has two notes.\n", encoding="utf-8")
    report = _import(store, deck)
    assert (report.new, report.archived) == (0, 0)
    live = _live(store)
    assert live[ROOT_HIDDEN] == 1 and live[TLD_HIDDEN] == 1
    assert len(live) == 3


@pytest.mark.parametrize("before,after,new_front", [
    ("C: The [nucleus] of a eukaryotic cell holds most of its [DNA] in chromosomes.\n",
     "C: The [membrane-bound] [nucleus] of a eukaryotic cell holds most of its [DNA] in chromosomes.\n",
     "The [...] nucleus of a eukaryotic cell holds most of its DNA in chromosomes."),
    ("The ==nucleus== of a eukaryotic cell holds most of its ==DNA== in chromosomes.\n",
     "The ==membrane-bound== ==nucleus== of a eukaryotic cell holds most of its ==DNA== in chromosomes.\n",
     "The [...] nucleus of a eukaryotic cell holds most of its DNA in chromosomes."),
], ids=["C-block", "highlights"])
def test_a_deletion_added_before_the_others_renumbers_them_and_keeps_their_history(store, tmp_path, before, after,
                                                                                   new_front):
    # positional variants: the nucleus card was d1 (hl1) and becomes d2 (hl2); before, the
    # similar-text rung wanted the same variant, so both studied cards restarted
    deck = tmp_path / "cell.md"
    deck.write_text("# Cells\n\n" + before, encoding="utf-8")
    _import(store, deck)
    _answer_all(store)
    deck.write_text("# Cells\n\n" + after, encoding="utf-8")
    report = _import(store, deck)
    assert (report.new, report.archived) == (1, 0)
    live = _live(store)
    assert live[new_front] == 0
    assert live["The membrane-bound [...] of a eukaryotic cell holds most of its DNA in chromosomes."] == 1
    assert live["The membrane-bound nucleus of a eukaryotic cell holds most of its [...] in chromosomes."] == 1


def test_a_typo_in_a_hidden_word_keeps_the_card(store, tmp_path):
    deck = tmp_path / "cell.md"
    deck.write_text("The ==nucleus== of a eukaryotic cell holds most of its ==DNA== in chromosomes.\n",
                    encoding="utf-8")
    _import(store, deck)
    _answer_all(store)
    deck.write_text("The ==nucleus== of a eukaryotic cell holds most of its ==DMA== in chromosomes.\n",
                    encoding="utf-8")
    report = _import(store, deck)
    assert (report.new, report.archived) == (0, 0)
    assert all(logs == 1 for logs in _live(store).values())


@pytest.mark.parametrize("front_matter", ["---\nid: networking\n---\n", "---\nid: networking\ntitle: Nets\n---\n"])
def test_an_id_added_to_the_front_matter_keeps_the_deck(store, tmp_path, front_matter):
    # before: the file became a second deck of new cards beside the old one (still active,
    # every card twice on the study screen)
    body = "# Nets\n\nQ: What does DNS do?\nA: Maps names to addresses.\n\nHEAD :: the current commit\n"
    deck = tmp_path / "n.md"
    deck.write_text(body, encoding="utf-8")
    _import(store, deck)
    _answer_all(store)
    deck.write_text(front_matter + body, encoding="utf-8")
    report = _import(store, deck)
    assert report.new == 0 and report.archived == 0
    assert any("deck id changed from 'n' to 'networking'" in str(w) for w in report.warnings)
    with store.database.connect() as conn:
        assert conn.execute("SELECT key, archived FROM deck").fetchall() == [("networking", 0)]
    assert sorted(_live(store).values()) == [1, 1]
    # and back: the id removed again
    deck.write_text(body, encoding="utf-8")
    report = _import(store, deck)
    assert report.new == 0 and report.archived == 0
    with store.database.connect() as conn:
        assert conn.execute("SELECT key FROM deck").fetchall() == [("n",)]


def test_a_file_imported_with_a_mode_is_rescanned_in_that_mode(store, tmp_path):
    # before: `studyllm import --mode outline notes.md`, then any edit and a re-scan at start-up
    # (or `studyllm due`) read the file in cards mode: every outline card archived, 0 left
    from studyllm.store.importer import sync_folders

    notes = tmp_path / "notes.md"
    notes.write_text("## Models\n\n- **Encoder-only:** reads the whole input\n- **Decoder-only:** predicts the next"
                     " token\n", encoding="utf-8")
    assert import_paths(store, [notes], mode="outline", track=True).ok
    _answer_all(store)
    notes.write_text(notes.read_text(encoding="utf-8") + "- **Encoder-decoder:** maps one sequence to another\n",
                     encoding="utf-8")
    report = next(d for d in sync_folders(store).decks if Path(d.path).name == "notes.md")
    assert (report.new, report.archived) == (1, 0)
    with store.database.connect() as conn:
        rows = conn.execute("SELECT c.front, c.archived, (SELECT count(*) FROM review_log l WHERE l.card_id = c.id)"
                            " FROM card c JOIN deck d ON d.id = c.deck_id WHERE d.key = 'notes'").fetchall()
    assert sorted((front, archived, logs) for front, archived, logs in rows) == [
        ("Decoder-only", 0, 1), ("Encoder-decoder", 0, 0), ("Encoder-only", 0, 1)]
    # a plain re-import keeps the mode too; front matter naming a mode wins over it
    notes.write_text(notes.read_text(encoding="utf-8") + "- **Mixture:** routes tokens to experts\n", encoding="utf-8")
    assert _import(store, notes).archived == 0
    notes.write_text("---\nmode: cards\n---\n" + notes.read_text(encoding="utf-8"), encoding="utf-8")
    assert _import(store, notes).archived == 4  # no card in cards mode: archived, history kept
