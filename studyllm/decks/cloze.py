"""Cloze deletions: find them in masked text and render the card sides.

Three syntaxes, all found by linear scans (no backtracking regexes, so a 1 MB
line full of openers stays linear):

* Anki ``{{c1::text}}`` / ``{{c1::text::hint}}``: one card per number.
* Highlights ``==text==``: one card per highlight (``hl1``, ``hl2`` ...).
* hashcards ``[text]`` inside a ``C:`` block: one card per deletion (``d1`` ...).

Positions are offsets into the masked string, which has the same length as the
real text, so the real text is sliced at the same places.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_CARDS_PER_NOTE = 50
# Scans stop once a note is sure to be refused: past this many deletions (of any number) or
# past MAX_CARDS_PER_NOTE cards, so a megabyte of `{{c1::x}}` or `==a==` costs no more.
MAX_DELETIONS_PER_NOTE = 10_000
# A note with many deletions repeats its whole text on every card; cap the total.
MAX_NOTE_OUTPUT_CHARS = 5_000_000

_ANKI_OPEN = re.compile(r"\{\{c(\d+)::")
_BRACKET = re.compile(r"\[([^\[\]\n]*)\]")


@dataclass(frozen=True, slots=True)
class Deletion:
    start: int  # offset of the whole construct in the note text
    end: int
    text_start: int  # offset of the answer text
    text_end: int
    hint: str
    group: str  # card variant: "c1", "hl2", "d3"


@dataclass(frozen=True, slots=True)
class ClozeProblem:
    offset: int
    message: str
    hint: str = ""
    error: bool = True


def find_anki(masked: str, content: str) -> tuple[list[Deletion], list[ClozeProblem]]:
    found: list[Deletion] = []
    problems: list[ClozeProblem] = []
    groups: set[str] = set()
    pos = 0
    while True:
        m = _ANKI_OPEN.search(masked, pos)
        if m is None:
            break
        if len(found) >= MAX_DELETIONS_PER_NOTE or len(groups) > MAX_CARDS_PER_NOTE:
            if len(found) >= MAX_DELETIONS_PER_NOTE:
                problems.append(ClozeProblem(m.start(), f"more than {MAX_DELETIONS_PER_NOTE:,} cloze deletions in "
                                             "one note", "split the paragraph"))
            break
        close = masked.find("}}", m.end())
        if close < 0:
            problems.append(ClozeProblem(m.start(), "cloze '{{c" + m.group(1) + "::' is never closed with '}}'",
                                         "write {{c1::answer}}"))
            break
        inner_start = m.end()
        sep = masked.find("::", inner_start, close)
        text_end = sep if sep >= 0 else close
        hint = content[sep + 2:close].strip() if sep >= 0 else ""
        number = int(m.group(1))
        if not content[inner_start:text_end].strip():
            problems.append(ClozeProblem(m.start(), "empty cloze deletion", "put the answer between '::' and '}}'"))
        elif number == 0:
            problems.append(ClozeProblem(m.start(), "cloze numbers start at c1", "use {{c1::...}}"))
        else:
            found.append(Deletion(m.start(), close + 2, inner_start, text_end, hint, f"c{number}"))
            groups.add(f"c{number}")
        pos = close + 2
    return found, problems


def find_highlights(masked: str, content: str) -> tuple[list[Deletion], list[ClozeProblem]]:
    found: list[Deletion] = []
    pos = 0
    n = 0
    while True:
        start = masked.find("==", pos)
        if start < 0:
            break
        close = masked.find("==", start + 2)
        if close < 0:
            break
        inner = masked[start + 2:close]
        if not inner or inner[0].isspace() or inner[-1].isspace() or "\n" in inner:
            pos = start + 1  # not a highlight here; try the next '=='
            continue
        n += 1
        found.append(Deletion(start, close + 2, start + 2, close, "", f"hl{n}"))
        if n > MAX_CARDS_PER_NOTE:
            break  # refused anyway (one card per highlight)
        pos = close + 2
    return found, []


def find_brackets(masked: str, content: str) -> tuple[list[Deletion], list[ClozeProblem]]:
    found: list[Deletion] = []
    problems: list[ClozeProblem] = []
    n = 0
    for m in _BRACKET.finditer(masked):
        inner = m.group(1)
        if inner.startswith("^"):  # footnote reference
            continue
        if not content[m.start(1):m.end(1)].strip():
            problems.append(ClozeProblem(m.start(), "empty deletion '[]' in C: block", "put the answer inside [ ]"))
            continue
        n += 1
        found.append(Deletion(m.start(), m.end(), m.start(1), m.end(1), "", f"d{n}"))
        if n > MAX_CARDS_PER_NOTE:
            break  # refused anyway (one card per bracket)
    return found, problems


def render(content: str, deletions: list[Deletion], group: str) -> tuple[str, str, list[str]]:
    """Front, back and answers of the card for ``group``.

    Front: that group's deletions become ``[...]`` (or ``[hint]``), the others show their text.
    Back: the full text with that group's answers in bold.
    """
    front: list[str] = []
    back: list[str] = []
    answers: list[str] = []
    pos = 0
    for d in deletions:
        plain = content[pos:d.start]
        front.append(plain)
        back.append(plain)
        answer = content[d.text_start:d.text_end]
        if d.group == group:
            answers.append(answer.strip())
            front.append(f"[{d.hint}]" if d.hint else "[...]")
            back.append(f"**{answer.strip()}**")
        else:
            front.append(answer)
            back.append(answer)
        pos = d.end
    front.append(content[pos:])
    back.append(content[pos:])
    return "".join(front), "".join(back), answers


def groups_in_order(deletions: list[Deletion]) -> list[str]:
    """Distinct groups; Anki numbers in numeric order, then the others in text order."""
    seen: dict[str, None] = {}
    for d in deletions:
        seen.setdefault(d.group, None)
    def key(g: str) -> tuple[int, int, str]:
        if g.startswith("c") and g[1:].isdigit():
            return (0, int(g[1:]), g)
        return (1, 0, g)
    return sorted(seen, key=key)
