"""Import an Anki package (``.apkg`` / ``.colpkg``) with its review history.

Both layouts Anki writes are read: the legacy one (``collection.anki2`` / ``collection.anki21``,
a plain SQLite file of schema 11, media map as JSON) and the current one (``collection.anki21b``,
zstd-compressed SQLite of schema 18, a ``meta`` protobuf, a zstd-compressed protobuf media map
and zstd-compressed media files). zstd is read with the ``zstandard`` package.

Notes become Markdown deck files (one per Anki deck, ``A::B`` as ``A/B.md``) written into a deck
folder as Obsidian_to_Anki ``START`` … ``END`` notes, which name their note type (Basic,
``Basic (and reversed card)``, Cloze) and hold multi-line fields; field HTML becomes Markdown
with ``markdownify``. The files are then imported as any deck file (and tracked), and each
Anki card is found again among the cards of its note: its GUID and template ordinal go into
``anki_card``, its revlog rows become review-log rows (uid ``anki:<guid>:<ord>:<revlog id>``, so
a second import adds nothing), and its SM-2 state (interval, ease, due, lapses, queue) is taken
over unless the card was studied in studyllm after the package's last review.

Nothing is written before the whole package has been read and checked: a truncated zip, a zip
bomb (sizes checked before anything is inflated), a newer Anki schema or a media name that is
not a plain file name is a :class:`AnkiImportError` and changes nothing.
"""

from __future__ import annotations

import io
import json
import re
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from studyllm.clock import study_day
from studyllm.paths import expand_user
from studyllm.sm2 import MAX_INTERVAL_DAYS
from studyllm.store import constants as m
from studyllm.store.atomic import atomic_path
from studyllm.store.db import write_tx
from studyllm.store.export_format import MAX_YEAR, MIN_YEAR
from studyllm.store.service import Store

__all__ = ["AnkiImportError", "AnkiImportReport", "import_package", "ANKI_PACKAGE_SUFFIXES"]

ANKI_PACKAGE_SUFFIXES = (".apkg", ".colpkg")
MAX_MEMBER_BYTES = 1 << 30  # one file of the package, inflated
MAX_TOTAL_BYTES = 4 << 30  # the whole package, inflated
MAX_RATIO = 200  # a member that claims to inflate more than this is a zip bomb
NEWEST_SCHEMA = 18  # the collection schema of Anki 2.1.50 and later
NEWEST_PACKAGE_VERSION = 3  # PackageMetadata.Version.LATEST
# the values a collection may hold (anything else is damage, refused before anything is written)
_MIN_TS = int(datetime(MIN_YEAR, 1, 2, tzinfo=UTC).timestamp())  # instants: as import-progress takes them
_MAX_TS = int(datetime(MAX_YEAR, 12, 30, tzinfo=UTC).timestamp())
_MAX_STABILITY = 1e6  # days: an FSRS stability past this is not a memory state
_MAX_FACTOR = 100_000  # an ease of 100x
_MAX_COUNT = 1 << 31  # reps, lapses
_MAX_TEXT = 1000  # a GUID
_MAX_DECK_DEPTH = 16  # A::B::... past this is one folder name
_SAFE_MEDIA = re.compile(r"^[^/\\\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]+$")
_SOUND = re.compile(r"\[sound:([^\]\n]+)\]")
_LABEL_LINE = re.compile(r"^([A-Z][\w ]{0,30}):(?:[ \t]|$)")


class AnkiImportError(Exception):
    """A package that cannot be imported; nothing was changed. The message names the file."""


@dataclass
class AnkiImportReport:
    path: str
    layout: str = ""  # "legacy (collection.anki2)", "current (collection.anki21b)" ...
    notes: int = 0
    cards: int = 0
    cards_matched: int = 0
    reviews_imported: int = 0
    reviews_known: int = 0  # already in the store (a re-import, or exported from here)
    states_taken: int = 0
    fsrs_states: int = 0  # FSRS memory states taken over (the scheduler setting is FSRS)
    files: list[str] = field(default_factory=list)
    media: int = 0
    warnings: list[str] = field(default_factory=list)
    deck_report: Any = None  # the ImportReport of the written deck files

    def as_dict(self) -> dict[str, Any]:
        from studyllm.store.importer import report_dict

        return {
            "package": self.path, "layout": self.layout, "notes": self.notes, "cards": self.cards,
            "cards_matched": self.cards_matched, "reviews_imported": self.reviews_imported,
            "reviews_known": self.reviews_known, "states_taken": self.states_taken,
            "fsrs_states": self.fsrs_states, "files": self.files,
            "media": self.media, "warnings": self.warnings,
            "decks": report_dict(self.deck_report) if self.deck_report is not None else None,
        }


