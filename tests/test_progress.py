"""Export, import-progress (merge), replay: round trip, merge, idempotence, bad input."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import add_deck

from studyllm.clock import FrozenClock
from studyllm.store import Store
from studyllm.store import export as E
from studyllm.store import export_format as F
from studyllm.store import merge as M
from studyllm.store import replay as R
from studyllm.store.db import write_tx

STATE = ("queue repetitions ef_centi interval due_day reviews lapses last_reviewed_at drill_day buried_until "
         "suspended leech").split()
LOG = ("uid card_uid reviewed_at day grade duration_ms kind reps_before ef_before interval_before due_before "
       "reps_after ef_after interval_after due_after").split()


def new_home(tmp_path: Path, name: str, decks=(("alpha", 6), ("beta", 4))) -> tuple[Store, FrozenClock]:
    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "Europe/Berlin")
    store = Store.open(tmp_path / name, clock=clock)
    for key, n in decks:
        add_deck(store, key, n)
    return store, clock


def ids(store, deck_key):
    with store.database.connect() as conn:
        return [r[0] for r in conn.execute(
            "SELECT c.id FROM card c JOIN deck d ON d.id = c.deck_id WHERE d.key = ? ORDER BY c.position", (deck_key,))]


def states(store) -> dict[str, tuple]:
    with store.database.connect() as conn:
        return {r[0]: tuple(r[1:]) for r in conn.execute(
            f"SELECT c.uid, {', '.join('s.' + c for c in STATE)} FROM card_state s JOIN card c ON c.id = s.card_id")}


def log_rows(store) -> dict[str, tuple]:
    with store.database.connect() as conn:
        return {r[0]: tuple(r) for r in conn.execute(f"SELECT {', '.join(LOG)} FROM review_log")}


def dump(store) -> list:
    with store.database.connect() as conn:
        return [conn.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall() for t in ("card", "card_state", "review_log")]


def study(store, clock, plan):
    """plan: list of days, each a list of (card_id, grade); 12 minutes between answers."""
    for day in plan:
        for cid, grade in day:
            store.answer(cid, grade, duration_ms=1500)
            clock.advance(minutes=12)
        clock.advance(days=1)


def export_to(store, path: Path) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        E.export_json(store, fh)
    return path


@pytest.fixture
def studied(tmp_path):
    store, clock = new_home(tmp_path, "a")
    store.set_setting("leech_lapses", 2)
    a, b = ids(store, "alpha"), ids(store, "beta")
    plan = [
        [(a[0], 5), (a[1], 2), (a[1], 3), (a[1], 4), (b[0], 4)],  # a1 fails, then two same-day drills
        [(a[0], 4), (a[1], 1), (b[0], 1), (b[0], 5)],  # a1: first scheduled review fails (lapse), b0 lapses
        [(a[1], 0), (a[1], 4), (a[2], 3), (a[2], 5)],  # a1 lapses again -> leech at 2
        [],
        [(a[0], 3), (b[0], 4), (b[1], 5)],
    ]
    study(store, clock, plan)
    store.suspend(b[1])
    store.bury(a[2])
    yield store, clock
    store.close()


def test_replay_reproduces_answer_exactly(studied):
    store, _ = studied
    before_states, before_log = states(store), log_rows(store)
    with write_tx(store.database) as conn:  # scramble the states and derived fields
        conn.execute("UPDATE card_state SET repetitions = 9, ef_centi = 130, interval = 99, lapses = 0, leech = 0")
        conn.execute("UPDATE review_log SET kind = 'x', ef_after = 0")
    assert states(store) != before_states
    assert store.rebuild_states() == 10
    assert states(store) == before_states
    assert log_rows(store) == before_log


def test_leech_and_drill_kinds_are_replayed(studied):
    store, _ = studied
    a = ids(store, "alpha")
    kinds = [r[6] for r in sorted(log_rows(store).values(), key=lambda r: r[2]) if r[1] == store.card(a[1]).uid]
    assert kinds == ["new", "drill", "drill", "relearn", "relearn", "drill"]
    assert store.card(a[1]).leech and store.card(a[1]).lapses == 2


def test_round_trip_json_into_empty_home(studied, tmp_path):
    store, _ = studied
    path = export_to(store, tmp_path / "progress.json")
    other, _ = new_home(tmp_path, "b")
    other.set_setting("leech_lapses", 2)
    report = M.import_progress(other, path)
    assert report.added == 16 and report.unknown == [] and report.already_present == 0
    assert states(other) == states(store)
    assert log_rows(other) == log_rows(store)
    other.close()


def test_round_trip_csv_folder(studied, tmp_path):
    store, _ = studied
    out = tmp_path / "csv"
    E.export_csv(store, out)
    other, _ = new_home(tmp_path, "b")
    other.set_setting("leech_lapses", 2)
    report = M.import_progress(other, out)
    assert report.added == 16
    assert states(other) == states(store)
    # the review_log.csv alone is enough for the log (flags come from card_states.csv)
    third, _ = new_home(tmp_path, "c")
    third.set_setting("leech_lapses", 2)
    M.import_progress(third, out / "review_log.csv")
    assert log_rows(third) == log_rows(store)
    other.close()
    third.close()


def test_export_json_layout(studied, tmp_path):
    store, _ = studied
    doc = json.loads(export_to(store, tmp_path / "p.json").read_text(encoding="utf-8"))
    assert doc["format"] == "studyllm-progress" and doc["version"] == F.EXPORT_VERSION
    assert doc["counts"] == {"decks": 2, "cards": 10, "review_log": 16}
    assert [d["key"] for d in doc["decks"]] == ["alpha", "beta"]
    assert len(doc["cards"]["rows"]) == 10 and doc["cards"]["columns"][0] == "uid"
    cols = doc["review_log"]["columns"]
    first = dict(zip(cols, doc["review_log"]["rows"][0], strict=True))
    assert first["grade"] == 5 and first["kind"] == "new" and first["day"] == "2026-03-02"
    scols = doc["card_states"]["columns"]
    suspended = [dict(zip(scols, r, strict=True)) for r in doc["card_states"]["rows"] if r[scols.index("suspended")]]
    assert len(suspended) == 1 and suspended[0]["queue"] == -1


def test_export_csv_layout(studied, tmp_path):
    store, _ = studied
    E.export_csv(store, tmp_path / "out")
    with open(tmp_path / "out" / "review_log.csv", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 16 and list(rows[0]) == F.CSV_LOG_COLUMNS
    assert rows[0]["deck_key"] == "alpha" and rows[0]["ef_after"] == "2.60"
    with open(tmp_path / "out" / "card_states.csv", encoding="utf-8") as fh:
        srows = list(csv.DictReader(fh))
    assert len(srows) == 10 and {r["state"] for r in srows} >= {"new", "learning", "suspended"}


def test_export_reports_progress(studied):
    store, _ = studied
    calls = []
    E.export_json(store, io.StringIO(), progress=lambda done, total, label: calls.append((done, total)))
    assert calls[-1] == (36, 36)  # 10 cards + 10 states + 16 answers


def test_merge_two_homes_gives_the_union_and_one_timeline(tmp_path):
    ha, ca = new_home(tmp_path, "a")
    hb, cb = new_home(tmp_path, "b")
    one, c1 = new_home(tmp_path, "one")  # the same answers given on a single machine
    a = ids(ha, "alpha")
    # machine A studies cards 0-1, machine B cards 2-3; both study card 5 on different days
    day1_a = [(a[0], 5), (a[1], 3), (a[5], 4)]
    day1_b = [(a[2], 4), (a[3], 2)]
    day2_b = [(a[5], 1), (a[2], 5)]
    study(ha, ca, [day1_a])
    cb.advance(hours=2)
    study(hb, cb, [day1_b, day2_b])
    c1_plan = [day1_a]  # replicate in time order on one home
    study(one, c1, c1_plan)
    c1.set(datetime(2026, 3, 2, 11, 0, tzinfo=UTC))
    study(one, c1, [day1_b, day2_b])
    pa, pb = export_to(ha, tmp_path / "a.json"), export_to(hb, tmp_path / "b.json")
    ra = M.import_progress(hb, pa)
    rb = M.import_progress(ha, pb)
    assert ra.added == 3 and rb.added == 4
    assert len(log_rows(ha)) == len(log_rows(hb)) == 7
    assert set(log_rows(ha)) == set(log_rows(hb))
    # both machines end in the state of the single machine, including the shared card
    assert states(ha) == states(hb)
    single = states(one)
    assert states(ha) == single
    assert ha.card(a[5]).lapses == 1 and ha.card(a[5]).reviews == 2
    for h in (ha, hb, one):
        h.close()


def test_import_twice_changes_nothing(studied, tmp_path):
    store, _ = studied
    path = export_to(store, tmp_path / "p.json")
    other, _ = new_home(tmp_path, "b")
    M.import_progress(other, path)
    snap = dump(other)
    again = M.import_progress(other, path)
    assert again.added == 0 and again.already_present == 16 and again.cards_replayed == 0
    assert dump(other) == snap
    # importing a home's own export into itself is a no-op too
    own = dump(store)
    assert M.import_progress(store, path).added == 0
    assert dump(store) == own
    other.close()


def test_unknown_cards_are_reported_not_guessed(studied, tmp_path):
    store, _ = studied
    path = export_to(store, tmp_path / "p.json")
    other, _ = new_home(tmp_path, "b", decks=(("alpha", 6),))  # no beta deck here
    report = M.import_progress(other, path)
    assert {u.deck_key for u in report.unknown} == {"beta"}
    assert sum(u.reviews for u in report.unknown) == 5 and report.added == 11
    assert all(u.front for u in report.unknown)
    assert len(log_rows(other)) == 11
    other.close()


def test_cards_match_by_deck_and_content_when_uid_differs(studied, tmp_path):
    store, _ = studied
    path = export_to(store, tmp_path / "p.json")
    other, _ = new_home(tmp_path, "b")
    other.set_setting("leech_lapses", 2)
    with write_tx(other.database) as conn:
        conn.execute("UPDATE card SET uid = 'local-' || id")
    report = M.import_progress(other, path)
    assert report.matched_by_content == 10 and report.matched_by_uid == 0 and report.unknown == []
    mine = {uid.split("-")[1]: s for uid, s in states(other).items()}
    assert sorted(mine.values(), key=repr) == sorted(states(store).values(), key=repr)
    with other.database.connect() as conn:  # log rows point at the local card uids
        assert conn.execute("SELECT count(*) FROM review_log WHERE card_uid LIKE 'local-%'").fetchone()[0] == 16
    other.close()


def test_dry_run_changes_nothing(studied, tmp_path):
    store, _ = studied
    path = export_to(store, tmp_path / "p.json")
    other, _ = new_home(tmp_path, "b")
    snap = dump(other)
    report = M.import_progress(other, path, dry_run=True)
    assert report.added == 16 and dump(other) == snap
    other.close()


def test_failure_midway_rolls_everything_back(studied, tmp_path, monkeypatch):
    store, _ = studied
    path = export_to(store, tmp_path / "p.json")
    other, _ = new_home(tmp_path, "b")
    snap = dump(other)
    calls = []

    def flaky(real):
        def replay(*args, **kw):
            calls.append(1)
            if len(calls) == 4:
                raise RuntimeError("disk on fire")
            return real(*args, **kw)
        return replay

    # (the replay of a card with only new SM-2 answers goes through _sm2_rows, the others replay_card)
    monkeypatch.setattr(R, "replay_card", flaky(R.replay_card))
    monkeypatch.setattr(R, "_sm2_rows", flaky(R._sm2_rows))
    with pytest.raises(RuntimeError):
        M.import_progress(other, path)
    assert dump(other) == snap
    other.close()


# --------------------------------------------------------------------------- bad input


@pytest.fixture
def export_doc(studied, tmp_path):
    store, _ = studied
    path = export_to(store, tmp_path / "p.json")
    other, _ = new_home(tmp_path, "b")
    yield path, other
    other.close()


def check_refused(other, path, *needles):
    snap = dump(other)
    with pytest.raises(F.ProgressError) as info:
        M.import_progress(other, path)
    msg = str(info.value)
    for n in needles:
        assert n in msg, msg
    assert dump(other) == snap
    return msg


def test_truncated_json_names_the_line(export_doc, tmp_path):
    path, other = export_doc
    text = path.read_text(encoding="utf-8")
    cut = tmp_path / "cut.json"
    cut.write_text(text[: len(text) * 2 // 3], encoding="utf-8")
    msg = check_refused(other, cut, "line ", "invalid JSON", "truncated")
    line = int(msg.split("line ")[1].split()[0])
    assert line == cut.read_text(encoding="utf-8").count("\n") + 1


def test_hand_edited_bad_grade_names_the_key(export_doc, tmp_path):
    path, other = export_doc
    doc = json.loads(path.read_text(encoding="utf-8"))
    gi = doc["review_log"]["columns"].index("grade")
    doc["review_log"]["rows"][3][gi] = 7
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    check_refused(other, bad, "review_log.rows[3]", "grade", "7")


@pytest.mark.parametrize(
    "edit, needles",
    [
        (lambda d: d.pop("review_log"), ("'review_log'",)),
        (lambda d: d.__setitem__("format", "anki"), ("'format'",)),
        (lambda d: d["review_log"]["rows"][0].pop(), ("review_log.rows[0]", "expected a list of 12 values")),
        (lambda d: d["review_log"]["rows"][1].__setitem__(2, "yesterday"), ("review_log.rows[1]", "reviewed_at")),
        (lambda d: d["review_log"]["rows"][1].__setitem__(2, "2026-03-02T10:00:00"), ("time zone",)),
        (lambda d: d["review_log"]["rows"][2].__setitem__(3, "2026-02-30"), ("review_log.rows[2]", "day")),
        (lambda d: d["review_log"]["rows"].append(list(d["review_log"]["rows"][0])), ("also used at",)),
        (lambda d: d["cards"]["columns"].remove("uid"), ("cards.columns", "uid")),
        (lambda d: d["card_states"]["rows"][0].__setitem__(11, "yes"), ("card_states.rows[0]", "suspended")),
    ],
)
def test_hand_edited_json_is_refused(export_doc, tmp_path, edit, needles):
    path, other = export_doc
    doc = json.loads(path.read_text(encoding="utf-8"))
    edit(doc)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    check_refused(other, bad, *needles)


def test_newer_export_version_is_refused(export_doc, tmp_path):
    path, other = export_doc
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["version"] = F.EXPORT_VERSION + 1
    bad = tmp_path / "new.json"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    check_refused(other, bad, "'version'", "newer", "upgrade")


def test_not_json_at_all(export_doc, tmp_path):
    _, other = export_doc
    bad = tmp_path / "x.json"
    bad.write_bytes(b"\xff\xfe not text")
    check_refused(other, bad, "not UTF-8")
    bad.write_text("[1, 2]", encoding="utf-8")
    check_refused(other, bad, "not a studyllm export")


def test_csv_with_wrong_columns(studied, tmp_path):
    store, _ = studied
    out = tmp_path / "csv"
    E.export_csv(store, out)
    other, _ = new_home(tmp_path, "b")
    log_csv = out / "review_log.csv"
    lines = log_csv.read_text(encoding="utf-8").splitlines()
    log_csv.write_text("\n".join([lines[0].replace("grade", "score")] + lines[1:]) + "\n", encoding="utf-8")
    check_refused(other, out, "line 1", "missing grade", "unexpected 'score'")
    # a bad value names its line
    cols = F.CSV_LOG_COLUMNS
    row5 = next(csv.reader([lines[4]]))
    row5[cols.index("grade")] = "9"
    buf = io.StringIO()
    csv.writer(buf).writerow(row5)
    log_csv.write_text("\n".join(lines[:4] + [buf.getvalue().strip()] + lines[5:]) + "\n", encoding="utf-8")
    check_refused(other, log_csv, "line 5", "grade")
    # a short row
    log_csv.write_text("\n".join(lines[:2] + ["a,b,c"]) + "\n", encoding="utf-8")
    check_refused(other, log_csv, "line 3", "expected 14 fields")
    other.close()


def test_undo_after_a_merge_keeps_the_merged_later_answer(tmp_path):
    a, clock_a = new_home(tmp_path, "a")
    b, clock_b = new_home(tmp_path, "b")
    card = ids(a, "alpha")[0]
    a.answer(card, 5)  # this session's own answer, then the same card answered later elsewhere
    clock_b.advance(hours=2)
    b.answer(ids(b, "alpha")[0], 2)
    M.import_progress(a, export_to(b, tmp_path / "b.json"))
    assert len(a.history(card)) == 2
    assert a.undo() == card  # takes back only the local answer
    hist = a.history(card)
    assert [h["grade"] for h in hist] == [2]
    view = a.card(card)
    assert view.reviews == 1 and view.repetitions == 0 and view.easiness == 2.18  # replayed from b's answer
    a.close()
    b.close()
