"""Markdown deck parser (pure layer): one file -> one :class:`ParsedDeck`.

The file is parsed once by markdown-it-py; then one pass over the tokens cuts
them into top-level blocks (checking fences and nesting on the way) and one
pass over the blocks runs a small state machine that recognises the card
syntaxes described in ``docs/deck-format.md``. Card text is sliced from the
source lines (using the tokens' line maps), never re-rendered, so the author's
Markdown is kept as written.

Problems go into ``deck.errors`` / ``deck.warnings`` as :class:`DeckError`;
nothing but ``DeckError`` is ever raised.
"""

from __future__ import annotations

import gc
import hashlib
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studyllm.decks import _fastpath
from studyllm.decks import cloze as _cloze
from studyllm.decks import outline as _outline
from studyllm.decks._markdown import MAX_NESTING, get_md, masked_content
from studyllm.decks.frontmatter import read_front_matter
from studyllm.decks.model import DeckError, ParsedCard, ParsedDeck

__all__ = ["MAX_FILE_BYTES", "parse_bytes", "parse_deck", "parse_file"]

MAX_FILE_BYTES = 10 * 1024 * 1024
# markdown-it-py's inline rules get slow (superlinear) on pathological megabyte lines; no real
# card needs a line this long, so such a file is refused with its line number.
MAX_LINE_CHARS = 100_000
PATH_SEP = _outline.PATH_SEP  # how heading paths and outline paths are shown

