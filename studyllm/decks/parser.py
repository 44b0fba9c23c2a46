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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from studyllm.decks import _fastpath, _limits
from studyllm.decks import cloze as _cloze
from studyllm.decks import obsidian as _obsidian
from studyllm.decks import outline as _outline
from studyllm.decks._markdown import (
    MAX_NESTING,
    MAX_TABLE_CELLS,
    MAX_TABLE_COLUMNS,
    TABLES_KEY,
    get_md,
)
from studyllm.decks._text import clean_text
from studyllm.decks.frontmatter import MODES, read_front_matter
from studyllm.decks.model import DeckError, ParsedCard, ParsedDeck
from studyllm.decks.rules._base import (
    _CONTROL,
    _DEEP_CONTAINER,
    _FLASHCARD_TAG,
    _HAS_ANKI_CLOZE,
    _LEAF_KINDS,
    _MARKER_AT,
    _MARKERS,
    _OPEN_KINDS,
    CONTAINER_OPEN,
    Block,
    Frag,
    Open,
    ParserBase,
    _has_control,
    _in_order,
    _separator_re,
    _slug,
    _TooManyCards,
)
from studyllm.decks.rules.calc import CalcRule
from studyllm.decks.rules.choice import ChoiceRule
from studyllm.decks.rules.cloze_cards import ClozeRule
from studyllm.decks.rules.foreign import ForeignRule
from studyllm.decks.rules.headings import HeadingsRule
from studyllm.decks.rules.inline import InlineRule
from studyllm.decks.rules.logseq import LogseqRule
from studyllm.decks.rules.outline_cards import OutlineRule
from studyllm.decks.rules.qa import QARule
from studyllm.decks.rules.separator import SeparatorRule
from studyllm.decks.rules.start_end import StartEndRule

__all__ = ["MAX_CARD_CHARS", "MAX_FILE_BYTES", "MODES", "clean_text", "parse_bytes", "parse_deck", "parse_file"]

MAX_FILE_BYTES = _limits.MAX_FILE_BYTES
MAX_LINE_CHARS = _limits.MAX_LINE_CHARS
MAX_CARD_CHARS = _limits.MAX_CARD_CHARS
MAX_LINES = _limits.MAX_LINES
MAX_CARDS = _limits.MAX_CARDS
PATH_SEP = _outline.PATH_SEP  # how heading paths and outline paths are shown
_FRAGS_KEPT = 64  # the block pass keeps the masked text of this many paragraphs behind it
# The streamed parse (stream_bytes): pieces of about this many bytes (cut at a blank line),
# cards handed on this many at a time, and lines let go of every this many blocks.
STREAM_CHUNK_BYTES = 256 * 1024
STREAM_BATCH = 2000
_STREAM_EVICT_EVERY = 256


