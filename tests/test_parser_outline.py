"""Outline notes mode, and compatibility with the syntaxes of public decks (own fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import shared_dir

from studyllm.decks.parser import parse_deck, parse_file

DATA = Path(__file__).parent / "data" / "decks"
NOTES = shared_dir() / "source-notes" / "llm-course-week1-notes.md"


def cards_by_front(deck):
    return {c.front: c for c in deck.cards}


def test_outline_fixture_rules():
    deck = parse_file(DATA / "outline_notes.md", outline=True)
    assert deck.mode == "outline" and not deck.errors
    by = cards_by_front(deck)
    # rule 1: term: definition (plain and bold), at any depth
    assert by["BPE"].back == "merges the most frequent pair of symbols, again and again"
    assert by["Byte fallback"].back == "unknown characters become raw bytes"
    # rule 2: items with children; short leaf children become one line
    assert by["vocabulary size › GPT-2"].back == "50257"
    assert by["vocabulary size"].back == "- GPT-2\n  - 50257\n- BERT\n  - 30522"
    assert by["Subword › examples"].back == "BPE, Unigram"
    assert by["Subword › 原理"].back == "把词切成常见的片段"
    # rule 3: label paragraph before a list: a card, and context for the list's cards
    assert by["Tokenizer families"].back == "Subword, Character"
    assert by["Subword"].heading_path == ("Tokenizers", "Tokenizer families")
    assert by["BPE"].heading_path == ("Tokenizers",)
    # rule 4: term: definition lines in a paragraph; rule 5: heading ending in '?'
    assert by["Context window"].back == "the number of tokens the model can look at"
    assert by["Why causal masks?"].back.startswith("They stop a token")
    # not definitions: code, URLs, times
    assert not any(f.startswith(("`key", "https", "10")) for f in by)
    assert len(deck.cards) == 15


def test_outline_flag_and_front_matter_mode_agree():
    text = (DATA / "outline_notes.md").read_text(encoding="utf-8")
    a = parse_deck(text, "n.md", outline=True)
    b = parse_deck("---\nmode: outline\n---\n" + text, "n.md")
    assert [(c.front, c.back) for c in a.cards] == [(c.front, c.back) for c in b.cards]
    plain = parse_deck(text, "n.md")
    assert plain.mode == "cards" and plain.cards == []


def test_outline_keeps_other_syntaxes():
    deck = parse_deck("- a :: b\n- term: def\n\nQ: q?\nA: a\n", "n.md", outline=True)
    assert [(c.front, c.back) for c in deck.cards] == [("a", "b"), ("term", "def"), ("q?", "a")]


def test_outline_question_heading_over_a_card_is_not_doubled():
    deck = parse_deck("## Why?\n\nQ: real question\nA: real answer\n", "n.md", outline=True)
    assert [(c.front, c.back) for c in deck.cards] == [("real question", "real answer")]


def test_outline_long_parent_labels_are_shortened_in_the_path():
    parent = "Describe the steps in a typical model lifecycle and the factors behind each decision"
    deck = parse_deck(f"1. {parent}\n   - scope: define the use case\n", "n.md", outline=True)
    by = cards_by_front(deck)
    child = next(c for c in deck.cards if c.front.endswith("› scope"))
    assert child.front.startswith("Describe the steps") and "…" in child.front
    assert by[parent].back == "scope: define the use case"  # a single short child: one line


@pytest.mark.skipif(not NOTES.exists(), reason="course notes not present")
def test_course_notes_import_as_outline():
    deck = parse_file(NOTES, outline=True)
    assert deck.errors == []
    assert len(deck.cards) >= 40
    by = cards_by_front(deck)
    assert by["Encoder-only › examples"].back == "BERT, RoBERTa"
    assert by["Decoder-only › examples"].back == "GPT, BLOOM"
    top_k = next(c for c in deck.cards if c.front.endswith("› top K"))
    assert top_k.back.startswith("for the softmax output")
    assert by["LLM types"].back == "Encoder-only, Decoder-only, Encoder-decoder"
    assert by["FP16"].heading_path[-1] == "Quantization"
    assert any("自编码模型" in c.back for c in deck.cards)
    # every card has both sides and a line inside the file
    n_lines = NOTES.read_text(encoding="utf-8").count("\n") + 1
    assert all(c.front and c.back and 1 <= c.line <= n_lines for c in deck.cards)


# --------------------------------------------------------------------------- compatibility fixtures
def test_hashcards_style_fixture():
    deck = parse_file(DATA / "hashcards_style.md")
    assert deck.errors == [] and deck.title == "Attention basics"
    kinds = [c.kind for c in deck.cards]
    assert kinds.count("basic") == 3 and kinds.count("cloze") == 5
    first = deck.cards[0]
    assert first.back.endswith("A list like [4, 8] in an answer is plain text.")
    assert "<!--" not in first.back and "<!--" not in deck.cards[-2].back
    latex = [c for c in deck.cards if c.kind == "cloze" and "sqrt" in c.front]
    assert [c.extra["answers"] for c in latex] == [["d_k"], ["variance"]]


def test_obsidian_style_fixture():
    deck = parse_file(DATA / "obsidian_style.md")
    assert deck.errors == [] and deck.title == "Drill deck"
    assert deck.tags == ("flashcards", "attention")
    assert len(deck.cards) == 5
    assert all("<!--SR" not in c.back and "<!--SR" not in c.front for c in deck.cards)
    assert deck.cards[0].heading_path == ("Topic A — Softmax",)
    assert [c.variant for c in deck.cards].count("reverse") == 1
    assert deck.cards[-1].back == "- the positional scheme\n- the memory for the KV cache"


def test_chinese_hashcards_style_brackets_in_answers_stay_text():
    text = (
        "# 🎓 面试卡片\n\n> 使用 `Q:` 和 `A:` 标记问答，`[关键词]` 用于挖空\n\n---\n\n## 一、注意力\n\n"
        "Q: 注意力为什么要除以 $\\sqrt{d_k}$？\n"
        "A: 防止点积过大，使 [softmax] 梯度过小；取值在 [0,1] 区间。\n\n"
        "### 1.2 进阶\n\nQ: 多头注意力的好处？\nA: ①不同[子空间]；②并行计算。\n\n---\n\n*尾注*\n"
    )
    deck = parse_deck(text, "面试.md")
    assert deck.errors == [] and deck.title == "🎓 面试卡片" and deck.key == "面试"
    assert [c.kind for c in deck.cards] == ["basic", "basic"]
    assert deck.cards[0].back == "防止点积过大，使 [softmax] 梯度过小；取值在 [0,1] 区间。"
    assert deck.cards[1].heading_path == ("一、注意力", "1.2 进阶")
    assert deck.cards[1].back == "①不同[子空间]；②并行计算。"
