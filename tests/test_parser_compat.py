"""Decks as other tools' users write them (#15), each written for this test in that tool's style.

One test per case the issue lists; exact card counts and fronts.
"""

from __future__ import annotations

import pytest

from studyllm.decks.parser import parse_deck


def parse(text: str, **kw):
    return parse_deck(text, "deck.md", **kw)


def fronts(deck) -> list[str]:
    return [c.front for c in deck.cards]


# --- errors per card -------------------------------------------------------------------------

def test_one_bad_card_does_not_sink_the_file():
    deck = parse("Good :: fine\n\nQ: Unfinished\n\nQ: Second?\nA: yes\n")
    assert fronts(deck) == ["Good", "Second?"]
    assert deck.errors == []
    assert [(e.line, e.message) for e in deck.skipped] == [(3, "question has no answer")]
    assert str(deck.skipped[0]).startswith("deck.md:3:1: question has no answer (hint: ")


def test_strict_keeps_all_or_nothing():
    deck = parse("Good :: fine\n\nQ: Unfinished\n", strict=True)
    assert [e.message for e in deck.errors] == ["question has no answer"] and deck.skipped == []


def test_file_level_problems_stay_file_errors():
    deck = parse("Good :: fine\n\n```\nnever closed\n")
    assert any("never closed" in e.message for e in deck.errors)
    deck = parse("---\nmode: sideways\n---\nGood :: fine\n")
    assert any("'mode'" in e.message for e in deck.errors)


# --- obsidian-spaced-repetition ----------------------------------------------------------------

OBSIDIAN_SR = """\
---
tags: [flashcards/astro]
sr-due: 2026-01-01
---
# Astronomy

#flashcards/astro/planets

## Which planet has the most moons?
?
Saturn, at last count.
<!--SR:!2026-03-01,3,250-->

Why is Mars red?
?
Iron oxide dust on its surface. ^mars-red

A day on Venus is longer than its year #flashcard
True: it rotates very slowly.

- [ ] Perihelion :: the point of an orbit closest to the Sun
- [x] Aphelion :: the point farthest from it

See [[Kepler's laws|Kepler]] :: three laws of planetary motion
![[orbit.png]] :: an elliptical orbit
"""


def test_obsidian_sr_deck():
    deck = parse(OBSIDIAN_SR)
    assert not deck.errors and not deck.skipped
    assert [(c.front, c.back) for c in deck.cards] == [
        ("Which planet has the most moons?", "Saturn, at last count."),
        ("Why is Mars red?", "Iron oxide dust on its surface."),
        ("A day on Venus is longer than its year", "True: it rotates very slowly."),
        ("Perihelion", "the point of an orbit closest to the Sun"),
        ("Aphelion", "the point farthest from it"),
        ("See Kepler", "three laws of planetary motion"),
        ("[image: orbit.png]", "an elliptical orbit"),
    ]
    # the heading that is the question is not also in its path
    assert deck.cards[0].heading_path == ()
    # the tag line is the note's deck tag: on every card; the trailing tag on its card
    assert all("flashcards/astro/planets" in c.tags for c in deck.cards)
    assert "flashcard" in deck.cards[2].tags


@pytest.mark.parametrize("fast", [True, False])
def test_heading_above_separator_is_the_question(fast):
    deck = parse_deck("# Geo\n\n## Capitals\n\n### What is the capital of France?\n?\nParis\n", "g.md",
                      _fast_path=fast)
    assert [(c.front, c.back, c.heading_path) for c in deck.cards] == [
        ("What is the capital of France?", "Paris", ("Capitals",))]