# -- reading the package -------------------------------------------------------------------


def _varint(buf: bytes, i: int) -> tuple[int, int]:
    shift = value = 0
    while True:
        if i >= len(buf) or shift > 63:
            raise ValueError("truncated varint")
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if not b & 0x80:
            return value, i
        shift += 7


def _fields(buf: bytes) -> list[tuple[int, int | bytes]]:
    """The (field number, value) pairs of one protobuf message (wire types 0, 1, 2, 5): the
    two small messages read here (PackageMetadata, MediaEntries) need no generated code."""
    out: list[tuple[int, int | bytes]] = []
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            v, i = _varint(buf, i)
            out.append((number, v))
        elif wire == 2:
            n, i = _varint(buf, i)
            if i + n > len(buf):
                raise ValueError("truncated field")
            out.append((number, buf[i:i + n]))
            i += n
        elif wire in (1, 5):
            size = 8 if wire == 1 else 4
            out.append((number, int.from_bytes(buf[i:i + size], "little")))
            i += size
        else:
            raise ValueError(f"wire type {wire}")
    return out


class _Package:
    def __init__(self, path: Path):
        self.path = path
        from studyllm.decks.source import DeckReadError, open_regular

        try:
            fh = open_regular(path)  # a FIFO would block, /dev/zero never ends
        except DeckReadError as exc:
            message = str(exc).replace("as decks", "as Anki packages").replace("a deck file", "a package")
            raise AnkiImportError(f"{path}: cannot read: {message}; nothing imported") from None
        try:
            self.zip = zipfile.ZipFile(fh)
            infos = self.zip.infolist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
            fh.close()
            raise AnkiImportError(
                f"{path}: not a readable Anki package (truncated or not a zip file: {exc})") from None
        total = 0
        for info in infos:
            total += info.file_size
            if info.file_size > MAX_MEMBER_BYTES or (
                    info.compress_size and info.file_size > 1 << 20
                    and info.file_size / info.compress_size > MAX_RATIO):
                raise AnkiImportError(f"{path}: member {info.filename!r} would inflate to {info.file_size} bytes "
                                      "(a zip bomb?); nothing imported")
        if total > MAX_TOTAL_BYTES:
            raise AnkiImportError(f"{path}: the package would inflate to {total} bytes; nothing imported")
        self.names = {i.filename for i in infos}

    def read(self, name: str, *, zstd: bool = False) -> bytes:
        try:
            data = self.zip.read(name)
        except (zipfile.BadZipFile, OSError, EOFError, KeyError) as exc:
            raise AnkiImportError(f"{self.path}: cannot read {name!r} from the package ({exc})") from None
        if not zstd:
            return data
        import zstandard

        try:
            reader = zstandard.ZstdDecompressor().stream_reader(io.BytesIO(data))
            out = bytearray()
            while chunk := reader.read(1 << 20):
                out += chunk
                if len(out) > MAX_MEMBER_BYTES:
                    raise AnkiImportError(f"{self.path}: {name!r} inflates past {MAX_MEMBER_BYTES} bytes "
                                          "(a zip bomb?); nothing imported")
        except zstandard.ZstdError as exc:
            raise AnkiImportError(f"{self.path}: {name!r} is damaged ({exc})") from None
        return bytes(out)


@dataclass
class _Note:
    id: int
    guid: str
    mid: int
    fields: list[str]
    tags: list[str]


@dataclass
class _ACard:
    id: int
    nid: int
    did: int
    ord: int
    type: int
    queue: int
    due: int
    ivl: int
    factor: int
    reps: int
    lapses: int
    odue: int
    odid: int
    data: str = ""  # JSON; under FSRS its memory state: {"s": stability, "d": difficulty, "lrt": ...}

    @property
    def memory(self) -> tuple[float, float, int | None] | None:
        """Anki's FSRS memory state (stability, difficulty, last review time in seconds or None),
        when the card has one."""
        try:
            d = json.loads(self.data) if self.data and self.data.startswith("{") else {}
            s, dif = float(d["s"]), float(d["d"])
            lrt = d.get("lrt")
            lrt = int(lrt) if isinstance(lrt, int | float) and 0 < lrt <= _MAX_TS else None
        except (ValueError, TypeError, KeyError, AttributeError, RecursionError, OverflowError):
            return None
        return (s, dif, lrt) if 0 < s <= _MAX_STABILITY and 1 <= dif <= 10 else None


