"""Writing progress exports: one JSON document, or two CSV files (``docs/export-format.md``).

Every file is written atomically (:func:`atomic_text`): into a temporary file beside the target,
flushed and fsynced, then renamed over it, so a full disk or a crash never leaves a truncated
export over the previous one. CSV cells that a spreadsheet would run as a formula are
neutralised (:func:`csv_safe`).
"""

from __future__ import annotations

import csv
import json
import os
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TextIO, TypeVar

from studyllm import __version__
from studyllm.store import constants as m
from studyllm.store.export_format import (
    CARD_COLUMNS,
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
from studyllm.store.service import Store

__all__ = ["export_json", "export_csv", "atomic_text", "atomic_path", "csv_safe", "FORMULA_START"]

T = TypeVar("T")


def _counts(cur: sqlite3.Cursor) -> tuple[int, int, int]:
    return (
        cur.execute("SELECT count(*) FROM deck").fetchone()[0],
        cur.execute("SELECT count(*) FROM card").fetchone()[0],
        cur.execute("SELECT count(*) FROM review_log").fetchone()[0],
    )


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


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems can't sync a directory; the rename is still atomic
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: Path) -> Iterator[Path]:
    """A temporary path beside ``path`` to write to; when the block ends it is fsynced and renamed
    over ``path`` (the previous file stays whole until then). On error it is removed."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def atomic_text(path: Path, write: Callable[[TextIO], T]) -> T:
    """Write a UTF-8 text file atomically through :func:`atomic_path`; returns what ``write`` returns."""
    with atomic_path(path) as tmp, open(tmp, "w", encoding="utf-8", newline="") as fh:
        result = write(fh)
        fh.flush()
    return result


def export_json(store: Store, out: TextIO, *, progress: Progress | None = None) -> dict[str, int]:
    """Write the whole progress as one JSON document (one table row per line). Returns counts."""
    every = 20_000
    with store.database.connect() as conn, conn.begin():
        cur = conn.raw.cursor()
        n_decks, n_cards, n_log = _counts(cur)
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
        for key, title, src, chash, tags, options, mode, archived, created, updated in cur.execute(
            "SELECT key, title, source_path, content_hash, tags, options, mode, archived, created_at, updated_at"
            " FROM deck ORDER BY position, id"
        ):
            deck = {
                "key": key, "title": title, "source_path": src, "content_hash": chash, "tags": json.loads(tags or "[]"),
                "options": json.loads(options or "{}"), "mode": mode, "archived": bool(archived),
                "created_at": created, "updated_at": updated,
            }
            out.write(("\n" if first else ",\n") + _json_line(deck))
            first = False
        out.write("\n],\n")

        def table(name: str, columns: list[str], sql: str, bools: tuple[int, ...], label: str, last: bool) -> None:
            """One table as {"columns": [...], "rows": [...]}, one row per line."""
            nonlocal done
            out.write(f'"{name}":{{"columns":{_json_line(columns)},"rows":[')
            first = True
            for row in cur.execute(sql):
                if bools:
                    row = list(row)
                    for i in bools:
                        row[i] = bool(row[i])
                out.write(("\n" if first else ",\n") + _json_line(row))
                first = False
                done += 1
                tick(label)
            out.write("\n]}\n" if last else "\n]},\n")

        table("cards", CARD_COLUMNS,
              "SELECT c.uid, d.key, c.content_hash, c.norm_hash, c.kind, c.variant, c.front, c.back, c.archived"
              " FROM card c JOIN deck d ON d.id = c.deck_id ORDER BY c.id", (8,), "cards", False)
        table("card_states", STATE_COLUMNS,
              "SELECT c.uid, s.queue, s.repetitions, s.ef_centi, s.interval, s.due_day, s.reviews, s.lapses,"
              " s.last_reviewed_at, s.drill_day, s.buried_until, s.suspended, s.leech"
              " FROM card_state s JOIN card c ON c.id = s.card_id ORDER BY c.id", (11, 12), "card states", False)
        table("review_log", LOG_COLUMNS,
              "SELECT uid, card_uid, reviewed_at, day, grade, duration_ms, kind, reps_after, ef_after,"
              " interval_after, due_after FROM review_log ORDER BY id", (), "review log", True)
        out.write("}\n")
        if progress:
            progress(total, total, "done")
        cur.close()
    return {"decks": n_decks, "cards": n_cards, "review_log": n_log}


def export_csv(store: Store, folder: Path, *, progress: Progress | None = None) -> dict[str, Any]:
    """Write ``review_log.csv`` and ``card_states.csv`` (UTF-8, comma, header row) into ``folder``.

    Both files are written in full to temporary files first, then renamed into place, so an
    error (a full disk) leaves the previous export as it was."""
    folder.mkdir(parents=True, exist_ok=True)
    with atomic_path(folder / CSV_STATE_NAME) as state_tmp, atomic_path(folder / CSV_LOG_NAME) as log_tmp:
        counts = _write_csv(store, state_tmp, log_tmp, progress)
    return {**counts, "files": [str(folder / CSV_LOG_NAME), str(folder / CSV_STATE_NAME)]}


def _write_csv(store: Store, state_path: Path, log_path: Path, progress: Progress | None) -> dict[str, int]:
    every = 20_000
    with store.database.connect() as conn, conn.begin():
        cur = conn.raw.cursor()
        _, n_cards, n_log = _counts(cur)
        total = n_cards + n_log
        done = 0
        with open(state_path, "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh)
            w.writerow(CSV_STATE_COLUMNS)
            for row in cur.execute(
                "SELECT c.uid, d.key, d.title, c.content_hash, c.front, c.archived, s.queue, s.repetitions,"
                " s.ef_centi, s.interval, s.due_day, s.reviews, s.lapses, s.last_reviewed_at, s.suspended,"
                " s.leech, s.buried_until FROM card_state s JOIN card c ON c.id = s.card_id"
                " JOIN deck d ON d.id = c.deck_id ORDER BY c.id"
            ):
                (uid, key, title, chash, front, archived, queue, reps, ef, ivl, due, reviews, lapses, last,
                 susp, leech, buried) = row
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
            for row in cur.execute(
                "SELECT l.uid, l.card_uid, d.key, c.content_hash, l.reviewed_at, l.day, l.grade, l.duration_ms,"
                " l.kind, l.ef_before, l.ef_after, l.interval_before, l.interval_after, l.due_after"
                " FROM review_log l JOIN card c ON c.id = l.card_id JOIN deck d ON d.id = c.deck_id ORDER BY l.id"
            ):
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
        cur.close()
    return {"cards": n_cards, "review_log": n_log}


def _state_name(queue: int, reviews: int, reps: int, archived: int) -> str:
    if archived or queue == m.QUEUE_ARCHIVED:
        return "archived"
    if queue == m.QUEUE_SUSPENDED:
        return "suspended"
    if reviews == 0:
        return "new"
    return "learning" if reps < 2 else "review"


