"""Exports that must not hurt (#17 items 8 and 9): every field of an export is checked on merge
with the row and key named and nothing changed; CSV cells can't run as spreadsheet formulas;
every export file is replaced atomically, so a failure never leaves a truncated file over the
previous export."""

from __future__ import annotations

import csv
import errno
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import add_deck, make_deck
from hypothesis import given
from hypothesis import strategies as st

from studyllm.cli import main
from studyllm.clock import FrozenClock
from studyllm.decks.model import ParsedCard
from studyllm.store import Store, atomic
from studyllm.store import export as E
from studyllm.store import export_format as F
from studyllm.store import merge as M
from studyllm.store.constants import MAX_DURATION_MS
from studyllm.store.importer import import_parsed

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def home(tmp_path: Path, name: str, decks=(("alpha", 4),)) -> Store:
    store = Store.open(tmp_path / name, clock=FrozenClock(NOW, "Europe/Berlin"))
    for key, n in decks:
        add_deck(store, key, n)
    return store


def snapshot(store: Store) -> list:
    with store.database.connect() as conn:
        return [conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ("card", "card_state", "review_log")]


@pytest.fixture
def exported(tmp_path):
    """A home with three answers, its JSON export as a dict, and a second home to merge into."""
    a = home(tmp_path, "a")
    for _ in range(3):
        a.answer(a.next_card().id, 4, duration_ms=1200)
        a.clock.advance(minutes=20)
    path = tmp_path / "p.json"
    with open(path, "w", encoding="utf-8") as fh:
        E.export_json(a, fh)
    a.close()
    b = home(tmp_path, "b")
    yield json.loads(path.read_text(encoding="utf-8")), b, tmp_path
    b.close()


def write_doc(doc: dict, path: Path, big: str | None = None) -> Path:
    text = json.dumps(doc)
    if big is not None:  # an integer too long for json.dumps itself
        text = text.replace('"__BIG__"', big)
    path.write_text(text, encoding="utf-8")
    return path


BAD_LOG_FIELDS = [
    ("duration_ms", 2**63, "duration_ms must be from 0 to"),
    ("duration_ms", -1, "duration_ms must be from 0 to"),
    ("reviewed_at", "0001-01-01T00:30:00+05:00", "reviewed_at '0001-01-01T00:30:00+05:00' is out of range"),
    ("reviewed_at", "9999-12-31T23:00:00-05:00", "reviewed_at '9999-12-31T23:00:00-05:00' is out of range"),
    ("reviewed_at", "1900-05-01T10:00:00+00:00", "is out of range"),
    ("grade", "__BIG__", "grade must be a whole number from 0 to 5, got a 100,000-digit number"),
    ("duration_ms", "__BIG__", "duration_ms must be a whole number from 0 to"),
    ("day", "0001-01-01", "day '0001-01-01' is out of range"),
    ("day", "2025-01-01", "day 2025-01-01 doesn't match reviewed_at"),
    ("day", "2026-03-05", "day 2026-03-05 doesn't match reviewed_at"),
    ("uid", "u" * 5000, "uid is 5,000 characters long"),
]


@pytest.mark.parametrize(("key", "value", "needle"), BAD_LOG_FIELDS,
                         ids=[f"{k}-{str(v)[:12]}" for k, v, _ in BAD_LOG_FIELDS])
def test_every_log_field_is_checked_with_row_and_key(exported, key, value, needle):
    doc, other, tmp = exported
    cols = doc["review_log"]["columns"]
    doc["review_log"]["rows"][1][cols.index(key)] = value
    path = write_doc(doc, tmp / "bad.json", big="9" * 100_000 if value == "__BIG__" else None)
    before = snapshot(other)
    with pytest.raises(F.ProgressError) as info:
        M.import_progress(other, path)
    msg = str(info.value)
    assert "review_log.rows[1]" in msg and key in msg and needle in msg, msg
    assert len(msg) < 400  # a 100,000-digit value is not echoed back
    assert snapshot(other) == before


def test_a_consistent_day_in_any_time_zone_is_accepted(exported):
    """The study day may be one day after the UTC date of the answer (east of UTC) or up to two
    days before it (west of UTC, with the rollover hour shifting the day back once more)."""
    doc, other, tmp = exported
    cols = doc["review_log"]["columns"]
    rows = doc["review_log"]["rows"]
    rows[0][cols.index("reviewed_at")] = "2026-03-02T23:30:00+00:00"  # 2026-03-03 10:30 in UTC+11
    rows[0][cols.index("day")] = "2026-03-03"
    rows[1][cols.index("reviewed_at")] = "2026-03-02T01:00:00+00:00"  # 2026-03-01 15:00 in UTC-10, rollover 4
    rows[1][cols.index("day")] = "2026-02-28"
    report = M.import_progress(other, write_doc(doc, tmp / "ok.json"))
    assert report.added == 3


