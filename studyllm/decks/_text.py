"""Card text as stored: the one normalisation every card syntax applies (pure).

Kept apart from the parser so the rule modules (outline, obsidian ...) can use it
without importing the parser (which imports them).
"""

from __future__ import annotations

import re

# Scheduling comments obsidian-spaced-repetition writes (`<!--SR:...-->`) and the note ids
# Obsidian_to_Anki writes (`<!--ID: 1234-->`): never part of a card.
_TOOL_COMMENT = re.compile(r"[ \t]*<!--(?:SR:|ID:)[^\n]*?-->")


def clean_text(text: str) -> str:
    """Card text as stored: tool comments dropped, trailing spaces and surrounding blank
    lines removed, common indentation removed."""
    if "<!--" in text and ("<!--SR:" in text or "<!--ID:" in text):
        text = _TOOL_COMMENT.sub("", text)
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
