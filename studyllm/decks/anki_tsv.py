"""Read notes exported from Anki as text (TSV/CSV) into a :class:`ParsedDeck` (pure layer).

Anki's "Notes in Plain Text" export and its text import share a format: optional header
lines at the top starting with ``#`` (``#separator:tab``, ``#html:true``, ``#guid column:1``,
``#notetype column:2``, ``#deck column:3``, ``#tags column:5``, ``#deck:Name``,
``#notetype:Basic``, ``#tags:a b``, ``#columns:...``), then one note per record, fields
separated by the separator, with CSV quoting (a field in double quotes may hold the
separator, newlines and ``""`` for a quote).

Each note becomes one basic card: the first field (after the GUID, note type, deck and
tags columns are set aside) is the front, the second the back; further fields are added
to the back. With ``#html:true`` the fields are HTML and are turned into plain text
(``<br>`` and block tags become line breaks, entities are decoded, other tags dropped).
The note's GUID, when there is one, is kept in ``extra["anki_guid"]`` so a later export
back to Anki updates the same notes.
"""

from __future__ import annotations

import csv
import hashlib
import re
from html.parser import HTMLParser
from pathlib import Path

from studyllm.decks.model import DeckError, ParsedCard, ParsedDeck

__all__ = ["parse_anki_tsv", "parse_anki_text", "SEPARATORS", "html_to_text"]

