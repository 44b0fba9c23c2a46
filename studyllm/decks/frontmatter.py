"""Deck front matter: read the YAML block at the top of a deck file and check its keys."""

from __future__ import annotations

import datetime
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from studyllm.decks.model import DeckError

MODES = ("cards", "headings", "outline")
_SCALARS = (str, int, float, datetime.date)  # YAML reads `title: 2024-05-01` as a date
OPTION_KEYS = ("new_per_day", "reviews_per_day")
SEPARATOR_KEYS = ("inline", "inline_reverse", "multiline", "multiline_reverse")
DEFAULT_SEPARATORS = {"inline": "::", "inline_reverse": ":::", "multiline": "?", "multiline_reverse": "??"}
# Front matter is a few 'key: value' lines; flow collections ('[...]', '{...}') nested deeper than
# this are refused before YAML reads them: PyYAML's pure-Python scanner does work in the square of
# the nesting depth (4,000 characters of '[' took 0.9 s of CPU), and a file must not be slow.
MAX_FLOW_DEPTH = 64
_FLOW = re.compile(r"[\[\]{}]")


def check_separators(value: Any) -> dict[str, str]:
    """A ``separators`` mapping (front matter or setting) checked and completed with the
    defaults. Raises ValueError with the reason."""
    if not isinstance(value, dict):
        raise ValueError("must be a mapping such as {inline: ';;', multiline: '?'}")
    out = dict(DEFAULT_SEPARATORS)
    for key, sep in value.items():
        if key not in SEPARATOR_KEYS:
            raise ValueError(f"unknown key {key!r}; known: {', '.join(SEPARATOR_KEYS)}")
        if not isinstance(sep, str) or not sep.strip() or len(sep) > 10 or sep != sep.strip() or "\n" in sep:
            raise ValueError(f"{key!r} must be a short string without spaces at its ends")
        out[key] = sep
    if out["inline"] == out["inline_reverse"] or out["multiline"] == out["multiline_reverse"]:
        raise ValueError("a separator and its reverse must differ")
    return out


@dataclass
class FrontMatter:
    title: str | None = None
    tags: tuple[str, ...] = ()
    id: str | None = None
    mode: str | None = None
    heading_level: int = 2
    options: dict[str, Any] = field(default_factory=dict)
    separators: dict[str, str] | None = None
    highlight_cloze: bool | None = None
    errors: list[DeckError] = field(default_factory=list)
    warnings: list[DeckError] = field(default_factory=list)


def _key_line(text: str, key: str, first_line: int) -> int:
    """1-based file line where ``key:`` is written (the front matter's first line if not found)."""
    pattern = re.compile(rf"^\s*['\"]?{re.escape(key)}['\"]?\s*[:=]")
    for i, line in enumerate(text.split("\n")):
        if pattern.match(line):
            return first_line + i
    return first_line


def _too_deep(text: str) -> int | None:
    """The offset of the first '[' or '{' nested more than :data:`MAX_FLOW_DEPTH` deep, else
    ``None``. Brackets are counted wherever they are (a quoted string or a comment too): an
    upper bound of YAML's nesting, found in one linear scan."""
    depth = 0
    for m in _FLOW.finditer(text):
        if m.group() in "[{":
            depth += 1
            if depth > MAX_FLOW_DEPTH:
                return m.start()
        elif depth:
            depth -= 1
    return None


# The front matter most decks have, a few `title:` / `id:` lines of plain words, read without
# YAML (importing PyYAML is 18 modules, ~15 ms of a first import): only lines `key: value` of
# these keys, each once, with a value YAML reads as the very string written (it starts with a
# letter, holds only letters, digits, spaces and `,.()_/+-`, no `: ` or ` #`, ends with no
# space, and is not one of YAML 1.1's words for true, false or null). Anything else goes to
# YAML; ``tests/test_frontmatter_plain.py`` checks both give the same mapping.
_PLAIN_KEYS = frozenset(("title", "name", "id", "mode"))
_PLAIN_LINE = re.compile(r"([a-z]+): +([A-Za-z](?:[A-Za-z0-9 ,.()_/+-]*[A-Za-z0-9.)_])?)")
_YAML_WORDS = frozenset("yes Yes YES no No NO true True TRUE false False FALSE on On ON off Off OFF "
                        "null Null NULL".split())


def plain_front_matter(text: str) -> dict[str, str] | None:
    """``yaml.safe_load(text)`` for a front matter of plain ``key: value`` lines (see above),
    else ``None``."""
    data: dict[str, str] = {}
    for line in text.split("\n"):
        m = _PLAIN_LINE.fullmatch(line)
        if m is None:
            return None
        key, value = m.groups()
        if key not in _PLAIN_KEYS or key in data or value in _YAML_WORDS:
            return None
        data[key] = value
    return data


def _use_libyaml(yaml: Any) -> bool:
    """Read with PyYAML's safe loader on libyaml (C: ~100x faster on hostile input) when the
    installed PyYAML has it, else with the pure-Python one; both build the values with the same
    SafeConstructor (``tests/test_parser_bad_input.py`` compares them)."""
    return hasattr(yaml, "CSafeLoader")


