"""The parser's shared state and helpers, which every card rule (``rules/*.py``) builds on.

A rule is a mixin of :class:`ParserBase`: its methods read the file through ``self.lines``,
``self.tokens`` and ``self.frag_of``, and report through ``self.add`` (a card), ``self.skip``
(a card left out), ``self.warn`` and ``self.error`` (the file). ``studyllm/decks/parser.py``
puts the rules together and dispatches the blocks to them.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from studyllm.decks import _limits
from studyllm.decks import obsidian as _obsidian
from studyllm.decks import outline as _outline
from studyllm.decks._markdown import TABLES_KEY, inline_stops, mask_all, masked_content
from studyllm.decks.frontmatter import DEFAULT_SEPARATORS
from studyllm.decks.model import DeckError, ParsedCard, make_card

# A line starting with Q:/A:/C:/O: (then a space or the end), or a line holding only ? or ??.
_MARKERS = re.compile(r"^[ \t]{0,3}(?:([QACO]):(?=[ \t]|$)|(\?\??)[ \t]*$)", re.M)
_MARKER_AT = re.compile(r"[ \t]{0,3}(?:([QACO]):(?=[ \t\n]|\Z)|(\?\??)[ \t]*(?=\n|\Z))")
_COMMENT_ONLY = re.compile(r"^\s*<!--.*?-->\s*$", re.S)
_IN_ORDER = re.compile(r"\s*\(in order\)\s*$", re.I)
_TASK = re.compile(r"^\[( |x|X)\](?:[ \t]+|$)")
_CONTROL = re.compile(r"[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_BYTES = bytes([*range(0x01, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
_SLUG = re.compile(r"[^\w]+")
_blake2b = hashlib.blake2b

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
    refused: bool = False  # too much markup to read (see _markdown.MAX_INLINE_STOPS): no cards from it

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
    front_text: str | None = None  # `?` card under a heading: the heading's text is the front
    wait: bool = False  # `question #flashcard` with its answer in the next block
    label: str = "?"  # the separator, for messages


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


def _separator_re(single: str, double: str) -> re.Pattern[str]:
    """The marker regex (``_MARKER_AT``) with other multi-line separators than ``?``/``??``."""
    alts = "|".join(re.escape(x) for x in sorted({single, double}, key=len, reverse=True))
    return re.compile(rf"[ \t]{{0,3}}(?:([QACO]):(?=[ \t\n]|\Z)|({alts})[ \t]*(?=\n|\Z))")


_UNINDENTED_SEP = re.compile(r"^(\?\??)[ \t]*$")
_FLASHCARD_TAG = re.compile(r"(?<=\S)[ \t]+#flashcard[ \t]*$")
_HAS_ANKI_CLOZE = re.compile(r"\{\{c\d+::")
# A list item or quote indented past any nesting markdown-it keeps (MAX_NESTING): refused before
# markdown-it reads it, which costs O(depth) per line (200 levels of 10 MB took half a minute).
_DEEP_CONTAINER = re.compile(r"^[ \t]{120,}(?:[-*+>]|\d{1,9}[.)])(?:[ \t]|$)|^(?:[ \t]{0,3}>){45,}", re.M)
_MD2APKG_SPLIT = re.compile(r"<!--\s*md2apkg split\s*-->$", re.I)


class _TooManyCards(Exception):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


class ParserBase:
    # the block pass's shortcuts for the common paragraph: a paragraph with no card in a special
    # state goes straight to ``paragraph``, and a two-line `Q:`/`A:` one is read there without
    # the marker loop (False, for tests: always the general way; both give the same deck)
    qa_lane = True

    def __init__(self, text: str, path: str, mode: str | None, content_hash: str, fast_path: bool = True,
                 separators: dict[str, str] | None = None, hints: bool = True, scale: float = 1.0) -> None:
        self.path = path
        self.max_lines = int(_limits.MAX_LINES * scale)
        self.max_cards = int(_limits.MAX_CARDS * scale)
        self.max_stops = int(_limits.MAX_INLINE_STOPS_PER_FILE * scale)
        self.scale = scale
        self.fast_path = fast_path
        self.force_mode = mode
        self.hints = hints
        self.separators = dict(separators or DEFAULT_SEPARATORS)
        self.highlights = True
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
        self.skipped: list[DeckError] = []
        self.note_tags: list[str] = []  # tags from paragraphs made only of tags: for every card
        self.headings: list[tuple[int, str]] = []
        self.title = ""
        self.context: tuple[str, ...] = ()  # outline mode: a label paragraph above the current list
        self.mode = "cards"
        self._seen: set[Any] = set()
        # the streamed parse (parser.stream_bytes) hands the cards on in batches: how many it
        # handed on already, and whether the duplicate test keeps digests instead of the texts
        self.emitted = 0
        self.digest_keys = False
        self._released = (0, 0)  # lines and tokens before these indexes let go of (card_blocks_stream)
        self._path: tuple[str, ...] = ()
        self._frags: dict[int, Frag] = {}
        self._evicted = bytearray()  # 1 at the token indexes whose Frag was dropped from _frags
        self._path_key: Any = None
        self.tokens: list[Any] = []
        self.md: Any = None  # the shared MarkdownIt (set by run)
        # set per file by the parser (front matter, settings):
        self.inline_sep = self.separators["inline"]
        self.inline_rev = self.separators["inline_reverse"]
        self.marker_at: re.Pattern[str] = _MARKER_AT
        self.heading_level = 2
        # the block pass's state:
        self.open: Open | None = None  # the card being collected
        self.pending: tuple[Block, Frag] | None = None  # a plain paragraph waiting to see the next block
        self.prev: Block | None = None  # the block before the current one
        self.next: Block | None = None  # the block after it
        self.history: list[Block] = []  # the blocks before the current one, most recent last (a few)
        self.heading_q: tuple[str, int, tuple[str, ...]] | None = None  # outline: heading ending in '?'
        self.o2a: list[Block] | None = None  # an Obsidian_to_Anki START ... END note being collected
        self.env: dict[str, Any] = {TABLES_KEY: {}}
        self.stops_used = 0
        self.budget_reported = False
        self.foreign_seen: set[str] = set()  # other tools' syntaxes warned about (rules/foreign.py)

    def error(self, message: str, line: int, col: int = 1, hint: str = "") -> None:
        self.errors.append(DeckError(message, path=self.path, line=line + 1, col=col, hint=hint))

    def warn(self, message: str, line: int, col: int = 1, hint: str = "") -> None:
        self.warnings.append(DeckError(message, path=self.path, line=line + 1, col=col, hint=hint))

    def skip(self, message: str, line: int, col: int = 1, hint: str = "") -> None:
        """A card-level error: this card is left out, the rest of the file imports."""
        self.skipped.append(DeckError(message, path=self.path, line=line + 1, col=col, hint=hint))

    def heading_path(self) -> tuple[str, ...]:
        key = (len(self.headings), self.headings[-1] if self.headings else None, self.context)
        if key != self._path_key:
            path = tuple(text for level, text in self.headings if not (level == 1 and text == self.title))
            self._path = path + self.context
            self._path_key = key
        return self._path

    def add(self, kind: str, front: str, back: str, line: int, col: int = 1, *, variant: str = "",
            path: tuple[str, ...] | None = None, extra: dict[str, Any] | None = None,
            tags: tuple[str, ...] = ()) -> None:
        found: list[str] | tuple[str, ...] = tags  # a list once a side's tags are added to it
        if kind != "calc":
            # might_need's own first tests, inline: most cards hold none of these characters
            if ("[[" in front or "#" in front or "^" in front) and _obsidian.might_need(front):
                front, more = _obsidian.tidy(front)
                found = [*found, *more]
            if ("[[" in back or "#" in back or "^" in back) and _obsidian.might_need(back):
                back, more = _obsidian.tidy(back)
                found = [*found, *more]
        if len(front) > _limits.MAX_CARD_CHARS or len(back) > _limits.MAX_CARD_CHARS:
            size = max(len(front), len(back))
            self.skip(f"card is {size:,} characters long, over the {_limits.MAX_CARD_CHARS:,} limit",
                      line, col, hint="split it into smaller cards")
            return
        # "nothing but whitespace", as `not text.strip()` but without copying the text
        if not front or front.isspace() or ((not back or back.isspace()) and kind != "calc"):
            self.skip("card has an empty side once tags and links are taken out", line, col,
                      hint="write the question and the answer as text")
            return
        if len(self.cards) + self.emitted >= self.max_cards:
            raise _TooManyCards(line)
        heading_path = self.heading_path() if path is None else path
        card = make_card(kind, front, back, heading_path, line + 1, col, variant,
                         tuple(dict.fromkeys(found)) if found else (), extra or {})
        key: Any
        if self.digest_keys:
            # not every card's text kept alive: a 128-bit digest of the key, its fields joined
            # with NUL (which no card text holds: the parser reads NUL as U+FFFD), so two
            # different keys never join to the same string
            key = _blake2b("\0".join((kind, front, back, variant, *heading_path)).encode(
                "utf-8", "surrogatepass"), digest_size=16).digest()
        else:
            key = (kind, front, back, variant, heading_path)
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
            line0 = tok.map[0] if tok.map else 0
            stops = inline_stops(content)
            if tok_index < len(self._evicted) and self._evicted[tok_index]:
                # read before and dropped (``drop_frag``): the same masking again, the budget
                # charged once (only a paragraph that was not refused is ever dropped)
                frag = Frag(content, masked_content(self.md, content, self.env, fast=self.fast_path), line0)
            elif stops > _limits.MAX_INLINE_STOPS or self.stops_used + stops > self.max_stops:
                frag = Frag(content, mask_all(content), line0, refused=True)
                if stops > _limits.MAX_INLINE_STOPS:
                    self.skip(f"paragraph has {stops:,} of the characters that start code, links or HTML "
                              f"('`', '[', '<', '\\'), over the {_limits.MAX_INLINE_STOPS:,} limit; it is skipped",
                              line0, hint="split the paragraph, or put the text in a code block")
                elif not self.budget_reported:
                    self.budget_reported = True
                    self.skip(f"the file has over {self.max_stops:,} of the characters that start code, "
                              "links or HTML; this paragraph and the ones after it that hold any are skipped", line0,
                              hint="split the file into several decks")
            elif not stops:
                # none of ` [ < \ (what masked_content tests first, on both paths): the text itself
                frag = Frag(content, content, line0)
            else:
                self.stops_used += stops
                frag = Frag(content, masked_content(self.md, content, self.env, fast=self.fast_path), line0)
            self._frags[tok_index] = frag
        return frag

    def drop_frag(self, tok_index: int) -> None:
        """Forget the cached Frag of inline token ``tok_index`` (the block pass is past it), so a
        big deck's paragraph texts are not all kept; reading it again gives the same Frag."""
        frag = self._frags.get(tok_index)
        if frag is None or frag.refused:
            return
        del self._frags[tok_index]
        if not self._evicted:
            self._evicted = bytearray(len(self.tokens))
        self._evicted[tok_index] = 1

    # Implemented by the rules and the parser (declared here so every rule can call them).
    def close(self) -> None:
        raise NotImplementedError

    def has_card_syntax(self, frag: Frag) -> bool:
        raise NotImplementedError

    def is_task_list(self, b: Block) -> bool:
        raise NotImplementedError

    def list_items(self, b: Block) -> list[_outline.Item]:
        raise NotImplementedError

    def mcq(self, b: Block, line: int, col: int, question: str, path: tuple[str, ...]) -> None:
        raise NotImplementedError

    def ordered(self, b: Block, line: int, col: int, question: str, path: tuple[str, ...]) -> None:
        raise NotImplementedError

    def inline_cards(self, frag: Frag) -> bool:
        raise NotImplementedError

    def logseq_cards(self, items: list[_outline.Item]) -> set[int]:
        raise NotImplementedError

    def foreign_text(self, frag: Frag) -> None:
        raise NotImplementedError

    def foreign_quote(self, b: Block) -> None:
        raise NotImplementedError

    def mochi_hint(self) -> bool:
        raise NotImplementedError

    def report_cloze(self, frag: Frag, problems: list[Any]) -> None:
        raise NotImplementedError

    def cloze_note(self, frag: Frag, dels: list[Any], tags: tuple[str, ...] = ()) -> None:
        raise NotImplementedError

    def c_block(self, op: Open) -> None:
        raise NotImplementedError

    def finish_separator(self, op: Open) -> None:
        raise NotImplementedError
