"""Deck segments: where a deck file can be cut into pieces that the parser reads alone (pure).

An edited re-import re-parses only the pieces of the file that changed (issue #23). That is
exact only where the parser's state is known to start afresh, and the parser is a state
machine over top-level blocks (an open card's answer runs on through the next paragraphs, a
paragraph is held back to see whether a list follows it, ``START`` ... ``END`` notes span
anything, tag-only paragraphs tag every card of the file, ...). So the cut is made only in
files of the simplest shape, the shape the import fast path reads (``_fastpath``): front
matter, ATX headings (``## ...``), plain paragraphs and thematic breaks after an empty line
(``---``), nothing else (no list, quote, fence, table, HTML, setext underline, indented code,
tab, ``START`` line, obsidian-SR comment, tag-only line or control character anywhere). In
such a file every block is a heading, a paragraph or a rule, and the parser starts afresh:

- at every ATX heading (it closes the open card and any held paragraph; what follows depends
  only on the headings above it, the deck title and the front matter), and
- at a ``Q:`` line at column 0 after a blank line (a ``Q:`` paragraph closes the open card;
  the held paragraph before it is flushed with no list after it; a ``?`` card stops at the
  blank line).

A *segment* runs from one such line to the next (the first one from the start of the file,
front matter included). Its key hashes its text and its context: the heading lines above
it; what the whole file shares (the front matter, the first ``#`` heading, the path, the
separators, and the parser: studyllm's version and the size and mtime of each source file of
this package) is the *file key*. Two imports with the same file key
give the same cards for every segment of the same key, up to a shift of lines.

:func:`split` cuts a text (``None`` when the file is not of that shape); :func:`synthetic`
builds the text the parser is given for the segments to re-read: the file with every other
segment blanked out except its heading line and the front matter, so line numbers, headings
and the title stay as in the whole file. ``tests/test_reimport_incremental.py`` checks that
cards read this way equal a full parse of the same text.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_right
from dataclasses import dataclass

from studyllm import __version__
from studyllm.decks import _limits

__all__ = ["FORMAT", "Segment", "Split", "file_line", "split", "synthetic"]

FORMAT = 1  # of the stored segment table (studyllm.store.importer); bump to drop old tables
GROUP = 8  # a `Q:` line starts a segment about once in this many (_CUT); 1: every one (for tests)

# A line the shape does not allow (after front matter), by its start: what the fast path
# refuses (list items, thematic breaks, quotes, tables, link definitions, HTML, fences,
# setext underlines, ordered lists), a '#' line that is no ATX heading (a tag line), or an
# indented line (code, or a lazy continuation: refused rather than modelled).
_BAD = rb" *(?:[-*+_>|:\[<~]|```|=+ *(?:\n|$)|[0-9]{1,9}[.)]|#(?!#{0,5}(?: |\n|$)))| {4,}[^ \n]"
# where a segment may start: an ATX heading, or a `Q:` line after an empty line
_LINE = re.compile(rb"\n(?: {0,3}(#{1,6})(?= |\n|$)|(" + _BAD + rb"))")  # group 1: a heading; 2: refused
# A `Q:` line after an empty line starts a segment when its length is 3 more than a multiple of
# 8 bytes (about one in 8, in any language): cuts chosen by the text itself, so that an edit
# elsewhere does not move them (content-defined chunks), and found by the regex engine alone.
_CUT = re.compile(rb"\n\nQ: (?:[^\n]{8})*+[^\n]{3}\n")
_QUESTION = re.compile(rb"\n\nQ:(?= |\n|$)")  # every one (GROUP = 1)
_RULE = re.compile(rb"(?:-{3,}|\*{3,}|_{3,}) *(?:\n|$)")
_REFUSED_BYTES = bytes([*range(0, 10), 11, 12, *range(13, 32), 127])  # not \n
_BOM = b"\xef\xbb\xbf"


@dataclass(slots=True)
class Segment:
    start: int  # first line (0-based)
    lines: int  # lines it spans
    offset: int  # byte offset of its first line
    end: int  # byte offset after it
    key: bytes  # hash of its context and text
    heading: int  # the length of its heading line (with the newline), 0 if it starts with none


@dataclass(slots=True)
class Split:
    file_key: str
    segments: list[Segment]
    fm_end: int  # byte offset after the front matter (the BOM too), 0 if none


def _front_matter_end(data: bytes, base: int) -> int | None:
    """Offset after the front matter block (markdown-it-py's front_matter rule, as the fast path
    reads it), ``base`` without front matter, ``None`` if the file starts with '-' but holds none."""
    if not data.startswith(b"-", base):
        return base
    lines = data[base:base + 64 * 1024].split(b"\n", 200)  # front matter is short: a long one is not cut
    first = lines[0]
    marker_count = len(first) - len(first.lstrip(b"-"))
    if marker_count < 3:
        return None
    offset = base + len(first) + 1
    for k in range(1, min(len(lines) - 1, 200)):  # the last piece is the rest of the file
        line = lines[k]
        stripped = line.lstrip(b" ")
        indent = len(line) - len(stripped)
        end = offset + len(line) + 1
        if indent == 0 and line.startswith(b"...") and not line[3:].strip(b" "):
            return end
        if stripped.startswith(b"-") and indent < 4:
            dashes = len(stripped) - len(stripped.lstrip(b"-"))
            if dashes >= marker_count and not stripped[dashes:].strip(b" "):
                return end
        offset = end
    return None


def _eligible(data: bytes) -> bool:
    # tabs, carriage returns, NUL and the control characters the parser warns about: none
    if len(data.translate(None, _REFUSED_BYTES)) != len(data):
        return False
    # an Obsidian_to_Anki note, obsidian-SR schedules (the parser's nesting check needs a line
    # the shape refuses, or front matter, which every synthetic text keeps)
    return b"START" not in data and b"<!--SR:" not in data


_STAMP: list[bytes] = []


def _parser_stamp() -> bytes:
    """What the parser's output depends on besides the text: studyllm's version and the deck
    package's source files (size and mtime of each, read once per process), so that a table
    written by another parser is never trusted."""
    if not _STAMP:
        import os

        here = os.path.dirname(os.path.abspath(__file__))
        parts = [__version__]
        for folder, dirs, names in sorted(os.walk(here)):
            dirs.sort()
            for name in sorted(names):
                if name.endswith(".py"):
                    st = os.stat(os.path.join(folder, name))
                    parts.append(f"{os.path.relpath(os.path.join(folder, name), here)}:{st.st_size}:{st.st_mtime_ns}")
        _STAMP.append("\n".join(parts).encode())
    return _STAMP[0]


def scale(max_bytes: int | None, size: int) -> float:
    """The parser's work bounds are per 10 MB of the size limit (``parser.parse_deck``)."""
    return max(1.0, (size if max_bytes is None else max_bytes) / _limits.MAX_FILE_BYTES)