@pytest.mark.parametrize(("block", "front"), [
    ("Which numbers are prime?\n- 2\n- 3\n- 5\n?\nAll three.\n", "Which numbers are prime?\n- 2\n- 3\n- 5"),
    ("What does this print?\n```python\nprint(1 + 1)\n```\n?\n2\n",
     "What does this print?\n```python\nprint(1 + 1)\n```"),
    ("Which row is larger?\n| x | y |\n|---|---|\n| 1 | 9 |\n?\nThe y column.\n",
     "Which row is larger?\n| x | y |\n|---|---|\n| 1 | 9 |"),
    ("- only a list\n- no sentence\n?\nStill a card.\n", "- only a list\n- no sentence"),
])
def test_question_with_list_code_or_table_above_separator(block, front):
    deck = parse(block)
    assert not deck.errors and not deck.skipped, [str(e) for e in deck.skipped]
    assert [c.front for c in deck.cards] == [front]
    assert deck.cards[0].back in ("All three.", "2", "The y column.", "Still a card.")


def test_separators_in_front_matter_and_as_a_setting():
    text = "---\nseparators: {inline: ';;', inline_reverse: ';;;', multiline: '??', multiline_reverse: '???'}\n---\n" \
           "Hund ;; dog\nKatze ;;; cat\n\nWhat is a noun?\n??\nA naming word.\n\nold :: style stays text\n"
    deck = parse(text)
    assert [(c.front, c.back) for c in deck.cards] == [
        ("Hund", "dog"), ("Katze", "cat"), ("cat", "Katze"), ("What is a noun?", "A naming word.")]
    deck = parse("Hund ;; dog\n", separators={"inline": ";;", "inline_reverse": ";;;", "multiline": "?",
                                                "multiline_reverse": "??"})
    assert fronts(deck) == ["Hund"]


def test_bad_separators_are_a_front_matter_error():
    deck = parse("---\nseparators: {inline: '', sideways: '>>'}\n---\na :: b\n")
    assert deck.errors and "separators" in deck.errors[0].message and deck.errors[0].line == 2


def test_highlight_cloze_can_be_turned_off():
    text = "The ==mitochondria== is the powerhouse of the cell.\n\nATP :: the energy currency\n"
    assert len(parse(text).cards) == 2
    deck = parse("---\nhighlight_cloze: false\n---\n" + text)
    assert fronts(deck) == ["ATP"]


def test_tags_checkboxes_links_and_block_ids_leave_the_text():
    deck = parse("#flashcards/bio\nWhat makes ATP?\n?\nThe [[mitochondrion|mitochondria]] ^atp1\n")
    (card,) = deck.cards
    assert (card.front, card.back, card.tags) == ("What makes ATP?", "The mitochondria", ("flashcards/bio",))
    deck = parse("Symbol of [[Carbon]] :: C, as in `#define C` #chem\n")
    assert (deck.cards[0].front, deck.cards[0].back, deck.cards[0].tags) == ("Symbol of Carbon", "C, as in `#define C`",
                                                                          ("chem",))
    # not tags: C#, #1, headings inside an answer, code
    deck = parse("Q: Which languages?\nA: C# and F# rank #1\n\n```\n#tag in code\n```\n")
    assert deck.cards[0].back == "C# and F# rank #1\n\n```\n#tag in code\n```" and deck.cards[0].tags == ()


# --- hashcards ---------------------------------------------------------------------------------

HASHCARDS = """\
---
name = "Cell biology"
---

Q: What does the ribosome make?
A: Proteins.

Q: What does the Golgi apparatus do?
A:

C: The [nucleus] holds the cell's [DNA].
"""


def test_hashcards_deck_with_toml_and_a_stub_card():
    deck = parse(HASHCARDS)
    assert deck.title == "Cell biology"
    assert fronts(deck) == ["What does the ribosome make?", "The [...] holds the cell's DNA.",
                            "The nucleus holds the cell's [...]."]
    assert not deck.errors and not deck.skipped
    assert [(w.line, "empty answer" in w.message) for w in deck.warnings] == [(9, True)]


# --- mdanki / md2apkg --------------------------------------------------------------------------

