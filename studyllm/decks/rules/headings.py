"""Headings mode (mdanki / md2apkg): each heading of the chosen level is a question and the
text under it the answer; a ``%`` line or ``<!-- md2apkg split -->`` splits the front's own
text from the back."""

from __future__ import annotations

from studyllm.decks._text import clean_text
from studyllm.decks.rules._base import (
    _MD2APKG_SPLIT,
    Block,
    ParserBase,
)


class HeadingsRule(ParserBase):
    def heading_cards(self, blocks: list[Block], level: int) -> None:
        heads = [b for b in blocks if b.kind == "heading"]
        total = len(self.lines)
        for k, b in enumerate(heads):
            text = self.tokens[b.tok + 1].content.strip()
            while self.headings and self.headings[-1][0] >= b.level:
                self.headings.pop()
            path = self.heading_path()
            self.headings.append((b.level, text))
            if b.level != level:
                continue
            end = total
            for nb in heads[k + 1:]:
                if nb.level <= level:
                    end = nb.start
                    break
            body = clean_text(self.src(b.end, end))
            if not text:
                self.warn("empty heading skipped", b.start)
                continue
            if not body:
                self.warn("heading has no text under it; no card made", b.start)
                continue
            split = self.front_back_split(b.end, end)
            if split is not None:
                # mdanki's `%` line / md2apkg's `<!-- md2apkg split -->`: the text above it is part of the front
                above = clean_text(self.src(b.end, split))
                body = clean_text(self.src(split + 1, end))
                if not body:
                    self.skip("nothing under the front/back split line", split, hint="write the answer below it")
                    continue
                if above:
                    text = f"{text}\n\n{above}"
            self.add("basic", text, body, b.start, path=path)

    def front_back_split(self, start: int, end: int) -> int | None:
        """The first mdanki ``%`` line or ``<!-- md2apkg split -->`` line in [start, end), outside code fences."""
        fence = ""
        for ln in range(start, end):
            text = self.lines[ln].strip()
            if fence:
                if text.startswith(fence) and not text.strip(fence[0]):
                    fence = ""
                continue
            if text.startswith(("```", "~~~")):
                fence = text[:3]
                continue
            if text == "%" or _MD2APKG_SPLIT.match(text):
                return ln
        return None