SEPARATORS = {
    "tab": "\t", "comma": ",", "semicolon": ";", "space": " ", "pipe": "|", "colon": ":",
}
_COLUMN_KEYS = {"guid column": "guid", "notetype column": "notetype", "deck column": "deck", "tags column": "tags"}
_BLOCK = {"div", "p", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote", "ul", "ol", "table"}
_SLUG = re.compile(r"[^a-z0-9]+")


class _TextOf(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self.parts.append("\n")
        elif tag in _BLOCK:
            self._boundary()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK:
            self._boundary()

    def _boundary(self) -> None:
        # <div>a</div><div>b</div> is two lines, not two paragraphs
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(value: str) -> str:
    """Plain text of an HTML field: line breaks kept, tags dropped, entities decoded."""
    if "<" not in value and "&" not in value:
        return value.strip()
    p = _TextOf()
    p.feed(value)
    p.close()
    text = "".join(p.parts).replace("\xa0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def _slug(text: str) -> str:
    return _SLUG.sub("-", text.lower()).strip("-") or "anki"


def parse_anki_tsv(path: str | Path, *, max_bytes: int | None = None, data: bytes | None = None) -> ParsedDeck:
    """Parse an Anki text export (``.txt``/``.tsv``/``.csv``). Problems are collected in
    ``deck.errors`` as :class:`DeckError` with line numbers; the file is never changed.
    ``data``: the file's bytes when the caller already read them (it is not read again)."""
    from studyllm.decks.source import DeckReadError, read_deck_bytes

    path = Path(path)
    name = str(path)
    if data is not None:
        raw = data
    else:
        try:
            raw = read_deck_bytes(path, max_bytes if max_bytes is not None else MAX_TSV_BYTES)
        except DeckReadError as exc:
            deck = _empty(path, name)
            deck.errors.append(DeckError(str(exc), path=name, hint=exc.hint))
            return deck
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        deck = _empty(path, name)
        line = raw[: exc.start].count(b"\n") + 1
        deck.errors.append(DeckError("the file is not UTF-8 text", path=name, line=line))
        return deck
    deck = parse_anki_text(text, path=name, stem=path.stem)
    deck.content_hash = hashlib.sha256(raw).hexdigest()
    return deck


MAX_TSV_BYTES = 10 * 1024 * 1024  # without a max_bytes, the default max_deck_mb


def _empty(path: Path, name: str) -> ParsedDeck:
    return ParsedDeck(path=name, key=_slug(path.stem), title=path.stem)


_LINE = re.compile(r"[^\r\n]*(?:\r\n|\n|\r)|[^\r\n]+$")


def parse_anki_text(text: str, *, path: str = "<string>", stem: str = "anki") -> ParsedDeck:
    deck = ParsedDeck(path=path, key=_slug(stem), title=stem)
    # only CR/LF end a line, as in an editor (str.splitlines also breaks at \x1c-\x1e, \x85,
    # \u2028..., which would make every later line number wrong)
    lines = _LINE.findall(text)
    sep: str | None = None
    is_html = False
    cols: dict[str, int] = {}
    tags_all: tuple[str, ...] = ()
    n_head = 0
    for n_head, line in enumerate(lines, start=0):
        if not line.startswith("#"):
            break
        header = line[1:].strip()
        if ":" not in header:
            continue  # a comment
        key, value = (s.strip() for s in header.split(":", 1))
        lno = n_head + 1
        low = key.lower()
        if low == "separator":
            sep = SEPARATORS.get(value.lower(), value if len(value) == 1 else None)
            if sep is None or sep in '"\n\r':
                deck.errors.append(DeckError(
                    f"unknown separator {value!r}", path=path, line=lno,
                    hint="use tab, comma, semicolon, space, pipe, colon or a single character",
                ))
                return deck
        elif low == "html":
            if value.lower() not in ("true", "false"):
                deck.errors.append(DeckError(f"#html must be true or false, got {value!r}", path=path, line=lno))
                return deck
            is_html = value.lower() == "true"
        elif low in _COLUMN_KEYS:
            if not value.isdigit() or int(value) < 1:
                deck.errors.append(
                    DeckError(f"#{key} must be a column number from 1, got {value!r}", path=path, line=lno))
                return deck
            cols[_COLUMN_KEYS[low]] = int(value) - 1
        elif low == "deck" and value:
            deck.title = value.split("::")[-1].strip() or deck.title
            deck.key = _slug(value.replace("::", "-"))
        elif low == "tags":
            tags_all = tuple(value.split())
    else:
        n_head = len(lines)
    if len(set(cols.values())) != len(cols):
        deck.errors.append(
            DeckError("two special columns (guid, notetype, deck, tags) share a number", path=path, line=1))
        return deck
    deck.tags = tags_all
    body = lines[n_head:]
    if sep is None:
        first = next((ln for ln in body if ln.strip()), "")
        sep = next((s for s in ("\t", ";", ",") if s in first), "\t")
    reader = csv.reader(body, delimiter=sep, quotechar='"', strict=True)
    guids: dict[str, int] = {}
    line_end = n_head
    while True:
        start = line_end + 1
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            deck.errors.append(DeckError(f"bad quoting: {exc}", path=path, line=start,
                                         hint='a field in double quotes must end with a closing "'))
            break
        line_end = n_head + reader.line_num
        if not row or all(not f.strip() for f in row):
            continue
        special = set(cols.values())
        if any(i >= len(row) for i in special):
            deck.errors.append(DeckError(
                f"the row has {len(row)} fields but the header names column {max(special) + 1}", path=path, line=start))
            continue
        fields = [f for i, f in enumerate(row) if i not in special]
        if is_html:
            fields = [html_to_text(f) for f in fields]
        else:
            fields = [f.strip() for f in fields]
        while len(fields) > 2 and not fields[-1]:
            fields.pop()
        if len(fields) < 2:
            deck.errors.append(DeckError(
                f"expected a front and a back separated by {_sep_name(sep)}, got {len(fields)} field(s)",
                path=path, line=start, hint="set the separator with a #separator: line at the top",
            ))
            continue
        if not deck.cards and not guids and _is_column_names(fields):
            # a spreadsheet's header row (Anki's own export never writes one; it writes #columns:)
            deck.warnings.append(DeckError(
                f"the first line looks like column names ({', '.join(fields)}), not a card; it is skipped",
                path=path, line=start, hint="delete the line, or write it as '#columns:' header line"))
            names = [f.strip().lower().rstrip(":") for f in fields]
            if not cols and ("tags" in names or "tag" in names):
                cols["tags"] = names.index("tags" if "tags" in names else "tag")  # its column holds tags
            continue
        front, back = fields[0], "\n\n".join(f for f in fields[1:] if f)
        if not front:
            deck.errors.append(DeckError("the front is empty", path=path, line=start))
            continue
        extra: dict[str, str] = {}
        if "guid" in cols:
            guid = row[cols["guid"]].strip()
            if guid:
                if guid in guids:
                    deck.warnings.append(
                        DeckError(f"GUID {guid!r} also used on line {guids[guid]}", path=path, line=start))
                guids.setdefault(guid, start)
                extra["anki_guid"] = guid
        tags = tuple(row[cols["tags"]].split()) if "tags" in cols else ()
        deck.cards.append(ParsedCard(kind="basic", front=front, back=back, line=start, tags=tags, extra=extra))
    if not deck.cards and not deck.errors:
        deck.errors.append(DeckError("no notes found", path=path, line=max(1, n_head + 1)))
    return deck


_FRONT_NAMES = frozenset(("front", "question", "term", "word", "prompt"))
_OTHER_NAMES = frozenset(("back", "answer", "definition", "meaning", "translation", "tags", "tag", "notes",
                          "note", "extra", "hint", "example"))


def _is_column_names(fields: list[str]) -> bool:
    """A header row such as ``Front<TAB>Back`` or ``Question,Answer,Tags``."""
    names = [f.strip().lower().rstrip(":") for f in fields]
    return names[0] in _FRONT_NAMES and all(n in _OTHER_NAMES for n in names[1:] if n)


def _sep_name(sep: str) -> str:
    for name, ch in SEPARATORS.items():
        if ch == sep:
            return name
    return repr(sep)

