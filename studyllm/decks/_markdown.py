"""The markdown-it-py set-up shared by the deck parser, and "masked" inline text.

Card markers count only in normal text. Block-level code, HTML and the like are
separate tokens, so the parser never looks inside them. Inside a paragraph,
markdown-it's own inline rules find code spans, inline HTML, autolinks, links,
images and backslash escapes; we wrap those rules so they record where their
match starts and ends, then blank those ranges out (same length, newlines kept)
to get the *masked* text that marker regexes run on. The real text is sliced
at the same offsets.

Speed: inline parsing is most of markdown-it-py's cost, and a paragraph with
none of the characters that start those constructs (`` ` < \\ [ ``) cannot
contain them, so the core ``inline`` rule is switched off and the inline
tokenizer runs (once) only on paragraphs that hold one of those characters.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # markdown-it is imported when a parser instance is first built (_build)
    from markdown_it import MarkdownIt

# Containers (lists, block quotes) deeper than this are cut off by markdown-it;
# the parser reports it. ~2 levels per nested list, so about 19 list levels.
MAX_NESTING = 40

MASK_CHAR = "\x00"  # never present in the text: markdown-it turns NUL into U+FFFD
_SPANS_KEY = "studyllm_spans"
_NEEDS_INLINE = re.compile(r"[`<\\\[]")
_BACKTICK_RUN = re.compile(r"`+")
_NOT_NEWLINE = re.compile(r"[^\n]")

# markdown-it-py's link-label scan costs ~50 µs per '[': past this many in one paragraph,
# links are not analysed (code spans, HTML and escapes still are) so a hostile file stays fast.
MAX_BRACKETS = 2000

# Work bounds for hostile files (a 10 MB file must parse in seconds, in bounded memory).
# The inline pass costs a few microseconds per character that can open one of the constructs
# it records (real decks have about one per 100 bytes); the parser refuses a paragraph with
# more of them than this, and every paragraph once the file has spent its budget.
MAX_INLINE_STOPS = 20_000
MAX_INLINE_STOPS_PER_FILE = 1_000_000
# A table wider or larger than this is not read as a table (its lines stay paragraph text):
# markdown-it makes three tokens per cell, so a 20,000-column table of 10 MB took gigabytes.
MAX_TABLE_COLUMNS = 100
MAX_TABLE_CELLS = 5_000
TABLES_KEY = "studyllm_tables"  # env: {first line: (columns, rows)} of tables refused

_md: MarkdownIt | None = None
_md_nolinks: MarkdownIt | None = None


def _recording(rule: Any, first_chars: str) -> Any:
    def wrapped(state: Any, silent: bool) -> bool:
        start = state.pos
        if state.src[start] not in first_chars or not rule(state, silent):
            return False
        if not silent:
            spans = state.env.get(_SPANS_KEY)
            if spans is not None:
                spans.append((start, state.pos))
        return True

    return wrapped


# Characters that can start (or close) one of the inline constructs we keep. Text runs
# between them are skipped in one step; markdown-it's own text rule also stops at the
# emphasis, entity and other characters whose rules are switched off here.
_TEXT_STOP = re.compile(r"[`\\\[\]!<\n]")


def _text(state: Any, silent: bool) -> bool:
    start = state.pos
    end = state.posMax
    stop = _TEXT_STOP.search(state.src, start, end)
    if stop is not None:
        end = stop.start()
    if end == start:
        return False
    # The text itself is not kept: only the spans of the recorded rules matter, and growing
    # ``state.pending`` a piece at a time is quadratic on a long run of stop characters.
    state.pos = end
    return True


def get_md() -> MarkdownIt:
    """The shared parser instance (built on first use)."""
    global _md
    if _md is None:
        _md = _build()
    return _md


def _no_links_md() -> MarkdownIt:
    global _md_nolinks
    if _md_nolinks is None:
        _md_nolinks = _build()
        _md_nolinks.disable(["link", "image"])
    return _md_nolinks


def _bounded_table(state: Any, start_line: int, end_line: int, silent: bool) -> bool:
    """markdown-it's table rule, refusing tables over :data:`MAX_TABLE_COLUMNS` columns or
    :data:`MAX_TABLE_CELLS` cells (recorded in ``env[TABLES_KEY]`` for the parser to report)."""
    nxt = start_line + 1
    if nxt < end_line:
        src = state.src
        delim = src[state.bMarks[nxt] + state.tShift[nxt]:state.eMarks[nxt]]
        if delim.count("|") > MAX_TABLE_COLUMNS or len(delim) > 4 * MAX_TABLE_COLUMNS:
            if delim and delim[0] in "|-:" and not delim.strip("|-: \t"):
                cols = max(delim.count("|") - 1, len(delim) // 4)
                _refused(state, start_line, cols, 0)
                return False
        elif delim and delim[0] in "|-:" and not delim.strip("|-: \t"):
            cols = max(1, delim.strip().strip("|").count("|") + 1)
            rows = 0
            line = nxt + 1
            limit = MAX_TABLE_CELLS // cols + 1
            while line < end_line and rows <= limit and not state.isEmpty(line):
                rows += 1
                line += 1
            if rows * cols > MAX_TABLE_CELLS:
                while line < end_line and not state.isEmpty(line):
                    rows += 1
                    line += 1
                _refused(state, start_line, cols, rows)
                return False
    from markdown_it.rules_block.table import table as _table_rule

    return bool(_table_rule(state, start_line, end_line, silent))


def _refused(state: Any, line: int, cols: int, rows: int) -> None:
    tables = state.env.get(TABLES_KEY) if isinstance(state.env, dict) else None
    if tables is not None:
        tables.setdefault(line, (cols, rows))


def _build() -> MarkdownIt:
    # imported here, not at the top: a deck the fast path reads never needs markdown-it
    from markdown_it import MarkdownIt
    from markdown_it.rules_inline.autolink import autolink
    from markdown_it.rules_inline.backticks import backtick
    from markdown_it.rules_inline.escape import escape
    from markdown_it.rules_inline.html_inline import html_inline
    from markdown_it.rules_inline.image import image
    from markdown_it.rules_inline.link import link
    from mdit_py_plugins.front_matter import front_matter_plugin

    md = MarkdownIt("commonmark", {"maxNesting": MAX_NESTING})
    md.enable("table")
    md.block.ruler.at("table", _bounded_table, {"alt": ["paragraph", "reference"]})
    md.use(front_matter_plugin)
    md.disable(["inline", "text_join"])  # inline runs on demand, see module doc
    # Emphasis, entities and soft breaks never hide a marker; skip them in the on-demand pass.
    md.disable(["emphasis", "entity", "newline"])
    md.inline.ruler.at("text", _text)
    for name, rule, first_chars in (
        ("backticks", backtick, "`"),
        ("escape", escape, "\\"),
        ("link", link, "["),
        ("image", image, "!"),
        ("autolink", autolink, "<"),
        ("html_inline", html_inline, "<"),
    ):
        md.inline.ruler.at(name, _recording(rule, first_chars))
    return md


def masked_content(md: MarkdownIt | None, content: str, env: dict, *, fast: bool = True) -> str:
    """``content`` with code spans, inline HTML, links, images and escapes blanked out.

    With ``fast`` (the default), text with no ``<`` and no ``[`` is masked by
    :func:`mask_simple` instead of markdown-it's inline pass (same result, faster).
    ``md`` ``None`` means the shared instance (:func:`get_md`), built only if needed."""
    if fast:
        if "<" not in content and "[" not in content:
            if "`" not in content and "\\" not in content:
                return content
            return mask_simple(content)
    elif not _NEEDS_INLINE.search(content):
        return content
    spans: list[tuple[int, int]] = []
    if content.count("[") > MAX_BRACKETS:
        md = _no_links_md()
    elif md is None:
        md = get_md()
    env[_SPANS_KEY] = spans
    try:
        md.inline.parse(content, md, env, [])
    finally:
        env.pop(_SPANS_KEY, None)
    if not spans:
        return content
    spans.sort()
    out: list[str] = []
    pos = 0
    for start, end in spans:
        if end <= pos:
            continue
        start = max(start, pos)
        out.append(content[pos:start])
        out.append(_NOT_NEWLINE.sub(MASK_CHAR, content[start:end]))
        pos = end
    out.append(content[pos:])
    return "".join(out)



def inline_stops(content: str) -> int:
    """How many characters of ``content`` can start an inline construct the masking pass reads."""
    return content.count("<") + content.count("[") + content.count("`") + content.count("\\")


def mask_all(content: str) -> str:
    """``content`` fully masked (newlines kept): a refused paragraph holds no markers."""
    return "\n".join(MASK_CHAR * len(line) for line in content.split("\n"))


# For text with single backticks only: a backslash and what it takes (a newline and the spaces
# or tabs after it, a surrogate pair, or any one character), a code span, or an unclosed backtick.
_ESCAPE_OR_CODE = re.compile(r"\\(?:\n[ \t]*|[\ud800-\udbff][\udc00-\udfff]|[\s\S])|`[^`]*`|`")


def _masked_match(m: re.Match[str]) -> str:
    piece = m.group()
    return _NOT_NEWLINE.sub(MASK_CHAR, piece) if "\n" in piece else MASK_CHAR * len(piece)


def mask_simple(content: str) -> str:
    """``content`` with its code spans and backslash escapes blanked out, for text with no
    ``<`` and no ``[`` (so no inline HTML, autolink, link or image can start).

    Gives what markdown-it's inline pass gives through the recording rules above, following
    its ``escape`` and ``backticks`` rules: left to right, a backslash takes the next character
    (a newline and the spaces or tabs after it for a hard break; nothing at the very end); a
    run of N backticks opens a code span that ends at the next run of exactly N backticks
    (backslashes do not escape inside it), and a run with no such closer is literal text.
    Every match of a rule is masked, the literal runs included, as the wrapper masks them."""
    if "\\" not in content and "``" not in content:
        # The common case: single backticks only, so the 1st pairs with the 2nd, the 3rd with the 4th...
        parts = content.split("`")
        last = len(parts) - 1
        out: list[str] = [parts[0]]
        for i in range(1, last, 2):
            code = parts[i]
            out.append(MASK_CHAR * (len(code) + 2) if "\n" not in code
                       else MASK_CHAR + _NOT_NEWLINE.sub(MASK_CHAR, code) + MASK_CHAR)
            out.append(parts[i + 1])
        if last % 2:
            out.append(MASK_CHAR + parts[last])
        return "".join(out)
    if "``" not in content:
        # Every backtick run is a single one, so a code span ends at the very next backtick:
        # one regex scan, left to right, finds the escapes and code spans the loop below would.
        return _ESCAPE_OR_CODE.sub(_masked_match, content)
    n = len(content)
    # the start of the last backtick run of each length (markdown-it's own look-up cache)
    last_run: dict[int, int] = {}
    for run in _BACKTICK_RUN.finditer(content):
        last_run[run.end() - run.start()] = run.start()
    find = content.find
    out = []
    done = 0  # content[:done] is already in out
    i = 0
    next_tick = find("`") if last_run else -1
    next_slash = find("\\")
    while next_tick >= 0 or next_slash >= 0:
        if next_slash >= 0 and (next_tick < 0 or next_slash < next_tick):
            i = next_slash
            end = i + 1
            if end >= n:
                break  # a backslash at the very end is plain text
            ch = content[end]
            end += 1
            if ch == "\n":
                while end < n and content[end] in " \t":
                    end += 1
            elif "\ud800" <= ch <= "\udbff" and end < n and "\udc00" <= content[end] <= "\udfff":
                end += 1
        else:
            i = next_tick
            end = i + 1
            while end < n and content[end] == "`":
                end += 1
            length = end - i
            if last_run.get(length, -1) >= end:
                k = end
                while True:
                    k = find("`", k)
                    j = k + 1
                    while j < n and content[j] == "`":
                        j += 1
                    if j - k == length:
                        end = j
                        break
                    k = j
        if i > done:
            out.append(content[done:i])
        piece = content[i:end]
        out.append(_NOT_NEWLINE.sub(MASK_CHAR, piece) if "\n" in piece else MASK_CHAR * len(piece))
        done = end
        if next_tick >= 0 and next_tick < end:
            next_tick = find("`", end)
        if next_slash >= 0 and next_slash < end:
            next_slash = find("\\", end)
    if not out:
        return content
    out.append(content[done:])
    return "".join(out)
