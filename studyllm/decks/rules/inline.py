"""Single-line cards: ``front :: back`` and ``front ::: back`` (both ways), or the deck's
own separators; a checkbox before the front (``- [ ] term :: meaning``) is not part of it.
"""

from __future__ import annotations

from studyllm.decks import cloze as _cloze
from studyllm.decks._text import clean_text
from studyllm.decks.rules import logseq as _logseq
from studyllm.decks.rules._base import (
    _TASK,
    Frag,
    ParserBase,
)


class InlineRule(ParserBase):
    def inline_cards(self, frag: Frag) -> bool:
        """`::` lines and cloze notes in a free paragraph. True if the paragraph held any."""
        masked = frag.masked
        has_cloze = "{{c" in masked
        has_hl = self.highlights and "==" in masked
        if has_cloze or has_hl:
            dels: list[_cloze.Deletion] = []
            if has_cloze:
                found, problems = _cloze.find_anki(masked, frag.content)
                self.report_cloze(frag, problems)
                if any(p.error for p in problems):
                    return True
                dels.extend(found)
            if has_hl:
                found, _ = _cloze.find_highlights(masked, frag.content)
                dels.extend(found)
            if dels:
                self.cloze_note(frag, dels)
                return True
        sep, rev = self.inline_sep, self.inline_rev
        if sep not in masked and rev not in masked:
            return False
        made = False
        clines = frag.content.split("\n")
        # Logseq's page and block properties (`title:: Biology`, `card-repeats:: 2`) are not cards
        page: bool | None = None  # Logseq page properties? (asked only if a `key::` line shows up)
        for i, mline in enumerate(masked.split("\n")):
            idx = mline.find(sep)
            ridx = mline.find(rev)
            if idx < 0 and ridx < 0:
                continue
            if sep == "::" and idx > 0 and mline[idx - 1] not in " \t":  # `key::`, as Logseq writes
                if page is None:
                    page = _logseq.is_page_properties(frag.content)
                if page or _logseq.is_property(clines[i]):
                    continue
            # the earlier of the two; at the same place the longer (":::" over "::")
            reverse = ridx >= 0 and (idx < 0 or ridx < idx or (ridx == idx and len(rev) > len(sep)))
            if reverse:
                idx = ridx
            width = len(rev) if reverse else len(sep)
            cline = clines[i]
            front = cline[:idx].strip()
            back = cline[idx + width:].strip()
            box = _TASK.match(front) if i == 0 and front.startswith("[") else None
            if box is not None:
                front = front[box.end():].strip()  # a checkbox: `- [ ] term :: meaning`
            line = frag.line0 + i
            col = self.col_of(line, cline, 0)
            made = True
            if not front or not back:
                shown = rev if reverse else sep
                self.warn(f"'{shown}' card with an empty side is skipped", line, self.col_of(line, cline, idx),
                          hint=f"write 'front {shown} back'")
                continue
            front, back = clean_text(front), clean_text(back)
            self.add("basic", front, back, line, col)
            if reverse:
                self.add("basic", back, front, line, col, variant="reverse")
        return made
