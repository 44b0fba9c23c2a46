"""Card identity (pure): content hashes, normalised text, similarity, and the matching ladder.

Re-importing an edited deck pairs each parsed card with a stored card of the same deck by
climbing a ladder (:func:`match_cards`): exact hash -> normalised hash -> same text in another
syntax -> same unique question -> same unique answer in the same place -> similar text
(:data:`SIMILARITY_THRESHOLD`) -> otherwise a new card; near misses with history are offered as
possible rewrites. The rungs, thresholds and reasons are in ``docs/deck-format.md``.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
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
    return _sha256(text.encode("utf-8")).hexdigest()


_sha256 = hashlib.sha256


def content_hash(card: ParsedCard) -> str:
    return text_hash(card_text(card))


# ASCII bytes that are not letters or digits become a space; other bytes are kept.
_ASCII_NOT_WORD = bytes(c if c >= 128 or chr(c).isalnum() else 32 for c in range(256))
_ASCII_BYTES = bytes(range(128))
# the same for ASCII text, with the letters case-folded (A-Z to a-z, what casefold does to ASCII)
_ASCII_FOLD_NOT_WORD = bytes(ord(chr(c).lower()) if c < 128 and chr(c).isalnum() else (c if c >= 128 else 32)
                             for c in range(256))
# non-ASCII characters normalise() found to be letters or digits (bounded: a few MB at most)
_ALNUM_SEEN: set[str] = set()
_ALNUM_SEEN_MAX = 50_000


def normalise(text: str) -> str:
    """Case-folded, NFKC, punctuation and symbols removed, whitespace collapsed.

    The same as ``_NOT_WORD.sub(" ", nfkc_casefolded).strip()``, computed faster on the
    UTF-8 bytes (the regular expression tests every character's Unicode class): ASCII
    characters go through a byte table, the few distinct other characters are tested once
    each with ``str.isalnum`` (what ``\\w`` tests) and replaced, and runs of spaces are
    collapsed by split/join. UTF-8 is self-synchronising, so replacing one character's
    bytes never touches another character."""
    data = normalised_bytes(text)
    return data.decode("utf-8") if data is not None else _normalise_plain(text)


def normalised_bytes(text: str) -> bytes | None:
    """``normalise(text).encode("utf-8")``, without decoding it (what ``norm_hash`` hashes),
    or ``None`` for a text with lone surrogates (:func:`normalise` takes the plain way then)."""
    if text.isascii():
        # ASCII text is NFKC already and case-folds to its lower case: one byte table does both
        return b" ".join(text.encode("ascii").translate(_ASCII_FOLD_NOT_WORD).split())
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    folded = text.casefold()
    try:
        data = folded.encode("utf-8").translate(_ASCII_NOT_WORD)
    except UnicodeEncodeError:  # lone surrogates: not text a deck file holds
        return None
    if not folded.isascii():
        # only the characters not yet known to be letters or digits are tested (a set
        # difference, in C): a deck's CJK text repeats a few thousand characters
        for ch in set(data.translate(None, _ASCII_BYTES).decode("utf-8")) - _ALNUM_SEEN:
            if ch.isalnum():
                if len(_ALNUM_SEEN) < _ALNUM_SEEN_MAX:
                    _ALNUM_SEEN.add(ch)
            else:
                data = data.replace(ch.encode("utf-8"), b" ")
    return b" ".join(data.split())


def _normalise_plain(text: str) -> str:
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return _NOT_WORD.sub(" ", text.casefold()).strip()


def norm_text_hash(text: str) -> str:
    """``text_hash(normalise(text))``, hashing the normalised UTF-8 bytes as they are made."""
    data = normalised_bytes(text)
    if data is None:
        return text_hash(_normalise_plain(text))
    return _sha256(data).hexdigest()


def norm_hash(card: ParsedCard) -> str:
    return norm_text_hash(card_text(card))


def card_hashes(card: ParsedCard) -> tuple[str, str]:
    """``(content_hash(card), norm_hash(card))`` in one call, the text built and encoded once
    (a first import's loop over every card)."""
    text = card_text(card) if card.extra else _SEP.join((card.kind, card.variant, card.front, card.back, ""))
    norm = normalised_bytes(text)
    return (_sha256(text.encode("utf-8")).hexdigest(),
            _sha256(norm).hexdigest() if norm is not None else text_hash(_normalise_plain(text)))


# Up to this many characters (both texts together), similarity compares characters; longer
# texts compare words (CJK characters count as words). difflib's ratio is quadratic in the
# length of what it compares: on characters it took 14 ms for two 300-character cards.
CHAR_RATIO_MAX = 120
_CJK = "\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\u3040-\u30ff"  # ideographs, kana, hangul
_TOKEN = re.compile(f"[{_CJK}]|[^\\s{_CJK}]+")


def tokens(text: str) -> list[str]:
    """Words of a normalised text; each CJK character (ideographs, kana, hangul) is one word."""
    return _TOKEN.findall(text)


def similarity(a: str, b: str, floor: float = SIMILARITY_THRESHOLD) -> float:
    """Similarity of two normalised texts in [0, 1]: difflib's ratio on characters for short
    texts (``CHAR_RATIO_MAX``), on words for longer ones, with its cheap upper bounds first.
    Exact when it is at least ``floor``; below ``floor`` it may be an upper bound."""
    if a == b:
        return 1.0
    if len(a) + len(b) <= CHAR_RATIO_MAX:
        matcher = SequenceMatcher(None, a, b, autojunk=False)
    else:
        matcher = SequenceMatcher(None, tokens(a), tokens(b), autojunk=False)
    bound = matcher.real_quick_ratio()
    if bound < floor:
        return bound
    quick = matcher.quick_ratio()
    if quick < floor:
        return quick
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


# --------------------------------------------------------------------------- matching
#
# The ladder a re-import climbs for every card of the file that has no stored twin yet. Each
# layer only sees the cards the layers above left unmatched, and each runs in time linear in
# the number of cards (dictionaries, and a bounded number of similarity scores per card).

# Same question, new answer: the question must be unique on both sides (among the file's
# cards, and among the stored cards still unmatched) and not empty once normalised.
# Same answer, edited question: the same heading path, the answer unique on both sides, and
# either an answer of at least ANSWER_MIN_CHARS normalised characters (a real sentence, not
# "Yes" or "O(n)") or questions at least QUESTION_SIMILAR alike.
ANSWER_MIN_CHARS = 12
QUESTION_SIMILAR = 0.5
# Similar text under another heading (a card moved and edited at once) needs more than the
# same-heading threshold.
MOVED_SIMILARITY_THRESHOLD = 0.9
# Below the automatic thresholds, a stored card with history and a new card that score at
# least this much are listed as a possible rewrite for the learner to confirm.
REWRITE_MIN = 0.4
# Candidate pairs per card: the cards at nearby positions in the same heading path
# (NEIGHBOURS each side) and the cards sharing the most rare words (RARE_WORD_DF: words in
# more stored cards than this are ignored; WORD_CANDIDATES best kept). Only these pairs get a
# similarity score, which keeps the similar-text layer linear.
NEIGHBOURS = 2
RARE_WORD_DF = 16
WORD_CANDIDATES = 3
SCORED_CANDIDATES = 3  # of these, the ones sharing the most words get a similarity score

LAYERS = ("exact", "normalised", "syntax", "question", "answer", "similar", "moved-similar", "linked")


@dataclass(frozen=True)
class MatchCard:
    """What matching needs of one card, stored (``key`` = card id) or parsed (``key`` = index)."""

    key: int
    kind: str
    variant: str
    front: str
    back: str
    extra: str  # JSON text, "{}" when empty
    heading_path: str  # JSON text
    position: int
    content_hash: str
    norm_hash: str
    archived: bool = False
    history: bool = False  # stored card that has been answered


@dataclass(frozen=True)
class Rewrite:
    """A stored card with history and a new card that may be the same card, rewritten."""

    old: int  # stored card id
    new: int  # index of the parsed card
    score: float


@dataclass
class Matching:
    pairs: dict[int, tuple[int, str, float]] = field(default_factory=dict)  # new index -> (old id, layer, score)
    rewrites: list[Rewrite] = field(default_factory=list)


class _Side:
    """Normalised pieces of one card, computed once and only when a layer asks."""

    __slots__ = ("card", "_front", "_back", "_text", "_words", "_answers")

    def __init__(self, card: MatchCard):
        self.card = card
        self._front: str | None = None
        self._back: str | None = None
        self._text: str | None = None
        self._words: frozenset[str] | None = None
        self._answers: str | None = None

    @property
    def front(self) -> str:
        if self._front is None:
            self._front = normalise(self.card.front)
        return self._front

    @property
    def back(self) -> str:
        if self._back is None:
            extra, self._answers = _extra_for_matching(self.card.extra)
            self._back = normalise(self.card.back + " " + extra)
        return self._back

    @property
    def answers(self) -> str:
        """A cloze card's hidden text, normalised ("" for other kinds): which deletion it asks,
        whatever its number (``c2``), position (``d1``, ``hl1``) or syntax."""
        if self._answers is None:
            self._answers = _extra_for_matching(self.card.extra)[1]
        return self._answers

    @property
    def text(self) -> str:
        if self._text is None:
            self._text = (self.front + " " + self.back).strip()
        return self._text

    @property
    def words(self) -> frozenset[str]:
        if self._words is None:
            self._words = frozenset(w for w in tokens(self.text) if len(w) >= 3 or not w.isascii())
        return self._words


def _extra_for_matching(extra: str) -> tuple[str, str]:
    """Card data as the text rungs compare it, and a cloze's hidden text (normalised, "" if
    none). The cloze ``index`` (``c1``, ``d2``, ``hl1``) is left out: it names the deletion's
    number or position, not its text, so a cloze written as ``C: [x]`` or ``==x==`` instead of
    ``{{c1::x}}``, or renumbered, is the same card. The JSON is read once per card."""
    if extra == "{}":
        return "", ""
    if '"index"' not in extra:
        return extra, ""
    try:
        data = json.loads(extra)
    except ValueError:
        return extra, ""
    if not isinstance(data, dict):
        return extra, ""
    data.pop("index", None)
    answers = data.get("answers")
    hidden = normalise(" ".join(str(a) for a in answers)) if isinstance(answers, list) else ""
    return (json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":")) if data else ""), hidden


