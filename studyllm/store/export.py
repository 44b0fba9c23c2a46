"""Writing progress exports: one JSON document, or two CSV files (``docs/export-format.md``).

The rows are read with SQLModel ``select()`` statements in one read session (one snapshot),
streamed in batches.

Every file is written atomically (:func:`studyllm.store.atomic.atomic_path`): into a temporary file beside the target,
flushed and fsynced, then renamed over it, so a full disk or a crash never leaves a truncated
export over the previous one. CSV cells that a spreadsheet would run as a formula are
neutralised (:func:`csv_safe`).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import func
from sqlmodel import Session, col, select

from studyllm import __version__
from studyllm.store import constants as m
from studyllm.store.atomic import atomic_path
from studyllm.store.export_format import (
    CARD_COLUMNS,
    CSV_DECK_COLUMNS,
    CSV_DECKS_NAME,
    CSV_LOG_COLUMNS,
    CSV_LOG_NAME,
    CSV_STATE_COLUMNS,
    CSV_STATE_NAME,
    EXPORT_VERSION,
    FORMAT,
    LOG_COLUMNS,
    STATE_COLUMNS,
    Progress,
)
from studyllm.store.models import Card, CardState, Deck, ReviewLog
from studyllm.store.orm import columns, session
from studyllm.store.service import Store

__all__ = ["export_json", "export_csv", "csv_safe", "FORMULA_START"]


def _counts(s: Session) -> tuple[int, int, int]:
    def count(model: Any) -> int:
        return int(s.exec(select(func.count()).select_from(model)).one())

    return count(Deck), count(Card), count(ReviewLog)


def _rows(s: Session, query: Any) -> Iterator[tuple[Any, ...]]:
    """The rows of ``query``, streamed in batches (an export of a million answers is never all in
    memory). Run on the session's connection as a Core statement: the rows are plain column
    values, and skipping the ORM's row handling makes a large export about 2.5 times faster."""
    for row in s.connection().execute(query.execution_options(yield_per=_BATCH)):
        yield tuple(row)


_BATCH = 2000


# one encoder, made once: json.dumps builds a new encoder on every call with options
_json_line = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

# OWASP, CSV injection: a cell starting with one of these is run as a formula by spreadsheets
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: Any) -> Any:
    """A text cell a spreadsheet shows as text: one starting with ``= + - @``, a tab or a
    carriage return gets a leading ``'`` (OWASP's advice), and so does one starting with ``'``
    (a spreadsheet hides one leading quote, so it shows the original text, and
    :func:`studyllm.store.export_format.csv_cell` reads it back exactly). Numbers pass as they are."""
    if isinstance(value, str) and value and (value[0] in FORMULA_START or value[0] == "'"):
        return "'" + value
    return value


