"""Deck parser: each card syntax, heading paths, front matter options, markers inside code."""

from __future__ import annotations

import textwrap

import pytest

from studyllm.decks.parser import parse_deck


def parse(text: str, **kw):
    return parse_deck(textwrap.dedent(text).lstrip("\n"), "deck.md", **kw)


def only(deck, kind=None):
    cards = [c for c in deck.cards if kind is None or c.kind == kind]
    assert len(cards) == 1, [(c.kind, c.front) for c in deck.cards]
    return cards[0]


# --------------------------------------------------------------------------- Q:/A:
def test_qa_multiline_answer_keeps_markdown_until_next_marker():
    deck = parse("""
        Q: What is a token?
        A: A **piece** of text, e.g. 自编码模型.

        | model | params |
        |-------|--------|
        | BERT  | 110M   |

        ```python
        tokens = tok("hi")
        ```

        - one
        - two

        Q: Next?
        A: Yes.
        """)
    assert not deck.errors
    assert [c.front for c in deck.cards] == ["What is a token?", "Next?"]
    back = deck.cards[0].back
    assert back.startswith("A **piece** of text, e.g. 自编码模型.")
    assert "| BERT  | 110M   |" in back and '```python\ntokens = tok("hi")\n```' in back
    assert back.endswith("- one\n- two")
    assert deck.cards[0].line == 1 and deck.cards[1].line == 15
    assert deck.cards[0].kind == "basic" and deck.cards[0].variant == ""


def test_marker_swallowed_by_list_above_is_an_error():
    deck = parse("Q: Parts?\nA:\n- encoder\n- decoder\nQ: Next?\nA: yes\n")
    assert [e.line for e in deck.errors] == [5]
    assert "blank line" in deck.errors[0].hint


def test_qa_answer_ends_at_hr_and_heading():
    deck = parse("""
        Q: one?
        A: first
        ---
        stray text after the rule
        Q: two?
        A: second

        ## Later
        more notes
        """)
    assert [(c.front, c.back) for c in deck.cards] == [("one?", "first"), ("two?", "second")]
    assert deck.cards[1].heading_path == ()


def test_qa_setext_rule_after_answer_is_not_a_heading():
    deck = parse("Q: a?\nA: b\n---\nQ: c?\nA: d\n")
    assert [(c.front, c.back) for c in deck.cards] == [("a?", "b"), ("c?", "d")]
    assert not deck.errors


def test_setext_heading_without_card_syntax_stays_a_heading():
    deck = parse("Section a == b\n---\n\nx :: y\n")
    assert deck.cards[0].heading_path == ("Section a == b",)


def test_multi_paragraph_question():
    deck = parse("""
        Q: Look at this code:

            x = y ** 2

        What does it compute?
        A: The square.
        """)
    card = only(deck)
    assert card.front.startswith("Look at this code:") and card.front.endswith("What does it compute?")
    assert "    x = y ** 2" in card.front


def test_trailing_whitespace_is_stripped_and_text_is_stable():
    a = parse("Q: What is BPE?   \nA: Byte pair encoding.  \n")
    b = parse("Q: What is BPE?\nA: Byte pair encoding.\n")
    assert (a.cards[0].front, a.cards[0].back) == (b.cards[0].front, b.cards[0].back) == (
        "What is BPE?", "Byte pair encoding.")


# --------------------------------------------------------------------------- :: and :::
def test_single_line_and_reversed():
    deck = parse("""
        Capital of France :: Paris
        大::big
        Large ::: 大

        - in a list :: works too
        """)
    cards = [(c.front, c.back, c.variant) for c in deck.cards]
    assert cards == [
        ("Capital of France", "Paris", ""),
        ("大", "big", ""),
        ("Large", "大", ""),
        ("大", "Large", "reverse"),
        ("in a list", "works too", ""),
    ]
    assert deck.cards[0].line == 1 and deck.cards[4].line == 5


def test_empty_side_is_a_warning():
    deck = parse("term ::\n")
    assert not deck.cards and not deck.errors
    assert "empty side" in deck.warnings[0].message


# --------------------------------------------------------------------------- ? and ??
def test_question_mark_separator_cards():
    deck = parse("""
        What is the answer
        to everything?
        ?
        42
        <!--SR:!2026-08-24,8,250-->

        Two-way front
        ??
        Two-way back
        """)
    assert [(c.front, c.back, c.variant) for c in deck.cards] == [
        ("What is the answer\nto everything?", "42", ""),
        ("Two-way front", "Two-way back", ""),
        ("Two-way back", "Two-way front", "reverse"),
    ]
    assert deck.cards[0].line == 1