def _unique_index(sides: list[_Side], key: Callable[[_Side], object]) -> dict[object, _Side | None]:
    """key -> the one side with that key, or None when several share it (None keys left out)."""
    out: dict[object, _Side | None] = {}
    for s in sides:
        k = key(s)
        if k is not None:
            out[k] = None if k in out else s
    return out


def match_cards(
    old: list[MatchCard], new: list[MatchCard],
    old_text: Callable[[list[int]], dict[int, tuple[str, str, str]]] | None = None,
    *, fronts: Counter[str] | None = None, backs: Counter[str] | None = None,
) -> Matching:
    """Pair parsed cards with stored cards of the same deck, layer by layer (see
    ``docs/deck-format.md``). A stored card is paired at most once; between stored cards with
    the same text, a live one is preferred to an archived one.

    ``old_text``, when given, loads (front, back, extra) of the stored cards still unmatched
    after the hash layers: the stored ``MatchCard`` records may then leave their text empty,
    so an unchanged or lightly edited deck never reads every card's text. ``new`` may be only
    the file's cards that found no exact twin, with ``fronts``/``backs`` counting the exact
    fronts and backs of all the file's cards (the "unique in the file" test)."""
    result = Matching()
    if not old:
        return result
    free_old: dict[int, MatchCard] = {o.key: o for o in old}

    def claim(n: MatchCard, o: MatchCard, layer: str, score: float = 1.0) -> None:
        result.pairs[n.key] = (o.key, layer, score)
        del free_old[o.key]

    # exact, then normalised hash: equal texts pair off in file order, live ones first
    for layer, attr in (("exact", "content_hash"), ("normalised", "norm_hash")):
        pending = [n for n in new if n.key not in result.pairs]
        if not pending or not free_old:
            break
        by: dict[str, list[MatchCard]] = defaultdict(list)
        # each bucket is kept reversed, so pop() takes its first card
        for o in sorted(free_old.values(), key=lambda o: (not o.archived, -o.position)):
            by[getattr(o, attr)].append(o)
        for n in pending:
            bucket = by.get(getattr(n, attr))
            while bucket:
                o = bucket.pop()
                if o.key in free_old:
                    claim(n, o, layer)
                    break
    if len(result.pairs) == len(new) or not free_old:
        return result
    if old_text is not None:
        texts = old_text(list(free_old))
        for k, (front, back, extra) in texts.items():
            if k in free_old:
                free_old[k] = replace(free_old[k], front=front, back=back, extra=extra)

    new_sides = {n.key: _Side(n) for n in new if n.key not in result.pairs}
    # exact fronts and backs of every card of the file: a text two of its cards share is no identity
    file_fronts = fronts if fronts is not None else Counter(n.front for n in new)
    file_backs = backs if backs is not None else Counter(n.back for n in new)
    old_sides = {k: _Side(o) for k, o in free_old.items()}

    def keyed_layer(
        layer: str, key: Callable[[_Side], object],
        raw: Callable[[MatchCard], tuple[tuple[Counter[str], str], ...]],
        ok: Callable[[_Side, _Side], bool],
    ) -> None:
        sides = [new_sides[n.key] for n in new if n.key not in result.pairs]
        if not sides or not free_old:
            return
        # unique in the file (its exact text: no two cards of the file share it), and unique
        # once normalised among the file's unmatched cards and the stored cards still free
        # (a card of the file that matched by hash has a stored twin claimed already)
        on_new = _unique_index(sides, key)
        on_old = _unique_index([old_sides[k] for k in free_old], key)
        for s in sides:
            if any(counts[text] > 1 for counts, text in raw(s.card)):
                continue
            k = key(s)
            if k is None or on_new.get(k) is not s:
                continue
            o = on_old.get(k)
            if o is not None and o.card.key in free_old and ok(s, o):
                claim(s.card, o.card, layer)

    def always(_a: _Side, _b: _Side) -> bool:
        return True

    # the same text written in another syntax (kind or variant name changed)
    keyed_layer("syntax", lambda s: (s.front, s.back) if s.front else None,
                lambda c: ((file_fronts, c.front), (file_backs, c.back)), always)
    # same question, whatever the answer became
    keyed_layer("question", lambda s: (s.card.kind, s.card.variant, s.front) if s.front else None,
                lambda c: ((file_fronts, c.front),), always)

    # same answer in the same place, question edited
    def answer_ok(a: _Side, b: _Side) -> bool:
        return len(a.back) >= ANSWER_MIN_CHARS or similarity(a.front, b.front, QUESTION_SIMILAR) >= QUESTION_SIMILAR

    keyed_layer(
        "answer",
        lambda s: (s.card.kind, s.card.variant, s.card.heading_path, s.back) if s.back else None,
        lambda c: ((file_backs, c.back),),
        answer_ok,
    )

    left = [new_sides[n.key] for n in new if n.key not in result.pairs]
    if not left or not free_old:
        return result
    scored = _score_candidates(left, [old_sides[k] for k in free_old])
    # automatic pairs: best text similarity first, each card at most once; cloze cards that
    # hide the same text first (a deletion added before them renumbers d2 -> d3, hl1 -> hl2)
    scored.sort(key=lambda t: (not _same_deletion(t[2], t[3]), -t[0], t[2].card.key, t[3].card.key))
    for score, _hint, n_side, o_side in scored:
        n, o = n_side.card, o_side.card
        if n.key in result.pairs or o.key not in free_old:
            continue
        same_place = n.heading_path == o.heading_path
        if n.kind == o.kind and (n.variant == o.variant or _same_deletion(n_side, o_side)) and (
            score >= (SIMILARITY_THRESHOLD if same_place else MOVED_SIMILARITY_THRESHOLD)
        ):
            claim(n, o, "similar" if same_place else "moved-similar", score)
    # possible rewrites among what is left: a stored card with history, best score first
    scored.sort(key=lambda t: (-t[1], t[2].card.key, t[3].card.key))
    taken: set[tuple[str, int]] = set()
    for _score, hint, n_side, o_side in scored:
        n, o = n_side.card, o_side.card
        if (hint < REWRITE_MIN or not o.history or n.key in result.pairs or o.key not in free_old
                or ("n", n.key) in taken or ("o", o.key) in taken):
            continue
        taken.update({("n", n.key), ("o", o.key)})
        result.rewrites.append(Rewrite(old=o.key, new=n.key, score=round(hint, 3)))
    return result


