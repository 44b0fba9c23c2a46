"""The import fast path: the block structure of simple decks without markdown-it.

Most decks are headings, blank lines and plain paragraphs (``Q:``/``A:`` lines, ``::``
lines, cloze paragraphs). For such a file markdown-it's block pass only finds where
each paragraph and heading starts and ends, and costs most of the parse. :func:`split`
walks the lines once and cuts them into the same blocks, with the same line maps and
the same inline content, that markdown-it-py gives, as long as the file uses nothing
else: at the first line (after any indentation) that starts with a character that can
open another block construct (lists, block quotes, fences, thematic breaks, setext
underlines, HTML blocks, tables, link reference definitions), at an indented code
block, or if the file holds a tab, it returns ``None`` and the parser takes the full
markdown-it path. The rules copied here are markdown-it-py's own (the
``front_matter``, ``heading`` and ``paragraph`` block rules and its line scan);
``tests/test_parser_fastpath.py`` checks that both paths give identical decks.

Masked inline text (code spans, HTML, links and escapes blanked out) is computed by
:func:`studyllm.decks._markdown.masked_content` for both paths.
"""

from __future__ import annotations

import re
from typing import Any

# markdown-it-py 4 trims paragraph and heading text with CommonMark's whitespace set
# (``markdown_it.common.utils.MD_TRIM_CHARS``: JavaScript's ``trim`` minus U+FEFF), and the fast
# path must trim exactly as it does. The set is spelled out here so that a deck taking the fast
# path never imports markdown-it (a tenth of a second of a first import);
# ``tests/test_parser_fastpath.py`` checks it equals markdown-it-py's own.
MD_TRIM_CHARS = "".join(chr(c) for c in sorted(
    {0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x20, 0xA0, 0x1680, 0x202F, 0x205F, 0x3000, 0x2028, 0x2029,
     *range(0x2000, 0x200B)}))


def _md_trim(string: str) -> str:
    return string.strip(MD_TRIM_CHARS)

# A line that may start a block construct the fast path does not model, by its first
# character after any indentation: list items and thematic breaks (- * + _), block quotes,
# tables and their delimiter rows (| :), link reference definitions ([), HTML blocks (<) and
# fences (~); also "```", ordered list items ("1." / "1)") and setext underlines (a line of
# = only; a line starting with - is refused anyway). Checked at any indentation, which is
# stricter than CommonMark (an indented line can be a paragraph's continuation).
_REFUSE_FIRST = frozenset("-*+_>|:[<~")
_ORDERED = re.compile(r"[0-9]{1,9}[.)]")
_DIGITS = frozenset("0123456789")


class Tok:
    """The few token fields the parser reads (a stand-in for markdown-it's ``Token``)."""

    __slots__ = ("content", "info", "level", "map", "markup", "nesting", "tag", "type")

    def __init__(self, type_: str, content: str, map_: list[int], markup: str = "", tag: str = "",
                 nesting: int = 0) -> None:
        self.type = type_
        self.content = content
        self.map = map_
        self.markup = markup
        self.info = ""
        self.level = 0
        self.nesting = nesting
        self.tag = tag


class InlineTok(Tok):
    """A paragraph's inline token whose ``content`` (its lines joined and trimmed, as
    markdown-it gives it) is made when read, not kept: the parser reads it once per paragraph
    (``frag_of``), and a big deck's paragraph texts need not all be alive at once."""

    __slots__ = ("_lines",)

    def __init__(self, lines: list[str], map_: list[int]) -> None:
        self._lines = lines
        self.type = "inline"
        self.map = map_
        self.markup = ""
        self.info = ""
        self.level = 0
        self.nesting = 0
        self.tag = ""

    @property  # a computed stand-in for the base class's slot, never assigned
    def content(self) -> str:  # type: ignore[override]
        a, b = self.map
        return "\n".join(self._lines[a:b]).strip(MD_TRIM_CHARS)  # _md_trim


def _md_line_count(text: str, lines: list[str]) -> int:
    """Lines as markdown-it-py counts them: a final line of only spaces with no newline is
    not a line, nor is the empty string after a final newline."""
    if text.endswith("\n"):
        return len(lines) - 1
    if not lines[-1].strip(" "):
        return len(lines) - 1
    return len(lines)


