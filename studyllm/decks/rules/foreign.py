"""Other tools' card syntaxes that studyllm does not read, said so instead of silently giving
nothing (``docs/deck-format.md``, "Coming from another tool"): RemNote's ``front >> back``
(``<<``, ``<>``, ``>>>``), card markers inside a block quote or callout (``> ?``, ``> Q:``), and
Mochi's ``---`` line between a card's front and back. Each is warned about once per file, at
its first line, and makes no card.
"""

from __future__ import annotations

import re

from studyllm.decks.rules._base import Block, Frag, ParserBase

_LINE_MARKER = re.compile(r"^[ \t]{0,3}[QACO]:(?=[ \t]|$)", re.M)
_REMNOTE = re.compile(r"\S[ \t]*(>>>|>>|<<|<>)(?=[ \t]|$)", re.M)
# a `---` line directly under a line of text (Markdown: a setext heading), outside front matter
_MOCHI = re.compile(r"^[ \t]{0,3}\S.*\n[ \t]{0,3}---[ \t]*$", re.M)
_FRONT_MATTER = re.compile(r"\A(?:---|\+\+\+)[ \t]*\n.*?^(?:---|\+\+\+|\.\.\.)[ \t]*$", re.M | re.S)


class ForeignRule(ParserBase):
    def foreign_once(self, what: str, message: str, line: int, col: int, hint: str) -> None:
        if what not in self.foreign_seen:
            self.foreign_seen.add(what)
            self.warn(message, line, col, hint=hint)

    def foreign_text(self, frag: Frag) -> None:
        """A paragraph or list item outside any card: RemNote's ``>>`` cards."""
        masked = frag.masked
        if ">>" not in masked and "<<" not in masked and "<>" not in masked:
            return
        m = _REMNOTE.search(masked)
        if m is None:
            return
        line = frag.line0 + masked.count("\n", 0, m.start())
        self.foreign_once(
            "remnote", f"'{m.group(1)}' looks like a RemNote card, which studyllm does not read; no card made",
            line, 1, hint="write it as 'front :: back' (RemNote's '::' cards are read), or 'Q:'/'A:' lines")

    def foreign_quote(self, b: Block) -> None:
        """A block quote or callout holding card markers (``> ?``, ``> Q:``): not read."""
        tokens = self.tokens
        seps = {self.separators["multiline"], self.separators["multiline_reverse"]}
        for i in range(b.tok, b.tok_end):
            if tokens[i].type != "inline":
                continue
            content = tokens[i].content
            hit = _LINE_MARKER.search(content) or next(
                (ln for ln in content.split("\n") if ln.strip() in seps), None)
            if hit:
                line = tokens[i].map[0] if tokens[i].map else b.start
                self.foreign_once(
                    "quote", "card markers inside a block quote or callout ('> ?', '> Q:') are not read; "
                    "no card made", line, 1,
                    hint="take the '>' off the card's lines; inside a callout, 'front :: back' lines are read")
                return

    def mochi_hint(self) -> bool:
        """No cards, and a ``---`` line right under text (Mochi's side separator): say so. True
        if it did."""
        m = _FRONT_MATTER.match(self.text)
        body_start = m.end() if m else 0
        hit = _MOCHI.search(self.text, body_start)
        if hit is None:
            return False
        line = self.text.count("\n", 0, hit.start()) + 1
        self.warn("no cards found in this file; a '---' line right under text (as Mochi separates a card's "
                  "front and back) is not read as a card separator", line, 1,
                  hint="write each card as 'Q: …' and 'A: …' lines, or put a line with only '?' between "
                       "front and back")
        return True
