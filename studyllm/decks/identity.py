"""Card identity keys (pure): exact hash, normalised hash, and a text similarity.

Re-importing an edited deck matches cards in layers (see ARCHITECTURE.md):
exact content hash -> normalised hash -> same deck, same heading path, similar text
(:data:`SIMILARITY_THRESHOLD`) -> otherwise a new card.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from difflib import SequenceMatcher

from studyllm.decks.model import ParsedCard

# Ratio from difflib.SequenceMatcher on the normalised text. 0.75 keeps a card through a
# reworded phrase or an added sentence in a 2-3 line card, and rejects a different question
# that only shares its template ("What does X do?" vs "What does Y do?" scores lower on
# real deck text because the answers differ too).
SIMILARITY_THRESHOLD = 0.75

_SEP = "\x1f"
# Runs of anything that is not a letter or digit (punctuation, symbols, spaces, "_", and
# the \x1f field separator) become one space. CJK characters count as letters.
_NOT_WORD = re.compile(r"[\W_]+")


def _extra_text(card: ParsedCard) -> str:
    if not card.extra:
        return ""
    return json.dumps(card.extra, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def join_card_text(kind: str, variant: str, front: str, back: str, extra_json: str) -> str:
    """:func:`card_text` from stored columns (``extra_json`` as stored: ``"{}"`` when empty)."""
    return _SEP.join((kind, variant, front, back, "" if extra_json == "{}" else extra_json))


def card_text(card: ParsedCard) -> str:
    """The text that identifies a card: kind, variant, front, back and kind-specific data.
    The heading path and line are *not* part of it, so moving a card keeps its identity."""
    return join_card_text(card.kind, card.variant, card.front, card.back, _extra_text(card) or "{}")


def text_hash(text: str) -> str:
    """sha256 hex of ``text``: ``content_hash`` is that of ``card_text``, ``norm_hash`` of its ``normalise``."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(card: ParsedCard) -> str:
    return text_hash(card_text(card))


# ASCII bytes that are not letters or digits become a space; other bytes are kept.
_ASCII_NOT_WORD = bytes(c if c >= 128 or chr(c).isalnum() else 32 for c in range(256))
_ASCII_BYTES = bytes(range(128))


def normalise(text: str) -> str:
    """Case-folded, NFKC, punctuation and symbols removed, whitespace collapsed.

    The same as ``_NOT_WORD.sub(" ", nfkc_casefolded).strip()``, computed faster on the
    UTF-8 bytes (the regular expression tests every character's Unicode class): ASCII
    characters go through a byte table, the few distinct other characters are tested once
    each with ``str.isalnum`` (what ``\\w`` tests) and replaced, and runs of spaces are
    collapsed by split/join. UTF-8 is self-synchronising, so replacing one character's
    bytes never touches another character."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    folded = text.casefold()
    try:
        data = folded.encode("utf-8").translate(_ASCII_NOT_WORD)
    except UnicodeEncodeError:  # lone surrogates: not text a deck file holds; the plain way
        return _NOT_WORD.sub(" ", folded).strip()
    if not folded.isascii():
        for ch in set(data.translate(None, _ASCII_BYTES).decode("utf-8")):
            if not ch.isalnum():
                data = data.replace(ch.encode("utf-8"), b" ")
    return b" ".join(data.split()).decode("utf-8")


def norm_hash(card: ParsedCard) -> str:
    return text_hash(normalise(card_text(card)))


def similarity(a: str, b: str) -> float:
    """Similarity of two normalised texts in [0, 1] (difflib ratio, with cheap upper bounds first)."""
    if a == b:
        return 1.0
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < SIMILARITY_THRESHOLD or matcher.quick_ratio() < SIMILARITY_THRESHOLD:
        return matcher.quick_ratio()
    return matcher.ratio()


def stable_uid(deck_key: str, chash: str, taken: set[str] | None = None) -> str:
    """A card uid derived from its deck and first content, so two machines importing the same
    deck give the same uids (exports merge). Kept for life even when the text changes."""
    base = hashlib.sha256(f"{deck_key}{_SEP}{chash}".encode()).hexdigest()[:20]
    uid, n = base, 1
    while taken is not None and uid in taken:
        n += 1
        uid = f"{base}-{n}"
    return uid
