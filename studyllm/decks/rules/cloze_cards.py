"""Cloze notes: Anki's ``{{c1::…}}``, ``==highlights==`` (unless the deck turns them off)
and hashcards' ``C:`` blocks with ``[deletions]``; the finders are in ``decks/cloze.py``.
"""

from __future__ import annotations

from studyllm.decks import cloze as _cloze
from studyllm.decks._text import clean_text
from studyllm.decks.rules._base import (
    Frag,
    Open,
    ParserBase,
)


class ClozeRule(ParserBase):
    def c_block(self, op: Open) -> None:
        pieces: list[tuple[int, int, str, Frag | None, list[_cloze.Deletion]]] = []
        deletions_total = 0
        for start, end, frag in op.frags:
            if frag is None:
                pieces.append((start, end, self.src(start, end), None, []))
                continue
            dels, problems = _cloze.find_brackets(frag.masked, frag.content)
            self.report_cloze(frag, problems)
            deletions_total += len(dels)
            pieces.append((start, end, frag.content, frag, dels))
        if deletions_total == 0:
            self.skip("'C:' block has no [deletions]", op.line, op.col,
                       hint="put the words to hide in square brackets: C: The capital of France is [Paris].")
            return
        if deletions_total > _cloze.MAX_CARDS_PER_NOTE:
            most = _cloze.MAX_CARDS_PER_NOTE
            self.skip(f"'C:' block has more than {most} deletions; at most {most} per note",
                       op.line, op.col, hint="split the text into several C: blocks")
            return
        # Renumber deletions across the pieces (d1, d2 ... in text order).
        n = 0
        renumbered = []
        for start, end, text, frag, dels in pieces:
            new = []
            for d in dels:
                n += 1
                new.append(_cloze.Deletion(d.start, d.end, d.text_start, d.text_end, "", f"d{n}"))
            renumbered.append((start, end, text, frag, new))
        total_len = sum(len(p[2]) for p in renumbered)
        if total_len * n > _cloze.MAX_NOTE_OUTPUT_CHARS:
            self.skip("'C:' block is too large for its number of deletions", op.line, op.col,
                       hint="split the text into several C: blocks")
            return
        for k in range(1, n + 1):
            group = f"d{k}"
            fronts, backs, answers = [], [], []
            prev_end = None
            for start, end, text, frag, dels in renumbered:
                if frag is not None and dels:
                    f, bk, ans = _cloze.render(text, dels, group)
                    answers.extend(ans)
                else:
                    f = bk = text
                if prev_end is not None:
                    gap = "\n" * (max(0, start - prev_end) + 1)
                    fronts.append(gap)
                    backs.append(gap)
                fronts.append(f)
                backs.append(bk)
                prev_end = end
            front = "".join(fronts)
            if front.lstrip().startswith("C:"):
                front = front.lstrip()[2:]
            back = "".join(backs)
            if back.lstrip().startswith("C:"):
                back = back.lstrip()[2:]
            self.add("cloze", clean_text(front), clean_text(back), op.line, op.col, variant=group, path=op.path,
                     extra={"index": group, "answers": answers})

    def report_cloze(self, frag: Frag, problems: list[_cloze.ClozeProblem]) -> None:
        for p in problems:
            line, col = self.frag_pos(frag, p.offset)
            (self.skip if p.error else self.warn)(p.message, line, col, hint=p.hint)

    def cloze_note(self, frag: Frag, dels: list[_cloze.Deletion], tags: tuple[str, ...] = ()) -> None:
        dels.sort(key=lambda d: d.start)
        # Overlapping constructs (a highlight inside a {{c1::}}): keep the first.
        kept: list[_cloze.Deletion] = []
        for d in dels:
            if kept and d.start < kept[-1].end:
                continue
            kept.append(d)
        groups = _cloze.groups_in_order(kept)
        line, col = self.frag_pos(frag, kept[0].start)
        if len(groups) > _cloze.MAX_CARDS_PER_NOTE:
            most = _cloze.MAX_CARDS_PER_NOTE
            self.skip(f"more than {most} cloze cards in one note; at most {most}",
                      line, col,
                       hint="split the paragraph, or reuse numbers ({{c1::..}} twice makes one card)")
            return
        if len(groups) * len(frag.content) > _cloze.MAX_NOTE_OUTPUT_CHARS:
            self.skip("cloze note is too large for its number of cards", line, col, hint="split the paragraph")
            return
        whole = frag.content.strip()
        for d in kept:
            if frag.content[d.start:d.end].strip() == whole:
                self.warn("the deletion covers the whole paragraph, so its card shows only a blank", line, col,
                          hint="hide only the key words, and leave the rest as context")
        for group in groups:
            front, back, answers = _cloze.render(frag.content, kept, group)
            self.add("cloze", clean_text(front), clean_text(back), frag.line0, self.col_of(
                frag.line0, frag.content.split("\n", 1)[0], 0), variant=group,
                extra={"index": group, "answers": answers}, tags=tags)