def _same_deletion(a: _Side, b: _Side) -> bool:
    """Two cloze cards that hide the same (normalised) text."""
    return a.card.kind == "cloze" == b.card.kind and bool(a.answers) and a.answers == b.answers


def _dice(a: frozenset[str], b: frozenset[str]) -> float:
    return 2 * len(a & b) / (len(a) + len(b)) if a or b else 1.0


def _score_candidates(pending: list[_Side], free: list[_Side]) -> list[tuple[float, float, _Side, _Side]]:
    """Similarity scores for a bounded number of candidate pairs per pending card."""
    # neighbours: same heading path, nearby rank by position
    groups_old: dict[str, list[_Side]] = defaultdict(list)
    for o in sorted(free, key=lambda s: s.card.position):
        groups_old[o.card.heading_path].append(o)
    groups_new: dict[str, list[_Side]] = defaultdict(list)
    for n in sorted(pending, key=lambda s: s.card.position):
        groups_new[n.card.heading_path].append(n)
    cands: dict[int, dict[int, _Side]] = defaultdict(dict)
    for path, news in groups_new.items():
        olds = groups_old.get(path, [])
        if not olds:
            continue
        scale = len(olds) / len(news)
        for rank, n in enumerate(news):
            centre = int(rank * scale)
            for o in olds[max(0, centre - NEIGHBOURS): centre + NEIGHBOURS + 1]:
                cands[n.card.key][o.card.key] = o
    # rare shared words, anywhere in the deck
    postings: dict[str, list[_Side]] = defaultdict(list)
    for o in free:
        for w in o.words:
            postings[w].append(o)
    for n in pending:
        counts: dict[int, int] = defaultdict(int)
        by_key: dict[int, _Side] = {}
        for w in n.words:
            plist = postings.get(w)
            if plist is None or len(plist) > RARE_WORD_DF:
                continue
            for o in plist:
                counts[o.card.key] += 1
                by_key[o.card.key] = o
        for k in sorted(counts, key=lambda k: (-counts[k], k))[:WORD_CANDIDATES]:
            cands[n.card.key][k] = by_key[k]
    # cloze cards hiding the same text (their number or position may have changed)
    by_answers: dict[str, list[_Side]] = defaultdict(list)
    for o in free:
        if o.card.kind == "cloze" and o.answers and len(by_answers[o.answers]) < WORD_CANDIDATES:
            by_answers[o.answers].append(o)
    for n in pending:
        if n.card.kind == "cloze" and n.answers:
            for o in by_answers.get(n.answers, ()):
                cands[n.card.key][o.card.key] = o
    out: list[tuple[float, float, _Side, _Side]] = []  # (text similarity, rewrite score, new, old)
    for n in pending:
        # the candidates sharing the most words (Dice on word sets) get a full score
        # (a cloze card hiding the same text ranks first: the cards of one note share their words)
        ranked = sorted(cands.get(n.card.key, {}).values(),
                        key=lambda o: (not _same_deletion(n, o), -_dice(n.words, o.words), o.card.key)
                        )[:SCORED_CANDIDATES]
        for o in ranked:
            score = similarity(n.text, o.text, REWRITE_MIN)
            hint = score
            if score < REWRITE_MIN:
                # a rewritten answer under a kept (but not unique) question: the question alone
                # makes it a possible rewrite, never an automatic match
                hint = max(score, similarity(n.front, o.front, REWRITE_MIN) * 0.8)
            out.append((score, hint, n, o))
            if score >= SIMILARITY_THRESHOLD:
                break  # the best-ranked candidate that clears the bar: the rest rank lower
    return out
