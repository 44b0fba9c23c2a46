"""Obsidian (and mdanki) notations inside card text (pure).

Decks written for obsidian-spaced-repetition or Obsidian_to_Anki carry things that are
Obsidian's, not the card's; :func:`tidy` takes them out of a card's text:

* tags: a line holding only tags (``#flashcards/bio``) and tags at the end of a line
  (``What is ATP? #flashcard``) leave the text and become the card's tags; mdanki's
  ``[#tag](...)`` links too. A tag is ``#`` after a space or the line start, then letters,
  digits, ``_``, ``-`` or ``/``, not only digits (so ``#1`` and ``C#`` stay).
* wiki links: ``[[note|alias]]`` shows the alias, ``[[note]]`` the note's name
  (``[[note#Part]]`` as ``note > Part``); embeds ``![[diagram.png]]`` become
  ``[image: diagram.png]`` (other files ``[embed: name]``).
* block ids: a ``^blockid`` at the end of a line goes.

Code (fenced blocks and inline code spans) is left as written.
"""

from __future__ import annotations

import re

_TAG = r"#(?=[\w/-]*[^\W\d])[\w/-]+"
_TAG_LINE = re.compile(rf"^[ \t]*{_TAG}(?:[ \t]+{_TAG})*[ \t]*$")
_TRAILING_TAGS = re.compile(rf"(?:(?<=\S)[ \t]+|^[ \t]*)((?:{_TAG}[ \t]*)+)$")
_ONE_TAG = re.compile(_TAG)
_MDANKI_TAG = re.compile(r"\[#([\w/-]+)\]\([^()\n]*\)")
_EMBED = re.compile(r"!\[\[([^\[\]\n|]+)(?:\|[^\[\]\n]*)?\]\]")
_ALIAS = re.compile(r"\[\[([^\[\]\n|]+)\|([^\[\]\n]+)\]\]")
_WIKI = re.compile(r"\[\[([^\[\]\n|]+)\]\]")
_BLOCK_ID = re.compile(r"(?:[ \t]+|^)\^[A-Za-z0-9-]+[ \t]*$", re.M)
_FENCE = re.compile(r"^[ \t]{0,3}(`{3,}|~{3,})")
_IMAGE_EXT = (".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".avif")


_MIGHT_TAG = re.compile(r"(?:^|[ \t])#[\w/-]|\[#", re.M)
_MIGHT_ID = re.compile(r"(?:^|[ \t])\^[A-Za-z0-9-]+[ \t]*$", re.M)


def might_need(text: str) -> bool:
    """Cheap test: can :func:`tidy` change ``text``?"""
    return "[[" in text or ("#" in text and _MIGHT_TAG.search(text) is not None) or (
        "^" in text and _MIGHT_ID.search(text) is not None)


def _embed(m: re.Match[str]) -> str:
    name = m.group(1).strip()
    kind = "image" if name.lower().endswith(_IMAGE_EXT) else "embed"
    return f"[{kind}: {name}]"


def _wiki(m: re.Match[str]) -> str:
    target = m.group(1).strip()
    return " > ".join(p.strip() for p in target.split("#") if p.strip()) or target


def _tidy_span(text: str, tags: list[str]) -> str:
    """Links, embeds and tags in a piece of text holding no code."""
    if "[[" in text:
        text = _EMBED.sub(_embed, text)
        text = _ALIAS.sub(lambda m: m.group(2).strip(), text)
        text = _WIKI.sub(_wiki, text)
    if "[#" in text:
        def mdanki(m: re.Match[str]) -> str:
            tags.append(m.group(1))
            return ""

        text = _MDANKI_TAG.sub(mdanki, text)
    if "^" in text:
        text = _BLOCK_ID.sub("", text)
    return text


def _tidy_line_tags(line: str, tags: list[str]) -> str:
    m = _TRAILING_TAGS.search(line)
    if m is None:
        return line
    tags.extend(t[1:] for t in _ONE_TAG.findall(m.group(1)))
    return line[:m.start()].rstrip()


def tidy(text: str) -> tuple[str, list[str]]:
    """``text`` without Obsidian's tags, links and block ids, and the tags it held."""
    tags: list[str] = []
    if not might_need(text):
        return text, tags
    out: list[str] = []
    fence = ""
    dropped_tag_line = False
    for line in text.split("\n"):
        if fence:
            out.append(line)
            if line.strip().startswith(fence) and not line.strip().strip(fence[0]):
                fence = ""
            continue
        m = _FENCE.match(line)
        if m:
            fence = m.group(1)
            out.append(line)
            continue
        if "`" in line:
            parts = line.split("`")
            # even parts are outside code spans; with an even count the last backtick is unpaired
            paired = len(parts) if len(parts) % 2 else len(parts) - 1
            for i in range(0, paired, 2):
                parts[i] = _tidy_span(parts[i], tags)
            if len(parts) % 2 and "#" in parts[-1]:
                parts[-1] = _tidy_line_tags(parts[-1], tags)
            out.append("`".join(parts))
            continue
        line = _tidy_span(line, tags)
        if "#" in line:
            if _TAG_LINE.match(line):
                tags.extend(t[1:] for t in _ONE_TAG.findall(line))
                dropped_tag_line = True
                continue
            line = _tidy_line_tags(line, tags)
        out.append(line)
    result = "\n".join(ln.rstrip() for ln in out) if (tags or dropped_tag_line or "^" in text) else "\n".join(out)
    if dropped_tag_line or tags:
        result = result.strip("\n")
    seen: list[str] = []
    for t in tags:
        if t not in seen:
            seen.append(t)
    return result, seen


def tag_only(text: str) -> list[str] | None:
    """The tags of a paragraph made only of tags (``#flashcards/bio``), else None."""
    lines = [ln for ln in text.split("\n") if ln.strip()]
    if not lines or not all(_TAG_LINE.match(ln) for ln in lines):
        return None
    return [t[1:] for ln in lines for t in _ONE_TAG.findall(ln)]