class _DeckParser(QARule, SeparatorRule, InlineRule, ClozeRule, ChoiceRule, CalcRule, HeadingsRule, StartEndRule,
                  OutlineRule, LogseqRule, ForeignRule, ParserBase):
    """The card rules put together: ``run`` reads the file, ``block`` hands each top-level
    block to the rule it starts (or to the card that is open)."""

    def run(self) -> ParsedDeck:
        stem = Path(self.path).stem if self.path and not self.path.startswith("<") else "deck"
        deck = ParsedDeck(path=self.path, key=_slug(stem), title=stem, content_hash=self.content_hash)
        if self.nul_line:
            self.warn("NUL character replaced by U+FFFD", self.nul_line - 1)
        if not self.text.strip():
            self.error("file is empty", 0, hint="write some cards, e.g. 'Q: question' and 'A: answer' lines")
            return self.finish(deck)
        # self.md stays None on the fast path (markdown-it is imported only if a paragraph needs it)
        # lines minus empty lines (a line of spaces counts as text here: cheap, and errs to safety)
        nonblank = self.text.count("\n") + 1 - self.text.count("\n\n")
        if nonblank > self.max_lines:
            self.error(f"file has {nonblank:,} lines of text, over the {self.max_lines:,} limit", 0,
                       hint="split it into several decks")
            return self.finish(deck)
        deep = _deep_container(self.text)
        if deep is not None:
            self.error(f"lists or block quotes are nested too deeply (more than about {MAX_NESTING // 2} levels); "
                       "the deeper text would be lost", self.text.count("\n", 0, deep.start()),
                       hint="flatten the nesting")
            return self.finish(deck)
        blocks: list[Block] | None = None
        fast = _fastpath.split(self.text, self.lines) if self.fast_path else None
        if fast is not None:
            # only headings and plain paragraphs: the same tokens and blocks without markdown-it
            self.tokens, raw = fast
            blocks = [Block(kind, start, end, tok, tok + (1 if kind == "front_matter" else 3), level)
                      for kind, start, end, tok, level in raw]
            del fast, raw  # the tuples the Blocks were made from
        else:
            self.md = get_md()
            try:
                self.tokens = self.md.parse(self.text, self.env)
            except RecursionError:
                self.error("Markdown nested too deeply to read", 0, hint="reduce the nesting of lists or quotes")
                return self.finish(deck)
        try:
            self._run(deck, blocks)
        except RecursionError:
            self.error("Markdown nested too deeply to read", 0, hint="reduce the nesting of lists or quotes")
        except _TooManyCards as exc:
            self.cards = []
            self.error(f"more than {self.max_cards:,} cards in one file", exc.line,
                       hint="split it into several decks")
        except DeckError as exc:  # pragma: no cover - internal helpers report instead of raising
            self.errors.append(exc)
        except Exception as exc:  # noqa: BLE001 - a bad file must never crash an import
            self.error(f"internal error while reading this file: {type(exc).__name__}: {exc}", 0,
                       hint="please report this file")
        return self.finish(deck)

    def finish(self, deck: ParsedDeck) -> ParsedDeck:
        if self.note_tags:
            note_tags = tuple(dict.fromkeys(self.note_tags))
            self.cards = [replace(c, tags=tuple(dict.fromkeys((*c.tags, *note_tags)))) for c in self.cards]
        deck.cards = self.cards
        deck.errors = self.errors
        deck.warnings = self.warnings
        deck.skipped = self.skipped
        return deck

    def _run(self, deck: ParsedDeck, blocks: list[Block] | None = None) -> None:
        if blocks is None:
            blocks = self.split_blocks()
        blocks = self.setup(deck, blocks)
        control = _CONTROL.search(self.text) if _has_control(self.text) else None
        if control:
            self.warn("control character in the text (shown as-is)", self.text.count("\n", 0, control.start()))
        if self.mode == "headings":
            self.heading_cards(blocks, self.heading_level)
        else:
            self.card_blocks(blocks)
        self.report_bounds()
        if not self.cards and not self.errors and not self.skipped:
            self.no_cards_hint()

    def setup(self, deck: ParsedDeck, blocks: list[Block], first_h1: Callable[[], str | None] | None = None,
              ) -> list[Block]:
        """Read the front matter (the first block, if it is one) and set the deck's key, title,
        mode, tags, options and the separators; the blocks after the front matter. The title
        is the front matter's, else the first level-1 heading's (``first_h1`` finds it when
        ``blocks`` is not the whole file)."""
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
            if fm.separators:
                self.separators = fm.separators
            if fm.highlight_cloze is not None:
                self.highlights = fm.highlight_cloze
            blocks = blocks[1:]
        elif self.lines[0].strip() == "---" and len(self.lines) > 1 and re.match(r"^\w[\w-]*\s*:", self.lines[1]):
            self.warn("front matter is never closed with a '---' line, so it is read as text", 0,
                      hint="add a '---' line after the last key")
        if self.force_mode:
            mode = self.force_mode
        self.mode = mode
        deck.mode = mode
        if fm_title:
            self.title = fm_title
        elif first_h1 is not None:
            h1_text = first_h1()
            self.title = h1_text if h1_text is not None else deck.title
        else:
            h1 = next((b for b in blocks if b.kind == "heading" and b.level == 1), None)
            self.title = self.tokens[h1.tok + 1].content.strip() if h1 else deck.title
        deck.title = self.title
        seps = self.separators
        self.inline_sep, self.inline_rev = seps["inline"], seps["inline_reverse"]
        self.marker_at = (_MARKER_AT if (seps["multiline"], seps["multiline_reverse"]) == ("?", "??")
                          else _separator_re(seps["multiline"], seps["multiline_reverse"]))
        self.heading_level = heading_level
        return blocks

    def report_bounds(self) -> None:
        """Warnings for the work bounds markdown-it hit (see ``_markdown``)."""
        for line, (cols, rows) in sorted(self.env.get(TABLES_KEY, {}).items()):
            size = f"{cols:,} columns" if cols > MAX_TABLE_COLUMNS else f"{cols * rows:,} cells"
            self.warn(f"table of {size} is over the limit ({MAX_TABLE_COLUMNS} columns, {MAX_TABLE_CELLS:,} cells), "
                      "so it is read as plain text", line, hint="split the table")

    def no_cards_hint(self) -> None:
        hint = "see docs/deck-format.md for the card syntaxes, or use outline mode for notes"
        if self.mode == "cards" and self.mochi_hint():
            return
        if self.hints and len(self.text) <= _limits.HINT_MAX_CHARS:
            found = []
            for other in MODES:
                if other == self.mode:
                    continue
                deck = _DeckParser(self.text, self.path, other, self.content_hash, self.fast_path,
                                   self.separators, hints=False, scale=self.scale).run()
                if deck.cards:
                    found.append((other, len(deck.cards)))
            if found:
                other, n = found[0]
                alt = "".join(f"; in {m} mode {k}" for m, k in found[1:])
                self.warn(f"no cards found in this file (0 cards in {self.mode} mode); in {other} mode {n}{alt}", 0,
                          hint=f"use --mode {other} or front matter `mode: {other}`")
                return
        self.warn("no cards found in this file", 0, hint=hint)

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
        while m is not None and not m.group(1):  # a lazy `?` line: the card it ends is read (separator_inside)
            m = _MARKERS.search(content, m.end() + 1)
        if m is None:
            return
        line = tok.map[0] + content.count("\n", 0, m.start())
        src = self.lines[line] if line < len(self.lines) else ""
        if _MARKERS.match(src) and not src[:1].isspace():  # unindented: a lazy continuation line
            self.skip("this marker line is read as part of the list or quote above it", line, 1,
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

    def card_blocks(self, blocks: list[Block]) -> None:
        self.open = None
        self.pending = None
        self.prev = None
        self.heading_q = None
        self.history = []
        self.o2a = None
        self.next = None
        n = len(blocks)
        drop_frag = self.drop_frag
        for i, block in enumerate(blocks):
            self.next = blocks[i + 1] if i + 1 < n else None
            self.block(block)
            self.prev = block
            self.history.append(block)
            if len(self.history) > 8:
                del self.history[:4]
            if i >= _FRAGS_KEPT and blocks[i - _FRAGS_KEPT].kind == "paragraph":
                # far behind the pass (history keeps 8 blocks): its masked text can go
                drop_frag(blocks[i - _FRAGS_KEPT].tok + 1)
        self.flush_pending(None)
        self.close()
        # block() may have opened a START note: mypy keeps the narrowing to None across the calls
        if self.o2a is not None:
            first = self.o2a[0]  # type: ignore[unreachable]
            self.skip("'START' block is never closed with an 'END' line", first.start,
                      hint="end the note with a line holding only END")

    def card_blocks_stream(self, blocks: Iterator[Block], sink: Callable[[list[ParsedCard]], None],
                           batch: int) -> None:
        """:meth:`card_blocks` over blocks that come a piece of the file at a time
        (:func:`stream_bytes`): the same pass, block by block with one block of look-ahead,
        that hands the cards to ``sink`` ``batch`` at a time and lets go of the lines and
        tokens no open card, held paragraph or recent block still needs."""
        self.open = None
        self.pending = None
        self.prev = None
        self.heading_q = None
        self.history = []
        self.o2a = None
        self.next = None
        cur = next(blocks, None)
        since = 0
        while cur is not None:
            nxt = next(blocks, None)
            self.next = nxt
            self.block(cur)
            self.prev = cur
            self.history.append(cur)
            if len(self.history) > 8:
                del self.history[:4]
            if len(self.cards) >= batch:
                self.emitted += len(self.cards)
                sink(self.cards)
                self.cards = []
            since += 1
            if since >= _STREAM_EVICT_EVERY and nxt is not None:
                since = 0
                self.release_before(nxt)
            cur = nxt
        self.flush_pending(None)
        self.close()
        if self.o2a is not None:  # pragma: no cover - files with START lines are not streamed
            raise StreamFallback("START note")

    def release_before(self, nxt: Block) -> None:
        """Forget the lines, tokens and masked paragraphs before the first one the pass may
        still read: those of the open card, the held paragraph, the recent blocks (``history``,
        which ``question_start`` walks back) and the next block. Forgotten lines are ``None``,
        so a read of one fails loudly (and the streamed parse falls back) instead of reading
        an empty line."""
        line, tok = nxt.start, nxt.tok
        held = [*self.history]
        if self.prev is not None:
            held.append(self.prev)
        if self.pending is not None:
            held.append(self.pending[0])
        op = self.open
        if op is not None:
            held.extend(op.a_blocks)
            held.extend(op.q_blocks)
            line = min(line, op.line, op.q_start[0], op.a_start[0] if op.a_start else line,
                       *(f[0] for f in op.frags))
        if self.heading_q is not None:
            line = min(line, self.heading_q[1])
        for b in held:
            if b.start < line:
                line = b.start
            if b.tok < tok:
                tok = b.tok
        done_line, done_tok = self._released
        if line > done_line:
            self.lines[done_line:line] = [None] * (line - done_line)  # type: ignore[list-item]
        if tok > done_tok:
            self.tokens[done_tok:tok] = [None] * (tok - done_tok)
            for k in [k for k in self._frags if k < tok]:
                del self._frags[k]
        self._released = (max(line, done_line), max(tok, done_tok))

    def block(self, b: Block) -> None:
        kind = b.kind
        if kind == "paragraph" and self.pending is None and self.o2a is None and self.heading_q is None and \
                (self.open is None or self.open.kind != "S") and self.qa_lane and "START" not in self.lines[b.start]:
            # the common block: what the tests below come to for a paragraph in this state
            # (``qa_lane`` False, for tests: always through them)
            self.paragraph(b, self.frag_of(b.tok + 1))
            return
        if self.o2a is not None or (kind == "paragraph" and "START" in self.lines[b.start]
                                    and self.lines[b.start].strip() == "START" and self.has_end_after(b.start)):
            if self.pending is not None:
                self.flush_pending(None)
            self.close()
            self.o2a_block(b)
            return
        if self.pending is not None and self.flush_pending(b):
            return  # the pending question took this block (MCQ / ordered)
        if kind in ("list", "table", "blockquote") and self.separator_inside(b):
            return
        heading_q, self.heading_q = self.heading_q, None
        op = self.open
        if op is not None and op.kind == "S" and op.wait:
            op.wait = False
            if kind in ("paragraph", "list", "fence", "code", "table", "blockquote") and \
                    not (kind == "paragraph" and self.has_card_syntax(self.frag_of(b.tok + 1))) and \
                    not (kind == "fence" and self.is_calc(b)):
                op.a_start = (b.start, 0)
                op.a_end = b.end
                return
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

    def paragraph_free(self, b: Block, frag: Frag) -> None:
        """A paragraph outside any card: a tag line, Obsidian_to_Anki settings, a
        ``question #flashcard`` card, or text held back to see the next block."""
        content = frag.content
        if "#" in content:
            tags = _obsidian.tag_only(content)
            if tags is not None:
                self.note_tags.extend(tags)
                return
        first_nl = content.find("\n")
        first = content if first_nl < 0 else content[:first_nl]
        if first.startswith(("TARGET DECK", "FILE TAGS")) and content.count("\n") <= 1:
            return  # Obsidian_to_Anki's settings lines, not a card
        if "#flashcard" in content and not self.has_card_syntax(frag):
            for i, mline in enumerate(frag.masked.split("\n")):
                if _FLASHCARD_TAG.search(mline):
                    line = frag.line0 + i
                    op = Open("S", line, 1, self.heading_path(), (frag.line0, 0), line + 1, label="#flashcard")
                    op.a_start = (line + 1, 0)
                    op.a_end = frag.line0 + frag.nlines
                    op.wait = op.a_end == line + 1
                    self.open = op
                    return
        self.pending = (b, frag)

    def has_card_syntax(self, frag: Frag) -> bool:
        m = frag.masked
        if self.inline_sep in m or self.inline_rev in m or _MARKERS.search(m) is not None:
            return True
        if self.marker_at is not _MARKER_AT and any(self.marker_at.fullmatch(ln) for ln in m.split("\n")):
            return True
        return self.highlights and "==" in m and bool(_cloze.find_highlights(m, frag.content)[0])

    def starts_card(self, b: Block, frag: Frag) -> str:
        """What card a paragraph after a blank line starts ("" if none): it ends an open answer."""
        m = frag.masked
        if self.inline_sep in m or self.inline_rev in m:
            return "inline"
        if "{{c" in m and _HAS_ANKI_CLOZE.search(m):
            return "cloze"
        first_nl = m.find("\n")
        first = m if first_nl < 0 else m[:first_nl]
        if _FLASHCARD_TAG.search(first):
            return "flashcard"
        nxt = self.next
        if nxt is not None and nxt.kind == "list" and nxt.start == b.end and \
                frag.content.rstrip().endswith(("?", "？")) and self.is_task_list(nxt):
            return "mcq"
        return ""

    def paragraph(self, b: Block, frag: Frag) -> None:
        if frag.refused:
            return
        masked = frag.masked
        if masked[:3] == "Q: " and self.qa_lane and self.marker_at is _MARKER_AT:
            nl = masked.find("\n")
            if nl > 0 and masked[nl + 1:nl + 4] == "A: " and masked.find("\n", nl + 1) < 0:
                # the common two-line `Q:` / `A:` paragraph: what the loop below does with its two
                # markers (a `Q:` at column 0 of line 0 and an `A:` at column 0 of line 1), done
                # directly (``tests/test_parser_stream.py`` compares it with the loop)
                self.close()
                content = frag.content  # its newlines are where the masked text's are
                line = frag.line0
                lines = self.lines
                # col_of(line, text, 0) is 1 when the source line starts with the content line
                # (str.find gives its first place): a paragraph at column 0, the usual one
                text = content[:nl]
                col = 1 if lines[line].startswith(text) else self.col_of(line, text, 0)
                card = Open("Q", line, col, self.heading_path(), (line, col + 1), line + 1)
                self.open = card
                line += 1
                text = content[nl + 1:]
                col = 1 if lines[line].startswith(text) else self.col_of(line, text, 0)
                card.a_start = (line, col + 1)
                card.a_end = line + 1
                card.a_text_on_marker = bool(self.lines[line][col + 1:].strip())
                return
        markers: list[tuple[int, str, int]] = []  # (line index, marker, column index)
        sep_at = -1
        pos, line_no = 0, 0
        match = self.marker_at.match
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
            op = self.open
            if op is not None:
                if op.a_start is not None or op.kind == "C":
                    starts = self.starts_card(b, frag)
                    if starts and (self.prev is None or b.start > self.prev.end):
                        self.close()
                        self.paragraph_free(b, frag)
                        return
                    if self.highlights and "==" in masked and _cloze.find_highlights(masked, frag.content)[0]:
                        self.warn("this paragraph with a ==highlight== is read as part of the answer above", b.start,
                                  hint="put a '---' line before it to make it a card of its own")
                self.extend(b)
            else:
                self.paragraph_free(b, frag)
            return
        mlines = masked.split("\n")
        clines = frag.content.split("\n")
        if sep_at >= 0:
            self.close()
            self.separator_card(b, frag, sep_at, mlines[sep_at].strip() == self.separators["multiline_reverse"])
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
                    self.skip("'A:' without a question above it", line, col,
                               hint="start the card with a 'Q:' line")
                    continue
                if op.a_start is not None:
                    self.skip("second 'A:' for the same question", line, col,
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

    def flush_pending(self, nxt: Block | None) -> bool:
        """Handle the paragraph held back to see ``nxt``; True if it consumed ``nxt``."""
        pending = self.pending
        if pending is None:
            return False
        self.pending = None
        b, frag = pending
        if nxt is not None and nxt.kind == "list":
            question = frag.content.rstrip()
            if question.endswith(("?", "？")) and self.is_task_list(nxt) and self.inline_sep not in frag.masked:
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
        self.foreign_text(frag)
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

    def free_container(self, b: Block) -> None:
        tokens = self.tokens
        for i in range(b.tok, b.tok_end):
            if tokens[i].type == "inline" and tokens[i - 1].type == "paragraph_open":
                self.inline_cards(self.frag_of(i))
        self.foreign_quote(b)


def _deep_container(text: str) -> Any:
    """``_DEEP_CONTAINER.search(text)``, skipped when it cannot match: it needs a run of 120
    spaces (or a tab somewhere) or at least 45 '>'. The regex tries every line start (27 ms
    for a 2.4 MB deck); the substring tests are memchr-fast."""
    if "\t" in text or " " * 120 in text or text.count(">") >= 45:
        return _DEEP_CONTAINER.search(text)
    return None


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


def _mode(mode: str | None, outline: bool) -> str | None:
    if mode is not None and mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}")
    return mode or ("outline" if outline else None)


def parse_deck(text: str, path: str = "<string>", *, outline: bool = False, content_hash: str = "",
               mode: str | None = None, strict: bool = False, separators: dict[str, str] | None = None,
               max_bytes: int | None = None, _fast_path: bool = True) -> ParsedDeck:
    """Parse deck ``text`` (the file at ``path``, used for messages and the default key/title).

    ``mode`` (``cards``, ``headings`` or ``outline``; ``outline=True`` is the old spelling of
    ``mode="outline"``) overrides the front matter's. A card with an error is left out and
    reported in ``deck.skipped``; with ``strict`` those become file errors (``deck.errors``:
    the file imports nothing). ``separators`` replaces ``::``/``:::``/``?``/``??`` for decks
    whose front matter doesn't set its own (see ``frontmatter.check_separators``). The work
    bounds (lines, cards, markup per file) are per 10 MB of ``max_bytes``, the file size limit
    the caller enforces (by default the text's own size).

    ``_fast_path=False`` (for tests) always takes the full markdown-it path; by default a file
    made only of headings and plain paragraphs is cut into blocks without it (``_fastpath``)."""
    forced = _mode(mode, outline)
    if not content_hash:
        content_hash = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    if len(text) > MAX_LINE_CHARS and max(map(len, text.split("\n"))) > MAX_LINE_CHARS:
        for number, line in enumerate(text.split("\n"), 1):
            if len(line) > MAX_LINE_CHARS:
                return _failed(Path(path), f"line {number} is {len(line):,} characters long, over the "
                               f"{MAX_LINE_CHARS:,} limit", number, 1, digest=content_hash,
                               hint="break the line up; no card needs a line this long")
    with paused_gc():
        size = len(text) if max_bytes is None else max_bytes
        scale = max(1.0, size / MAX_FILE_BYTES)
        deck = _DeckParser(text, path, forced, content_hash, _fast_path, separators, scale=scale).run()
    if strict and deck.skipped:
        deck.errors.extend(deck.skipped)
        deck.skipped = []
    if "<!--SR:" in text:
        from studyllm.decks.sr_schedule import attach_schedules

        deck.cards = attach_schedules(text, deck.cards)
    return deck


def parse_file(path: Path, *, outline: bool = False, max_bytes: int = MAX_FILE_BYTES, mode: str | None = None,
               strict: bool = False, separators: dict[str, str] | None = None) -> ParsedDeck:
    """Read and parse one deck file. Unreadable, binary, non-UTF-8, empty or oversize files come
    back as a deck with an error (never an exception)."""
    path = Path(path)
    name = str(path)
    from studyllm.decks.source import DeckReadError, read_deck_bytes

    try:
        data = read_deck_bytes(path, max_bytes)  # regular files only, at most max_bytes
    except DeckReadError as exc:
        return _failed(path, str(exc), hint=exc.hint)
    return parse_bytes(data, name, outline=outline, max_bytes=max_bytes, mode=mode, strict=strict,
                       separators=separators)


def parse_bytes(data: bytes, path: str = "<bytes>", *, outline: bool = False,
                max_bytes: int = MAX_FILE_BYTES, mode: str | None = None, strict: bool = False,
                separators: dict[str, str] | None = None, digest: str = "") -> ParsedDeck:
    """Parse the raw bytes of a deck file (for callers that already read it; ``digest``: their
    sha256 hex of ``data``, if they computed it)."""
    if len(data) > max_bytes:
        return _failed(Path(path), f"file is larger than the {max_bytes:,} byte limit",
                       hint="split it into several decks")
    digest = digest or hashlib.sha256(data).hexdigest()
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
    return parse_deck(text, path, outline=outline, content_hash=digest, mode=mode, strict=strict,
                      separators=separators, max_bytes=max_bytes)


def _failed(path: Path, message: str, line: int = 1, col: int = 1, *, hint: str = "", digest: str = "") -> ParsedDeck:
    name = str(path)
    stem = path.stem if path.stem and not name.startswith("<") else "deck"
    deck = ParsedDeck(path=name, key=_slug(stem), title=stem, content_hash=digest)
    deck.errors.append(DeckError(message, path=name, line=line, col=col, hint=hint))
    return deck


class StreamFallback(Exception):
    """:func:`stream_bytes` met something only the whole-file parse reads the same way (the
    caller drops what it took from the stream and calls :func:`parse_bytes`)."""


class _SinkFailed(Exception):
    """The sink raised (its error is the cause): passed on as is, never taken for a fallback."""


# A line that is an ATX heading of level 1 on the fast path (at most 3 spaces, then one '#').
_H1_LINE = re.compile(rb"^ {0,3}#(?=[ \n]|\Z)", re.M)
_CONTROL_OR_TAB = bytes([*range(0x01, 0x09), 0x09, 0x0B, 0x0C, 0x0D, *range(0x0E, 0x20), 0x7F, 0x00])


def streamable(data: bytes, *, mode: str | None = None, strict: bool = False) -> bool:
    """Whether :func:`stream_bytes` may read ``data`` (cheap tests on the bytes; it can still
    fall back later). What it leaves to :func:`parse_bytes`: strict imports, modes other than
    ``cards``, files the fast path refuses at once, files with a tab, a carriage return, NUL or
    another control character, obsidian-SR schedules, Obsidian_to_Anki ``START`` notes, and
    the few shapes the whole-file checks look for (deep nesting)."""
    if strict or mode not in (None, "cards"):
        return False
    if not data.strip() or len(data.translate(None, _CONTROL_OR_TAB)) != len(data):
        return False
    if b"<!--SR:" in data or b"START" in data or b" " * 120 in data or data.count(b">") >= 45:
        return False
    return not data.startswith(b"\xef\xbb\xbf")  # a byte order mark: the title scan reads bytes


def stream_bytes(data: bytes, path: str, sink: Callable[[ParsedDeck, list[ParsedCard]], None], *,
                 max_bytes: int = MAX_FILE_BYTES, mode: str | None = None,
                 separators: dict[str, str] | None = None, digest: str = "",
                 chunk_bytes: int | None = None, batch: int | None = None, _checked: bool = False) -> ParsedDeck:
    """Parse a deck a piece at a time and hand its cards to ``sink(deck, cards)`` in file order,
    ``batch`` at a time (``deck`` has its key, title, tags, options and mode from the first call
    on), holding only a window of the file's lines, tokens and cards instead of all of them.

    Gives exactly the cards, warnings and skipped cards :func:`parse_bytes` gives, for the
    files it reads: those :func:`streamable` accepts that take the fast path (headings and
    plain paragraphs), in ``cards`` mode, with no error. For anything else it raises
    :class:`StreamFallback`, possibly after some ``sink`` calls (the caller undoes them and
    parses the whole file instead). The deck returned holds no cards. ``_checked``: the caller
    found ``streamable(data, mode=mode)`` true already."""
    if len(data) > max_bytes or not (_checked or streamable(data, mode=mode)):
        raise StreamFallback("not streamable")
    chunk_bytes = chunk_bytes or STREAM_CHUNK_BYTES
    batch = batch or STREAM_BATCH
    digest = digest or hashlib.sha256(data).hexdigest()
    scale = max(1.0, max_bytes / MAX_FILE_BYTES)
    total = data.count(b"\n") + 1  # len(text.split("\n"))
    p = _DeckParser("", path, _mode(mode, False), digest, True, separators, scale=scale)
    if total - data.count(b"\n\n") > p.max_lines:
        raise StreamFallback("too many lines")
    p.digest_keys = True
    p.lines = [None] * total  # type: ignore[list-item]  # filled a piece at a time, let go of behind the pass
    stem = Path(path).stem if path and not path.startswith("<") else "deck"
    deck = ParsedDeck(path=path, key=_slug(stem), title=stem, content_hash=digest)
    ends_with_nl = data.endswith(b"\n")
    pieces = _pieces(data, chunk_bytes)
    try:
        start, text, last = next(pieces)
        lines = text.split("\n")
        line0 = 0
        first_blocks = _scan_piece(p, text, lines, 0, last, ends_with_nl, first=True)
        line0 = len(lines) - (0 if last else 1)
        fm_end = first_blocks[0].end if first_blocks and first_blocks[0].kind == "front_matter" else 0

        def first_h1() -> str | None:
            # the first level-1 heading after the front matter, wherever it is (the fast path
            # reads every such line as a heading); its text as the heading rule gives it
            offset = 0
            for _ in range(fm_end):
                offset = data.index(b"\n", offset) + 1
            m = _H1_LINE.search(data, offset)
            if m is None:
                return None
            end = data.find(b"\n", m.start())
            line = data[m.start():end if end >= 0 else len(data)].decode("utf-8")
            toks: list[Any] = []
            if not _fastpath.scan([line], 0, 1, toks, []) or not toks:
                raise StreamFallback("title")
            return str(toks[1].content.strip())

        rest = p.setup(deck, first_blocks, first_h1)
        if p.mode != "cards" or p.errors:
            raise StreamFallback("mode or front matter")

        def blocks() -> Iterator[Block]:
            nonlocal line0
            yield from rest
            for _start, piece, is_last in pieces:
                piece_lines = piece.split("\n")
                yield from _scan_piece(p, piece, piece_lines, line0, is_last, ends_with_nl, first=False)
                line0 += len(piece_lines) - (0 if is_last else 1)

        def handed(cards: list[ParsedCard]) -> None:
            try:
                sink(deck, cards)
            except Exception as exc:
                raise _SinkFailed from exc

        p.card_blocks_stream(blocks(), handed, batch)
    except _SinkFailed as exc:
        raise exc.__cause__ from None  # type: ignore[misc]  # the caller's own error, as it raised it
    except (StreamFallback, _TooManyCards, RecursionError, UnicodeDecodeError):
        raise StreamFallback("fell back") from None
    except Exception as exc:  # noqa: BLE001 - parse_bytes reports it (or reads the file right)
        raise StreamFallback(f"{type(exc).__name__}: {exc}") from None
    if p.errors or p.note_tags or p.env.get(TABLES_KEY) or not (p.emitted or p.cards):
        raise StreamFallback("errors, note tags or no cards")
    if p.cards:
        p.emitted += len(p.cards)
        sink(deck, p.cards)
        p.cards = []
    deck.warnings = p.warnings
    deck.skipped = p.skipped
    return deck


def _pieces(data: bytes, size: int) -> Iterator[tuple[int, str, bool]]:
    """(start, text, is last) of pieces of ``data`` of about ``size`` bytes, each but the last
    cut just before an empty line (so it ends with its last line's newline, and the next one
    starts with the empty line); the first one without a UTF-8 byte order mark."""
    pos, n = 0, len(data)
    while pos < n:
        cut = data.find(b"\n\n", pos + size)
        last = cut < 0
        end = n if last else cut + 1
        yield pos, data[pos:end].decode("utf-8-sig" if pos == 0 else "utf-8"), last
        pos = end


def _scan_piece(p: _DeckParser, text: str, lines: list[str], line0: int, last: bool, ends_with_nl: bool, *,
                first: bool) -> list[Block]:
    """Put one piece's lines into the parser's line list and cut them into blocks (the fast
    path's rules; its front matter rule on the first piece)."""
    k = len(lines) if last else len(lines) - 1  # a piece's final "" is the next piece's first line
    if max(map(len, lines)) > MAX_LINE_CHARS:
        raise StreamFallback("long line")
    p.lines[line0:line0 + k] = lines[:k]
    if last:  # markdown-it's count: no line after a final newline, nor a final line of spaces
        nlines = line0 + k - 1 if (ends_with_nl or not lines[-1].strip(" ")) else line0 + k
    else:
        nlines = line0 + k
    raw: list[tuple[str, int, int, int, int]] = []
    start = line0
    if first and text.startswith("-"):
        fm = _fastpath._front_matter(text, lines, min(k, nlines - line0))
        if fm is None:
            raise StreamFallback("front matter")
        content, start = fm
        p.tokens.append(_fastpath.Tok("front_matter", content, [0, start], "---"))
        raw.append(("front_matter", 0, start, 0, 0))
    if not _fastpath.scan(p.lines, start, nlines, p.tokens, raw):
        raise StreamFallback("needs markdown-it")
    return [Block(kind, s, e, tok, tok + (1 if kind == "front_matter" else 3), level) for kind, s, e, tok, level in raw]