def split(data: bytes, path: str, separators: object = None, max_bytes: int | None = None) -> Split | None:
    """The segments of the deck file ``data`` (at ``path``, parsed with ``separators`` and the
    size limit ``max_bytes``), or ``None`` when the file is not of the shape described above (then
    it is parsed whole)."""
    if not _eligible(data):
        return None
    if data.count(b"\n") + 1 - data.count(b"\n\n") > int(_limits.MAX_LINES * scale(max_bytes, len(data))):
        return None  # over the parser's line limit: let it say so
    base = 3 if data.startswith(_BOM) else 0
    fm_end = _front_matter_end(data, base)
    if fm_end is None or fm_end > len(data):
        return None
    nl = data.find(b"\n", fm_end)
    first = b"\n" + data[fm_end:len(data) if nl < 0 else nl + 1]  # the line under the front matter
    starts: list[tuple[int, int]] = [(0, 0)]  # (offset of the line, length of its heading line or 0)
    h1 = b""
    top = _LINE.match(first)
    if top is not None:
        if top.group(2) is not None:
            return None
        starts[0] = (0, len(first) - 1)
        if len(top.group(1)) == 1:
            h1 = first[1:].rstrip(b" \n")
    for m in _LINE.finditer(data, nl) if nl >= 0 else ():
        o = m.start() + 1
        if m.group(2) is not None:
            if data[o - 2:o - 1] == b"\n" and _RULE.match(data, o):
                continue  # a thematic break after an empty line (closes the open card; never a heading)
            return None  # a construct the shape does not allow
        end = data.find(b"\n", o)
        end = len(data) if end < 0 else end + 1
        if not h1 and len(m.group(1)) == 1:
            h1 = data[o:end].rstrip(b" \n")
        starts.append((o, end - o))
    cut = _CUT if GROUP != 1 else _QUESTION
    cuts = [m.start() + 2 for m in cut.finditer(data, max(fm_end - 1, 0))]
    if cuts:
        starts = sorted([*starts, *((o, 0) for o in cuts if o > fm_end)])
    file_key = hashlib.blake2b(b"\x1f".join((
        str(FORMAT).encode(), _parser_stamp(), path.encode("utf-8", "surrogatepass"),
        repr(separators).encode("utf-8", "surrogatepass"), data[:fm_end], h1)), digest_size=16).hexdigest()
    segments: list[Segment] = []
    stack: list[tuple[int, bytes]] = []
    context = b""
    line = 0
    bounds = starts
    n = len(bounds)
    limit = _limits.MAX_LINE_CHARS
    blake2b, sha256 = hashlib.blake2b, hashlib.sha256
    for k in range(n):
        offset, head = bounds[k]
        end = bounds[k + 1][0] if k + 1 < n else len(data)
        if head:
            at = fm_end if k == 0 else offset
            text = data[at:at + head].rstrip(b" \n")
            stripped = text.lstrip(b" ")
            level = len(stripped) - len(stripped.lstrip(b"#"))
            while stack and stack[-1][0] >= level:
                stack.pop()
            stack.append((level, text))
            context = blake2b(b"\x1f".join(h for _, h in stack), digest_size=32).digest()
        if end - offset > limit and max(map(len, data[offset:end].split(b"\n"))) > limit:
            return None  # the parser refuses the file (a line too long): let it say so
        lines = data.count(b"\n", offset, end)
        h = sha256(context)
        h.update(memoryview(data)[offset:end])
        key = h.digest()[:16]
        last = k + 1 == n and end > offset and not data.endswith(b"\n")
        segments.append(Segment(line, lines + last, offset, end, key, head))
        line += lines
    return Split(file_key, segments, fm_end)


