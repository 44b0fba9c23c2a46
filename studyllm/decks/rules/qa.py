"""``Q:``/``A:`` blocks, and the run of an open card (``Q:``, ``C:``, ``O:``) over the blocks that follow.

A card's answer runs from ``A:`` to the next marker line, ``---`` rule or heading, or to a
blank line followed by a paragraph that starts another card (see ``Parser.starts_card``).
``close`` finishes whichever card is open, handing ``C:`` and ``?`` cards to their rules.
"""

from __future__ import annotations

from studyllm.decks._text import clean_text
from studyllm.decks.rules._base import (
    _COMMENT_ONLY,
    Block,
    ParserBase,
    _in_order,
)


class QARule(ParserBase):
    def extend_lines(self, end: int) -> None:
        op = self.open
        assert op is not None
        if op.kind == "C" and op.frags:
            start = op.frags[-1][1]
            if end > start:
                op.frags.append((start, end, None))
        if op.a_start is not None:
            op.a_end = max(op.a_end, end)
        else:
            op.q_end = max(op.q_end, end)

    def extend(self, b: Block) -> None:
        op = self.open
        assert op is not None
        comment = b.kind == "html" and _COMMENT_ONLY.match(self.src(b.start, b.end))
        if op.kind == "C":
            if not comment:
                frag = self.frag_of(b.tok + 1) if b.kind == "paragraph" else None
                op.frags.append((b.start, b.end, frag))
                op.q_end = b.end
            return
        if op.a_start is not None:
            if not comment:
                op.a_blocks.append(b)
                op.a_end = b.end
        elif not comment:
            op.q_blocks.append(b)
            op.q_end = b.end

    def close(self) -> None:
        op = self.open
        if op is None:
            return
        self.open = None
        if op.kind == "C":
            self.c_block(op)
            return
        if op.kind == "S":
            self.finish_separator(op)
            return
        q_line, q_cut = op.q_start
        if op.q_end - q_line == 1 and "<!--" not in (text := self.lines[q_line][q_cut:]):
            question = text.strip()  # clean_text(self.src(...)) of one line with no comment
        else:
            question = clean_text(self.src(q_line, op.q_end, q_cut))
        if op.a_start is None:
            if op.kind == "O":
                self.skip("'O:' question needs a numbered list as its answer", op.line, op.col,
                          hint="put the items in order as '1. ...', '2. ...' right after the question")
            else:
                self.skip("question has no answer", op.line, op.col, hint="add an 'A:' line after the question")
            return
        a_line, a_cut = op.a_start
        if op.a_end - a_line == 1 and "<!--" not in (text := self.lines[a_line][a_cut:]):
            answer = text.strip()
        else:
            answer = clean_text(self.src(a_line, op.a_end, a_cut))
        if not question:
            self.skip(f"empty question after '{op.kind}:'", op.line, op.col)
            return
        if not answer:
            # hashcards accepts a stub card to fill in later: skipped with a warning, not an error
            self.warn("empty answer after 'A:'; the card is skipped until it has one", op.a_start[0],
                      op.a_start[1] - 1, hint="write the answer after 'A:'")
            return
        if not op.a_blocks and op.kind == "Q" and ")" not in question:
            self.add("basic", question, answer, op.line, op.col, path=op.path)  # the common card
            return
        single_list = (len(op.a_blocks) == 1 and op.a_blocks[0].kind == "list" and op.a_blocks[0].ordered
                       and not op.a_text_on_marker)
        if (op.kind == "Q" and len(op.a_blocks) == 1 and op.a_blocks[0].kind == "list"
                and not op.a_text_on_marker and self.is_task_list(op.a_blocks[0])):
            self.mcq(op.a_blocks[0], op.line, op.col, question, op.path)
            return
        if op.kind == "O" or _in_order(question):
            if single_list:
                self.ordered(op.a_blocks[0], op.line, op.col, question, op.path)
                return
            if op.kind == "O":
                self.skip("'O:' question needs a numbered list as its answer", op.line, op.col,
                          hint="write the answer as '1. ...', '2. ...'")
                return
            self.warn("question marked '(in order)' but its answer is not a numbered list; kept as a basic card",
                      op.line, op.col)
        self.add("basic", question, answer, op.line, op.col, path=op.path)
