"""Decks written for other tools (session 28 review of issue #15): Logseq's `#card` blocks and
properties, and the syntaxes studyllm does not read (RemNote `>>`, markers in callouts, Mochi
`---` sides), which must say so instead of silently importing nothing or junk. The decks are
written here, in each tool's style."""

from __future__ import annotations

from studyllm.decks.parser import parse_deck

LOGSEQ = """\
title:: Cell biology
tags:: science, school

- What is the powerhouse of the cell? #card
  card-last-interval:: 4
  card-repeats:: 2
  card-ease-factor:: 2.6
  card-next-schedule:: 2026-12-07T10:00:00.000Z
  card-last-reviewed:: 2026-12-03T10:00:00.000Z
  card-last-score:: 5
  id:: 6571a2b4-1111-4c3e-9d7e-0123456789ab
\t- The mitochondrion
- Name two parts every cell has #card
  collapsed:: true
\t- a membrane
\t- cytoplasm
- Plants turn {{cloze light}} and {{cloze water}} into sugar #card
- Ribosome :: makes proteins
"""


def test_logseq_card_blocks_and_clozes():
    # before: the nine property lines were imported as `::` cards ("card-repeats" -> "2",
    # "title" -> "Cell biology") and the #card blocks gave nothing
    deck = parse_deck(LOGSEQ, "bio.md")
    assert not deck.errors and not deck.skipped
    got = [(c.kind, c.front, c.back) for c in deck.cards]
    assert got == [
        ("basic", "What is the powerhouse of the cell?", "The mitochondrion"),
        ("basic", "Name two parts every cell has", "- a membrane\n- cytoplasm"),
        ("cloze", "Plants turn [...] and [...] into sugar", "Plants turn **light** and **water** into sugar"),
        ("basic", "Ribosome", "makes proteins"),
    ]
    assert deck.cards[2].extra == {"index": "c1", "answers": ["light", "water"]}
    assert deck.cards[0].tags == ("card",)


def test_logseq_card_without_answer_is_a_skipped_card():
    deck = parse_deck("- What is a lysosome? #card\n- Golgi :: packs proteins\n", "bio.md")
    assert [c.front for c in deck.cards] == ["Golgi"]
    assert [e.message for e in deck.skipped] == ["'#card' block with no answer under it"]
    assert deck.skipped[0].line == 1


def test_property_lookalikes_that_are_cards_stay_cards():
    # only Logseq's own property names are properties; a user's `term:: meaning` is a card
    deck = parse_deck("Hund:: dog\nid:: an identifier\ncollapsed:: fallen down\n", "de.md")
    assert [c.front for c in deck.cards] == ["Hund", "id", "collapsed"]


def test_remnote_arrows_are_reported_not_dropped_silently():
    deck = parse_deck("- Capital of Chile >> Santiago\n- Capital of Spain :: Madrid\n- Largest ocean >> Pacific\n",
                      "geo.md")
    assert [c.front for c in deck.cards] == ["Capital of Spain"]
    assert len(deck.warnings) == 1  # once per file
    w = deck.warnings[0]
    assert "'>>' looks like a RemNote card" in w.message and w.line == 1 and "::" in w.hint


def test_markers_in_a_callout_are_reported():
    text = ("> [!question] What does a catalyst change?\n> ?\n> The activation energy.\n\n"
            "> [!note] Vocab\n> Hund :: dog\n")
    deck = parse_deck(text, "chem.md")
    assert [(c.front, c.back) for c in deck.cards] == [("Hund", "dog")]
    assert [w.line for w in deck.warnings] == [1]
    assert "block quote or callout" in deck.warnings[0].message


def test_mochi_dashes_get_their_own_hint_not_a_headings_mode_suggestion():
    # before: "in headings mode 1", a mode that gives one card of junk
    text = "What is the symbol for gold?\n---\nAu\n\nWhat is the speed of light?\n---\nAbout 300,000 km/s\n"
    deck = parse_deck(text, "mochi.md")
    assert deck.cards == []
    assert len(deck.warnings) == 1
    w = deck.warnings[0]
    assert "Mochi" in w.message and "headings mode" not in w.message and w.line == 2
    assert "'Q: …'" in w.hint


def test_front_matter_is_not_taken_for_mochi_dashes():
    deck = parse_deck("---\ntitle: Empty\n---\nJust a note.\n", "n.md")
    assert ["Mochi" in w.message for w in deck.warnings] == [False]


def test_a_heading_used_as_the_question_is_not_the_next_cards_section():
    # before: the cards after it carried "What is the pH of pure water?" as their heading path
    text = "# Chem\n\n## Acids\n\n### What is the pH of pure water?\n?\n7 at 25 °C.\n\nHCl :: a strong acid\n"
    deck = parse_deck(text, "chem.md")
    assert [(c.front, c.heading_path) for c in deck.cards] == [
        ("What is the pH of pure water?", ("Acids",)),
        ("HCl", ("Acids",)),
    ]


def test_a_spreadsheet_header_row_in_a_tsv_is_not_a_card():
    # before: "front" -> "back" was imported as a card, and the Tags column went into the back
    from studyllm.decks.anki_tsv import parse_anki_text

    deck = parse_anki_text("Front\tBack\tTags\nDog\tHund\tde noun\nCat\tKatze\tde\n", path="vocab.tsv")
    assert [(c.front, c.back, c.tags) for c in deck.cards] == [("Dog", "Hund", ("de", "noun")),
                                                               ("Cat", "Katze", ("de",))]
    assert [(w.line, "column names" in w.message) for w in deck.warnings] == [(1, True)]
    # a first card that merely starts with such a word is a card
    deck = parse_anki_text("Front\tthe side shown first\nBack\tthe side shown second\n", path="words.tsv")
    assert [c.front for c in deck.cards] == ["Front", "Back"] and not deck.warnings