def export_json(store: Store, out: TextIO, *, progress: Progress | None = None) -> dict[str, int]:
    """Write the whole progress as one JSON document (one table row per line), read in one
    snapshot through a SQLModel session. Returns counts."""
    every = 20_000
    with session(store.database) as s:
        n_decks, n_cards, n_log = _counts(s)
        total = n_cards * 2 + n_log
        done = 0

        def tick(label: str) -> None:
            if progress and (done % every == 0 or done == total):
                progress(done, total, label)

        out.write("{\n")
        out.write(f'"format":{_json_line(FORMAT)},\n"version":{EXPORT_VERSION},\n')
        out.write(f'"schema_version":{m.SCHEMA_VERSION},\n"app_version":{_json_line(__version__)},\n')
        out.write(f'"exported_at":{_json_line(store.utc_now_iso())},\n"today":{_json_line(store.today().isoformat())},\n')
        out.write(f'"counts":{_json_line({"decks": n_decks, "cards": n_cards, "review_log": n_log})},\n')
        out.write('"decks":[')
        first = True
        for deck in s.exec(select(Deck).order_by(col(Deck.position), col(Deck.id))):
            record = {
                "key": deck.key, "title": deck.title, "source_path": deck.source_path,
                "content_hash": deck.content_hash, "tags": json.loads(deck.tags or "[]"),
                "options": json.loads(deck.options or "{}"), "mode": deck.mode, "archived": bool(deck.archived),
                "created_at": deck.created_at, "updated_at": deck.updated_at,
            }
            out.write(("\n" if first else ",\n") + _json_line(record))
            first = False
        out.write("\n],\n")
        # the learner's own decks as last imported, so a fresh home places every answer
        # (docs/export-format.md, "deck_sources"); the shipped decks are on every home
        out.write('"deck_sources":[')
        first = True
        for record in _deck_sources(store):
            out.write(("\n" if first else ",\n") + _json_line(record))
            first = False
        out.write("\n],\n")

        def table(name: str, columns: list[str], query: Any, label: str, last: bool) -> None:
            """One table as {"columns": [...], "rows": [...]}, one row per line."""
            nonlocal done
            out.write(f'"{name}":{{"columns":{_json_line(columns)},"rows":[')
            first = True
            for row in _rows(s, query):
                out.write(("\n" if first else ",\n") + _json_line(row))
                first = False
                done += 1
                tick(label)
            out.write("\n]}\n" if last else "\n]},\n")

        card_deck = col(Card.deck_id) == col(Deck.id)
        table("cards", CARD_COLUMNS,
              columns(Card.uid, Deck.key, Card.content_hash, Card.norm_hash, Card.kind, Card.variant, Card.front,
                     Card.back, Card.archived).join(Deck, card_deck).order_by(col(Card.id)),
              "cards", False)
        table("card_states", STATE_COLUMNS,
              columns(Card.uid, CardState.queue, CardState.repetitions, CardState.ef_centi, CardState.interval,
                     CardState.due_day, CardState.reviews, CardState.lapses, CardState.last_reviewed_at,
                     CardState.drill_day, CardState.buried_until, CardState.suspended, CardState.leech,
                     CardState.fsrs_state, CardState.sm2_saved)
              .join(Card, col(Card.id) == col(CardState.card_id)).order_by(col(Card.id)),
              "card states", False)
        table("review_log", LOG_COLUMNS,
              columns(ReviewLog.uid, ReviewLog.card_uid, ReviewLog.reviewed_at, ReviewLog.day, ReviewLog.grade,
                     ReviewLog.duration_ms, ReviewLog.kind, ReviewLog.reps_after, ReviewLog.ef_after,
                     ReviewLog.interval_after, ReviewLog.due_after, ReviewLog.fsrs_after)
              .order_by(col(ReviewLog.id)),
              "review log", True)
        out.write("}\n")
        if progress:
            progress(total, total, "done")
    return {"decks": n_decks, "cards": n_cards, "review_log": n_log}


def _deck_sources(store: Store) -> Iterator[dict[str, Any]]:
    from studyllm.store.sync_decks import deck_sources, suffix

    with store.database.connect() as conn:
        rows = conn.execute("SELECT key, source_path, content_hash FROM deck WHERE archived = 0 ORDER BY position, id"
                            ).fetchall()
    for key, path, data, digest in deck_sources(rows, store):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            continue  # a deck is UTF-8 text (the parser refuses anything else)
        yield {"key": key, "name": path.name, "ext": suffix(path), "sha256": digest, "text": text}


def export_csv(store: Store, folder: Path, *, progress: Progress | None = None) -> dict[str, Any]:
    """Write ``review_log.csv``, ``card_states.csv`` and ``deck_sources.csv`` (UTF-8, comma,
    header row) into ``folder``. ``deck_sources.csv`` holds the text of each learner deck (as
    the JSON export's ``deck_sources``), so ``import-progress`` of the folder on a fresh home
    places every answer.

    The files are written in full to temporary files first, then renamed into place, so an
    error (a full disk) leaves the previous export as it was."""
    folder.mkdir(parents=True, exist_ok=True)
    with (atomic_path(folder / CSV_STATE_NAME) as state_tmp, atomic_path(folder / CSV_LOG_NAME) as log_tmp,
          atomic_path(folder / CSV_DECKS_NAME) as decks_tmp):
        counts = _write_csv(store, state_tmp, log_tmp, progress)
        counts["deck_sources"] = _write_csv_decks(store, decks_tmp)
    return {**counts, "files": [str(folder / CSV_LOG_NAME), str(folder / CSV_STATE_NAME),
                                str(folder / CSV_DECKS_NAME)]}


