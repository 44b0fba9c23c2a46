"""obsidian-spaced-repetition's scheduling comments (pure): ``<!--SR:!2026-03-01,12,250-->``.

The plugin writes one ``!due,interval,ease`` triple per card of a note after the note (on the
card's line for ``front::back``, under the answer for ``?`` cards): several for a note that gives
several cards (``:::``, ``??``, clozes), in card order. :func:`attach_schedules` gives each card
the triple of the comment that follows it, before the next card's line, as
``ParsedCard.schedule``; the importer takes it over once, for a card with no history.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

from studyllm.decks.model import ParsedCard

_COMMENT = re.compile(r"<!--SR:((?:!\d{4}-\d{2}-\d{2},\d{1,6},\d{1,4})+)-->")
_TRIPLE = re.compile(r"!(\d{4}-\d{2}-\d{2}),(\d{1,6}),(\d{1,4})")


def schedules_by_line(text: str) -> dict[int, list[tuple[str, int, int]]]:
    """1-based line -> the (due, interval, ease) triples of the SR comment on it (valid dates only)."""
    out: dict[int, list[tuple[str, int, int]]] = {}
    for number, line in enumerate(text.split("\n"), 1):
        if "<!--SR:" not in line:
            continue
        for mt in _COMMENT.finditer(line):
            triples = []
            for d, ivl, ease in _TRIPLE.findall(mt.group(1)):
                try:
                    date.fromisoformat(d)
                except ValueError:
                    continue
                triples.append((d, int(ivl), int(ease)))
            if triples:
                out.setdefault(number, []).extend(triples)
    return out


def attach_schedules(text: str, cards: list[ParsedCard]) -> list[ParsedCard]:
    """``cards`` with ``schedule`` set from the SR comments of ``text`` (a new list)."""
    comments = schedules_by_line(text)
    if not comments:
        return cards
    out = list(cards)
    starts = sorted({c.line for c in cards})
    for line, triples in sorted(comments.items()):
        # the note the comment closes: the last card line at or above it
        above = [s for s in starts if s <= line]
        if not above:
            continue
        note_line = above[-1]
        group = [i for i, c in enumerate(out) if c.line == note_line and c.schedule is None]
        for i, triple in zip(group, triples, strict=False):
            out[i] = replace(out[i], schedule=triple)
    return out
