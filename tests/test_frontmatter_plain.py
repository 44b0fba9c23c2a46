"""The front matter read without YAML (``frontmatter.plain_front_matter``) is what PyYAML reads."""

from __future__ import annotations

import subprocess
import sys

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from studyllm.decks.frontmatter import plain_front_matter, read_front_matter


def _yaml(text: str) -> object:
    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@pytest.mark.parametrize("text", [
    "title: Benchmark deck, 10,000 cards (seed 1)\nid: bench-10000-s1",
    "title: My deck",
    "name: x",
    "id: a.b",
    "mode: outline",
    "title:   spaced   words",
    "title: a - b",
    "title: a -b+c/d_e.",
    "title: A (b)",
])
def test_plain_values_read_as_yaml_reads_them(text: str) -> None:
    assert plain_front_matter(text) is not None
    assert plain_front_matter(text) == _yaml(text)


@pytest.mark.parametrize("text", [
    "title: yes", "title: No", "title: null", "title: off", "title: ON", "id: 12", "id: 1.5", "title: 2024-05-01",
    "title: a: b", "title: a #b", "title: 'quoted'", 'title: "quoted"', "title: [a, b]", "title: {a: b}",
    "tags: a, b", "heading_level: 3", "title: x\ntitle: y", "title: x\n", "title: x ", " title: x", "title:x",
    "title: a\n\nid: b", "title: ~", "title: *anchor", "title: &a b", "title: !tag b", "title: |", "title: >",
    "title: -", "title: a\tb", "Title: x", "title: é", "title: x # comment", "title: a,", "title: a-",
])
def test_anything_else_goes_to_yaml(text: str) -> None:
    assert plain_front_matter(text) is None


_KEYS = st.sampled_from(["title", "name", "id", "mode", "tags", "Title", "title ", "ti tle"])
_VALUES = st.text(alphabet=st.sampled_from(list("aZy 09,.()_/+-:#'\"[]{}~&*!|>%@`\té\\")), max_size=12)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.tuples(_KEYS, st.sampled_from([": ", ":  ", ":", " : "]), _VALUES), min_size=1, max_size=4))
def test_plain_reader_agrees_with_yaml(lines: list[tuple[str, str, str]]) -> None:
    text = "\n".join(k + sep + v for k, sep, v in lines)
    plain = plain_front_matter(text)
    if plain is not None:
        assert plain == _yaml(text)
        assert all(isinstance(v, str) for v in plain.values())


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("aZ09 ,.()_/+-")), min_size=1, max_size=30))
def test_plain_words_agree_with_yaml(value: str) -> None:
    text = f"title: {value}\nid: {value}"
    plain = plain_front_matter(text)
    if plain is not None:
        assert plain == _yaml(text)
        fm = read_front_matter(text, 2, "deck.md")
        assert (fm.title, fm.id, fm.errors) == (value.strip(), value.strip(), [])


def test_a_plain_front_matter_never_imports_yaml() -> None:
    code = ("import sys\nfrom studyllm.decks.frontmatter import read_front_matter\n"
            "fm = read_front_matter('title: Deck, part 1\\nid: deck-1', 2, 'd.md')\n"
            "assert (fm.title, fm.id, fm.errors) == ('Deck, part 1', 'deck-1', []), fm\n"
            "print('yaml' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
