"""Multiple choice (a question followed by a task list) and ordered answers (``O:`` or
``(in order)`` with a numbered list)."""

from __future__ import annotations

import re

from studyllm.decks import outline as _outline
from studyllm.decks._text import clean_text
from studyllm.decks.rules._base import (
    _IN_ORDER,
    _TASK,
    Block,
    ParserBase,
)


class ChoiceRule(ParserBase):
    def is_task_list(self, b: Block) -> bool:
        tokens = self.tokens
        for i in range(b.tok, b.tok_end):
            tok = tokens[i]
            if tok.type == "list_item_open" and tok.level == tokens[b.tok].level + 1:
                if i + 2 < b.tok_end and tokens[i + 1].type == "paragraph_open":
                    return bool(_TASK.match(tokens[i + 2].content))
                return False
        return False

    def list_items(self, b: Block) -> list[_outline.Item]:
        return _outline.collect_items(self.tokens, b.tok, b.tok_end, self.frag_of)

    def mcq(self, b: Block, line: int, col: int, question: str, path: tuple[str, ...]) -> None:
        items = [it for it in self.list_items(b) if it.parent is None]
        choices = []
        for it in items:
            text = it.frag.content if it.frag is not None else ""
            m = _TASK.match(text)
            if not m:
                self.skip("every choice in a multiple-choice list needs '[ ]' or '[x]'", it.start, 1,
                           hint="write '- [x] right' or '- [ ] wrong'")
                return
            body = clean_text(self.src(it.start, it.end))
            body = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+\[( |x|X)\]\s?", "", body, count=1)
            choices.append({"text": clean_text(body), "correct": m.group(1) in "xX"})
        question = clean_text(question)
        if question.startswith("Q:"):
            question = question[2:].strip()
        if not any(c["correct"] for c in choices):
            self.skip("multiple-choice question has no correct choice", line, col,
                       hint="mark the right answer(s) with '[x]'")
            return
        if any(not c["text"] for c in choices):
            self.skip("multiple-choice list has an empty choice", line, col)
            return
        self.add("mcq", question, clean_text(self.src(b.start, b.end)), line, col, path=path,
                 extra={"choices": choices})

    def ordered(self, b: Block, line: int, col: int, question: str, path: tuple[str, ...]) -> None:
        items = [it for it in self.list_items(b) if it.parent is None]
        texts = []
        for it in items:
            body = clean_text(self.src(it.start, it.end))
            body = re.sub(r"^\s*\d+[.)]\s?", "", body, count=1)
            texts.append(clean_text(body))
        question = clean_text(question)
        for prefix in ("O:", "Q:"):
            if question.startswith(prefix):
                question = question[2:].strip()
        question = _IN_ORDER.sub("", question).strip()
        if len(texts) < 2 or not all(texts):
            self.skip("an ordered answer needs at least two non-empty items", line, col)
            return
        if not question:
            self.skip("empty question before the numbered list", line, col)
            return
        self.add("ordered", question, clean_text(self.src(b.start, b.end)), line, col, path=path,
                 extra={"items": texts})