def test_bad_state_flags_are_refused(exported):
    doc, other, tmp = exported
    cols = doc["card_states"]["columns"]
    doc["card_states"]["rows"][0][cols.index("suspended")] = 7
    with pytest.raises(F.ProgressError, match=r"card_states.rows\[0\]: suspended must be true or false"):
        M.import_progress(other, write_doc(doc, tmp / "bad.json"))
    doc["card_states"]["rows"][0][cols.index("suspended")] = False
    doc["card_states"]["rows"][0][cols.index("buried_until")] = "9999-12-31"
    with pytest.raises(F.ProgressError, match=r"card_states.rows\[0\]: buried_until '9999-12-31' is out of range"):
        M.import_progress(other, write_doc(doc, tmp / "bad.json"))


def test_a_huge_version_number_is_a_clear_error(exported):
    doc, other, tmp = exported
    doc["version"] = "__BIG__"
    with pytest.raises(F.ProgressError, match="key 'version'.*a 5,000-digit number"):
        M.import_progress(other, write_doc(doc, tmp / "bad.json", big="7" * 5000))


@pytest.mark.parametrize(("column", "value", "needle"), [
    ("duration_ms", str(2**63), "duration_ms must be from 0 to"),
    ("grade", "9" * 100_000, "grade must be a whole number from 0 to 5"),
    ("reviewed_at", "0001-01-01T00:30:00+05:00", "out of range"),
    ("day", "2020-01-01", "doesn't match reviewed_at"),
], ids=["duration", "big-grade", "year-1", "day"])
def test_csv_exports_are_checked_the_same_way(tmp_path, column, value, needle):
    a = home(tmp_path, "a")
    a.answer(a.next_card().id, 4)
    E.export_csv(a, tmp_path / "csv")
    a.close()
    path = tmp_path / "csv" / F.CSV_LOG_NAME
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    rows[1][rows[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    b = home(tmp_path, "b")
    before = snapshot(b)
    with pytest.raises(F.ProgressError) as info:
        M.import_progress(b, tmp_path / "csv")
    assert f"{path}: line 2" in str(info.value) and column in str(info.value) and needle in str(info.value)
    assert len(str(info.value)) < 400
    assert snapshot(b) == before
    b.close()


def test_the_cli_reports_a_bad_export_without_a_traceback(exported, capsys):
    doc, other, tmp = exported
    doc["review_log"]["rows"][2][doc["review_log"]["columns"].index("duration_ms")] = 2**63
    path = write_doc(doc, tmp / "bad.json")
    assert main(["--home", str(tmp / "b"), "import-progress", "--no-sync", str(path)]) == 1
    err = capsys.readouterr().err
    assert "review_log.rows[2]: duration_ms must be from 0 to 2147483647" in err and "Traceback" not in err


def test_an_answer_longer_than_the_limit_is_stored_clamped_and_exports_merge(tmp_path):
    a = home(tmp_path, "a")
    a.answer(a.next_card().id, 4, duration_ms=2**70)
    with a.database.connect() as conn:
        assert conn.execute("SELECT max(duration_ms) FROM review_log").fetchone()[0] == MAX_DURATION_MS
    with open(tmp_path / "p.json", "w", encoding="utf-8") as fh:
        E.export_json(a, fh)
    b = home(tmp_path, "b")
    assert M.import_progress(b, tmp_path / "p.json").added == 1
    a.close()
    b.close()


# --------------------------------------------------------------------------- formula injection

HOSTILE = ["=HYPERLINK(\"http://x\",\"y\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\tTAB", "\rCR", "'quoted"]


@given(st.text(max_size=20))
def test_csv_safe_is_undone_by_csv_cell_and_never_starts_a_formula(text):
    safe = E.csv_safe(text)
    assert F.csv_cell(safe) == text
    assert not safe or safe[0] not in E.FORMULA_START


def test_csv_export_neutralises_formulas_and_reads_back(tmp_path):
    a = Store.open(tmp_path / "a", clock=FrozenClock(NOW, "UTC"))
    deck = make_deck("=sum", 0, title="=cmd|' /C calc'!A0")
    deck.cards = [ParsedCard("basic", front, "answer", line=3 + i) for i, front in enumerate(HOSTILE)]
    assert import_parsed(a, deck, source_path="/x/deck.md").ok
    for _ in HOSTILE:
        a.answer(a.next_card().id, 5)
    E.export_csv(a, tmp_path / "csv")
    states = list(csv.DictReader((tmp_path / "csv" / F.CSV_STATE_NAME).open(encoding="utf-8", newline="")))
    log = list(csv.DictReader((tmp_path / "csv" / F.CSV_LOG_NAME).open(encoding="utf-8", newline="")))
    for row in states + log:
        for key, cell in row.items():
            assert not cell or cell[0] not in E.FORMULA_START, (key, cell)
    assert sorted(r["front"] for r in states) == sorted("'" + f for f in HOSTILE)
    assert {r["deck_title"] for r in states} == {"'=cmd|' /C calc'!A0"}
    assert {r["deck_key"] for r in log} == {"'=sum"}
    # the cells read back exactly: the merge matches the cards by deck key and content hash
    b = Store.open(tmp_path / "b", clock=FrozenClock(NOW, "UTC"))
    assert import_parsed(b, deck, source_path="/x/deck.md").ok
    with b.database.begin() as conn:
        conn.execute("UPDATE card SET uid = 'local-' || id")
    report = M.import_progress(b, tmp_path / "csv")
    assert report.added == len(HOSTILE) and report.matched_by_content == len(HOSTILE) and not report.unknown
    a.close()
    b.close()


# --------------------------------------------------------------------------- atomic files


def _full_disk(*_a, **_k):
    raise OSError(errno.ENOSPC, "No space left on device")


@pytest.fixture
def studied_home(tmp_path):
    deck = tmp_path / "tiny.md"
    deck.write_text("---\nid: tiny\n---\n\nQ: one?\nA: 1\n\nQ: two?\nA: 2\n", encoding="utf-8")
    h = tmp_path / "h"
    assert main(["--home", str(h), "import", str(deck)]) == 0
    with Store.open(h) as s:
        s.answer(s.next_card().id, 4)
    return h


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.parametrize("fmt", ["json", "anki-tsv", "apkg"])
def test_a_failed_export_leaves_the_previous_file_whole(studied_home, tmp_path, monkeypatch, capsys, fmt):
    out = tmp_path / "out" / f"export.{fmt}"
    assert main(["--home", str(studied_home), "export", "--format", fmt, "-o", str(out)]) == 0
    previous = out.read_bytes()
    assert previous
    monkeypatch.setattr(atomic.os, "fsync", _full_disk)
    assert main(["--home", str(studied_home), "export", "--format", fmt, "-o", str(out)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert out.read_bytes() == previous
    assert _leftovers(out.parent) == []


def test_an_apkg_write_that_fails_half_way_keeps_the_previous_package(studied_home, tmp_path, monkeypatch):
    import genanki

    out = tmp_path / "deck.apkg"
    assert main(["--home", str(studied_home), "export", "--format", "apkg", "-o", str(out)]) == 0
    previous = out.read_bytes()

    def half(self, path, timestamp=None):
        Path(path).write_bytes(previous[: len(previous) // 2])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(genanki.Package, "write_to_file", half)
    assert main(["--home", str(studied_home), "export", "--format", "apkg", "-o", str(out)]) == 1
    assert out.read_bytes() == previous and _leftovers(tmp_path) == []


def test_a_csv_export_that_fails_half_way_keeps_every_previous_file(studied_home, tmp_path, monkeypatch, capsys):
    out = tmp_path / "csv"
    assert main(["--home", str(studied_home), "export", "--format", "csv", "-o", str(out)]) == 0
    previous = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(previous) == {F.CSV_LOG_NAME, F.CSV_STATE_NAME, F.CSV_DECKS_NAME}
    real_writer = csv.writer

    class Full:
        def __init__(self, fh):
            self.w, self.n = real_writer(fh), 0

        def writerow(self, row):
            self.n += 1
            if self.n > 1:  # the header went out, then the disk filled up
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.w.writerow(row)

    monkeypatch.setattr(E.csv, "writer", Full)
    assert main(["--home", str(studied_home), "export", "--format", "csv", "-o", str(out)]) == 1
    assert "No space left on device" in capsys.readouterr().err
    assert {p.name: p.read_bytes() for p in out.iterdir()} == previous


def test_every_export_file_is_fsynced_before_it_replaces_the_old_one(studied_home, tmp_path, monkeypatch):
    synced: list[str] = []
    real = atomic.os.fsync

    def spy(fd):
        import os

        synced.append(os.readlink(f"/proc/self/fd/{fd}") if Path("/proc/self/fd").exists() else str(fd))
        return real(fd)

    monkeypatch.setattr(atomic.os, "fsync", spy)
    assert main(["--home", str(studied_home), "export", "--format", "csv", "-o", str(tmp_path / "csv")]) == 0
    names = [Path(s).name for s in synced]
    assert sum(n.startswith(f".{F.CSV_LOG_NAME}.") for n in names) == 1
    assert sum(n.startswith(f".{F.CSV_STATE_NAME}.") for n in names) == 1


def test_an_export_gets_a_files_usual_mode_not_the_temp_files(studied_home, tmp_path):
    import os

    umask = os.umask(0o022)
    try:
        out = tmp_path / "p.json"
        assert main(["--home", str(studied_home), "export", "-o", str(out)]) == 0
        assert out.stat().st_mode & 0o777 == 0o644
        out.chmod(0o600)  # a private export stays private when it is written again
        assert main(["--home", str(studied_home), "export", "-o", str(out)]) == 0
        assert out.stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(umask)