@dataclass
class _Model:
    name: str
    cloze: bool
    fields: int
    templates: int

    @property
    def kind(self) -> str:
        if self.cloze:
            return "cloze"
        if self.fields == 2 and self.templates == 1:
            return "basic"
        if self.fields == 2 and self.templates == 2:
            return "reversed"
        return "other"


@dataclass
class _Collection:
    layout: str
    crt: int
    models: dict[int, _Model]
    decks: dict[int, str]  # id -> "A::B"
    notes: list[_Note]
    cards: list[_ACard]
    # card id -> revlog rows (id, ease, ivl, lastIvl, factor, time, type)
    revlog: dict[int, list[tuple[int, int, int, int, int, int, int]]]
    media: dict[str, bytes]


def read_package(path: Path) -> _Collection:
    pkg = _Package(path)
    version = 0
    if "meta" in pkg.names:
        try:
            version = next((int(v) for n, v in _fields(pkg.read("meta")) if n == 1 and isinstance(v, int)), 0)
        except ValueError:
            raise AnkiImportError(f"{path}: its 'meta' record is damaged") from None
        if version > NEWEST_PACKAGE_VERSION:
            raise AnkiImportError(
                f"{path}: written by a newer Anki (package version {version}; this studyllm reads up to "
                f"{NEWEST_PACKAGE_VERSION}); export it again with 'Support older Anki versions'")
    if "collection.anki21b" in pkg.names:
        layout, raw = "current (collection.anki21b, zstd)", pkg.read("collection.anki21b", zstd=True)
    elif "collection.anki21" in pkg.names:
        layout, raw = "legacy (collection.anki21)", pkg.read("collection.anki21")
    elif "collection.anki2" in pkg.names:
        layout, raw = "legacy (collection.anki2)", pkg.read("collection.anki2")
    else:
        raise AnkiImportError(f"{path}: no Anki collection in this package")
    zstd_media = layout.startswith("current")
    media_map: dict[str, str] = {}  # zip member -> file name
    if "media" in pkg.names:
        raw_map = pkg.read("media", zstd=zstd_media)
        try:
            if zstd_media:
                for idx, (n, entry) in enumerate(_fields(raw_map)):
                    if n != 1 or not isinstance(entry, bytes):
                        continue
                    ef = dict(_fields(entry))
                    raw_name = ef.get(1, b"")
                    member = ef.get(255, idx)
                    media_map[str(member)] = raw_name.decode("utf-8") if isinstance(raw_name, bytes) else ""
            else:
                loaded = json.loads(raw_map.decode("utf-8") or "{}")
                if not isinstance(loaded, dict):
                    raise ValueError("not an object")
                media_map = {str(k): str(v) for k, v in loaded.items()}
        except (ValueError, UnicodeDecodeError):
            raise AnkiImportError(f"{path}: its media map is damaged") from None
    for name in media_map.values():
        if not _SAFE_MEDIA.match(name) or name in (".", "..") or name.startswith("."):
            raise AnkiImportError(f"{path}: media file name {name!r} is not a plain file name (refused); "
                                  "nothing imported")
    media = {name: pkg.read(member, zstd=zstd_media) for member, name in media_map.items() if member in pkg.names}
    with tempfile.TemporaryDirectory(prefix="studyllm-anki-") as tmp:
        db = Path(tmp) / "collection.db"
        db.write_bytes(raw)
        try:
            con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
            try:
                colx = _read_collection(con, path, layout, media)
            finally:
                con.close()
        except sqlite3.DatabaseError as exc:
            raise AnkiImportError(f"{path}: its collection is not a readable Anki database ({exc})") from None
        except _Damaged as exc:
            raise AnkiImportError(f"{path}: its collection is damaged: {exc}; nothing imported") from None
    _check_collection(colx, path)
    return colx


class _Damaged(Exception):
    """A value of the collection that Anki never writes (the message says which)."""


def _whole(v: Any, what: str, lo: int = -(1 << 63), hi: int = (1 << 63) - 1) -> int:
    if type(v) is not int or not lo <= v <= hi:
        raise _Damaged(f"{what} is {str(v)[:40]!r}" + ("" if type(v) is not int else f", outside {lo}..{hi}"))
    return v


def _text(v: Any, what: str, *, empty: bool = True, limit: int | None = None) -> str:
    if v is None and empty:
        return ""
    if not isinstance(v, str) or (not empty and not v) or (limit is not None and len(v) > limit):
        raise _Damaged(f"{what} is {str(v)[:40]!r}, not "
                       + ("text" if limit is None else f"text of 1 to {limit} characters"))
    return v


