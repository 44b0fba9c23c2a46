"""Export cards for Anki: a notes TSV with Anki's header lines, or an ``.apkg`` (genanki).

Every card becomes one note of a two-field type (Front, Back) whose GUID is stable:
the GUID the card came with from Anki (``extra["anki_guid"]``, see
``studyllm.decks.anki_tsv``), else ``genanki.guid_for("studyllm", card uid)``. Card uids
survive edits of the Markdown, so exporting again and re-importing into Anki updates the
same notes instead of adding copies. Deck and note-type ids are derived from fixed
strings for the same reason. Markdown is rendered to HTML (raw HTML in a card is escaped,
not passed through). The ``.apkg`` carries each card's schedule (due day, interval, ease,
lapses, queue) and its review log, written into genanki's collection (:func:`_write_schedule`);
Anki takes them over when "Import any learning progress" is ticked. The notes
are read with a SQLModel ``select()``; the package replaces its file atomically (the CLI writes the TSV so too).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from sqlmodel import col

from studyllm.store.atomic import atomic_path
from studyllm.store.models import AnkiCard, Card, Deck
from studyllm.store.orm import columns, session
from studyllm.store.service import Store

__all__ = ["AnkiNote", "anki_guid", "iter_notes", "export_anki_tsv", "export_apkg", "export_colpkg", "stable_id",
           "MODEL_NAME"]

MODEL_NAME = "studyllm Basic"
DECK_PREFIX = "studyllm"
_TAG_BAD = re.compile(r"\s+")

_CSS = """.card { font-family: sans-serif; font-size: 20px; text-align: left; color: black; background: white; }
pre { background: #f4f4f4; padding: 6px; }"""


def stable_id(*parts: str) -> int:
    """A 31-bit id from fixed strings (Anki deck and model ids), in genanki's suggested range."""
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest()
    return (1 << 30) + int.from_bytes(digest[:4], "big") % (1 << 30)


def anki_guid(
    card_uid: str, extra: dict[str, Any] | None = None, imported: tuple[str, int] | None = None
) -> str:
    """The note GUID of a card: the one it came with from Anki (``imported``: the ``anki_card``
    row of an ``.apkg`` import, as (guid, template ordinal); or ``extra["anki_guid"]`` of a TSV
    import), else one derived from its uid. Each card is exported as a note of its own, so a
    second card of one Anki note (its reverse, a ``c2`` cloze) gets a GUID derived from the
    note's and its ordinal."""
    import genanki

    if imported is not None and imported[0]:
        return imported[0] if imported[1] == 0 else genanki.guid_for(imported[0], imported[1])
    guid = (extra or {}).get("anki_guid")
    if isinstance(guid, str) and guid and "\t" not in guid and "\n" not in guid:
        return guid
    return genanki.guid_for("studyllm", card_uid)


@dataclass(frozen=True)
class AnkiNote:
    guid: str
    deck_key: str
    deck_name: str
    front: str  # HTML
    back: str  # HTML
    tags: tuple[str, ...]
    uid: str = ""  # the studyllm card
    source: str = ""  # the deck file (its folder is where the card's media are looked up)


MediaNamer = Callable[[str, str], "str | None"]  # (deck file, link) -> Anki media name, or None


def _renderer(media: MediaNamer | None = None) -> Callable[[str, str], str]:
    """Markdown -> HTML (raw HTML escaped). With ``media``, an image linking a media file gets
    its Anki media name as ``src`` and a link to a sound file becomes Anki's ``[sound:name]``
    (changed in markdown-it's token stream, before rendering)."""
    from urllib.parse import unquote

    from markdown_it import MarkdownIt

    md = MarkdownIt("commonmark", {"html": False}).enable("table")

    def render(text: str, source: str) -> str:
        if media is None:
            return md.render(text or "").strip()
        tokens = md.parse(text or "")
        for block in tokens:
            if not block.children:
                continue
            out = []
            kids = block.children
            k = 0
            while k < len(kids):
                t = kids[k]
                if t.type == "image":
                    name = media(source, unquote(str(t.attrGet("src") or "")))
                    if name is not None:
                        t.attrSet("src", name)
                elif t.type == "link_open" and Path(unquote(str(t.attrGet("href") or ""))).suffix.lower() in _SOUND_EXT:
                    close = next((j for j in range(k + 1, len(kids)) if kids[j].type == "link_close"), None)
                    name = media(source, unquote(str(t.attrGet("href") or ""))) if close is not None else None
                    if name is not None and close is not None:
                        sound = kids[k + 1] if close == k + 2 and kids[k + 1].type == "text" else None
                        if sound is not None:
                            sound.content = f"[sound:{name}]"
                            out.append(sound)
                            k = close + 1
                            continue
                out.append(t)
                k += 1
            block.children = out
        return str(md.renderer.render(tokens, md.options, {})).strip()

    return render


def _tag(t: str) -> str:
    return _TAG_BAD.sub("_", t.strip())


def _front_markdown(kind: str, front: str, extra: dict[str, Any]) -> str:
    if kind == "mcq" and isinstance(extra.get("choices"), list):
        choices = "\n".join(
            f"{i}. {c.get('text', '')}" for i, c in enumerate(extra["choices"], 1) if isinstance(c, dict))
        return f"{front}\n\n{choices}"
    return front


def iter_notes(store: Store, deck_keys: list[str] | None = None, media: MediaNamer | None = None) -> Iterator[AnkiNote]:
    """Live (not archived) cards of live decks, in deck then card order (``media``: see :func:`_renderer`)."""
    render = _renderer(media)
    query = (
        columns(Card.uid, Card.kind, Card.front, Card.back, Card.extra, Card.tags, Deck.key, Deck.title, Deck.tags,
                AnkiCard.guid, AnkiCard.ord, Deck.source_path)
        .join(Deck, col(Deck.id) == col(Card.deck_id))
        .outerjoin(AnkiCard, col(AnkiCard.card_id) == col(Card.id))
        .where(col(Card.archived) == False, col(Deck.archived) == False)  # noqa: E712 (SQL expressions)
        .order_by(col(Deck.position), col(Deck.id), col(Card.position), col(Card.id))
    )
    if deck_keys:
        query = query.where(col(Deck.key).in_(deck_keys))
    with session(store.database) as s:
        rows = s.exec(query).all()
    for uid, kind, front, back, extra_raw, tags_raw, key, title, deck_tags, guid, ordinal, source in rows:
        extra = json.loads(extra_raw or "{}")
        raw_tags = [*json.loads(deck_tags or "[]"), *json.loads(tags_raw or "[]")]
        tags = tuple(dict.fromkeys(t for t in (_tag(x) for x in raw_tags) if t))
        yield AnkiNote(
            guid=anki_guid(uid, extra, (guid, ordinal or 0) if guid else None), deck_key=key,
            deck_name=f"{DECK_PREFIX}::{title.replace('::', ':')}",
            front=render(_front_markdown(kind, front, extra), source or ""), back=render(back, source or ""),
            tags=tags, uid=uid, source=source or "",
        )


def export_anki_tsv(store: Store, out: TextIO, *, deck_keys: list[str] | None = None) -> int:
    """Write notes as Anki's text import reads them. Returns the number of notes."""
    out.write("#separator:tab\n#html:true\n#notetype:Basic\n#guid column:1\n#deck column:2\n#tags column:5\n")
    n = 0
    for note in iter_notes(store, deck_keys):
        fields = (note.guid, note.deck_name, note.front, note.back, " ".join(note.tags))
        out.write("\t".join(_field(f) for f in fields) + "\n")
        n += 1
    return n


def _field(value: str) -> str:
    """CSV quoting as Anki reads it; a field starting with ``#`` is quoted too, or Anki would
    take a line whose GUID starts with ``#`` for a comment."""
    if any(ch in value for ch in '\t\n\r"') or value.startswith("#"):
        return '"' + value.replace('"', '""') + '"'
    return value


def export_colpkg(store: Store, path: Path) -> int:
    """Write the whole collection as an Anki collection package (``.colpkg``): every live deck,
    each card's schedule and the review log, in the legacy layout (``collection.anki2`` and a JSON
    ``media`` map) that every Anki since 2.1 opens. Anki replaces its collection with it
    (File > Import), so the schedule always comes along. Returns the number of notes."""
    return export_apkg(store, path)


_SOUND_EXT = frozenset(".mp3 .ogg .oga .opus .wav .flac .m4a .aac .webm .mp4 .mkv .mov .3gp .spx".split())


class _Media:
    """The media files a package carries: images and sound files that the cards link to with a
    relative path inside their deck file's folder (as an import writes them, ``media/x.png``).
    Each gets a flat Anki media name (its file name; a second file of that name gets a prefix)."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.names: dict[Path, str] = {}
        self.taken: set[str] = set()

    def __call__(self, source: str, ref: str) -> str | None:
        """The media name of the file ``ref`` (a link of a card of the deck file ``source``)."""
        from urllib.parse import unquote, urlsplit

        if not source or urlsplit(ref).scheme or ref.startswith(("/", "\\", "#")):
            return None
        base = Path(source).parent.resolve()
        try:
            target = (base / unquote(ref)).resolve()
        except (OSError, ValueError):
            return None
        if not target.is_relative_to(base) or not target.is_file():
            return None  # outside the deck's folder, or missing: left as it is
        if target not in self.names:
            name = target.name
            if name in self.taken:
                name = f"{hashlib.sha256(str(target).encode()).hexdigest()[:8]}-{name}"
            self.taken.add(name)
            self.names[target] = name
            import shutil

            shutil.copyfile(target, self.folder / name)
        return self.names[target]

    @property
    def files(self) -> list[str]:
        return [str(self.folder / n) for n in self.names.values()]


def export_apkg(store: Store, path: Path, *, deck_keys: list[str] | None = None) -> int:
    """Write an Anki package (one Anki deck per studyllm deck). Returns the number of notes."""
    import warnings

    import genanki

    model = genanki.Model(
        stable_id("studyllm", "model", "basic", "v1"),
        MODEL_NAME,
        fields=[{"name": "Front"}, {"name": "Back"}],
        templates=[{
            "name": "Card 1",
            "qfmt": "{{Front}}",
            "afmt": '{{FrontSide}}<hr id="answer">{{Back}}',
        }],
        css=_CSS,
    )
    decks: dict[str, Any] = {}
    uids: dict[str, str] = {}
    n = 0
    import tempfile

    with warnings.catch_warnings(), tempfile.TemporaryDirectory(prefix="studyllm-media-") as media_dir:
        # card text is rendered with raw HTML escaped; genanki's tag check only adds noise
        warnings.filterwarnings("ignore", module="genanki")
        media = _Media(Path(media_dir))
        for note in iter_notes(store, deck_keys, media):
            deck = decks.get(note.deck_key)
            if deck is None:
                deck = decks[note.deck_key] = genanki.Deck(stable_id("studyllm", "deck", note.deck_key), note.deck_name)
            deck.add_note(
                genanki.Note(model=model, fields=[note.front, note.back], guid=note.guid, tags=list(note.tags)))
            uids[note.guid] = note.uid
            n += 1
        if not decks:
            decks["-"] = genanki.Deck(stable_id("studyllm", "deck", "-"), DECK_PREFIX)
        with atomic_path(path) as tmp:  # a failed write leaves the previous package whole
            genanki.Package(list(decks.values()), media_files=media.files).write_to_file(
                str(tmp), timestamp=store.clock.now().timestamp())
            _write_schedule(store, tmp, uids)
    return n


def _memory_data(fsrs_state: str | None, retention: float) -> str:
    """A card's ``cards.data`` for Anki: under FSRS its memory state, as Anki's FSRS keeps it
    (``s`` stability, ``d`` difficulty, ``dr`` desired retention, ``lrt`` last review, seconds)."""
    if not fsrs_state:
        return ""
    try:
        fs = json.loads(fsrs_state)
        s, d = float(fs["stability"]), float(fs["difficulty"])
    except (ValueError, TypeError, KeyError):
        return ""
    from datetime import datetime

    out: dict[str, Any] = {"s": round(s, 4), "d": round(d, 3), "dr": retention}
    if fs.get("last_review"):
        out["lrt"] = int(datetime.fromisoformat(fs["last_review"]).timestamp())
    return json.dumps(out, separators=(",", ":"))


def _write_schedule(store: Store, package: Path, uids: dict[str, str]) -> None:
    """Put each card's state and review log into the package genanki wrote (its notes are
    found by GUID; ``uids`` maps GUID -> studyllm card uid)."""
    import sqlite3
    import tempfile
    import zipfile
    from datetime import UTC, date, datetime

    from studyllm.clock import study_day
    from studyllm.store.constants import MAX_DURATION_MS

    with zipfile.ZipFile(package) as z:
        members = {name: z.read(name) for name in z.namelist()}
    zone, rollover = store.clock.zone(), store.setting("rollover_hour")
    today = store.today().isoformat()
    retention = float(store.setting("desired_retention"))
    with tempfile.TemporaryDirectory(prefix="studyllm-apkg-") as folder:
        db = Path(folder) / "collection.anki2"
        db.write_bytes(members["collection.anki2"])
        con = sqlite3.connect(db)
        try:
            crt = con.execute("SELECT crt FROM col").fetchone()[0]
            day0 = study_day(datetime.fromtimestamp(crt, UTC), zone, rollover)
            cards = con.execute("SELECT c.id, n.guid FROM cards c JOIN notes n ON n.id = c.nid").fetchall()
            used_ids: set[int] = set()
            with store.database.connect() as ours:
                for anki_id, guid in cards:
                    uid = uids.get(guid)
                    if uid is None:
                        continue
                    row = ours.execute(
                        "SELECT s.card_id, s.reviews, s.interval, s.ef_centi, s.due_day, s.lapses, s.suspended,"
                        " s.buried_until, s.fsrs_state FROM card_state s JOIN card c ON c.id = s.card_id"
                        " WHERE c.uid = ?", (uid,)).fetchone()
                    if row is None or not row[1]:
                        continue
                    card_id, reviews, interval, ef, due_day, lapses, suspended, buried, fsrs_state = row
                    due = (date.fromisoformat(due_day) - day0).days if due_day else 0
                    queue = -1 if suspended else (-3 if buried and buried > today else 2)
                    con.execute("UPDATE cards SET type = 2, queue = ?, due = ?, ivl = ?, factor = ?, reps = ?,"
                                " lapses = ?, data = ? WHERE id = ?",
                                (queue, due, max(1, interval), ef * 10, reviews, lapses,
                                 _memory_data(fsrs_state, retention), anki_id))
                    for at, grade, ms, kind, ivl_before, ef_after, ivl_after in ours.execute(
                            "SELECT reviewed_at, grade, duration_ms, kind, interval_before, ef_after, interval_after"
                            " FROM review_log WHERE card_id = ? ORDER BY reviewed_at, id", (card_id,)):
                        rid = int(datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp() * 1000)
                        while rid in used_ids:
                            rid += 1
                        used_ids.add(rid)
                        rtype = {"new": 0, "relearn": 2}.get(kind, 1)
                        con.execute(
                            "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type)"
                            " VALUES (?, ?, -1, ?, ?, ?, ?, ?, ?)",
                            (rid, anki_id, max(1, min(4, grade - 1)), ivl_after, ivl_before, ef_after * 10,
                             max(0, min(ms, MAX_DURATION_MS)), rtype))
            # Anki unburies every card when it opens a collection whose last unburying day is
            # before today: as a whole collection (.colpkg) the buried cards must stay buried
            (conf_raw,) = con.execute("SELECT conf FROM col").fetchone()
            conf = json.loads(conf_raw or "{}")
            conf["lastUnburied"] = (date.fromisoformat(today) - day0).days
            con.execute("UPDATE col SET conf = ?", (json.dumps(conf),))
            con.commit()
        finally:
            con.close()
        members["collection.anki2"] = db.read_bytes()
    with zipfile.ZipFile(package, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
