"""Obsidian_to_Anki's ``START`` … ``END`` notes (the fields are read by ``decks/o2a.py``)."""

from __future__ import annotations

from bisect import bisect_right

from studyllm.decks import cloze as _cloze
from studyllm.decks import o2a as _o2a
from studyllm.decks._markdown import masked_content
from studyllm.decks._text import clean_text
from studyllm.decks.rules._base import (
    Block,
    Frag,
    ParserBase,
)


class StartEndRule(ParserBase):
    def has_end_after(self, line: int) -> bool:
        """Whether an ``END`` line follows ``line`` before the next ``START`` line."""
        ends = getattr(self, "_ends", None)
        if ends is None:
            ends = self._ends = [i for i, ln in enumerate(self.lines) if ln.strip() in ("START", "END")]
        k = bisect_right(ends, line)
        return k < len(ends) and self.lines[ends[k]].strip() == "END"

    def o2a_block(self, b: Block) -> None:
        if self.o2a is None:
            self.o2a = []
        self.o2a.append(b)
        first = self.o2a[0].start
        end_line = next((ln for ln in range(max(b.start, first + 1), b.end) if self.lines[ln].strip() == "END"), -1)
        if end_line < 0:
            return
        self.o2a = None
        note = _o2a.read_note(self.lines[first + 1:end_line], first + 1)
        if note is None:
            self.skip("'START' block has no note type and no fields", first,
                      hint="write the note type (e.g. Basic) on the line after START")
            return
        tags = tuple(note.tags)
        ntype = note.note_type.lower()
        if ntype == "cloze":
            text = clean_text(note.get("Text"))
            line0 = note.fields[0][2] if note.fields else note.line
            frag = Frag(text, masked_content(self.md, text, self.env, fast=self.fast_path), line0)
            dels, problems = _cloze.find_anki(frag.masked, frag.content)
            self.report_cloze(frag, problems)
            if any(p.error for p in problems):
                return
            if not dels:
                self.skip("Cloze note has no {{c1::...}} deletion", note.line, hint="write {{c1::answer}} in the text")
                return
            self.cloze_note(frag, dels, tags=tags)
            return
        if len(note.fields) < 2 and ntype.startswith("basic"):
            self.skip(f"'{note.note_type}' note has no 'Back:' field", note.line,
                      hint="start the answer with 'Back:'")
            return
        front = clean_text(note.fields[0][1])
        back = clean_text("\n\n".join(text for _, text, _ in note.fields[1:] if text.strip()))
        if not front or not back:
            self.skip(f"'{note.note_type}' note has an empty field", note.line)
            return
        if ntype not in _o2a.KNOWN_FIELDS:
            self.warn(f"note type '{note.note_type}' is read as a basic card (first field the question, "
                      "the others the answer)", note.line)
        self.add("basic", front, back, first, tags=tags)
        if "reversed" in ntype and (ntype != "basic (optional reversed card)" or note.get("Add Reverse").strip()):
            self.add("basic", back, front, first, variant="reverse", tags=tags)
