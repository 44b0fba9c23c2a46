"""Outline mode's cards from lists and label paragraphs (the rules are in ``decks/outline.py``)."""

from __future__ import annotations

from studyllm.decks import outline as _outline
from studyllm.decks.rules._base import (
    Block,
    Frag,
    ParserBase,
)


class OutlineRule(ParserBase):
    def free_list(self, b: Block) -> None:
        items = self.list_items(b)
        # Logseq `#card` blocks first: their child blocks are their answer, not more cards
        with_cards = self.logseq_cards(items) if "#" in self.src(b.start, b.end) else set()
        for idx, it in enumerate(items):
            if idx in with_cards:
                continue
            for frag in it.all_frags:
                if self.inline_cards(frag):
                    with_cards.add(idx)
                else:
                    self.foreign_text(frag)
        if self.mode == "outline":
            for card in _outline.item_cards(items, with_cards, self.src, self.lines):
                self.add("basic", card.front, card.back, card.line, card.col)

    def outline_label_card(self, label: str, frag: Frag, nxt: Block) -> None:
        items = [it for it in self.list_items(nxt) if it.parent is None]
        back = _outline.summarise([_outline.label_of_item(it) for it in items])
        if back:
            self.add("basic", label, back, frag.line0, self.col_of(frag.line0, frag.content.split("\n")[0], 0))