def _json_object(raw: Any, what: str) -> dict[str, Any]:
    try:
        value = json.loads(raw or "{}")
    except (ValueError, TypeError, RecursionError):
        raise _Damaged(f"{what} is not JSON") from None
    if not isinstance(value, dict) or not all(isinstance(v, dict) for v in value.values()):
        raise _Damaged(f"{what} is not a JSON object of objects")
    return value


def _day_of_ts(ts: int) -> date:
    return datetime.fromtimestamp(ts, UTC).date()


def _plus(day: date, days: int) -> date:
    """``day`` + ``days``, or date.max when that is past the calendar."""
    try:
        return day + timedelta(days=days)
    except OverflowError:
        return date.max if days > 0 else date.min


def _check_collection(colx: _Collection, path: Path) -> None:
    """Every date the import will compute from the collection is a date (years MIN_YEAR to
    MAX_YEAR), every interval at most :data:`MAX_INTERVAL_DAYS`: so the import can't fail half-way."""
    day0 = _day_of_ts(colx.crt)
    lo, hi = date(MIN_YEAR, 1, 1), date(MAX_YEAR, 12, 31)

    def refuse(what: str) -> AnkiImportError:
        return AnkiImportError(f"{path}: its collection is damaged: {what}; nothing imported")

    for ac in colx.cards:
        if ac.type == 0:
            continue  # a new card's due is its position in the new queue
        due_num = ac.odue if ac.odid and ac.odue else ac.due
        if ac.queue in (1, 4) or (ac.type in (1, 3) and due_num > 1_000_000_000):
            if not _MIN_TS <= due_num <= _MAX_TS:
                raise refuse(f"card {ac.id} is due at {due_num}, not an instant of the years {MIN_YEAR} to {MAX_YEAR}")
        elif not -(hi - lo).days <= due_num <= (hi - lo).days or not lo <= _plus(day0, due_num) <= hi:
            raise refuse(f"card {ac.id} is due on day {due_num}, outside the years {MIN_YEAR} to {MAX_YEAR}")
    for cid, revs in colx.revlog.items():
        for rid, _ease, ivl, _last_ivl, _factor, _time_ms, _rtype in revs:
            if not _MIN_TS * 1000 <= rid <= _MAX_TS * 1000:
                raise refuse(f"review {rid} (card {cid}) is not an instant of the years {MIN_YEAR} to {MAX_YEAR}")
            if _plus(_day_of_ts(rid // 1000), max(0, ivl)) > hi:
                raise refuse(f"review {rid} (card {cid}) gives an interval of {ivl} days, past the year {MAX_YEAR}")


def _read_collection(con: sqlite3.Connection, path: Path, layout: str, media: dict[str, bytes]) -> _Collection:
    row = con.execute("SELECT crt, ver, models, decks FROM col").fetchone()
    if row is None:
        raise _Damaged("its 'col' table is empty")
    crt, ver, models_json, decks_json = row
    crt, ver = _whole(crt, "the creation time (col.crt)", _MIN_TS, _MAX_TS), _whole(ver, "the schema (col.ver)")
    if ver > NEWEST_SCHEMA:
        raise AnkiImportError(f"{path}: collection schema {ver} is newer than this studyllm reads "
                              f"(up to {NEWEST_SCHEMA}); nothing imported")
    models: dict[int, _Model] = {}
    decks: dict[int, str] = {}
    if ver >= 15 and con.execute("SELECT 1 FROM sqlite_master WHERE name = 'notetypes'").fetchone():
        for ntid, name, config in con.execute("SELECT id, name, config FROM notetypes"):
            what = f"note type {ntid}"
            if not isinstance(config, bytes | None):
                raise _Damaged(f"{what}: its config is not a protobuf")
            try:
                kind = next((v for n, v in _fields(config or b"") if n == 1 and isinstance(v, int)), 0)
            except ValueError:
                raise _Damaged(f"{what}: its config is not a protobuf") from None
            nf = con.execute("SELECT count(*) FROM fields WHERE ntid = ?", (ntid,)).fetchone()[0]
            nt = con.execute("SELECT count(*) FROM templates WHERE ntid = ?", (ntid,)).fetchone()[0]
            models[_whole(ntid, "a note type id")] = _Model(_text(name, f"{what}: its name"), kind == 1, nf, nt)
        decks = {_whole(did, "a deck id"): _text(name, f"deck {did}: its name").replace("\x1f", "::")
                 for did, name in con.execute("SELECT id, name FROM decks")}
    else:
        for mid, mdl in _json_object(models_json, "the note types (col.models)").items():
            what = f"note type {mid[:40]!r}"
            flds, tmpls = mdl.get("flds", []), mdl.get("tmpls", [])
            if not isinstance(flds, list) or not isinstance(tmpls, list) or not mid.lstrip("-").isdigit():
                raise _Damaged(f"{what} is not a note type")
            models[int(mid)] = _Model(_text(mdl.get("name", ""), f"{what}: its name"), mdl.get("type") == 1,
                                      len(flds), len(tmpls))
        decks = {}
        for did, d in _json_object(decks_json, "the decks (col.decks)").items():
            if not did.lstrip("-").isdigit():
                raise _Damaged(f"deck id {did[:40]!r} is not a number")
            decks[int(did)] = _text(d.get("name", ""), f"deck {did}: its name")
    notes = []
    for nid, guid, mid, flds, tags in con.execute("SELECT id, guid, mid, flds, tags FROM notes ORDER BY id"):
        what = f"note {nid}"
        notes.append(_Note(_whole(nid, "a note id"), _text(guid, f"{what}: its GUID", empty=False, limit=_MAX_TEXT),
                           _whole(mid, f"{what}: its note type"), _text(flds, f"{what}: its fields").split("\x1f"),
                           _text(tags, f"{what}: its tags").split()))
    cards = []
    for row in con.execute("SELECT id, nid, did, ord, type, queue, due, ivl, factor, reps, lapses, odue, odid, data"
                           " FROM cards ORDER BY nid, ord"):
        what = f"card {row[0]}"
        cid, nid, card_did, ord_, ctype, queue = (_whole(v, f"{what}: {name}") for v, name in zip(
            row[:6], ("its id", "nid", "did", "ord", "type", "queue"), strict=True))
        cards.append(_ACard(cid, nid, card_did, ord_, ctype, queue, _whole(row[6], f"{what}: due"),
                            _whole(row[7], f"{what}: ivl", -(1 << 40), MAX_INTERVAL_DAYS),
                            _whole(row[8], f"{what}: factor", -_MAX_FACTOR, _MAX_FACTOR),
                            _whole(row[9], f"{what}: reps", 0, _MAX_COUNT),
                            _whole(row[10], f"{what}: lapses", 0, _MAX_COUNT),
                            _whole(row[11], f"{what}: odue"), _whole(row[12], f"{what}: odid"),
                            _text(row[13], f"{what}: data")))
    revlog: dict[int, list[tuple[int, int, int, int, int, int, int]]] = {}
    for row in con.execute("SELECT cid, id, ease, ivl, lastIvl, factor, time, type FROM revlog ORDER BY id"):
        what = f"review {row[1]}"
        revlog.setdefault(_whole(row[0], f"{what}: cid"), []).append((
            _whole(row[1], "a review id"), _whole(row[2], f"{what}: ease", 0, 4),
            _whole(row[3], f"{what}: ivl", -(1 << 40), MAX_INTERVAL_DAYS),
            _whole(row[4], f"{what}: lastIvl", -(1 << 40), MAX_INTERVAL_DAYS),
            _whole(row[5], f"{what}: factor", -_MAX_FACTOR, _MAX_FACTOR), _whole(row[6], f"{what}: time"),
            _whole(row[7], f"{what}: type")))
    return _Collection(layout, crt, models, decks, notes, cards, revlog, media)


# -- writing the Markdown ------------------------------------------------------------------


def _to_markdown(html: str, media_prefix: str, used: set[str]) -> str:
    from urllib.parse import quote

    from markdownify import MarkdownConverter

    class _Converter(MarkdownConverter):
        def convert_img(self, el: Any, text: str, *args: Any, **kwargs: Any) -> str:
            src = str(el.attrs.get("src", ""))
            if _SAFE_MEDIA.match(src) and not src.startswith("."):
                used.add(src)
                el.attrs["src"] = media_prefix + quote(src)  # a name with spaces stays one link
            # markdownify makes its convert_* methods at run time: mypy cannot see them
            return str(super().convert_img(el, text, *args, **kwargs))  # type: ignore[misc]

    def sound(mt: re.Match[str]) -> str:
        name = mt.group(1)
        if _SAFE_MEDIA.match(name) and not name.startswith("."):
            used.add(name)
            label = name.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
            return f"[{label}]({media_prefix}{quote(name)})"
        return name

    try:
        text = _Converter(heading_style="ATX", strip=["script", "style"]).convert(html or "")
    except RecursionError:  # HTML nested thousands deep: its text, without the markup
        from bs4 import BeautifulSoup

        text = BeautifulSoup(html, "html.parser").get_text("\n")
    text = _SOUND.sub(sound, text)
    lines = [ln.rstrip() for ln in text.strip().split("\n")]
    out = []
    for ln in lines:
        bare = ln.strip()
        # a field line that would read as the note's structure: its first letter as an entity
        if bare in ("START", "END") or _LABEL_LINE.match(ln):
            ln = f"&#{ord(ln[0])};{ln[1:]}" if ln and ln[0].isalpha() else ln
        out.append(ln)
    while out and not out[-1]:
        out.pop()
    # blank runs collapse to one (a field is one block of the note)
    squeezed: list[str] = []
    for ln in out:
        if ln or (squeezed and squeezed[-1]):
            squeezed.append(ln)
    return "\n".join(squeezed)


_TYPE_LINE = {"basic": "Basic", "reversed": "Basic (and reversed card)", "cloze": "Cloze", "other": "Basic"}


def _slug(part: str) -> str:
    s = re.sub(r"[^\w\- ]+", "_", part, flags=re.UNICODE).strip(" ._")
    return s[:80] or "deck"


@dataclass
class _Written:
    path: Path
    key: str
    text: str
    notes: list[tuple[int, int, _Note, str]]  # (first line, last line, note, kind), 1-based


def _deck_files(colx: _Collection, root: Path, report: AnkiImportReport) -> tuple[list[_Written], dict[Path, bytes]]:
    first_card: dict[int, _ACard] = {}
    for ac in colx.cards:
        first_card.setdefault(ac.nid, ac)
    by_deck: dict[int, list[_Note]] = {}
    for n in colx.notes:
        fc = first_card.get(n.id)
        if fc is None:
            continue
        did = fc.odid or fc.did
        by_deck.setdefault(did, []).append(n)
    written: list[_Written] = []
    media_out: dict[Path, bytes] = {}
    warned: set[str] = set()
    for did, notes in sorted(by_deck.items()):
        name = colx.decks.get(did, "Default") or "Default"
        parts = name.split("::")
        if len(parts) > _MAX_DECK_DEPTH:  # a path the file system would refuse: the rest is one name
            parts = parts[:_MAX_DECK_DEPTH - 1] + ["-".join(parts[_MAX_DECK_DEPTH - 1:])]
        parts = [_slug(p) for p in parts]
        path = root.joinpath(*parts[:-1], parts[-1] + ".md")
        prefix = "media/"
        used: set[str] = set()
        lines = ["---", f"id: anki-{did}", f"title: {json.dumps(name, ensure_ascii=False)}", "---", ""]
        spans: list[tuple[int, int, _Note, str]] = []
        for n in notes:
            mdl = colx.models.get(n.mid, _Model("?", False, len(n.fields), 1))
            kind = mdl.kind
            if kind == "other" and mdl.name not in warned:
                warned.add(mdl.name)
                report.warnings.append(f"note type {mdl.name!r}: read as basic cards from its first two fields")
            f0 = _to_markdown(n.fields[0] if n.fields else "", prefix, used)
            f1 = _to_markdown(n.fields[1] if len(n.fields) > 1 else "", prefix, used)
            start = len(lines) + 1
            block = ["START", _TYPE_LINE[kind]]
            if kind == "cloze":
                block += [f"Text: {f0}"]
                if f1:
                    block += [f"Back Extra: {f1}"]
            else:
                block += [f0, f"Back: {f1}"]
            tags = [t for t in n.tags if t]
            if tags:
                block.append("Tags: " + " ".join(tags))
            block += [f"<!--ID: {n.id}-->", "END", ""]
            lines += "\n".join(block).split("\n")  # one entry per line: a field may hold several
            spans.append((start, len(lines) - 1, n, kind))
        for name_ in sorted(used):
            if name_ in colx.media:
                media_out[path.parent / "media" / name_] = colx.media[name_]
        written.append(_Written(path, f"anki-{did}", "\n".join(lines), spans))
    return written, media_out


# -- the import ----------------------------------------------------------------------------


def _ord_of(variant: str) -> int | None:
    if variant == "":
        return 0
    if variant == "reverse":
        return 1
    if variant.startswith("c") and variant[1:].isdigit():
        return int(variant[1:]) - 1
    return None


def import_package(store: Store, path: Path, *, into: Path | None = None, dry_run: bool = False) -> AnkiImportReport:
    """Import ``path`` (an .apkg or .colpkg); deck files go under ``into`` (default: the first
    ``deck_folders`` entry, else the current folder)."""
    from studyllm.store.importer import import_paths

    report = AnkiImportReport(str(path))
    colx = read_package(path)
    report.layout = colx.layout
    report.notes, report.cards = len(colx.notes), len(colx.cards)
    if into is None:
        folders = store.setting("deck_folders") or []
        into = expand_user(folders[0]) if folders else Path.cwd()
    written, media = _deck_files(colx, into, report)
    for w in written:
        if w.path.exists():
            try:
                head = w.path.read_text(encoding="utf-8")[:200]
            except (OSError, UnicodeDecodeError):
                head = ""
            if f"id: {w.key}\n" not in head:
                raise AnkiImportError(f"{w.path}: exists and is not a deck this import wrote (no 'id: {w.key}'); "
                                      "move it or import into another folder with --into; nothing imported")
    report.files = [str(w.path) for w in written]
    report.media = len(media)
    if dry_run:
        return report
    target = into
    try:  # a full disk, a read-only folder: the file it happened on, and that the store is unchanged
        for w in written:
            target = w.path
            w.path.parent.mkdir(parents=True, exist_ok=True)
            if not w.path.exists() or w.path.read_text(encoding="utf-8", errors="replace") != w.text:
                with atomic_path(w.path) as tmp:
                    tmp.write_text(w.text, encoding="utf-8")
        for p, data in media.items():
            target = p
            p.parent.mkdir(parents=True, exist_ok=True)
            if not p.exists() or p.read_bytes() != data:
                with atomic_path(p) as tmp:
                    tmp.write_bytes(data)
    except OSError as exc:
        raise AnkiImportError(f"{target}: cannot write it ({exc.strerror or exc}); nothing was imported into "
                              "studyllm (files written before it are left)") from None
    report.deck_report = import_paths(store, [w.path for w in written], track=True)
    _take_history(store, colx, written, report)
    return report


def _crt_day(crt: int, store: Store) -> date:
    """Anki's day 0: the study day its collection was created on."""
    return study_day(datetime.fromtimestamp(crt, UTC), store.clock.zone(), store.setting("rollover_hour"))


def _take_history(store: Store, colx: _Collection, written: list[_Written], report: AnkiImportReport) -> None:
    cards_of: dict[tuple[int, int], _ACard] = {(c.nid, c.ord): c for c in colx.cards}
    day0 = _crt_day(colx.crt, store)
    zone, rollover = store.clock.zone(), store.setting("rollover_hour")
    today = store.today()
    with write_tx(store.database) as conn:
        for w in written:
            row = conn.execute("SELECT id FROM deck WHERE key = ?", (w.key,)).fetchone()
            if row is None:
                continue
            ours = conn.execute("SELECT id, uid, line, variant FROM card WHERE deck_id = ? AND archived = 0",
                                (row[0],)).fetchall()
            for card_id, card_uid, line, variant in ours:
                span = next((s for s in w.notes if s[0] <= line <= s[1]), None)
                ordinal = _ord_of(variant)
                if span is None or ordinal is None:
                    continue
                note, kind = span[2], span[3]
                ac = cards_of.get((note.id, ordinal))
                if ac is None:
                    continue
                report.cards_matched += 1
                conn.execute("INSERT OR REPLACE INTO anki_card (card_id, guid, ord, note_type) VALUES (?, ?, ?, ?)",
                             (card_id, note.guid, ordinal, kind))
                _card_history(conn, store, card_id, card_uid, note.guid, ac, colx.revlog.get(ac.id, []), day0,
                              today, zone, rollover, report)


def _card_history(conn: Any, store: Store, card_id: int, card_uid: str, guid: str, ac: _ACard,
                  revs: list[tuple[int, int, int, int, int, int, int]], day0: date, today: date, zone: Any,
                  rollover: int, report: AnkiImportReport) -> None:
    known = {r[0] for r in conn.execute("SELECT reviewed_at FROM review_log WHERE card_id = ?", (card_id,))}
    memory = ac.memory
    reps, ef = 0, (max(130, ac.factor // 10) if memory and ac.factor else 250)
    last_anki = ""
    for rid, ease, ivl, last_ivl, factor, time_ms, rtype in revs:
        if ease == 0:  # a manual reschedule, not an answer
            continue
        grade = ease + 1
        instant = datetime.fromtimestamp(rid / 1000, UTC)
        at = instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")
        last_anki = max(last_anki, at)
        day = study_day(instant, zone, rollover).isoformat()
        # under FSRS a revlog's factor is the difficulty (x100), not an ease: the card's ease stands
        ef_after = ef if memory else (max(130, factor // 10) if factor else ef)
        reps_after = reps + 1 if grade >= 3 else 0
        kind = "new" if rtype == 0 and reps == 0 else ("relearn" if rtype == 2 or grade < 3 else "review")
        if at in known:
            report.reviews_known += 1
        else:
            cur = conn.execute(
                "INSERT OR IGNORE INTO review_log (uid, card_id, card_uid, reviewed_at, day, grade, duration_ms, kind,"
                " reps_before, ef_before, interval_before, due_before, reps_after, ef_after, interval_after, due_after,"
                " state_before) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, '{}')",
                (f"anki:{guid}:{ac.ord}:{rid}", card_id, card_uid, at, day, grade,
                 max(0, min(int(time_ms), m.MAX_DURATION_MS)), kind, reps, ef, max(0, last_ivl), reps_after,
                 ef_after, max(0, ivl), (date.fromisoformat(day) + timedelta(days=max(0, ivl))).isoformat()))
            if cur.rowcount:
                report.reviews_imported += 1
            else:
                report.reviews_known += 1
        reps, ef = reps_after, ef_after
    # the state: Anki's, unless the card was answered here after the package's last review
    latest = conn.execute("SELECT max(reviewed_at) FROM review_log WHERE card_id = ? AND uid NOT LIKE 'anki:%'",
                          (card_id,)).fetchone()[0]
    if latest and latest > last_anki:
        return
    n_reviews = conn.execute("SELECT count(*) FROM review_log WHERE card_id = ?", (card_id,)).fetchone()[0]
    reviews = max(n_reviews, ac.reps)
    due_num = ac.odue if ac.odid and ac.odue else ac.due
    due_day: str | None = None
    if ac.type == 0 or reviews == 0:
        reviews, repetitions, interval = 0, 0, 0
    elif ac.queue in (1, 4) or (ac.type in (1, 3) and due_num > 1_000_000_000):
        due_day = study_day(datetime.fromtimestamp(due_num, UTC), zone, rollover).isoformat()
        repetitions, interval = 0 if ac.type == 1 else max(reps, 2), max(0, ac.ivl)
    else:
        due_day = (day0 + timedelta(days=due_num)).isoformat()
        repetitions, interval = (max(reps, 2) if ac.type == 2 else reps), max(0, ac.ivl)
    if ac.type == 2 and repetitions < 2:
        repetitions = 2
    suspended = ac.queue == -1
    buried = (today + timedelta(days=1)).isoformat() if ac.queue in (-2, -3) else None
    queue = m.QUEUE_SUSPENDED if suspended else (
        m.QUEUE_NEW if reviews == 0 else (m.QUEUE_LEARNING if repetitions < 2 else m.QUEUE_REVIEW))
    if queue == m.QUEUE_LEARNING and store.setting("scheduler") == "fsrs":
        queue = m.QUEUE_REVIEW  # as FSRS mode queues a reviewed card with no FSRS state (schedule.fsrs_queue)
    conn.execute(
        "UPDATE card_state SET queue = ?, repetitions = ?, ef_centi = ?, interval = ?, due_day = ?, reviews = ?,"
        " lapses = ?, last_reviewed_at = ?, buried_until = ?, suspended = ? WHERE card_id = ?",
        (queue, repetitions, max(130, ac.factor // 10) if ac.factor else 250, interval, due_day, reviews,
         ac.lapses, last_anki or None, buried, int(suspended), card_id))
    report.states_taken += 1
    if memory is None or reviews == 0 or due_day is None or not last_anki:
        return
    # FSRS mode: the memory state Anki's FSRS keeps (studyllm.store.migrated.take_fsrs_memory)
    from studyllm.store.migrated import day_start, take_fsrs_memory

    stability, difficulty, lrt = memory
    if ac.queue in (1, 4) or (ac.type in (1, 3) and due_num > 1_000_000_000):
        due_at = datetime.fromtimestamp(due_num, UTC)
    else:
        due_at = day_start(date.fromisoformat(due_day), store)
    last = datetime.fromtimestamp(lrt, UTC) if lrt else datetime.fromisoformat(last_anki.replace("Z", "+00:00"))
    if take_fsrs_memory(conn, store, card_id, phase={1: 1, 3: 3}.get(ac.type, 2), stability=stability,
                        difficulty=difficulty, due=due_at, last_review=last):
        report.fsrs_states += 1