MDANKI = """\
# Networking

## What does TCP guarantee?

Think about ordering.

%

Reliable, ordered delivery. [#networking]()

## What is UDP?

<!-- md2apkg split -->

Connectionless datagrams.

## Port of HTTPS

443
"""


def test_mdanki_deck_needs_only_the_mode():
    plain = parse(MDANKI)
    assert plain.cards == []
    (hint,) = plain.warnings
    assert "in headings mode 3" in hint.message and "--mode headings" in hint.hint
    deck = parse(MDANKI, mode="headings")
    assert [(c.front, c.back, c.tags) for c in deck.cards] == [
        ("What does TCP guarantee?\n\nThink about ordering.", "Reliable, ordered delivery.", ("networking",)),
        ("What is UDP?", "Connectionless datagrams.", ()),
        ("Port of HTTPS", "443", ()),
    ]
    assert [c.front for c in parse("---\nmode: headings\n---\n" + MDANKI).cards] == fronts(deck)


def test_outline_flag_is_the_mode():
    text = "- Term: a definition\n"
    assert fronts(parse(text, outline=True)) == fronts(parse(text, mode="outline")) == ["Term"]


def test_unknown_mode_is_refused():
    with pytest.raises(ValueError):
        parse("a :: b\n", mode="sideways")


# --- Obsidian_to_Anki --------------------------------------------------------------------------

O2A = """\
TARGET DECK
Chemistry

START
Basic
What is the pH of pure water?
Back: 7, at 25 °C.
Tags: acids
<!--ID: 1700000000001-->
END

START
Basic (and reversed card)
Front: Na
Back: Sodium
END

START
Cloze
Water is {{c1::H2O}}.
END

What is an isotope? #flashcard
An atom with a different number of neutrons.
<!--ID: 1700000000002-->

Name the noble gases #flashcard
- helium
- neon
- argon
"""


def test_obsidian_to_anki_deck():
    deck = parse(O2A)
    assert not deck.errors and not deck.skipped, [str(e) for e in deck.skipped]
    assert [(c.front, c.back) for c in deck.cards] == [
        ("What is the pH of pure water?", "7, at 25 °C."),
        ("Na", "Sodium"), ("Sodium", "Na"),
        ("Water is [...].", "Water is **H2O**."),
        ("What is an isotope?", "An atom with a different number of neutrons."),
        ("Name the noble gases", "- helium\n- neon\n- argon"),
    ]
    assert deck.cards[0].tags == ("acids",)
    assert all("ID:" not in c.back and "TARGET" not in c.front for c in deck.cards)


def test_unclosed_start_block_is_text():
    deck = parse("START\nthe race begins :: at noon\n")
    assert fronts(deck) == ["the race begins"] and not deck.skipped


# --- text fidelity -----------------------------------------------------------------------------

def test_angle_brackets_and_breaks_are_kept_in_the_text():
    deck = parse("Q: <C-v>\nA: Press <Esc> twice<br>then `:wq`\n\nC: Line one\nline [two]\n")
    assert [(c.front, c.back) for c in deck.cards][0] == ("<C-v>", "Press <Esc> twice<br>then `:wq`")
    assert deck.cards[1].front == "Line one\nline [...]"


@pytest.mark.parametrize("text", ["==The whole sentence is hidden.==\n", "{{c1::Everything here}}\n"])
def test_whole_paragraph_cloze_warns(text):
    deck = parse(text)
    assert len(deck.cards) == 1 and any("whole paragraph" in w.message for w in deck.warnings)


# --- outline mode ------------------------------------------------------------------------------

def test_outline_narration_and_emphasis_are_not_terms():
    text = ("## Consensus\n\n- Node B says: \"done\"\n- *Tip: start small.*\n- `a: b` in code\n"
            "- Quorum: a majority of nodes\n")
    deck = parse(text, mode="outline")
    assert [(c.front, c.back) for c in deck.cards] == [("Quorum", "a majority of nodes")]
