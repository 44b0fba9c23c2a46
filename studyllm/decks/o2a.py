"""Obsidian_to_Anki's ``START`` ... ``END`` notes (pure): read the fields of one note.

```
START
Basic
The question, on one or more lines
Back: The answer
Tags: biology cells
<!--ID: 1634567890123-->
END
```

The line after ``START`` names the note type; the first field needs no label (``Front:``
is allowed), each next field starts with its label (``Back:``; ``Back Extra:`` for Cloze).
``<!--ID: ...-->`` lines (the note id Obsidian_to_Anki writes back) and a ``Tags:`` line
are not field text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

KNOWN_FIELDS = {
    "basic": ("Front", "Back"),
    "basic (and reversed card)": ("Front", "Back"),
    "basic (optional reversed card)": ("Front", "Back", "Add Reverse"),
    "basic (type in the answer)": ("Front", "Back"),
    "cloze": ("Text", "Back Extra"),
}
_ID_LINE = re.compile(r"^\s*<!--ID:[^\n]*-->\s*$")
_LABEL = re.compile(r"^([A-Z][\w ]{0,30}):(?:[ \t]|$)")


@dataclass
class Note:
    note_type: str
    line: int  # 0-based line of the note type
    fields: list[tuple[str, str, int]] = field(default_factory=list)  # (label, text, 0-based first line)
    tags: list[str] = field(default_factory=list)

    def get(self, label: str) -> str:
        return next((text for name, text, _ in self.fields if name.lower() == label.lower()), "")


def read_note(lines: list[str], first: int) -> Note | None:
    """The note in ``lines`` (the lines between START and END; ``first`` is the file line of
    the first of them). None if there is no note type line."""
    idx = 0
    while idx < len(lines) and not lines[idx].strip():
        idx += 1
    if idx >= len(lines):
        return None
    note = Note(lines[idx].strip(), first + idx)
    known = KNOWN_FIELDS.get(note.note_type.lower())
    labels = {name.lower() for name in known} if known else None
    current: list[str] = []
    name = known[0] if known else "Front"
    start = first + idx + 1
    for k in range(idx + 1, len(lines)):
        text = lines[k]
        if _ID_LINE.match(text):
            continue
        m = _LABEL.match(text)
        if m is not None and m.group(1).lower() == "tags":
            note.tags.extend(t.lstrip("#") for t in text[m.end():].split() if t.lstrip("#"))
            continue
        if m is not None and (labels is None or m.group(1).lower() in labels):
            if current or m.group(1).lower() != name.lower():
                note.fields.append((name, "\n".join(current), start))
                current = []
            name = m.group(1)
            start = first + k
            current.append(text[m.end():])
            continue
        current.append(text)
    note.fields.append((name, "\n".join(current), start))
    return note
