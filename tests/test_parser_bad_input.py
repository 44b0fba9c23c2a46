"""Deck parser: bad input gives a per-file error (or a documented parse), never a crash."""

from __future__ import annotations

import hashlib
import os
import sys

import pytest

from studyllm.decks.model import DeckError
from studyllm.decks.parser import MAX_FILE_BYTES, parse_bytes, parse_deck, parse_file


def write(tmp_path, data: bytes, name: str = "deck.md"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_good_file_has_hash_of_raw_bytes(tmp_path):
    data = "Q: 问题?\r\nA: answer\r\n".encode()
    deck = parse_file(write(tmp_path, data))
    assert not deck.errors
    assert deck.content_hash == hashlib.sha256(data).hexdigest()
    assert (deck.cards[0].front, deck.cards[0].back) == ("问题?", "answer")


def test_utf8_bom_is_accepted(tmp_path):
    deck = parse_file(write(tmp_path, b"\xef\xbb\xbfa :: b\n"))
    assert not deck.errors and deck.cards[0].front == "a"


def test_non_utf8_file(tmp_path):
    deck = parse_file(write(tmp_path, "Q: ok\nA: caf\xe9\n".encode("latin-1")))
    assert not deck.cards
    (err,) = deck.errors
    assert "not valid UTF-8" in err.message and (err.line, err.col) == (2, 7)
    assert str(err).startswith(f"{tmp_path / 'deck.md'}:2:7: ")


def test_binary_file(tmp_path):
    deck = parse_file(write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"))
    assert "binary" in deck.errors[0].message and deck.errors[0].line == 3


def test_empty_and_blank_files(tmp_path):
    for data in (b"", b"  \n\n\t\n"):
        deck = parse_file(write(tmp_path, data))
        assert [e.message for e in deck.errors] == ["file is empty"]
    assert parse_deck("", "x.md").errors[0].message == "file is empty"


def test_oversize_file(tmp_path):
    path = write(tmp_path, b"a :: b\n" * 200)
    deck = parse_file(path, max_bytes=1000)
    assert "larger than" in deck.errors[0].message and not deck.cards
    assert MAX_FILE_BYTES == 10 * 1024 * 1024


def test_unreadable_and_missing_paths(tmp_path):
    deck = parse_file(tmp_path / "missing.md")
    assert "cannot read" in deck.errors[0].message
    deck = parse_file(tmp_path)
    assert "folder" in deck.errors[0].message
    if hasattr(os, "geteuid") and os.geteuid() != 0:
        path = write(tmp_path, b"a :: b\n", "locked.md")
        path.chmod(0)
        try:
            assert "cannot read" in parse_file(path).errors[0].message
        finally:
            path.chmod(0o644)


def test_unclosed_fence_reports_its_line():
    deck = parse_deck("a :: b\n\nQ: x?\nA: y\n\n```python\nQ: hidden\nA: hidden\n", "d.md")
    (err,) = deck.errors
    assert "never closed" in err.message and err.line == 6
    assert [c.front for c in deck.cards] == ["a", "x?"]


def test_closed_fences_in_containers_are_fine():
    text = "> ```\n> a :: b\n> ```\n\n- item\n\n  ~~~\n  code\n  ~~~\n\n> > ```\n> > x\n> > ```\n"
    deck = parse_deck(text, "d.md")
    assert deck.errors == [] and deck.cards == []


def test_unclosed_fence_in_a_list_item():
    deck = parse_deck("- item\n\n  ```\n  code\n- next\n", "d.md")
    assert [e.line for e in deck.errors] == [3]


def test_short_closing_fence_does_not_count():
    deck = parse_deck("````\ncode\n```\n", "d.md")
    assert deck.errors and deck.errors[0].line == 1


def test_empty_cloze_has_position():
    deck = parse_deck("fine line\nThe answer is {{c1::}} here.\n", "d.md")
    assert deck.errors == []  # a card error: the card is skipped, the file imports
    (err,) = deck.skipped
    assert err.message == "empty cloze deletion" and (err.line, err.col) == (2, 15)
    assert parse_deck("{{c1::  ::hint}}\n").skipped[0].message == "empty cloze deletion"
    assert "start at c1" in parse_deck("{{c0::x}}\n").skipped[0].message


def test_unclosed_cloze_is_an_error():
    deck = parse_deck("The {{c1::answer is here.\n", "d.md")
    assert not deck.cards and "never closed" in deck.skipped[0].message


def test_q_without_a():
    deck = parse_deck("Q: first?\nA: yes\n\nQ: lonely?\n\n## Next\n\nQ: last?\n", "d.md")
    assert [c.front for c in deck.cards] == ["first?"]
    assert [(e.line, e.message) for e in deck.skipped] == [(4, "question has no answer"),
                                                            (8, "question has no answer")]


def test_a_without_q_and_double_a():
    deck = parse_deck("A: orphan\n\nQ: q?\nA: one\nA: two\n", "d.md")
    assert [e.line for e in deck.skipped] == [1, 5]


def test_invalid_yaml_front_matter_has_line():
    deck = parse_deck("---\ntitle: ok\ntags: [a, b\nid: x\n---\na :: b\n", "d.md")
    (err,) = deck.errors
    assert "not valid YAML" in err.message and err.line in (3, 4)


def test_deeply_nested_front_matter_is_refused_with_its_position():
    """Flow collections nested past the limit are refused before YAML reads them (PyYAML's
    pure-Python scanner is quadratic in the depth); the cards after it are still read."""
    from studyllm.decks.frontmatter import MAX_FLOW_DEPTH

    deck = parse_deck("---\ntitle: t\nx: " + "[" * (MAX_FLOW_DEPTH + 30) + "\n---\na :: b\n", "d.md")
    (err,) = deck.errors
    assert "levels deep" in err.message and (err.line, err.col) == (3, 4 + MAX_FLOW_DEPTH)
    assert deck.title == "d" and [c.front for c in deck.cards] == ["a"]  # the file name: nothing read from it
    nested = "x: " + "[" * MAX_FLOW_DEPTH + "]" * MAX_FLOW_DEPTH  # at the limit: plain YAML
    assert parse_deck(f"---\ntitle: t\n{nested}\n---\na :: b\n", "d.md").errors == []


FRONT_MATTERS = [
    "title: ok\ntags: [a, b\nid: x\n", "- a\n- b\n", 'title = "toml"\n', "title: [\n", 'title: "\x1b[31m"\n',
    "title: 'quote\n", "d: !!python/object/apply:os.system [echo]\n", "a: &a [x]\nb: *a\ntags: *a\n",
    "title: 2024-05-01\nmode: outline\ntags: llm, memory\n", "? complex key\n: v\n", "title: a\n\ttab: b\n",
    "e: !!binary aGVsbG8=\n", "f: |\n  block\ng: >-\n  folded\n", "title: x\ntitle: y\n", "x: {a: b\n",
    "new_per_day: -1\nreviews_per_day: 30\nheading_level: 3\n", "%YAML 1.1\n---\ntitle: t\n", "title: a\n...\nb: c\n",
    "separators: {inline: ';;', multiline: '??'}\n", "title: \u81ea\u7f16\u7801\nid: zh\n", "k: \x07\n",
]


@pytest.mark.parametrize("text", FRONT_MATTERS)
def test_front_matter_reads_the_same_on_libyaml_and_pure_python(text, monkeypatch):
    """PyYAML's C loader (used when installed) and its pure-Python one accept and refuse the
    same front matter, with the same values and error positions (only YAML's wording differs)."""
    import yaml

    from studyllm.decks import frontmatter

    if not hasattr(yaml, "CSafeLoader"):
        pytest.skip("this PyYAML has no libyaml")

    real_load, used = yaml.load, []

    def load(stream, Loader):  # yaml.load's own keyword
        used.append(Loader)
        return real_load(stream, Loader=Loader)

    monkeypatch.setattr(yaml, "load", load)

    def read(libyaml: bool):
        monkeypatch.setattr(frontmatter, "_use_libyaml", lambda _yaml: libyaml)
        fm = frontmatter.read_front_matter(text, 2, "d.md")
        assert used.pop() is (yaml.CSafeLoader if libyaml else yaml.SafeLoader)
        return (fm.title, fm.tags, fm.id, fm.mode, fm.heading_level, fm.options, fm.separators,
                [(e.line, e.col, e.message.split(":")[0]) for e in fm.errors])

    assert read(True) == read(False)


def test_front_matter_not_a_mapping():
    deck = parse_deck("---\n- a\n- b\n---\na :: b\n", "d.md")
    assert "key: value" in deck.errors[0].message


def test_toml_front_matter_is_accepted():
    deck = parse_deck('---\nname = "Linear algebra"\n---\na :: b\n', "d.md")
    assert not deck.errors and deck.title == "Linear algebra"


def test_unclosed_front_matter_is_a_warning():
    deck = parse_deck("---\ntitle: x\n\na :: b\n", "d.md")
    assert "never closed" in deck.warnings[0].message


@pytest.mark.parametrize("opener", ["- ", "> ", "1. ", "* > "])
def test_ten_thousand_levels_of_nesting(opener):
    text = opener * 10_000 + "Q: deep\n"
    deck = parse_deck(text, "d.md")
    assert deck.errors and "nested too deeply" in deck.errors[0].message
    assert not any("internal error" in e.message for e in deck.errors)


def test_hundreds_of_indented_list_levels():
    # Indented nesting grows quadratically (10,000 levels would be a 100 MB file); 400 is plenty.
    text = "\n".join("  " * i + "- level" for i in range(400)) + "\n"
    deck = parse_deck(text, "d.md", outline=True)
    assert any("nested too deeply" in e.message for e in deck.errors)


def test_moderate_nesting_is_fine():
    text = "\n".join("  " * i + f"- level{i}: def" for i in range(8)) + "\n"
    deck = parse_deck(text, "d.md", outline=True)
    assert not deck.errors and len(deck.cards) == 8


def test_deep_inline_brackets_and_emphasis():
    for text in ("[" * 100_000 + "x", "*" * 100_000 + "a", "`" * 50_000 + "x" + "<" * 50_000,
                 "[a](b) " * 1000 + "[" * 3000):
        deck = parse_deck(text + " :: y\n", "d.md")
        assert not any("internal error" in e.message for e in deck.errors)


def test_one_megabyte_single_line():
    from studyllm.decks.parser import MAX_LINE_CHARS

    line = ("word {{c1::x}} == " * 60_000)[:1_000_000]
    deck = parse_deck("front :: back\n" + line + "\n", "d.md")
    assert not deck.cards and deck.errors[0].line == 2 and "over the 100,000 limit" in deck.errors[0].message
    big = "front :: " + "b" * (MAX_LINE_CHARS - 20) + "\n"  # long but allowed
    deck = parse_deck(big, "d.md")
    assert len(deck.cards) == 1 and len(deck.cards[0].back) == MAX_LINE_CHARS - 20
    openers = "{{c1::" * 16_000 + "\n"  # never closed: must stay linear
    deck = parse_deck(openers, "d.md")
    assert not deck.cards and "never closed" in deck.skipped[0].message


def test_nul_and_control_characters_in_string_input():
    deck = parse_deck("a\x00b :: c\x1b[31m\n", "d.md")
    assert deck.cards[0].front == "a\ufffdb"
    assert any("NUL" in w.message for w in deck.warnings)
    assert any("control character" in w.message for w in deck.warnings)


def test_errors_are_deck_errors_with_path():
    deck = parse_deck("Q: x\n", "notes/a.md")
    err = deck.skipped[0]
    assert isinstance(err, DeckError) and err.path == "notes/a.md"
    assert str(err) == "notes/a.md:1:1: question has no answer (hint: add an 'A:' line after the question)"


def test_recursion_limit_is_not_a_crash(monkeypatch):
    deck = None
    old = sys.getrecursionlimit()
    try:
        sys.setrecursionlimit(120)
        deck = parse_deck("> " * 30 + "a :: b\n", "d.md")
    finally:
        sys.setrecursionlimit(old)
    assert deck is not None and isinstance(deck.errors, list)


def test_parse_bytes_matches_parse_file(tmp_path):
    data = "# T\n\nQ: 问?\nA: 答\n".encode()
    a = parse_bytes(data, str(tmp_path / "x.md"))
    b = parse_file(write(tmp_path, data, "x.md"))
    assert (a.key, a.title, a.content_hash, a.cards) == (b.key, b.title, b.content_hash, b.cards)
    assert parse_bytes(b"\xff\xfe", "y.md").errors[0].message.startswith("not valid UTF-8")