def _front_matter(text: str, lines: list[str], nlines: int) -> tuple[str, int] | None:
    """markdown-it-py's front_matter rule (mdit_py_plugins) on line 0: (content, line after)."""
    first = lines[0]
    marker_count = len(first) - len(first.lstrip("-"))
    if marker_count < 3:
        return None
    for k in range(1, nlines):
        line = lines[k]
        stripped = line.lstrip(" ")
        indent = len(line) - len(stripped)
        if indent == 0 and line.startswith("...") and not line[3:].strip(" "):
            close = k
            break
        if not stripped.startswith("-") or indent >= 4:
            continue
        dashes = len(stripped) - len(stripped.lstrip("-"))
        if dashes < marker_count or stripped[dashes:].strip(" "):
            continue
        close = k
        break
    else:
        return None  # never closed: not front matter for markdown-it either
    content = "\n".join(lines[1:close]) if close > 1 else ""
    return content, close + 1


def split(text: str, lines: list[str]) -> tuple[list[Any], list[tuple[str, int, int, int, int]]] | None:
    """Tokens (indexable like markdown-it's) and blocks ``(kind, start, end, tok, level)`` of
    ``text`` (already split into ``lines`` on ``\\n``), or ``None`` when the file uses more
    than headings and plain paragraphs (after optional front matter)."""
    if "\t" in text or "\r" in text or "\x00" in text:
        return None
    nlines = _md_line_count(text, lines)
    tokens: list[Any] = []
    blocks: list[tuple[str, int, int, int, int]] = []
    first_line = 0
    if text.startswith("-"):
        fm = _front_matter(text, lines, nlines)
        if fm is None:
            return None
        content, first_line = fm
        tokens.append(Tok("front_matter", content, [0, first_line], "---"))
        blocks.append(("front_matter", 0, first_line, 0, 0))

    if not scan(lines, first_line, nlines, tokens, blocks):
        return None
    return tokens, blocks


def scan(lines: list[Any], first_line: int, nlines: int, tokens: list[Any],
         blocks: list[tuple[str, int, int, int, int]]) -> bool:
    """Cut ``lines[first_line:nlines]`` into blocks, appending to ``tokens`` and ``blocks``
    (token indexes continue from ``len(tokens)``); False when a line needs markdown-it.
    A paragraph still open at ``nlines`` is closed there: the streamed parse
    (``parser.stream_bytes``) calls it on pieces of the file that end with a blank line,
    so no paragraph crosses from one piece to the next."""
    trim = _md_trim
    para = -1  # first line of the open paragraph
    append_block = blocks.append
    for i in range(first_line, nlines):
        line = lines[i]
        if not line or line[0] == " ":
            body = line.lstrip(" ")
            if not body:  # blank line
                if para >= 0:
                    n = len(tokens)
                    tokens.extend((None, InlineTok(lines, [para, i]), None))
                    append_block(("paragraph", para, i, n, 0))
                    para = -1
                continue
            if len(line) - len(body) >= 4:
                if para >= 0:
                    continue  # a lazy continuation line of the paragraph
                return False  # an indented code block
        else:
            body = line
        first = body[0]
        if first in _REFUSE_FIRST:
            return False
        if first == "`":
            if body.startswith("```"):
                return False
        elif first == "=":
            if not body.rstrip(" ").strip("="):
                return False  # a setext underline
        elif first in _DIGITS:
            if _ORDERED.match(body):
                return False
        elif first == "#":
            n_body = len(body)
            pos = 1
            while pos < n_body and body[pos] == "#":
                pos += 1
            if pos <= 6 and (pos == n_body or body[pos] == " "):
                if para >= 0:
                    n = len(tokens)
                    tokens.extend((None, InlineTok(lines, [para, i]), None))
                    append_block(("paragraph", para, i, n, 0))
                    para = -1
                level = pos
                end = n_body
                while end > pos and body[end - 1] == " ":
                    end -= 1
                tmp = end
                while tmp > pos and body[tmp - 1] == "#":
                    tmp -= 1
                if tmp < end and tmp > pos and body[tmp - 1] == " ":
                    end = tmp
                n = len(tokens)
                tokens.extend((Tok("heading_open", "", [i, i + 1], "#" * level, f"h{level}", 1),
                               Tok("inline", trim(body[pos:end]), [i, i + 1]), None))
                append_block(("heading", i, i + 1, n, level))
                continue
        if para < 0:
            para = i
    if para >= 0:
        n = len(tokens)
        tokens.extend((None, InlineTok(lines, [para, nlines]), None))
        append_block(("paragraph", para, nlines, n, 0))
    return True
