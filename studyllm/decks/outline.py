"""Outline notes mode: cards from headings + nested bullets, without rewriting the notes.

The rules (also in docs/deck-format.md):

1. A list item (any depth) that starts with ``term: definition`` (or
   ``**term:** definition`` / ``**term**: definition``) is a card: front = the
   item's path, back = the definition (plus the item's sub-list, if any).
   The term is at most 8 words / 60 characters; the colon must be followed by
   a space (so ``https://`` and ``10:30`` are not definitions); a full-width
   ``：`` also counts.
2. Any other list item with a nested list is a card: front = its path, back =
   the nested list (a comma-separated line when every child is a short
   one-liner, else the sub-list's Markdown).
3. A one-line paragraph ending with ``:`` (``LLM types:``) right before a list
   is a card whose back lists the labels of that list's items; the label also
   becomes context (like a heading) for the cards of that list.
4. In a plain paragraph, each line ``term: definition`` is a card.
5. A heading that ends with ``?`` is a card whose answer is the paragraph under it.

The *path* of an item is the labels of its parent items and its own, joined
by " › ", e.g. ``Encoder-only › examples``; a label is an item's term, or its
first line without a trailing colon. Long parent labels are shortened.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from studyllm.decks._text import clean_text

PATH_SEP = " › "
MAX_TERM_CHARS = 60
MAX_TERM_WORDS = 8
MAX_LABEL_CHARS = 80
MAX_PATH_LABEL = 48
SHORT_ITEM = 40

_COLON = re.compile(r":(?=\s)|：")
# `Node B says: "done"` is narration, not a definition of "Node B says".
SPEECH_VERBS = frozenset(
    "says said say asks asked ask replies replied reply answers answered writes wrote notes noted explains explained "
    "tells told adds added states stated responds responded shouts shouted whispers whispered thinks thought "
    "warns warned argues argued claims claimed".split())
_QUOTES = ('"', "'", "“", "‘", "«", "„", "「", "『")


@dataclass
class Item:
    start: int
    end: int
    parent: int | None
    frag: Any = None  # first paragraph of the item (a parser Frag), if it starts with one
    para_end: int = 0
    children: list[int] = field(default_factory=list)
    all_frags: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class OutlineCard:
    front: str
    back: str
    line: int  # 0-based
    col: int


def collect_items(tokens: list[Any], tok: int, tok_end: int, frag_of: Callable[[int], Any]) -> list[Item]:
    """Flatten a list block into items with parent links (no recursion)."""
    items: list[Item] = []
    stack: list[int] = []
    for i in range(tok, tok_end):
        t = tokens[i]
        ttype = t.type
        if ttype == "list_item_open":
            start, end = t.map if t.map else (0, 0)
            parent = stack[-1] if stack else None
            if parent is not None:
                items[parent].children.append(len(items))
            items.append(Item(start, end, parent))
            stack.append(len(items) - 1)
        elif ttype == "list_item_close":
            if stack:
                stack.pop()
        elif ttype == "inline" and stack and tokens[i - 1].type == "paragraph_open":
            item = items[stack[-1]]
            frag = frag_of(i)
            if item.frag is None and i >= 2 and tokens[i - 2].type == "list_item_open":
                item.frag = frag
                item.para_end = t.map[1] if t.map else item.start + 1
            item.all_frags.append(frag)
    return items


def _strip_emphasis(text: str) -> str:
    text = text.strip()
    for mark in ("**", "__"):
        if len(text) > 4 and text.startswith(mark) and text.endswith(mark):
            return text[2:-2].strip()
    return text


def term_def(content: str, masked: str) -> tuple[str, str] | None:
    """Split ``term: definition`` (content and masked have the same length)."""
    lead = len(masked) - len(masked.lstrip())
    m_text = masked[lead:]
    c_text = content[lead:]
    if not m_text:
        return None
    for mark in ("**", "__"):
        if m_text.startswith(mark):
            close = m_text.find(mark, 2)
            if close <= 2:
                return None
            inner = c_text[2:close].strip()
            rest = c_text[close + 2:]
            if inner.endswith((":", "：")):
                term, definition = inner[:-1], rest
            elif rest.lstrip().startswith((":", "：")):
                term, definition = inner, rest.lstrip()[1:]
            else:
                return None
            return _checked(term, definition)
    m = _COLON.search(m_text)
    if m is None:
        return None
    term = c_text[:m.start()]
    # a colon inside emphasis (`*Tip: start small.*`) does not end a term
    if term.count("*") % 2 or (term.lstrip().startswith("_") and "_" not in term.lstrip()[1:]):
        return None
    return _checked(term, c_text[m.end():])


def _checked(term: str, definition: str) -> tuple[str, str] | None:
    term = term.strip()
    definition = definition.strip()
    if not term or not definition or len(term) > MAX_TERM_CHARS or len(term.split()) > MAX_TERM_WORDS:
        return None
    if "::" in term or term.endswith(("http", "https")):
        return None
    words = term.split()
    if words[-1].lower() in SPEECH_VERBS or definition.startswith(_QUOTES):
        return None
    return term, definition


def _first_line(frag: Any) -> tuple[str, str]:
    c = frag.content.split("\n", 1)[0]
    m = frag.masked.split("\n", 1)[0]
    return c, m


def label_of_item(item: Item) -> str:
    if item.frag is None:
        return ""
    c, m = _first_line(item.frag)
    td = term_def(c, m)
    if td is not None:
        return td[0]
    return _strip_emphasis(c).rstrip(":：").strip()


def label_of_paragraph(frag: Any) -> str | None:
    """``LLM types:`` — a one-line paragraph ending with a colon, used as a list's label."""
    if "\n" in frag.content.strip():
        return None
    text = _strip_emphasis(frag.content)
    masked = frag.masked.strip()
    if not text.endswith((":", "：")) or not masked.rstrip("*_ ").endswith((":", "：")):
        return None
    label = text[:-1].strip()
    if not label or len(label) > MAX_LABEL_CHARS or term_def(frag.content, frag.masked) is not None:
        return None
    return label