def synthetic(data: bytes, split_: Split, keep: set[int]) -> tuple[str, list[tuple[int, int]]] | None:
    """The text the parser is given for the segments in ``keep`` (indexes): the file with every
    other segment blanked out but for its heading line (and the front matter), each run of
    blanked lines shortened to one empty line. The same headings and title, and only the kept
    segments' cards. With it, where its lines are in the file: ``(first line in the text, first
    line in the file)`` of each kept segment, in order. ``None`` if a kept piece is not UTF-8
    (then the file is parsed whole)."""
    parts: list[bytes] = []
    line_map: list[tuple[int, int]] = []
    at = 0  # lines written so far
    blank = False  # the text written so far ends with a blanked run
    for i, seg in enumerate(split_.segments):
        if i in keep:
            chunk = data[seg.offset:seg.end]
            line_map.append((at, seg.start))
            parts.append(chunk)
            at += chunk.count(b"\n")
            blank = False
            continue
        start = (split_.fm_end if i == 0 else seg.offset) + seg.heading  # front matter, heading line
        if start > seg.offset:
            parts.append(data[seg.offset:start])
            at += data.count(b"\n", seg.offset, start)
            blank = False
        if not blank and start < seg.end and data.count(b"\n", start, seg.end):
            parts.append(b"\n")  # its other lines: one empty line
            at += 1
            blank = True
    if not line_map or line_map[0][0] != 0:
        line_map.insert(0, (0, 0))
    try:
        return b"".join(parts).decode("utf-8-sig"), line_map
    except UnicodeDecodeError:
        return None


def file_line(line_map: list[tuple[int, int]], line: int) -> int:
    """The line of the file (1-based) that line ``line`` (1-based) of a :func:`synthetic` text is."""
    syn, orig = line_map[bisect_right(line_map, (line - 1, 1 << 62)) - 1]
    return line - syn + orig
