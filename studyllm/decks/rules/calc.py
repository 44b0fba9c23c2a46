"""Calculator cards: a fenced block whose info string is ``calc`` (checked by
``studyllm.calc.cards``, errors at the right line of the deck file)."""

from __future__ import annotations

from studyllm.decks.model import DeckError
from studyllm.decks.rules._base import (
    Block,
    ParserBase,
)


class CalcRule(ParserBase):
    def is_calc(self, b: Block) -> bool:
        info = self.tokens[b.tok].info.strip()
        return info.split(None, 1)[0].lower() == "calc" if info else False

    def calc_card(self, b: Block) -> None:
        tok = self.tokens[b.tok]
        body = tok.content
        body_line = b.start + 2  # 1-based line of the body's first line
        col = self.col_of(b.start, tok.markup, 0)
        if not body.strip():
            self.skip("empty calc block", b.start, col, hint="see docs/calc-cards.md for what goes inside")
            return
        try:
            from studyllm.calc.cards import CalcSpecError, parse_spec
        except ImportError:  # pragma: no cover - the calc package ships with studyllm
            self.add("calc", body.rstrip("\n"), "", b.start, col, extra={"body": body, "body_line": body_line})
            return
        try:
            parse_spec(body)
        except CalcSpecError as exc:
            rel = getattr(exc, "line", 1)
            rel = rel if isinstance(rel, int) and rel >= 1 else 1
            message = getattr(exc, "message", None) or str(exc) or "invalid calc block"
            self.skipped.append(DeckError(f"calc block: {message}", path=self.path, line=body_line + rel - 1,
                                          col=getattr(exc, "col", 1) or 1, hint=getattr(exc, "hint", "") or ""))
            return
        except Exception as exc:  # noqa: BLE001 - a bad block must never crash an import
            self.skip(f"calc block could not be checked: {type(exc).__name__}: {exc}", b.start, col)
            return
        self.add("calc", body.rstrip("\n"), "", b.start, col, extra={"body": body, "body_line": body_line})
