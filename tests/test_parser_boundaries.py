"""Where one card ends and the next begins, across every pair of syntaxes (#15 "card boundaries").

Each snippet is one card (or a note of cards) in one syntax; every snippet is put after every
other one, with one blank line between, and the deck must give exactly the fronts of the
first followed by the fronts of the second, on both the fast path and markdown-it's.
"""

from __future__ import annotations

import itertools

import pytest

from studyllm.decks.parser import parse_deck

SNIPPETS: dict[str, tuple[str, list[str]]] = {
    "qa": ("Q: What is a tensor?\nA: A multi-dimensional array.", ["What is a tensor?"]),
    "qa-two-paragraphs": ("Q: Name two optimisers\nA: Adam and SGD.\n\nBoth are first-order methods.",
                          ["Name two optimisers"]),
    "inline": ("Epoch :: one pass over the training data", ["Epoch"]),
    "inline-reverse": ("Loss ::: what training minimises", ["Loss", "what training minimises"]),
    "separator": ("What does dropout do?\n?\nIt zeroes random activations.", ["What does dropout do?"]),
    "separator-reverse": ("Batch size\n??\nExamples per optimiser step", ["Batch size", "Examples per optimiser step"]),
    "anki-cloze": ("The {{c1::softmax}} turns logits into probabilities.",
                   ["The [...] turns logits into probabilities."]),
    "c-block": ("C: Adam keeps [two] moment estimates per weight.", ["Adam keeps [...] moment estimates per weight."]),
    "mcq": ("Which are activation functions?\n- [x] ReLU\n- [ ] Adam\n- [x] GELU", ["Which are activation functions?"]),
    "ordered": ("O: Order one training step\n1. Forward pass\n2. Loss\n3. Backward pass", ["Order one training step"]),
    "flashcard-tag": ("What is a GPU for? #flashcard\nRunning many small computations in parallel.",
                      ["What is a GPU for?"]),
    "start-end": ("START\nBasic\nWhat is CUDA?\nBack: NVIDIA's platform for GPU programs.\nEND", ["What is CUDA?"]),
    "heading-question": ("## What is a kernel?\n?\nA function that runs on the GPU.", ["What is a kernel?"]),
}
# A highlight paragraph after an answer is ambiguous (a note in the answer, or a card?): it
# stays in the answer, with a warning. Everything else starts a card of its own.
HIGHLIGHT = ("A ==learning rate== that is too high makes training diverge.",
             ["A [...] that is too high makes training diverge."])
RUNS_ON = {"qa", "qa-two-paragraphs", "c-block"}


@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "markdown-it"])
@pytest.mark.parametrize(("first", "second"), list(itertools.product(SNIPPETS, SNIPPETS)))
def test_every_syntax_after_every_other(first, second, fast):
    (a, fa), (b, fb) = SNIPPETS[first], SNIPPETS[second]
    deck = parse_deck(f"{a}\n\n{b}\n", "mixed.md", _fast_path=fast)
    assert not deck.errors and not deck.skipped, [str(e) for e in deck.errors + deck.skipped]
    assert [c.front for c in deck.cards] == fa + fb


@pytest.mark.parametrize("first", sorted(SNIPPETS))
def test_highlight_after_each_syntax(first):
    a, fa = SNIPPETS[first]
    deck = parse_deck(f"{a}\n\n{HIGHLIGHT[0]}\n", "mixed.md")
    if first in RUNS_ON:  # the C: block's note is its text: the paragraph joins both sides
        assert [c.front.split("\n\n")[0] for c in deck.cards] == fa
        assert "learning rate" in deck.cards[-1].back
        assert any("highlight" in w.message and w.line == a.count("\n") + 3 for w in deck.warnings)
    else:
        assert [c.front for c in deck.cards] == fa + HIGHLIGHT[1]


def test_answer_swallowing_the_next_cards():
    """The issue's first case: 1 card before, 3 now."""
    deck = parse_deck("Q: How do you stage part of a file?\nA: Use patch mode.\n\nHEAD :: the commit you are on\n\n"
                      "The command {{c1::git stash}} shelves changes.\n", "git.md")
    assert [(c.front, c.back) for c in deck.cards] == [
        ("How do you stage part of a file?", "Use patch mode."),
        ("HEAD", "the commit you are on"),
        ("The command [...] shelves changes.", "The command **git stash** shelves changes."),
    ]


@pytest.mark.parametrize("keep", [
    "Q: What does a colon mean here?\nA: It depends.\n\n    a :: b\n",  # indented: code in the answer
    "Q: What does a colon mean here?\nA: It depends.\n\na \\:: b\n",  # escaped
    "Q: What does a colon mean here?\nA: It depends.\n- a :: b\n",  # a list touching the answer
])
def test_a_card_line_kept_inside_an_answer(keep):
    deck = parse_deck(keep, "keep.md")
    assert len(deck.cards) == 1 and "a" in deck.cards[0].back.split("It depends.")[1]


def test_rule_ends_an_answer_and_a_paragraph_after_it_is_free():
    deck = parse_deck("Q: q?\nA: the answer\n\n---\n\nJust a note.\n", "r.md")
    assert [(c.front, c.back) for c in deck.cards] == [("q?", "the answer")]
