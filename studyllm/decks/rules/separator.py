"""obsidian-spaced-repetition's multi-line cards: a ``?`` (or ``??``, or the deck's own
separator) line between the question and the answer; a heading, or a list, code block or
table with its introducing paragraph, directly above it is the question.
"""

from __future__ import annotations

from studyllm.decks._text import clean_text
from studyllm.decks.rules._base import (
    Block,
    Frag,
    Open,
    ParserBase,
)


class SeparatorRule(ParserBase):
    def separator_card(self, b: Block, frag: Frag, sep: int, reverse: bool) -> None:
        line = frag.line0 + sep
        col = self.col_of(line, frag.content.split("\n")[sep], 0)
        label = self.separators["multiline_reverse" if reverse else "multiline"]
        path = self.heading_path()
        front_text = None
        if sep > 0:
            q_start = frag.line0
        else:
            prev = self.prev
            if prev is not None and prev.end == b.start and prev.kind == "heading" and self.headings:
                # obsidian-SR: a heading directly above the separator is the question
                front_text = self.tokens[prev.tok + 1].content.strip()
                path = self.path_without_last_heading()
                # it is this card's question, not a section: the cards after it (up to the
                # next heading) are not put under it either
                self.headings.pop()
                q_start = prev.start
            elif prev is None or prev.end != b.start or prev.kind in ("heading", "hr", "front_matter"):
                self.skip(f"'{label}' separator with no question directly above it", line, col,
                          hint=f"write the question on the line(s) right above the '{label}'")
                return
            else:
                q_start = self.question_start()
        op = Open("S", q_start, 1, path, (q_start, 0), line, reverse=reverse, front_text=front_text, label=label)
        op.a_start = (line + 1, 0)
        op.a_end = frag.line0 + frag.nlines  # not b.end: a setext `---` underline is not part of the card
        op.col = col
        op.line = line
        self.open = op

    def path_without_last_heading(self) -> tuple[str, ...]:
        heads = self.headings[:-1]
        return tuple(text for level, text in heads if not (level == 1 and text == self.title)) + self.context

    def question_start(self) -> int:
        """First line of the question above a separator whose own paragraph starts with it: the
        blocks directly above (a list, code block or table, no blank line between), up to and
        with the paragraph that introduces them."""
        hist = self.history
        k = len(hist) - 1
        while k > 0 and hist[k].kind != "paragraph" and hist[k - 1].end == hist[k].start and \
                hist[k - 1].kind in ("paragraph", "list", "fence", "code", "table", "blockquote", "html"):
            k -= 1
        return hist[k].start if k >= 0 else self.prev.start if self.prev else 0

    def separator_inside(self, b: Block) -> bool:
        """A `?` line that Markdown reads as part of a list (a lazy line) or a table (a row): the
        list or table with the paragraph directly above it is the question. True if handled."""
        seps = (self.separators["multiline"], self.separators["multiline_reverse"])
        lines = self.lines
        sep_line = -1
        for ln in range(b.start + 1, b.end):
            text = lines[ln]
            if text.strip() in seps and (not text[:1].isspace() or (b.kind == "table" and len(text) - len(
                    text.lstrip()) <= 3)):
                sep_line = ln
                break
        if sep_line < 0:
            return False
        self.close()
        q_start = b.start
        prev = self.prev
        if prev is not None and prev.end == b.start and prev.kind in ("paragraph", "fence", "code", "html"):
            q_start = self.question_start()
        end = sep_line + 1
        while end < b.end and lines[end].strip():
            end += 1
        reverse = lines[sep_line].strip() == seps[1]
        op = Open("S", sep_line, 1, self.heading_path(), (q_start, 0), sep_line, reverse=reverse,
                  label=seps[1] if reverse else seps[0])
        op.a_start = (sep_line + 1, 0)
        op.a_end = end
        self.open = op
        if end < b.end and any(lines[k].strip() for k in range(end, b.end)):
            self.warn("the rest of this list after the card's answer is not read as cards", end,
                      hint="put a blank line and a paragraph between the card and the rest of the list")
        return True

    def finish_separator(self, op: Open) -> None:
        front = op.front_text if op.front_text is not None else clean_text(self.src(op.q_start[0], op.q_end))
        back = clean_text(self.src(op.a_start[0], op.a_end)) if op.a_start else ""
        if not back:
            if op.label == "#flashcard":
                self.skip("'#flashcard' question with no answer below it", op.line, op.col,
                          hint="write the answer on the line(s) right below the question")
            else:
                self.skip(f"'{op.label}' separator with no answer below it", op.line, op.col,
                          hint=f"write the answer on the line(s) right below the '{op.label}'")
            return
        if not front:
            self.skip(f"'{op.label}' separator with no question directly above it", op.line, op.col)
            return
        self.add("basic", front, back, op.q_start[0], path=op.path)
        if op.reverse:
            self.add("basic", back, front, op.q_start[0], variant="reverse", path=op.path)