def test_separator_answer_runs_through_touching_blocks_only():
    deck = parse("""
        List the parts?
        ?
        - encoder
        - decoder

        Unrelated paragraph.
        """)
    card = only(deck)
    assert card.back == "- encoder\n- decoder"


def test_separator_card_followed_by_a_rule():
    deck = parse("What?\n?\nThat.\n---\nNext\n?\nOne\n")
    assert [(c.front, c.back) for c in deck.cards] == [("What?", "That."), ("Next", "One")]


def test_separator_without_question_or_answer_is_an_error():
    deck = parse("\n?\nanswer\n")
    assert "no question" in deck.errors[0].message
    deck = parse("question\n?\n")
    assert "no answer" in deck.errors[0].message


# --------------------------------------------------------------------------- cloze
def test_anki_cloze_same_number_is_one_card_with_hint():
    deck = parse("The {{c1::Eiffel tower::landmark}} is in {{c2::Paris}}; it is {{c1::tall}}.\n")
    assert [c.variant for c in deck.cards] == ["c1", "c2"]
    c1, c2 = deck.cards
    assert c1.kind == "cloze"
    assert c1.front == "The [landmark] is in Paris; it is [...]."
    assert c1.back == "The **Eiffel tower** is in Paris; it is **tall**."
    assert c1.extra == {"index": "c1", "answers": ["Eiffel tower", "tall"]}
    assert c2.front == "The Eiffel tower is in [...]; it is tall."


def test_cloze_numbers_sort_numerically():
    deck = parse("{{c10::a}} {{c2::b}} {{c1::c}}\n")
    assert [c.variant for c in deck.cards] == ["c1", "c2", "c10"]


def test_highlights_each_make_a_card():
    deck = parse("Temperature ==below 1== sharpens, ==above 1== flattens; a == b is not one.\n")
    assert [(c.variant, c.front) for c in deck.cards] == [
        ("hl1", "Temperature [...] sharpens, above 1 flattens; a == b is not one."),
        ("hl2", "Temperature below 1 sharpens, [...] flattens; a == b is not one."),
    ]
    assert deck.cards[0].back.startswith("Temperature **below 1** sharpens")


def test_c_block_bracket_deletions():
    deck = parse("C: The [dot product] measures [alignment]; see [link](http://x).\n")
    assert [(c.variant, c.front, c.back) for c in deck.cards] == [
        ("d1", "The [...] measures alignment; see [link](http://x).",
         "The **dot product** measures alignment; see [link](http://x)."),
        ("d2", "The dot product measures [...]; see [link](http://x).",
         "The dot product measures **alignment**; see [link](http://x)."),
    ]
    assert deck.cards[0].extra["answers"] == ["dot product"]


def test_c_block_without_deletions_is_an_error():
    deck = parse("C: nothing hidden here\n")
    assert "no [deletions]" in deck.errors[0].message


def test_cloze_bomb_is_capped():
    note = " ".join(f"{{{{c{i}::x{i}}}}}" for i in range(1, 2001))
    deck = parse(note + "\n")
    assert not deck.cards
    assert "at most 50" in deck.errors[0].message
    brackets = "C: " + " ".join(f"[w{i}]" for i in range(80)) + "\n"
    deck = parse(brackets)
    assert not deck.cards and "at most 50" in deck.errors[0].message


def test_same_cloze_number_many_times_is_fine():
    deck = parse(" ".join("{{c1::x}}" for _ in range(500)) + "\n")
    assert len(deck.cards) == 1 and not deck.errors


# --------------------------------------------------------------------------- MCQ and ordered
def test_mcq_after_question_paragraph_and_after_q_marker():
    deck = parse("""
        Which models are encoder-only?
        - [x] BERT
        - [ ] GPT-3
        - [X] RoBERTa

        Q: Pick the decoder-only model
        - [ ] T5
        - [x] BLOOM
        """)
    a, b = deck.cards
    assert a.kind == b.kind == "mcq"
    assert a.front == "Which models are encoder-only?"
    assert a.extra["choices"] == [
        {"text": "BERT", "correct": True}, {"text": "GPT-3", "correct": False},
        {"text": "RoBERTa", "correct": True}]
    assert b.front == "Pick the decoder-only model"
    assert [c["correct"] for c in b.extra["choices"]] == [False, True]


