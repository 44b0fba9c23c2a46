"""Logseq's cards: a block tagged ``#card`` is the question, its child blocks the answer, and
``{{cloze text}}`` in it hides text (all of a block's clozes at once, as Logseq shows them).

Logseq writes its review state into the block as properties (``card-last-interval:: 4``,
``card-next-schedule:: …``, ``id:: <uuid>``, ``collapsed:: true``) and page properties at the top
of the file (``title:: …``, ``tags:: …``). They look like ``front:: back`` cards; they are
Logseq's bookkeeping, never card text and never cards (:func:`is_property`).
"""

from __future__ import annotations

import re

from studyllm.decks import outline as _outline
from studyllm.decks._text import clean_text
from studyllm.decks.rules._base import ParserBase

# the `#card` tag (also `#[[card]]`), anywhere in the block's first line
_CARD_TAG = re.compile(r"(?:^|(?<=[ \t]))#(?:card|\[\[card\]\])(?![\w/\[-])", re.I)
_CLOZE = re.compile(r"\{\{cloze[ \t]+(.+?)\}\}")
_UUID = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# block properties Logseq itself writes (SRS state, block references, folding)
_PROPERTY = re.compile(
    rf"^[ \t]*(?:card-[a-z-]+::.*|id::[ \t]*{_UUID}[ \t]*|collapsed::[ \t]*(?:true|false)[ \t]*)$")
# page properties: a paragraph made only of `key:: value` lines with lowercase keys, holding
# one of Logseq's page keys
_PAGE_LINE = re.compile(r"^[ \t]*[a-z][a-z0-9_-]*::(?:[ \t].*)?$")
_PAGE_KEYS = re.compile(r"^[ \t]*(?:title|tags|alias|public|icon|template|filters)::", re.M)


def is_property(line: str) -> bool:
    """A block property Logseq writes (``card-repeats:: 2``, ``id:: 6571a2b4-…``)."""
    return "::" in line and _PROPERTY.match(line) is not None


def is_page_properties(text: str) -> bool:
    """A paragraph of Logseq page properties (``title:: Biology`` / ``tags:: science``)."""
    if "::" not in text or _PAGE_KEYS.search(text) is None:
        return False
    return all(_PAGE_LINE.match(line) or is_property(line) for line in text.split("\n") if line.strip())


def has_card_tag(line: str) -> bool:
    return "#" in line and _CARD_TAG.search(line) is not None


class LogseqRule(ParserBase):
    def logseq_cards(self, items: list[_outline.Item]) -> set[int]:
        """Cards from the ``#card`` items of a list; returns those items and their descendants
        (their text is the card's, not more cards)."""
        done: set[int] = set()
        for idx, it in enumerate(items):
            if idx in done or it.frag is None or it.frag.refused:
                continue
            if not has_card_tag(it.frag.masked.split("\n", 1)[0]):
                continue
            stack = [idx]
            while stack:
                k = stack.pop()
                done.add(k)
                stack.extend(items[k].children)
            self.logseq_card(it, items)
        return done

    def logseq_card(self, it: _outline.Item, items: list[_outline.Item]) -> None:
        frag = it.frag
        line = frag.line0
        col = self.col_of(line, frag.content.split("\n", 1)[0], 0)
        text = "\n".join(ln for ln in frag.content.split("\n") if not is_property(ln))
        text = _CARD_TAG.sub("", text)
        if "{{cloze" in text:
            answers = [m.group(1).strip() for m in _CLOZE.finditer(text)]
            if answers and all(answers):
                front = _CLOZE.sub("[...]", text)
                back = _CLOZE.sub(lambda m: f"**{m.group(1).strip()}**", text)
                self.add("cloze", clean_text(front), clean_text(back), line, col, variant="c1",
                         extra={"index": "c1", "answers": answers}, tags=("card",))
                return
        front = clean_text(text)
        kids = it.children
        if len(kids) == 1 and not items[kids[0]].children and items[kids[0]].frag is not None \
                and len(items[kids[0]].all_frags) == 1:
            back = "\n".join(ln for ln in items[kids[0]].frag.content.split("\n") if not is_property(ln))
        elif kids:
            back = "\n".join(ln for ln in self.lines[items[kids[0]].start:it.end] if not is_property(ln))
        else:
            back = ""
        back = clean_text(back)
        if not front:
            self.skip("'#card' block with no question", line, col, hint="write the question before '#card'")
            return
        if not back:
            self.skip("'#card' block with no answer under it", line, col,
                      hint="write the answer as a nested block under the question")
            return
        self.add("basic", front, back, line, col, tags=("card",))
