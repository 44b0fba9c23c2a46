"""The one sanitiser for text going to a terminal.

Every string that came from a file (a deck, a file name, an export) or from the database
and is shown on a terminal passes through :func:`clean` first: the CLI's output and error
messages (``studyllm.cli.echo``), and every screen, title and notification of the TUI
(``studyllm.ui.text.clean`` is this function). Without it, a deck title holding
``ESC ] 52 ; c ; … BEL`` writes to the terminal's clipboard, ``ESC ] 2 ;`` sets the window
title and ``ESC [ 2 J`` clears the screen.

What is removed: whole escape sequences (CSI with its parameters, OSC/DCS/SOS/PM/APC
strings up to their terminator, two-character escapes), in their 7-bit (``ESC [``) and
8-bit (``U+009B``) forms; then every remaining C0 and C1 control character except newline
and tab, DEL, and the bidi embedding/override/isolate controls (U+202A-U+202E,
U+2066-U+2069), which make text display in a different order than it is stored ("Trojan
Source"). The stored text is never changed; only what is shown.

Pure: no Textual, no SQL, nothing but :mod:`re`, so every layer may call it.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = ["UNSAFE", "clean", "is_clean"]

# Control strings (OSC, DCS, SOS, PM, APC): the introducer, then anything up to BEL or ST.
# An unterminated one stops at the end of its line, so a stray "ESC ]" can't eat a card.
_STRING_SEQ = r"(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c\n]*(?:\x07|\x1b\\|\x9c)?"
# CSI: parameters 0x30-0x3F, intermediates 0x20-0x2F, one final byte 0x40-0x7E.
_CSI_SEQ = r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
# Any other escape: ESC, intermediates, one final byte (ESC c resets the terminal, ESC ( 0 ...).
_ESC_SEQ = r"\x1b[ -/]*[0-~]?"
# What is left: C0 (newline and tab kept), DEL, C1, bidi embeddings/overrides/isolates.
_CONTROL_CHARS = "\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"

_SEQUENCE = re.compile(f"{_STRING_SEQ}|{_CSI_SEQ}|{_ESC_SEQ}|[{_CONTROL_CHARS}]")
UNSAFE = re.compile(f"[{_CONTROL_CHARS}]")
# Characters JSON text may hold raw inside strings but a terminal may act on (json.dumps
# already writes C0 controls as \u escapes; these it leaves as they are).
_JSON_RAW = re.compile("[\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escaped(ch: str) -> str:
    if ch == " " or ch.isprintable():
        return ch
    return ch.encode("unicode_escape").decode("ascii")


def clean(text: object, *, escape: Literal["remove", "visible", "json"] = "remove") -> str:
    """``text`` (anything; ``str()`` is taken) made safe for a terminal.

    * ``escape="remove"`` (the default, for titles, card text, messages): escape sequences
      and control characters are removed; newlines and tabs are kept.
    * ``escape="visible"`` (for file names, uids and keys in messages, where the exact value
      matters): every character that is not printable, newline and tab included, is shown
      as its Python escape (``\\x1b``, ``\\n``, ``\\u202e``), so nothing acts and nothing is
      hidden.
    * ``escape="json"`` (for JSON text from ``json.dumps(..., ensure_ascii=False)``): the
      characters JSON leaves raw (DEL, C1, bidi controls) are written as ``\\uXXXX``, so
      the document stays valid and means the same.
    """
    s = text if isinstance(text, str) else str(text)
    if escape == "remove":
        return _SEQUENCE.sub("", s)
    if escape == "visible":
        if s.isprintable():
            return s
        return "".join(_escaped(ch) for ch in s)
    if escape == "json":
        return _JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", s)
    raise ValueError(f"unknown escape mode {escape!r}")


def is_clean(text: str) -> bool:
    """True when ``text`` holds nothing :func:`clean` would remove (tests, assertions)."""
    return UNSAFE.search(text) is None