_FAILED = object()


def _yaml_load(text: str, first_line: int, error: Callable[..., None]) -> Any:
    """The front matter read by PyYAML's safe loader (or ``_FAILED``, the error reported)."""
    import yaml  # here, not at the top: a deck without front matter never needs it

    try:
        data = yaml.load(text, Loader=yaml.CSafeLoader if _use_libyaml(yaml) else yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line = first_line + (mark.line if mark is not None else 0)
        col = (mark.column + 1) if mark is not None else 1
        problem = getattr(exc, "problem", None) or str(exc).split("\n")[0]
        error(f"front matter is not valid YAML: {problem}", line=line, col=col,
              hint="front matter is 'key: value' lines between two '---' lines")
        return _FAILED
    except Exception as exc:  # noqa: BLE001 - e.g. RecursionError on absurd nesting
        error(f"front matter could not be read: {type(exc).__name__}")
        return _FAILED
    return data


def read_front_matter(text: str, first_line: int, path: str) -> FrontMatter:
    """Parse front matter ``text`` whose first line is file line ``first_line`` (1-based)."""
    fm = FrontMatter()

    def error(message: str, key: str | None = None, hint: str = "", line: int | None = None, col: int = 1) -> None:
        if line is None:
            line = _key_line(text, key, first_line) if key else first_line
        fm.errors.append(DeckError(message, path=path, line=line, col=col, hint=hint))

    if not text.strip():
        return fm
    deep = _too_deep(text)
    if deep is not None:
        line_start = text.rfind("\n", 0, deep) + 1
        error(f"front matter nests '[' or '{{' more than {MAX_FLOW_DEPTH} levels deep", line=first_line
              + text.count("\n", 0, deep), col=deep - line_start + 1,
              hint="front matter is 'key: value' lines, a list written [a, b]")
        return fm
    data: Any = plain_front_matter(text)
    if data is None:
        data = _yaml_load(text, first_line, error)
        if data is _FAILED:
            return fm
    if data is None:
        return fm
    if not isinstance(data, dict):
        # hashcards decks carry TOML (`name = "..."`) between the dashes; accept it.
        try:
            data = tomllib.loads(text)
        except (tomllib.TOMLDecodeError, ValueError):
            error("front matter must be a set of 'key: value' lines",
                  hint="for example 'title: My deck'")
            return fm
    if not isinstance(data, dict):  # pragma: no cover - tomllib always returns a dict
        return fm

    title = data.get("title", data.get("name"))
    if title is not None:
        if isinstance(title, _SCALARS) and not isinstance(title, bool) and str(title).strip():
            fm.title = str(title).strip()
        else:
            error("front matter 'title' must be a non-empty string", "title" if "title" in data else "name")

    deck_id = data.get("id")
    if deck_id is not None:
        if isinstance(deck_id, _SCALARS) and not isinstance(deck_id, bool) and str(deck_id).strip():
            fm.id = str(deck_id).strip()
        else:
            error("front matter 'id' must be a non-empty string", "id")

    tags = data.get("tags")
    if tags is not None:
        if isinstance(tags, str):
            items: list[Any] = re.split(r"[,\s]+", tags)
        elif isinstance(tags, list):
            items = tags
        else:
            items = [None]
        if all(isinstance(t, (str, int)) and not isinstance(t, bool) for t in items):
            cleaned = []
            for t in items:
                t = str(t).strip().lstrip("#").strip()
                if t and t not in cleaned:
                    cleaned.append(t)
            fm.tags = tuple(cleaned)
        else:
            error("front matter 'tags' must be a list of words", "tags", hint="tags: [llm, memory]")

    mode = data.get("mode")
    if mode is not None:
        if isinstance(mode, str) and mode.strip().lower() in MODES:
            fm.mode = mode.strip().lower()
        else:
            error(f"front matter 'mode' must be one of {', '.join(MODES)}", "mode")

    level = data.get("heading_level")
    if level is not None:
        if isinstance(level, int) and not isinstance(level, bool) and 1 <= level <= 6:
            fm.heading_level = level
        else:
            error("front matter 'heading_level' must be a whole number from 1 to 6", "heading_level")

    seps = data.get("separators")
    if seps is not None:
        try:
            fm.separators = check_separators(seps)
        except ValueError as exc:
            error(f"front matter 'separators': {exc}", "separators",
                  hint="separators: {inline: ';;', inline_reverse: ';;;', multiline: '?', multiline_reverse: '??'}")

    hl = data.get("highlight_cloze")
    if hl is not None:
        if isinstance(hl, bool):
            fm.highlight_cloze = hl
        else:
            error("front matter 'highlight_cloze' must be true or false", "highlight_cloze")

    for key in OPTION_KEYS:
        value = data.get(key)
        if value is None:
            continue
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= 100_000:
            fm.options[key] = value
        else:
            error(f"front matter '{key}' must be a whole number from 0 to 100000", key, hint=f"{key}: 20")
    return fm
