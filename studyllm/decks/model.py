"""Plain data records produced by the deck parser (pure layer: no Textual, no SQL).

A deck file parses into one :class:`ParsedDeck` holding :class:`ParsedCard` records.
One note in the Markdown may give several cards (``front ::: back`` gives two, a
cloze with ``c1`` and ``c2`` gives two); each card carries a ``variant`` naming which.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CARD_KINDS = ("basic", "cloze", "mcq", "ordered", "calc")


class DeckError(Exception):
    """A problem in a deck file, with its position (1-based line and column)."""

    def __init__(self, message: str, *, path: str = "<string>", line: int = 1, col: int = 1, hint: str = ""):
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.col = col
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.path}:{self.line}:{self.col}: {self.message}"
        if self.hint:
            text += f" (hint: {self.hint})"
        return text


@dataclass(frozen=True, slots=True)  # slots: a third faster to build, and smaller (100,000 in a big deck)
class ParsedCard:
    kind: str  # one of CARD_KINDS
    front: str  # Markdown shown as the question (cloze: with blanks)
    back: str  # Markdown shown as the answer (cloze: the full text, deletion marked)
    heading_path: tuple[str, ...] = ()  # headings above the card, outermost first (deck title not included)
    line: int = 1  # 1-based line of the card's first line in the file
    col: int = 1
    variant: str = ""  # "" for a plain card; "reverse" for the back->front twin; "c1", "hl2", "d3" ... for clozes
    tags: tuple[str, ...] = ()
    # kind-specific data, JSON-serialisable:
    #   mcq:      {"choices": [{"text": str, "correct": bool}, ...]}
    #   ordered:  {"items": [str, ...]}  (the right order)
    #   cloze:    {"index": str, "answers": [str, ...]}
    #   calc:     {"body": str, "body_line": int}  (raw block body; validated by studyllm.calc.cards)
    extra: dict[str, Any] = field(default_factory=dict)
    # an obsidian-SR `<!--SR:!due,interval,ease-->` schedule for this card: (due ISO date,
    # interval in days, ease in hundredths); the importer takes it over once, for a new card
    schedule: tuple[str, int, int] | None = None


@dataclass
class ParsedDeck:
    path: str
    key: str  # stable deck identity: front matter `id`, else a slug of the file stem
    title: str
    tags: tuple[str, ...] = ()
    mode: str = "cards"  # "cards", "headings" or "outline"
    options: dict[str, Any] = field(default_factory=dict)  # e.g. {"new_per_day": 10, "reviews_per_day": 100}
    cards: list[ParsedCard] = field(default_factory=list)
    errors: list[DeckError] = field(default_factory=list)
    warnings: list[DeckError] = field(default_factory=list)
    # per-card errors: the card is left out, the rest of the file imports
    skipped: list[DeckError] = field(default_factory=list)
    content_hash: str = ""  # sha256 hex of the raw file bytes


# ParsedCard's slot descriptors, to build a card without the frozen dataclass's __init__ (which
# sets each field through object.__setattr__: 1.7 µs a card, against 0.55 µs this way; a
# first import of 100,000 cards builds 100,000 of them)
_CARD_SLOTS = tuple(ParsedCard.__dict__[name].__set__ for name in (
    "kind", "front", "back", "heading_path", "line", "col", "variant", "tags", "extra", "schedule"))
_new_object = object.__new__


def make_card(kind: str, front: str, back: str, heading_path: tuple[str, ...], line: int, col: int,
              variant: str, tags: tuple[str, ...], extra: dict[str, Any]) -> ParsedCard:
    """``ParsedCard(kind=kind, front=front, ...)`` with every field given (``schedule`` None),
    built faster: the same object, field for field (``tests/test_parser_model.py``)."""
    card = _new_object(ParsedCard)
    s_kind, s_front, s_back, s_path, s_line, s_col, s_variant, s_tags, s_extra, s_schedule = _CARD_SLOTS
    s_kind(card, kind)
    s_front(card, front)
    s_back(card, back)
    s_path(card, heading_path)
    s_line(card, line)
    s_col(card, col)
    s_variant(card, variant)
    s_tags(card, tags)
    s_extra(card, extra)
    s_schedule(card, None)
    return card