def test_mcq_as_the_answer_of_a_q_block():
    deck = parse("Q: Which are decoder-only?\nA:\n- [x] GPT\n- [ ] BERT\n")
    card = only(deck)
    assert card.kind == "mcq" and card.front == "Which are decoder-only?"
    assert card.extra["choices"] == [{"text": "GPT", "correct": True}, {"text": "BERT", "correct": False}]


def test_indented_marker_inside_a_list_item_is_not_an_error():
    deck = parse("- Q: inside a list\n  A: stays list text\n")
    assert deck.errors == [] and deck.cards == []


def test_mcq_without_correct_choice_is_an_error():
    deck = parse("Which one?\n- [ ] a\n- [ ] b\n")
    assert not deck.cards
    assert deck.errors[0].message == "multiple-choice question has no correct choice"
    assert deck.errors[0].line == 1


def test_plain_todo_list_is_not_a_question():
    deck = parse("Things to do:\n- [ ] read the paper\n- [ ] run the notebook\n")
    assert not deck.cards and not deck.errors


def test_ordered_answers():
    deck = parse("""
        Q: Put the stages of the LLM lifecycle in order
        A:
        1. Scope
        2. Select
        3. Adapt and align
        4. Application

        O: Order by size, smallest first
        1. BERT-base
        2. GPT-3

        Steps of attention (in order)
        1. scores
        2. softmax
        3. weighted sum
        """)
    kinds = [(c.kind, c.front) for c in deck.cards]
    assert kinds == [("basic", "Put the stages of the LLM lifecycle in order"),
                     ("ordered", "Order by size, smallest first"),
                     ("ordered", "Steps of attention")]
    assert deck.cards[1].extra == {"items": ["BERT-base", "GPT-3"]}
    assert deck.cards[2].extra["items"] == ["scores", "softmax", "weighted sum"]


def test_q_marked_in_order_becomes_ordered():
    deck = parse("Q: Lifecycle stages (in order)\nA:\n1. Scope\n2. Select\n")
    card = only(deck)
    assert card.kind == "ordered" and card.front == "Lifecycle stages"
    assert card.extra["items"] == ["Scope", "Select"]
    assert card.back == "1. Scope\n2. Select"


def test_o_without_numbered_list_is_an_error():
    deck = parse("O: Order these\n\nnot a list\n")
    assert "numbered list" in deck.errors[0].message


# --------------------------------------------------------------------------- calc
def test_calc_block_is_kept_with_body_line():
    body = "question: GB for {p} params in fp16?\nvars:\n  p: choice(1B, 7B)\nanswer: weights_bytes(p, fp16)\n" \
           "unit: GB\ntolerance: 2%\n"
    deck = parse("## Memory\n\n```calc\n" + body + "```\n")
    card = only(deck)
    assert not deck.errors
    assert card.kind == "calc" and card.front == body.rstrip("\n")
    assert card.extra == {"body": body, "body_line": 4}
    assert card.heading_path == ("Memory",) and card.line == 3


def test_unexpected_calc_checker_failure_is_a_deck_error_not_a_crash(monkeypatch):
    from studyllm.calc import cards

    def broken(body: str) -> None:
        raise RuntimeError("checker bug")

    monkeypatch.setattr(cards, "parse_spec", broken)
    deck = parse("## Memory\n\n```calc\nanything: goes\n```\n\nQ: still here?\nA: yes\n")
    assert [c.kind for c in deck.cards] == ["basic"]
    assert len(deck.errors) == 1 and "calc block could not be checked: RuntimeError: checker bug" in str(deck.errors[0])
    assert deck.errors[0].line == 3


def test_calc_errors_are_mapped_to_file_lines(monkeypatch):
    import sys
    import types

    class CalcSpecError(Exception):
        def __init__(self, message, line, hint=""):
            super().__init__(message)
            self.line = line
            self.hint = hint

    def parse_spec(body):
        for i, line in enumerate(body.split("\n"), 1):
            if line.startswith("bad"):
                raise CalcSpecError("bad line", i, "fix it")
        return {"ok": True}

    fake = types.ModuleType("studyllm.calc.cards")
    fake.CalcSpecError = CalcSpecError
    fake.parse_spec = parse_spec
    monkeypatch.setitem(sys.modules, "studyllm.calc.cards", fake)
    deck = parse("intro\n\n```calc\nok: 1\nbad: 2\n```\n\n```calc\nfine\n```\n")
    assert len(deck.errors) == 1
    err = deck.errors[0]
    assert (err.line, err.message, err.hint) == (5, "calc block: bad line", "fix it")
    assert [c.extra["body_line"] for c in deck.cards] == [9]