# A line starting with Q:/A:/C:/O: (then a space or the end), or a line holding only ? or ??.
_MARKERS = re.compile(r"^[ \t]{0,3}(?:([QACO]):(?=[ \t]|$)|(\?\??)[ \t]*$)", re.M)
_MARKER_AT = re.compile(r"[ \t]{0,3}(?:([QACO]):(?=[ \t\n]|\Z)|(\?\??)[ \t]*(?=\n|\Z))")
_SR_COMMENT = re.compile(r"[ \t]*<!--SR:[^\n]*?-->")
_COMMENT_ONLY = re.compile(r"^\s*<!--.*?-->\s*$", re.S)
_IN_ORDER = re.compile(r"\s*\(in order\)\s*$", re.I)
_TASK = re.compile(r"^\[( |x|X)\](?:[ \t]+|$)")
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_BYTES = bytes([*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_SLUG = re.compile(r"[^\w]+")

CONTAINER_OPEN = ("blockquote_open", "list_item_open")
_OPEN_KINDS = {"paragraph_open": "paragraph", "heading_open": "heading", "bullet_list_open": "list",
               "ordered_list_open": "list", "blockquote_open": "blockquote", "table_open": "table"}
_LEAF_KINDS = {"fence": "fence", "code_block": "code", "html_block": "html", "hr": "hr",
               "front_matter": "front_matter"}


@dataclass(slots=True)
class Block:
    kind: str  # heading paragraph fence code html hr list blockquote table front_matter other
    start: int  # first source line, 0-based
    end: int  # line after the block
    tok: int  # index of the block's first token
    tok_end: int  # index after its last token
    level: int = 0  # heading level
    ordered: bool = False
    setext: bool = False


@dataclass(slots=True)
class Frag:
    """Part of a paragraph: real text, masked text (same length) and its first source line."""

    content: str
    masked: str
    line0: int

    @property
    def nlines(self) -> int:
        return self.content.count("\n") + 1


@dataclass(slots=True)
class Open:
    """A card being collected: Q:/A:, C:, O: or a `?` card."""

    kind: str  # "Q", "C", "O", "S"
    line: int  # 0-based line of the marker
    col: int  # 1-based
    path: tuple[str, ...]
    q_start: tuple[int, int]  # (line, cut column) where the question text starts
    q_end: int
    a_start: tuple[int, int] | None = None
    a_end: int = 0
    a_blocks: list[Block] = field(default_factory=list)
    q_blocks: list[Block] = field(default_factory=list)
    frags: list[tuple[int, int, Frag | None]] = field(default_factory=list)  # C: pieces (start, end, frag)
    reverse: bool = False
    a_text_on_marker: bool = False


def _has_control(text: str) -> bool:
    """Whether ``_CONTROL`` matches somewhere in ``text`` (a byte-level test, several times
    faster than the regex on a large file: these characters are ASCII, so in UTF-8 they
    are bytes of their own)."""
    data = text.encode("utf-8", "surrogatepass")
    return len(data.translate(None, _CONTROL_BYTES)) != len(data)


def _in_order(text: str) -> bool:
    """``_IN_ORDER.search(text)``, with a cheap test first (the regex tries every position)."""
    return text.rstrip().endswith(")") and _IN_ORDER.search(text) is not None


def _slug(stem: str) -> str:
    slug = _SLUG.sub("-", stem.lower()).strip("-_")
    return slug or "deck"


def clean_text(text: str) -> str:
    """Card text as stored: SR scheduling comments dropped, trailing spaces and
    surrounding blank lines removed, common indentation removed."""
    if "<!--SR:" in text:
        text = _SR_COMMENT.sub("", text)
    if "\n" not in text:
        return text.strip()
    lines = [ln.rstrip() for ln in text.split("\n")]
    while lines and not lines[0]:
        lines.pop(0)
    while lines and not lines[-1]:
        lines.pop()
    if not lines:
        return ""
    indent = min(len(ln) - len(ln.lstrip()) for ln in lines if ln)
    if indent:
        lines = [ln[indent:] if ln[:indent].isspace() else ln.lstrip() for ln in lines]
    lines[0] = lines[0].lstrip()
    return "\n".join(lines)


class _DeckParser:
    def __init__(self, text: str, path: str, outline: bool, content_hash: str, fast_path: bool = True) -> None:
        self.path = path
        self.fast_path = fast_path
        self.force_outline = outline
        self.content_hash = content_hash
        # markdown-it normalises these itself; doing it first keeps our line numbers equal to its maps.
        if "\r" in text:
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        self.nul_line = 0
        if "\x00" in text:
            self.nul_line = text.count("\n", 0, text.index("\x00")) + 1
            text = text.replace("\x00", "\ufffd")
        self.text = text
        self.lines = text.split("\n")
        self.cards: list[ParsedCard] = []
        self.errors: list[DeckError] = []
        self.warnings: list[DeckError] = []
        self.headings: list[tuple[int, str]] = []
        self.title = ""
        self.context: tuple[str, ...] = ()  # outline mode: a label paragraph above the current list
        self.mode = "cards"
        self._seen: set[tuple[Any, ...]] = set()
        self._path: tuple[str, ...] = ()
        self._frags: dict[int, Frag] = {}
        self._path_key: Any = None

    # ----------------------------------------------------------------- helpers
    def error(self, message: str, line: int, col: int = 1, hint: str = "") -> None:
        self.errors.append(DeckError(message, path=self.path, line=line + 1, col=col, hint=hint))

    def warn(self, message: str, line: int, col: int = 1, hint: str = "") -> None:
        self.warnings.append(DeckError(message, path=self.path, line=line + 1, col=col, hint=hint))

    def heading_path(self) -> tuple[str, ...]:
        key = (len(self.headings), self.headings[-1] if self.headings else None, self.context)
        if key != self._path_key:
            path = tuple(text for level, text in self.headings if not (level == 1 and text == self.title))
            self._path = path + self.context
            self._path_key = key
        return self._path

    def add(self, kind: str, front: str, back: str, line: int, col: int = 1, *, variant: str = "",
            path: tuple[str, ...] | None = None, extra: dict[str, Any] | None = None) -> None:
        card = ParsedCard(kind=kind, front=front, back=back,
                          heading_path=self.heading_path() if path is None else path,
                          line=line + 1, col=col, variant=variant, extra=extra or {})
        key = (kind, front, back, variant, card.heading_path)
        if key in self._seen:
            self.warn("duplicate card (same text as an earlier card)", line, col,
                      "the copy is kept but shares its identity with the first")
        self._seen.add(key)
        self.cards.append(card)

    def src(self, start: int, end: int, cut: int = 0) -> str:
        """Source lines [start, end) with the first ``cut`` characters of the first line removed."""
        if start >= end:
            return ""
        first = self.lines[start][cut:].lstrip() if cut else self.lines[start]
        if end - start == 1:
            return first
        return first + "\n" + "\n".join(self.lines[start + 1:end])

    def col_of(self, line: int, content_line: str, index: int) -> int:
        """1-based source column of ``content_line[index]`` (content lines lose container prefixes)."""
        src = self.lines[line] if 0 <= line < len(self.lines) else ""
        off = src.find(content_line) if content_line else -1
        if off < 0:
            off = len(src) - len(src.lstrip())
        return off + index + 1

    def frag_pos(self, frag: Frag, offset: int) -> tuple[int, int]:
        """(0-based line, 1-based col) of an offset into a fragment."""
        line_in = frag.masked.count("\n", 0, offset)
        line_start = frag.masked.rfind("\n", 0, offset) + 1
        line_end = frag.content.find("\n", line_start)
        content_line = frag.content[line_start:line_end if line_end >= 0 else len(frag.content)]
        return frag.line0 + line_in, self.col_of(frag.line0 + line_in, content_line, offset - line_start)

    def frag_of(self, tok_index: int) -> Frag:
        """The (masked) text of inline token ``tok_index``; each token's inline pass runs at most once."""
        frag = self._frags.get(tok_index)
        if frag is None:
            tok = self.tokens[tok_index]
            content = tok.content
            frag = Frag(content, masked_content(self.md, content, self.env, fast=self.fast_path),
                        tok.map[0] if tok.map else 0)
            self._frags[tok_index] = frag
        return frag

    # ------------------------------------------------------------------- entry
    def run(self) -> ParsedDeck:
        stem = Path(self.path).stem if self.path and not self.path.startswith("<") else "deck"
        deck = ParsedDeck(path=self.path, key=_slug(stem), title=stem, content_hash=self.content_hash)
        if self.nul_line:
            self.warn("NUL character replaced by U+FFFD", self.nul_line - 1)
        if not self.text.strip():
            self.error("file is empty", 0, hint="write some cards, e.g. 'Q: question' and 'A: answer' lines")
            return self.finish(deck)
        self.md = get_md()
        self.env: dict[str, Any] = {}
        blocks: list[Block] | None = None
        fast = _fastpath.split(self.text, self.lines) if self.fast_path else None
        if fast is not None:
            # only headings and plain paragraphs: the same tokens and blocks without markdown-it
            self.tokens, raw = fast
            blocks = [Block(kind, start, end, tok, tok + (1 if kind == "front_matter" else 3), level)
                      for kind, start, end, tok, level in raw]
        else:
            try:
                self.tokens = self.md.parse(self.text, self.env)
            except RecursionError:
                self.error("Markdown nested too deeply to read", 0, hint="reduce the nesting of lists or quotes")
                return self.finish(deck)
        try:
            self._run(deck, blocks)
        except RecursionError:
            self.error("Markdown nested too deeply to read", 0, hint="reduce the nesting of lists or quotes")
        except DeckError as exc:  # pragma: no cover - internal helpers report instead of raising
            self.errors.append(exc)
        except Exception as exc:  # noqa: BLE001 - a bad file must never crash an import
            self.error(f"internal error while reading this file: {type(exc).__name__}: {exc}", 0,
                       hint="please report this file")
        return self.finish(deck)

    def finish(self, deck: ParsedDeck) -> ParsedDeck:
        deck.cards = self.cards
        deck.errors = self.errors
        deck.warnings = self.warnings
        return deck

    def _run(self, deck: ParsedDeck, blocks: list[Block] | None = None) -> None:
        if blocks is None:
            blocks = self.split_blocks()
        fm_title = None
        mode = "cards"
        heading_level = 2
        if blocks and blocks[0].kind == "front_matter":
            tok = self.tokens[blocks[0].tok]
            fm = read_front_matter(tok.content, 2, self.path)
            self.errors.extend(fm.errors)
            self.warnings.extend(fm.warnings)
            fm_title = fm.title
            deck.tags = fm.tags
            deck.options = fm.options
            if fm.id:
                deck.key = fm.id
            if fm.mode:
                mode = fm.mode
            heading_level = fm.heading_level
            blocks = blocks[1:]
        elif self.lines[0].strip() == "---" and len(self.lines) > 1 and re.match(r"^\w[\w-]*\s*:", self.lines[1]):
            self.warn("front matter is never closed with a '---' line, so it is read as text", 0,
                      hint="add a '---' line after the last key")
        if self.force_outline:
            mode = "outline"
        self.mode = mode
        deck.mode = mode
        if fm_title:
            self.title = fm_title
        else:
            first_h1 = next((b for b in blocks if b.kind == "heading" and b.level == 1), None)
            self.title = self.tokens[first_h1.tok + 1].content.strip() if first_h1 else deck.title
        deck.title = self.title
        control = _CONTROL.search(self.text) if _has_control(self.text) else None
        if control:
            self.warn("control character in the text (shown as-is)", self.text.count("\n", 0, control.start()))
        if mode == "headings":
            self.heading_cards(blocks, heading_level)
        else:
            self.card_blocks(blocks)
        if not self.cards and not self.errors:
            self.warn("no cards found in this file", 0,
                      hint="see docs/deck-format.md for the card syntaxes, or use outline mode for notes")

    # ------------------------------------------------------------ token pass
    def split_blocks(self) -> list[Block]:
        """Cut the token stream into top-level blocks; check fences and nesting on the way."""
        tokens = self.tokens
        blocks: list[Block] = []
        depth_reported = False
        n = len(tokens)
        i = 0
        current: Block | None = None
        nest = 0
        while i < n:
            tok = tokens[i]
            ttype = tok.type
            if ttype == "fence":
                self.check_fence(tok)
            elif ttype in CONTAINER_OPEN and tok.level >= MAX_NESTING - 1 and not depth_reported:
                depth_reported = True
                line = tok.map[0] if tok.map else 0
                self.error(f"lists or block quotes are nested too deeply (more than about {MAX_NESTING // 2} "
                           "levels); the deeper text would be lost", line,
                           hint="flatten the nesting")
            if current is not None:
                if ttype == "inline" and "\n" in tok.content and tok.map and current.kind in ("list", "blockquote"):
                    self.check_lazy_marker(tok)
                nest += tok.nesting
                if nest == 0:
                    current.tok_end = i + 1
                    blocks.append(current)
                    current = None
                i += 1
                continue
            start, end = (tok.map[0], tok.map[1]) if tok.map else (0, 0)
            if tok.nesting == 1:
                kind = _OPEN_KINDS.get(ttype, "other")
                current = Block(kind, start, end, i, i + 1)
                if kind == "heading":
                    current.level = int(tok.tag[1:]) if tok.tag[1:].isdigit() else 1
                    current.setext = tok.markup in ("-", "=")
                elif kind == "list":
                    current.ordered = ttype == "ordered_list_open"
                nest = 1
            else:
                kind = _LEAF_KINDS.get(ttype, "other")
                blocks.append(Block(kind, start, end, i, i + 1))
            i += 1
        if current is not None:  # pragma: no cover - markdown-it always closes what it opens
            current.tok_end = n
            blocks.append(current)
        return blocks

    def check_lazy_marker(self, tok: Any) -> None:
        """A `Q:` line right under a list or quote, with no blank line, belongs to that list item."""
        content = tok.content
        first_nl = content.index("\n")
        m = _MARKERS.search(content, first_nl + 1)
        if m is None:
            return
        line = tok.map[0] + content.count("\n", 0, m.start())
        src = self.lines[line] if line < len(self.lines) else ""
        if _MARKERS.match(src) and not src[:1].isspace():  # unindented: a lazy continuation line
            self.error("this marker line is read as part of the list or quote above it", line, 1,
                       hint="put a blank line before it")

    def check_fence(self, tok: Any) -> None:
        if not tok.map:
            return
        start, end = tok.map
        markup = tok.markup or "```"
        # The closing line may sit inside a block quote or list item: drop those prefixes.
        last = self.lines[end - 1].lstrip(" \t>").strip() if end - 1 < len(self.lines) else ""
        closed = end - 1 > start and last.startswith(markup) and set(last) == {markup[0]}
        if not closed:
            col = self.col_of(start, markup, 0)
            self.error("code fence is never closed, so the rest of the file is read as code", start, col,
                       hint=f"add a closing '{markup}' line")

    # ----------------------------------------------------------- cards / outline
    def card_blocks(self, blocks: list[Block]) -> None:
        self.open: Open | None = None
        self.pending: tuple[Block, Frag] | None = None  # a plain paragraph waiting to see the next block
        self.prev: Block | None = None
        self.heading_q: tuple[str, int, tuple[str, ...]] | None = None  # outline: heading ending in '?'
        for block in blocks:
            self.block(block)
            self.prev = block
        self.flush_pending(None)
        self.close()

    def block(self, b: Block) -> None:
        kind = b.kind
        if self.pending is not None and self.flush_pending(b):
            return  # the pending question took this block (MCQ / ordered)
        heading_q, self.heading_q = self.heading_q, None
        op = self.open
        if op is not None and op.kind == "S":
            # A `?` card runs on only through blocks touching it (no blank line) and stops at an SR comment.
            if b.start == op.a_end and kind in ("list", "fence", "code", "table", "blockquote", "html") and \
                    not (kind == "fence" and self.is_calc(b)):
                is_sr = kind == "html" and self.lines[b.start].lstrip().startswith("<!--SR:")
                if not is_sr:
                    self.extend(b)
                    return
                self.close()
                return
            self.close()
        if kind == "heading" and b.setext and self.tokens[b.tok].markup == "-":
            frag = self.frag_of(b.tok + 1)
            if self.has_card_syntax(frag):
                # `text` + `---` is a setext heading in Markdown, but a deck means "card, then rule".
                self.paragraph(b, frag)
                self.close()
                return
        if kind == "heading":
            self.close()
            self.context = ()
            text = self.tokens[b.tok + 1].content.strip()
            while self.headings and self.headings[-1][0] >= b.level:
                self.headings.pop()
            path_above = self.heading_path()
            self.headings.append((b.level, text))
            if self.mode == "outline" and text.endswith(("?", "？")):
                self.heading_q = (text, b.start, path_above)
            return
        if kind == "hr":
            self.close()
            self.context = ()
            return
        if kind == "fence" and self.is_calc(b):
            self.close()
            self.calc_card(b)
            return
        if kind == "paragraph":
            frag = self.frag_of(b.tok + 1)
            if heading_q is not None and self.open is None and not self.has_card_syntax(frag):
                text, line, path = heading_q
                self.add("basic", text, clean_text(self.src(b.start, b.end)), line, path=path)
            self.paragraph(b, frag)
            return
        op = self.open
        if op is not None:
            if kind == "list" and op.a_start is None and op.kind == "Q" and self.is_task_list(b):
                self.mcq(b, op.line, op.col, self.src(op.q_start[0], op.q_end, op.q_start[1]), op.path)
                self.open = None
                return
            if kind == "list" and op.kind == "O" and b.ordered and not op.a_text_on_marker and not op.a_blocks:
                self.ordered(b, op.line, op.col, self.src(op.q_start[0], op.q_end, op.q_start[1]), op.path)
                self.open = None
                return
            self.extend(b)
            return
        # no open card
        if kind == "list":
            self.free_list(b)
        elif kind == "blockquote":
            self.free_container(b)

    # paragraph handling ----------------------------------------------------------
    def has_card_syntax(self, frag: Frag) -> bool:
        m = frag.masked
        if "::" in m or _MARKERS.search(m) is not None:
            return True
        return "==" in m and bool(_cloze.find_highlights(m, frag.content)[0])

    def paragraph(self, b: Block, frag: Frag) -> None:
        masked = frag.masked
        markers: list[tuple[int, str, int]] = []  # (line index, marker, column index)
        sep_at = -1
        pos, line_no = 0, 0
        match = _MARKER_AT.match
        while True:
            m = match(masked, pos)
            if m is not None:
                if m.group(1):
                    markers.append((line_no, m.group(1), m.start(1) - pos))
                elif sep_at < 0:
                    sep_at = line_no
                else:
                    self.warn("second '?' separator in one card is kept as text", frag.line0 + line_no,
                              hint="separate cards with a blank line")
            nl = masked.find("\n", pos)
            if nl < 0:
                break
            pos = nl + 1
            line_no += 1
        if sep_at < 0 and not markers:
            if self.open is not None:
                self.extend(b)
            else:
                self.pending = (b, frag)
            return
        mlines = masked.split("\n")
        clines = frag.content.split("\n")
        if sep_at >= 0:
            self.close()
            self.separator_card(b, frag, sep_at, mlines[sep_at].strip() == "??")
            return
        first = markers[0][0]
        if first > 0:
            if self.open is not None:
                self.extend_lines(frag.line0 + first)
            else:
                head = Frag("\n".join(clines[:first]), "\n".join(mlines[:first]), frag.line0)
                self.free_paragraph(head, None)
        for k, (i, marker, cidx) in enumerate(markers):
            line = frag.line0 + i
            end_line = frag.line0 + (markers[k + 1][0] if k + 1 < len(markers) else len(mlines))
            col = self.col_of(line, clines[i], cidx)
            cut = col - 1 + 2  # source column of the text after "X:"
            if marker == "A":
                op = self.open
                if op is None or op.kind == "C" or op.kind == "S":
                    self.error("'A:' without a question above it", line, col,
                               hint="start the card with a 'Q:' line")
                    continue
                if op.a_start is not None:
                    self.error("second 'A:' for the same question", line, col,
                               hint="merge the answers or add a new 'Q:'")
                    continue
                op.a_start = (line, cut)
                op.a_end = end_line
                op.a_text_on_marker = bool(self.lines[line][cut:].strip())
                continue
            self.close()
            op = Open(marker, line, col, self.heading_path(), (line, cut), end_line)
            if marker == "C":
                sub = Frag("\n".join(clines[i:end_line - frag.line0]), "\n".join(mlines[i:end_line - frag.line0]),
                           line)
                op.frags.append((line, end_line, sub))
            self.open = op

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
        question = clean_text(self.src(op.q_start[0], op.q_end, op.q_start[1]))
        if op.a_start is None:
            if op.kind == "O":
                self.error("'O:' question needs a numbered list as its answer", op.line, op.col,
                           hint="put the items in order as '1. ...', '2. ...' right after the question")
            else:
                self.error("question has no answer", op.line, op.col, hint="add an 'A:' line after the question")
            return
        answer = clean_text(self.src(op.a_start[0], op.a_end, op.a_start[1]))
        if not question:
            self.error(f"empty question after '{op.kind}:'", op.line, op.col)
            return
        if not answer:
            self.error("empty answer after 'A:'", op.a_start[0], op.a_start[1] - 1)
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
                self.error("'O:' question needs a numbered list as its answer", op.line, op.col,
                           hint="write the answer as '1. ...', '2. ...'")
                return
            self.warn("question marked '(in order)' but its answer is not a numbered list; kept as a basic card",
                      op.line, op.col)
        self.add("basic", question, answer, op.line, op.col, path=op.path)

    # `?` cards (obsidian-spaced-repetition multi-line) -------------------------------------
    def separator_card(self, b: Block, frag: Frag, sep: int, reverse: bool) -> None:
        line = frag.line0 + sep
        col = self.col_of(line, frag.content.split("\n")[sep], 0)
        if sep > 0:
            q_start = frag.line0
        else:
            prev = self.prev
            if prev is None or prev.end != b.start or prev.kind in ("heading", "hr", "front_matter"):
                self.error("'?' separator with no question directly above it", line, col,
                           hint="write the question on the line(s) right above the '?'")
                return
            q_start = prev.start
        op = Open("S", q_start, 1, self.heading_path(), (q_start, 0), line, reverse=reverse)
        op.a_start = (line + 1, 0)
        op.a_end = frag.line0 + frag.nlines  # not b.end: a setext `---` underline is not part of the card
        op.col = col
        op.line = line
        self.open = op

    def finish_separator(self, op: Open) -> None:
        front = clean_text(self.src(op.q_start[0], op.q_end))
        back = clean_text(self.src(op.a_start[0], op.a_end)) if op.a_start else ""
        if not back:
            self.error("'?' separator with no answer below it", op.line, op.col,
                       hint="write the answer on the line(s) right below the '?'")
            return
        if not front:
            self.error("'?' separator with no question directly above it", op.line, op.col)
            return
        self.add("basic", front, back, op.q_start[0], path=op.path)
        if op.reverse:
            self.add("basic", back, front, op.q_start[0], variant="reverse", path=op.path)

    # C: blocks -------------------------------------------------------------------------------
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
            self.error("'C:' block has no [deletions]", op.line, op.col,
                       hint="put the words to hide in square brackets: C: The capital of France is [Paris].")
            return
        if deletions_total > _cloze.MAX_CARDS_PER_NOTE:
            self.error(f"'C:' block has {deletions_total} deletions; at most {_cloze.MAX_CARDS_PER_NOTE} per note",
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
            self.error("'C:' block is too large for its number of deletions", op.line, op.col,
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

    # free-standing paragraphs: inline cards, MCQ / ordered questions, outline ------------------
    def flush_pending(self, nxt: Block | None) -> bool:
        """Handle the paragraph held back to see ``nxt``; True if it consumed ``nxt``."""
        pending = self.pending
        if pending is None:
            return False
        self.pending = None
        b, frag = pending
        if nxt is not None and nxt.kind == "list":
            question = frag.content.rstrip()
            if question.endswith(("?", "？")) and self.is_task_list(nxt) and "::" not in frag.masked:
                self.mcq(nxt, b.start, self.col_of(b.start, frag.content.split("\n")[0], 0),
                         clean_text(self.src(b.start, b.end)), self.heading_path())
                return True
            if nxt.ordered and _in_order(question):
                self.ordered(nxt, b.start, self.col_of(b.start, frag.content.split("\n")[0], 0),
                             clean_text(self.src(b.start, b.end)), self.heading_path())
                return True
        self.free_paragraph(frag, nxt)
        return False

    def free_paragraph(self, frag: Frag, nxt: Block | None) -> None:
        if self.mode == "outline":
            self.context = ()
        if self.inline_cards(frag):
            return
        if self.mode == "outline":
            label = _outline.label_of_paragraph(frag)
            if label and nxt is not None and nxt.kind == "list":
                self.outline_label_card(label, frag, nxt)
                self.context = (label,)
                return
            for i, (cline, mline) in enumerate(zip(frag.content.split("\n"), frag.masked.split("\n"), strict=True)):
                td = _outline.term_def(cline, mline)
                if td is not None:
                    term, definition = td
                    self.add("basic", term, definition, frag.line0 + i, self.col_of(frag.line0 + i, cline, 0))

    def inline_cards(self, frag: Frag) -> bool:
        """`::` lines and cloze notes in a free paragraph. True if the paragraph held any."""
        masked = frag.masked
        has_cloze = "{{c" in masked
        has_hl = "==" in masked
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
        if "::" not in masked:
            return False
        made = False
        clines = frag.content.split("\n")
        for i, mline in enumerate(masked.split("\n")):
            idx = mline.find("::")
            if idx < 0:
                continue
            reverse = mline.startswith(":::", idx)
            width = 3 if reverse else 2
            cline = clines[i]
            front = cline[:idx].strip()
            back = cline[idx + width:].strip()
            line = frag.line0 + i
            col = self.col_of(line, cline, 0)
            made = True
            if not front or not back:
                self.warn("'::' card with an empty side is skipped", line, self.col_of(line, cline, idx),
                          hint="write 'front :: back'")
                continue
            front, back = clean_text(front), clean_text(back)
            self.add("basic", front, back, line, col)
            if reverse:
                self.add("basic", back, front, line, col, variant="reverse")
        return made

    def report_cloze(self, frag: Frag, problems: list[_cloze.ClozeProblem]) -> None:
        for p in problems:
            line, col = self.frag_pos(frag, p.offset)
            (self.error if p.error else self.warn)(p.message, line, col, hint=p.hint)

    def cloze_note(self, frag: Frag, dels: list[_cloze.Deletion]) -> None:
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
            self.error(f"{len(groups)} cloze cards in one note; at most {_cloze.MAX_CARDS_PER_NOTE}", line, col,
                       hint="split the paragraph, or reuse numbers ({{c1::..}} twice makes one card)")
            return
        if len(groups) * len(frag.content) > _cloze.MAX_NOTE_OUTPUT_CHARS:
            self.error("cloze note is too large for its number of cards", line, col, hint="split the paragraph")
            return
        for group in groups:
            front, back, answers = _cloze.render(frag.content, kept, group)
            self.add("cloze", clean_text(front), clean_text(back), frag.line0, self.col_of(
                frag.line0, frag.content.split("\n", 1)[0], 0), variant=group,
                extra={"index": group, "answers": answers})

    # lists --------------------------------------------------------------------------------------
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
                self.error("every choice in a multiple-choice list needs '[ ]' or '[x]'", it.start, 1,
                           hint="write '- [x] right' or '- [ ] wrong'")
                return
            body = clean_text(self.src(it.start, it.end))
            body = re.sub(r"^\s*(?:[-*+]|\d+[.)])\s+\[( |x|X)\]\s?", "", body, count=1)
            choices.append({"text": clean_text(body), "correct": m.group(1) in "xX"})
        question = clean_text(question)
        if question.startswith("Q:"):
            question = question[2:].strip()
        if not any(c["correct"] for c in choices):
            self.error("multiple-choice question has no correct choice", line, col,
                       hint="mark the right answer(s) with '[x]'")
            return
        if any(not c["text"] for c in choices):
            self.error("multiple-choice list has an empty choice", line, col)
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
            self.error("an ordered answer needs at least two non-empty items", line, col)
            return
        if not question:
            self.error("empty question before the numbered list", line, col)
            return
        self.add("ordered", question, clean_text(self.src(b.start, b.end)), line, col, path=path,
                 extra={"items": texts})

    def free_list(self, b: Block) -> None:
        items = self.list_items(b)
        with_cards: set[int] = set()
        for idx, it in enumerate(items):
            for frag in it.all_frags:
                if self.inline_cards(frag):
                    with_cards.add(idx)
        if self.mode == "outline":
            for card in _outline.item_cards(items, with_cards, self.src, self.lines):
                self.add("basic", card.front, card.back, card.line, card.col)

    def free_container(self, b: Block) -> None:
        tokens = self.tokens
        for i in range(b.tok, b.tok_end):
            if tokens[i].type == "inline" and tokens[i - 1].type == "paragraph_open":
                self.inline_cards(self.frag_of(i))

    def outline_label_card(self, label: str, frag: Frag, nxt: Block) -> None:
        items = [it for it in self.list_items(nxt) if it.parent is None]
        back = _outline.summarise([_outline.label_of_item(it) for it in items])
        if back:
            self.add("basic", label, back, frag.line0, self.col_of(frag.line0, frag.content.split("\n")[0], 0))

    # calc ----------------------------------------------------------------------------------------
    def is_calc(self, b: Block) -> bool:
        info = self.tokens[b.tok].info.strip()
        return info.split(None, 1)[0].lower() == "calc" if info else False

    def calc_card(self, b: Block) -> None:
        tok = self.tokens[b.tok]
        body = tok.content
        body_line = b.start + 2  # 1-based line of the body's first line
        col = self.col_of(b.start, tok.markup, 0)
        if not body.strip():
            self.error("empty calc block", b.start, col, hint="see docs/calc-cards.md for what goes inside")
            return
        from studyllm.calc.cards import CalcSpecError, parse_spec  # only decks with calc blocks pay its import

        try:
            parse_spec(body)
        except Exception as exc:  # noqa: BLE001 - a bad calc block is reported, it must never crash an import
            if isinstance(exc, CalcSpecError):
                rel = getattr(exc, "line", 1)
                rel = rel if isinstance(rel, int) and rel >= 1 else 1
                message = getattr(exc, "message", None) or str(exc) or "invalid calc block"
                self.errors.append(DeckError(f"calc block: {message}", path=self.path,
                                             line=body_line + rel - 1, col=getattr(exc, "col", 1) or 1,
                                             hint=getattr(exc, "hint", "") or ""))
            else:
                self.error(f"calc block could not be checked: {type(exc).__name__}: {exc}", b.start, col)
            return
        self.add("calc", body.rstrip("\n"), "", b.start, col, extra={"body": body, "body_line": body_line})

    # headings mode -------------------------------------------------------------------------------
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
            self.add("basic", text, body, b.start, path=path)


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector for a bulk job. markdown-it builds one object per
    token (hundreds of thousands for a big deck) and the importer one row tuple per card, none
    of them cyclic garbage: the collector would walk them again and again for nothing (about
    40 % of the parse at 100,000 cards). Reference counting still frees memory as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_deck(text: str, path: str = "<string>", *, outline: bool = False, content_hash: str = "",
               _fast_path: bool = True) -> ParsedDeck:
    """Parse deck ``text`` (the file at ``path``, used for messages and the default key/title).

    ``_fast_path=False`` (for tests) always takes the full markdown-it path; by default a file
    made only of headings and plain paragraphs is cut into blocks without it (``_fastpath``)."""
    if not content_hash:
        content_hash = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    if len(text) > MAX_LINE_CHARS and max(map(len, text.split("\n"))) > MAX_LINE_CHARS:
        for number, line in enumerate(text.split("\n"), 1):
            if len(line) > MAX_LINE_CHARS:
                return _failed(Path(path), f"line {number} is {len(line):,} characters long, over the "
                               f"{MAX_LINE_CHARS:,} limit", number, 1, digest=content_hash,
                               hint="break the line up; no card needs a line this long")
    with paused_gc():
        return _DeckParser(text, path, outline, content_hash, _fast_path).run()


def parse_file(path: Path, *, outline: bool = False, max_bytes: int = MAX_FILE_BYTES) -> ParsedDeck:
    """Read and parse one deck file. Unreadable, binary, non-UTF-8, empty or oversize files come
    back as a deck with an error (never an exception)."""
    path = Path(path)
    name = str(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)
    except IsADirectoryError:
        return _failed(path, "is a folder, not a deck file")
    except OSError as exc:
        return _failed(path, f"cannot read file: {exc.strerror or exc}")
    return parse_bytes(data, name, outline=outline, max_bytes=max_bytes)


def parse_bytes(data: bytes, path: str = "<bytes>", *, outline: bool = False,
                max_bytes: int = MAX_FILE_BYTES) -> ParsedDeck:
    """Parse the raw bytes of a deck file (for callers that already read it)."""
    if len(data) > max_bytes:
        return _failed(Path(path), f"file is larger than the {max_bytes:,} byte limit",
                       hint="split it into several decks")
    digest = hashlib.sha256(data).hexdigest()
    if not data.strip():
        return _failed(Path(path), "file is empty", digest=digest,
                       hint="write some cards, e.g. 'Q: question' and 'A: answer' lines")
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        col = nul - (data.rfind(b"\n", 0, nul) + 1) + 1
        return _failed(Path(path), "binary file (contains NUL bytes), not a Markdown deck", line, col, digest=digest)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        bad = exc.start
        line = data.count(b"\n", 0, bad) + 1
        col = bad - (data.rfind(b"\n", 0, bad) + 1) + 1
        return _failed(Path(path), f"not valid UTF-8 (byte 0x{data[bad]:02x})", line, col, digest=digest,
                       hint="save the file as UTF-8")
    return parse_deck(text, path, outline=outline, content_hash=digest)


def _failed(path: Path, message: str, line: int = 1, col: int = 1, *, hint: str = "", digest: str = "") -> ParsedDeck:
    name = str(path)
    stem = path.stem if path.stem and not name.startswith("<") else "deck"
    deck = ParsedDeck(path=name, key=_slug(stem), title=stem, content_hash=digest)
    deck.errors.append(DeckError(message, path=name, line=line, col=col, hint=hint))
    return deck
