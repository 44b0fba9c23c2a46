"""The fast paths of the bulk merge give exactly what the slow ones give (docs/sync.md,
"Figures"): the memoised SM-2 replay against ``schedule.apply_answer`` answer by answer, the
undo snapshot against the JSON encoder, and the journal's answer-line reader against
``json.loads`` plus the event checks."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from studyllm.schedule import apply_answer
from studyllm.store import replay as R
from studyllm.store import sync as S

DAY0 = date(2026, 3, 2)
days = st.integers(0, 400).map(lambda n: (DAY0 + timedelta(days=n)).isoformat())
opt_days = st.none() | days
texts = st.text(max_size=12)


@st.composite
def states(draw):
    reviews = draw(st.integers(0, 60))
    return {
        "card_id": draw(st.integers(1, 10**6)), "deck_id": draw(st.integers(1, 50)),
        "position": draw(st.integers(0, 10**5)), "queue": draw(st.integers(-2, 2)),
        "repetitions": draw(st.integers(0, 30)) if reviews else 0, "ef_centi": draw(st.integers(130, 400)),
        "interval": draw(st.integers(0, 40_000)), "due_day": draw(opt_days), "reviews": reviews,
        "lapses": draw(st.integers(0, 20)), "last_reviewed_at": draw(st.none() | st.just("2026-03-01T08:00:00+00:00")),
        "drill_day": draw(opt_days), "buried_until": draw(opt_days), "suspended": draw(st.integers(0, 1)),
        "leech": draw(st.integers(0, 1)), "fsrs_state": None, "sm2_saved": draw(st.none() | texts),
    }


def reference(start, events, leech_at, archived):
    """replay_card as it was: apply_answer for every answer, the generic JSON snapshot."""
    cur, out = dict(start), []
    for ev in events:
        a = apply_answer(cur, ev.grade, ev.day, ev.reviewed_at, leech_at=leech_at, archived=archived)
        out.append((a.kind, a.before.repetitions, a.before.easiness_centi, a.before.interval, cur["due_day"],
                    a.after.repetitions, a.after.easiness_centi, a.after.interval, a.state["due_day"],
                    R._snapshot_json(cur), None))
        cur = a.state
    return cur, out


@settings(max_examples=150, deadline=None)
@given(start=states(), answers=st.lists(st.tuples(st.integers(0, 5), days), max_size=12),
       leech_at=st.integers(1, 10), archived=st.booleans())
def test_the_memoised_sm2_replay_equals_apply_answer(start, answers, leech_at, archived):
    events = [R.Event(f"u{i}", f"{d}T09:{i:02d}:00+00:00", d, g, 500, order=i) for i, (g, d) in enumerate(answers)]
    want_state, want = reference(start, events, leech_at, archived)
    got_state, got = R.replay_card(start, events, leech_at=leech_at, archived=archived)
    assert got_state == want_state
    assert [d.as_tuple() for d in got] == want


@settings(max_examples=200, deadline=None)
@given(start=states(), answers=st.lists(st.tuples(st.integers(0, 5), days), max_size=12),
       leech_at=st.integers(1, 10), archived=st.booleans())
def test_the_merges_sm2_rows_equal_apply_answer(start, answers, leech_at, archived):
    """The bulk merge's loop (_sm2_rows: log rows straight from local variables) gives the
    states and log rows of apply_answer, answer by answer, with no undo snapshot."""
    events = [R.Event(f"u{i}", f"{d}T09:{i:02d}:00+00:00", d, g, 500 + i, order=i) for i, (g, d) in enumerate(answers)]
    want_state, want = reference(start, events, leech_at, archived)
    got_state, rows = R._sm2_rows(start, events, leech_at, archived, 7, "card-7")
    assert got_state == want_state
    assert rows == [(ev.uid, 7, "card-7", ev.reviewed_at, ev.day, ev.grade, ev.duration_ms, *w[:9], R.NO_SNAPSHOT,
                     None) for ev, w in zip(events, want, strict=True)]


@settings(max_examples=150, deadline=None)
@given(start=states(), extra=st.none() | st.text() | st.booleans() | st.floats(allow_nan=False))
def test_the_snapshot_is_the_json_encoders_text(start, extra):
    start["due_day"] = extra if not isinstance(extra, float) else start["due_day"]
    assert R._snapshot(start) == R._snapshot_json(start)
    assert R._snapshot({**start, "x": 1}) == R._snapshot_json({**start, "x": 1})


answer_events = st.fixed_dictionaries({
    "t": st.just("answer"), "uid": st.text(min_size=1, max_size=40), "card": st.text(min_size=1, max_size=30),
    "deck": st.text(min_size=1, max_size=30), "hash": st.text(min_size=1, max_size=30), "day": days,
    "grade": st.integers(-1, 6), "ms": st.integers(-5, 2**31 + 5),
    "at": st.sampled_from(["2026-03-02T09:00:00+00:00", "2026-03-02T09:00:00.123456+00:00", "2026-03-02T09:00:00",
                           "2026-13-02T09:00:00+00:00", "2026-03-02T09:00:00Z"]),
    "dev": st.text(min_size=1, max_size=20), "seq": st.integers(-3, 10**12),
})


def checked(line: bytes):
    try:
        return S._check(json.loads(line.decode("utf-8")))
    except (ValueError, RecursionError):
        return "bad"


@settings(max_examples=300, deadline=None)
@given(ev=answer_events, sort=st.booleans(), drop=st.none() | st.sampled_from(["uid", "ms", "grade", "at"]))
def test_the_answer_line_reader_equals_json_and_the_checks(ev, sort, drop):
    if drop:
        ev.pop(drop)
    body = {k: v for k, v in ev.items() if k not in ("dev", "seq")}
    if sort:  # as a device writes it: sorted keys, then dev and seq
        text = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        text = text[:-1] + "," + json.dumps({k: ev[k] for k in ("dev", "seq") if k in ev},
                                            separators=(",", ":"), ensure_ascii=False)[1:]
    else:  # another order (the history sent when sync is turned on): the slow path
        text = json.dumps(ev, separators=(",", ":"))
    line = text.encode()
    fast = S._fast_answer(line)
    if fast is not None:
        assert fast == checked(line)
    try:
        decoded = S._decode(line)
    except (ValueError, RecursionError):
        decoded = "bad"
    assert decoded == checked(line)
    if sort and decoded != "bad" and all(ev[k].isalnum() for k in ("uid", "card", "deck", "hash", "dev")):
        assert fast is not None  # the usual line takes the fast path


def _indexes(store):
    with store.database.connect() as conn:
        return conn.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name").fetchall()


def test_a_bulk_merge_builds_the_log_indexes_again_and_a_failed_one_keeps_them(tmp_path, monkeypatch):
    """The log indexes a bulk merge drops and builds after its inserts are the same afterwards,
    and a merge that fails half-way rolls the drop back with everything else."""
    import pytest
    from test_sync import home, logs, states

    from studyllm.store.db import StoreError

    monkeypatch.setattr(S, "BULK_ANSWERS", 1)
    folder = tmp_path / "shared"
    (a, ca), (b, _cb) = home(tmp_path, "a", folder), home(tmp_path, "b", folder)
    with a.database.connect() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM card ORDER BY position")]
    for i in range(8):
        ca.advance(minutes=5)
        a.answer(ids[i % len(ids)], 3 + i % 3, 700)
    S.sync(a)
    want = _indexes(b)
    assert {"ix_log_day", "ix_log_reviewed_at"} <= {n for n, _ in want}

    def boom(*args, **kwargs):
        raise StoreError("disk full (simulated)")

    real = S.replay_and_write
    monkeypatch.setattr(S, "replay_and_write", boom)
    with pytest.raises(StoreError):
        S.sync(b)
    assert _indexes(b) == want and logs(b) == {}
    monkeypatch.setattr(S, "replay_and_write", real)
    assert S.sync(b).added == 8
    assert _indexes(b) == want
    assert logs(b) == logs(a) and states(b) == states(a)


def test_an_answer_line_with_a_huge_seq_is_skipped_not_a_crash(tmp_path):
    """A hand-made answer line whose seq has more digits than Python turns into an int (4300)
    is reported and skipped like any other bad line; the good line beside it merges."""
    from test_sync import home, logs

    folder = tmp_path / "shared"
    (a, ca), (b, _cb) = home(tmp_path, "a", folder), home(tmp_path, "b", folder)
    with a.database.connect() as conn:
        first = conn.execute("SELECT id FROM card ORDER BY position").fetchone()[0]
    ca.advance(minutes=5)
    a.answer(first, 4, 700)
    S.sync(a)
    path = next((folder / "devices").glob("*/*.jsonl"))
    good = path.read_bytes().splitlines()[-1]
    huge = good.replace(b'"uid":"', b'"uid":"x').rsplit(b'"seq":', 1)[0] + b'"seq":' + b"7" * 5000 + b"}"
    assert S._fast_fields(huge) is None  # (the fast path leaves it to json.loads, which refuses it)
    with path.open("ab") as fh:
        fh.write(huge + b"\n")
    report = S.sync(b)
    assert report.added == 1 and logs(b) == logs(a)
    assert any("line" in p and "skipped" in p for p in report.problems)


def _read_lines_by_readline(fh, pos, lineno, rel, problems, max_line):
    """The journal reader as it was (one readline per line), the reference of the block reader."""
    out = []
    fh.seek(pos)
    while True:
        line = fh.readline(max_line + 1)
        if not line.endswith(b"\n"):
            if len(line) <= max_line:
                break
            skipped = len(line)
            while not line.endswith(b"\n"):
                line = fh.readline(max_line + 1)
                if not line:
                    break
                skipped += len(line)
            if not line.endswith(b"\n"):
                break
            pos += skipped
            lineno += 1
            problems.append(f"{rel} line {lineno}: skipped, longer than {max_line} bytes")
            continue
        pos += len(line)
        lineno += 1
        out.append((lineno, line.rstrip(b"\r\n")))
    return out, pos, lineno


@settings(max_examples=300, deadline=None)
@given(data=st.lists(st.sampled_from([b"a", b"bc", b"\n", b"\r", b"\r\n", b"0123456789"]), max_size=60).map(b"".join),
       max_line=st.integers(1, 12), block=st.integers(1, 16), start=st.integers(0, 3))
def test_the_block_reader_reads_the_lines_readline_did(tmp_path_factory, data, max_line, block, start):
    """The journal reader (a block at a time) gives the lines, line numbers, problems and read
    position of one readline per line, whatever the blocks cut: overlong lines, torn ends, \\r."""
    import sqlite3
    from io import BytesIO

    path = tmp_path_factory.mktemp("j") / "2026-01.jsonl"
    path.write_bytes(data)
    nl = [i + 1 for i, b in enumerate(data) if b == 10]
    pos0 = nl[start - 1] if 0 < start <= len(nl) else 0  # a read position at a line's end
    want_problems: list[str] = []
    want, want_pos, want_n = _read_lines_by_readline(BytesIO(data), pos0, 5, "j", want_problems, max_line)
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE sync_file (path TEXT PRIMARY KEY, pos INTEGER, tail TEXT, lines INTEGER)")
    conn.execute("INSERT INTO sync_file VALUES ('j', ?, ?, 5)", (pos0, data[max(0, pos0 - S.TAIL_BYTES):pos0].hex()))
    report = S.SyncReport(folder="f", device="d")
    real = (S.MAX_LINE, S.READ_BLOCK)
    S.MAX_LINE, S.READ_BLOCK = max_line, block
    try:
        got = list(S._read_new(conn, "j", path, report))  # type: ignore[arg-type]
    finally:
        S.MAX_LINE, S.READ_BLOCK = real
    assert got == want and report.problems == want_problems
    assert conn.execute("SELECT pos, lines FROM sync_file").fetchone() == (want_pos, want_n)


@pytest.mark.parametrize("copies", [False, True])
def test_the_bulk_merge_gives_the_rows_of_the_small_one(tmp_path, monkeypatch, copies):
    """A bulk merge (no uid index on the staged answers: the log's own uid index finds the copies
    of one uid, then the inserts are undone and replayed without them) writes the same log rows,
    ids included, and the same card states as the merge that drops the copies first; with
    ``copies``, a conflict copy of the journal where one answer was moved to another card."""
    from test_sync import home

    folder = tmp_path / "shared"
    (a, ca) = home(tmp_path, "a", folder)
    with a.database.connect() as conn:
        cards = conn.execute("SELECT c.id, c.uid, c.content_hash FROM card c ORDER BY c.position").fetchall()
    for i in range(40):
        ca.advance(minutes=37 * (1 + i % 5))
        a.answer(cards[(i * 7) % len(cards)][0], (0, 3, 4, 5, 2, 5)[i % 6], 600 + i)
    S.sync(a)
    path = next((folder / "devices").glob("*/*.jsonl"))
    if copies:
        lines = path.read_bytes().splitlines(keepends=True)
        moved = next(i for i, line in enumerate(lines) if cards[0][1].encode() in line and b'"answer"' in line)
        lines[moved] = lines[moved].replace(cards[0][1].encode(), cards[1][1].encode()).replace(
            cards[0][2].encode(), cards[1][2].encode())
        path.with_name(path.stem + ".sync-conflict-20260302-101010-ABCDEFG.jsonl").write_bytes(b"".join(lines))
    dropped = []
    real = S._drop_copies

    def counted(conn):
        dropped.append(1)
        real(conn)

    monkeypatch.setattr(S, "_drop_copies", counted)

    def merged(name, bulk_from):
        monkeypatch.setattr(S, "BULK_ANSWERS", bulk_from)
        store, _ = home(tmp_path, name, folder)
        report = S.sync(store)
        with store.database.connect() as conn:
            rows = (conn.execute("SELECT * FROM review_log ORDER BY id").fetchall(),
                    conn.execute("SELECT * FROM card_state ORDER BY card_id").fetchall())
        return report, rows

    small, small_rows = merged("small", 10**9)
    assert dropped == [1]  # (the small merge always looks for copies)
    bulk, bulk_rows = merged("bulk", 1)
    assert dropped == ([1, 1] if copies else [1])  # the bulk one only once the log refused a copy
    assert bulk_rows == small_rows and len(bulk_rows[0]) == 40
    assert (bulk.added, bulk.cards_replayed) == (small.added, small.cards_replayed) == (40, len(cards))