def test_other_fences_are_not_calc():
    deck = parse("```python\nQ: no\nA: no\n```\n")
    assert not deck.cards


# --------------------------------------------------------------------------- markers inside code / HTML
@pytest.mark.parametrize("text", [
    "```\nQ: in a fence\nA: no\nfront :: back\n{{c1::no}}\n```\n",
    "~~~md\nC: [no]\n~~~\n",
    "    Q: indented code\n    A: no\n    a :: b\n",
    "<div>\nQ: in html\nA: no\na :: b\n</div>\n",
    "<!--\nQ: in a comment\nA: no\n-->\n",
    "Use `a :: b` and `{{c1::x}}` and `==y==` in code.\n",
    'Some <span title="a :: b">html</span> and <x-y data="{{c1::z}}">tags</x-y>.\n',
    "Escaped \\:: is not a card, nor [a::b](http://x) a link text.\n",
    "`Q: inline code at line start`\n`A: still code`\n",
    "```\nwhat\n?\nno\n```\n",
])
def test_markers_inside_code_and_html_are_ignored(text):
    deck = parse_deck(text, "deck.md")
    assert deck.cards == [] and deck.errors == []


def test_marker_after_inline_code_still_counts():
    deck = parse("`x` is code :: but this is a card\n")
    card = only(deck)
    assert card.front == "`x` is code" and card.back == "but this is a card"


# --------------------------------------------------------------------------- headings, front matter
def test_heading_path_excludes_title_h1():
    deck = parse("""
        # Memory deck

        ## Weights

        ### FP16

        a :: b

        ## Optimizer

        c :: d
        """)
    assert deck.title == "Memory deck"
    assert [c.heading_path for c in deck.cards] == [("Weights", "FP16"), ("Optimizer",)]


def test_front_matter_sets_title_tags_id_options():
    deck = parse("""
        ---
        title: My LLM deck
        tags: [llm, "#memory"]
        id: llm-basics
        new_per_day: 7
        reviews_per_day: 150
        ---
        # Other heading

        a :: b
        """)
    assert deck.title == "My LLM deck" and deck.key == "llm-basics"
    assert deck.tags == ("llm", "memory")
    assert deck.options == {"new_per_day": 7, "reviews_per_day": 150}
    assert deck.cards[0].heading_path == ("Other heading",)


def test_key_and_title_default_to_file_stem():
    deck = parse_deck("a :: b\n", "/some/dir/My Deck 2.md")
    assert deck.key == "my-deck-2" and deck.title == "My Deck 2"


@pytest.mark.parametrize("key,value", [
    ("new_per_day", "many"), ("new_per_day", "-3"), ("reviews_per_day", "true"),
    ("mode", "flashcards"), ("heading_level", "9"), ("tags", "{a: 1}"), ("id", "''"),
])
def test_bad_front_matter_values_name_the_key(key, value):
    deck = parse_deck(f"---\ntitle: T\n{key}: {value}\n---\na :: b\n", "d.md")
    assert len(deck.errors) == 1
    assert f"'{key}'" in deck.errors[0].message
    assert deck.errors[0].line == 3


def test_headings_mode():
    deck = parse("""
        ---
        mode: headings
        ---
        # Reading list

        ## Attention is all you need
        Introduced the transformer.

        ### Detail
        Self-attention only.

        ## Chinchilla
        About 20 tokens per parameter.

        ## Empty heading
        """)
    assert deck.mode == "headings"
    assert [(c.front, c.back) for c in deck.cards] == [
        ("Attention is all you need", "Introduced the transformer.\n\n### Detail\nSelf-attention only."),
        ("Chinchilla", "About 20 tokens per parameter."),
    ]
    assert any("no text under it" in w.message for w in deck.warnings)


def test_headings_mode_level_option():
    deck = parse("---\nmode: headings\nheading_level: 3\n---\n## Group\n### Q1\nA1\n### Q2\nA2\n")
    assert [(c.front, c.back, c.heading_path) for c in deck.cards] == [
        ("Q1", "A1", ("Group",)), ("Q2", "A2", ("Group",))]


def test_duplicate_cards_warn():
    deck = parse("a :: b\n\na :: b\n")
    assert len(deck.cards) == 2
    assert "duplicate" in deck.warnings[0].message