def _write_csv_decks(store: Store, path: Path) -> int:
    n = 0
    with open(path, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(CSV_DECK_COLUMNS)
        for rec in _deck_sources(store):
            w.writerow([csv_safe(rec[c]) for c in CSV_DECK_COLUMNS])
            n += 1
    return n


def _write_csv(store: Store, state_path: Path, log_path: Path, progress: Progress | None) -> dict[str, int]:
    every = 20_000
    with session(store.database) as s:
        _, n_cards, n_log = _counts(s)
        total = n_cards + n_log
        done = 0
        with open(state_path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(CSV_STATE_COLUMNS)
            query = (
                columns(Card.uid, Deck.key, Deck.title, Card.content_hash, Card.front, Card.archived, CardState.queue,
                       CardState.repetitions, CardState.ef_centi, CardState.interval, CardState.due_day,
                       CardState.reviews, CardState.lapses, CardState.last_reviewed_at, CardState.suspended,
                       CardState.leech, CardState.buried_until)
                .join(Card, col(Card.id) == col(CardState.card_id))
                .join(Deck, col(Deck.id) == col(Card.deck_id))
                .order_by(col(Card.id))
            )
            for (uid, key, title, chash, front, archived, queue, reps, ef, ivl, due, reviews, lapses, last,
                 susp, leech, buried) in _rows(s, query):
                w.writerow([csv_safe(v) for v in (
                    uid, key, title, chash, front, _state_name(queue, reviews, reps, archived), queue, reps,
                    f"{ef / 100:.2f}", ivl, due or "", reviews, lapses, last or "", int(susp), int(leech), buried or "",
                )])
                done += 1
                if progress and done % every == 0:
                    progress(done, total, CSV_STATE_NAME)
        with open(log_path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(CSV_LOG_COLUMNS)
            query = (
                columns(ReviewLog.uid, ReviewLog.card_uid, Deck.key, Card.content_hash, ReviewLog.reviewed_at,
                       ReviewLog.day, ReviewLog.grade, ReviewLog.duration_ms, ReviewLog.kind, ReviewLog.ef_before,
                       ReviewLog.ef_after, ReviewLog.interval_before, ReviewLog.interval_after, ReviewLog.due_after)
                .join(Card, col(Card.id) == col(ReviewLog.card_id))
                .join(Deck, col(Deck.id) == col(Card.deck_id))
                .order_by(col(ReviewLog.id))
            )
            for row in _rows(s, query):
                cells = list(row)
                cells[9] = f"{cells[9] / 100:.2f}"
                cells[10] = f"{cells[10] / 100:.2f}"
                cells[13] = cells[13] or ""
                w.writerow([csv_safe(v) for v in cells])
                done += 1
                if progress and done % every == 0:
                    progress(done, total, CSV_LOG_NAME)
        if progress:
            progress(total, total, "done")
    return {"cards": n_cards, "review_log": n_log}


def _state_name(queue: int, reviews: int, reps: int, archived: int) -> str:
    if archived or queue == m.QUEUE_ARCHIVED:
        return "archived"
    if queue == m.QUEUE_SUSPENDED:
        return "suspended"
    if reviews == 0:
        return "new"
    if queue in (m.QUEUE_LEARNING, m.QUEUE_REVIEW):  # what the scheduler in use (SM-2 or FSRS) made it
        return "learning" if queue == m.QUEUE_LEARNING else "review"
    return "learning" if reps < 2 else "review"