def _short(label: str) -> str:
    if len(label) <= MAX_PATH_LABEL:
        return label
    cut = label.rfind(" ", 0, MAX_PATH_LABEL)
    return label[: cut if cut > 10 else MAX_PATH_LABEL].rstrip(" ,;") + "…"


def summarise(labels: list[str]) -> str:
    labels = [lb for lb in labels if lb]
    if not labels:
        return ""
    if all(len(lb) <= SHORT_ITEM and "," not in lb and "\n" not in lb for lb in labels):
        return ", ".join(labels)
    return "\n".join(f"- {lb}" for lb in labels)


def item_cards(items: list[Item], skip: set[int], src: Callable[..., str], lines: list[str]) -> Iterator[OutlineCard]:
    labels = [label_of_item(it) for it in items]
    for idx, it in enumerate(items):
        if idx in skip or it.frag is None:
            continue
        path: list[str] = []
        parent = it.parent
        while parent is not None:
            if labels[parent]:
                path.append(_short(labels[parent]))
            parent = items[parent].parent
        path.reverse()
        c, m = _first_line(it.frag)
        td = term_def(c, m)
        rest = clean_text(src(it.para_end, it.end)) if it.end > it.para_end else ""
        if td is not None:
            term, definition = td
            more = it.frag.content.split("\n", 1)
            if len(more) > 1:
                definition = definition + "\n" + more[1]
            back = clean_text(definition)
            if rest:
                back = f"{back}\n\n{rest}"
            front = PATH_SEP.join([*path, term])
        elif it.children:
            label = labels[idx]
            if not label:
                continue
            kids = [items[k] for k in it.children]
            texts = [k.frag.content.strip() if k.frag is not None else "" for k in kids]
            if all(not k.children for k in kids) and all(t and "\n" not in t for t in texts) and \
                    all(len(t) <= SHORT_ITEM and "," not in t for t in texts):
                back = ", ".join(texts)
            else:
                back = rest
            front = PATH_SEP.join([*path, label])
        else:
            continue
        if not back:
            continue
        src_line = lines[it.start] if it.start < len(lines) else ""
        off = src_line.find(c) if c else -1
        yield OutlineCard(front, back, it.start, (off + 1) if off >= 0 else 1)
