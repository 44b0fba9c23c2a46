"""Anki <-> studyllm round trips on a collection that Anki's own scheduler has studied.

A collection is built through the ``anki`` package (Anki's Rust backend): basic, reversed and
cloze notes, then ``--days`` simulated days in which every due card is answered through
``col.sched.answer_card`` with a seeded grade mix (the day moved on by shifting ``crt`` back a
day and reopening, as ``anki_side.py`` does; each day's revlog ids are then moved back to the
day they were answered on). A few cards are suspended and buried. The collection is exported by
Anki (apkg and colpkg, legacy and current layouts), each package imported into a fresh studyllm
home and compared card by card; then studyllm's own apkg and colpkg are imported into a fresh
Anki collection and compared again.

Compared per card: due day (days from today; a learning card's intraday due counts as its day),
interval, ease (review cards), lapses, revlog row count, suspended, buried, and with ``--fsrs``
(Anki's FSRS on, studyllm's ``scheduler`` setting on fsrs) the FSRS memory state (stability,
difficulty). A card new in Anki
must be new in studyllm. Printed: cards, reviews, mismatches (with the first few listed), and
the time of each import and export.

    python benchmarks/bench_anki_roundtrip.py --notes 300 --days 40 [--fsrs]
"""

from __future__ import annotations

import os

os.environ.setdefault("ANKI_TEST_MODE", "1")  # no interval fuzz

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

DAY_S = 86400
GRADES = {1: 0.12, 2: 0.08, 3: 0.7, 4: 0.1}  # Anki ratings Again/Hard/Good/Easy


def build(folder: Path, notes: int, days: int, per_day: int, seed: int, fsrs: bool = False) -> Path:
    import anki.collection  # before anki.cards, which alone is a circular import
    from anki.cards import Card
    from anki.decks import DeckId
    from anki.scheduler.v3 import CardAnswer

    rng = random.Random(seed)
    path = folder / "anki.anki2"
    col = anki.collection.Collection(str(path))
    if fsrs:
        col.set_config("fsrs", True)
    basic, rev, cloze = (col.models.by_name(n) for n in ("Basic", "Basic (and reversed card)", "Cloze"))
    decks = [col.decks.id(name) for name in ("Lang::French", "Lang::German", "Geo", "Science::Physics::Waves")]
    for i in range(notes):
        kind = i % 10
        if kind < 6:
            n = col.new_note(basic)
            n["Front"], n["Back"] = f"<b>word {i}</b>", f"meaning {i}<br>with a <i>second</i> line"
        elif kind < 8:
            n = col.new_note(rev)
            n["Front"], n["Back"] = f"term {i}", f"definition {i}"
        else:
            n = col.new_note(cloze)
            n["Text"] = f"{{{{c1::Fact {i}}}}} goes with {{{{c2::detail {i}}}}}"
        col.add_note(n, DeckId(decks[i % len(decks)]))
    conf = col.decks.config_dict_for_deck_id(DeckId(decks[0]))
    new_per_day = max(1, notes // max(1, days // 2))
    conf["new"]["perDay"] = new_per_day
    conf["rev"]["perDay"] = 9999
    col.decks.update_config(conf)
    ratings = {1: CardAnswer.AGAIN, 2: CardAnswer.HARD, 3: CardAnswer.GOOD, 4: CardAnswer.EASY}
    names, weights = list(GRADES), list(GRADES.values())
    day_of_revlog: list[tuple[int, int]] = []  # (first revlog id of the day, day index)
    for day in range(days):
        day_of_revlog.append((int(time.time() * 1000), day))
        answered = 0
        tops = [col.decks.id(name) for name in ("Lang", "Geo", "Science")]
        while answered < per_day and tops:
            col.decks.select(DeckId(tops[0]))  # the queue is the selected deck's (and its children's)
            queued = col.sched.get_queued_cards()
            if not queued.cards:
                tops.pop(0)
                continue
            qc = queued.cards[0]
            card = Card(col, backend_card=qc.card)
            if day == days - 1 and card.queue in (1, 3) and answered > 20:
                break  # the last day ends with cards still in (re)learning
            card.start_timer()
            grade = rng.choices(names, weights=weights)[0]
            col.sched.answer_card(col.sched.build_answer(card=card, states=qc.states, rating=ratings[grade]))
            answered += 1
        if day < days - 1:
            col.crt -= DAY_S
            col.close()
            col.reopen()
    # each day's answers back to the day they were given on
    bounds = [*day_of_revlog, (1 << 62, days)]
    for (start, day), (end, _) in zip(bounds, bounds[1:], strict=False):
        shift = (days - 1 - day) * DAY_S * 1000
        col.db.execute("update revlog set id = id - ? where id >= ? and id < ?", shift, start, end)
    col.close()
    col.reopen()
    assert col.sched.today >= 0  # the day's unburying runs now, not on the next open
    reviewed = col.db.list("select id from cards where type = 2 and queue = 2 order by id")
    col.sched.suspend_cards(reviewed[:3])
    col.sched.bury_cards(reviewed[3:6])
    col.close()
    return path


def anki_cards(col: Any) -> dict[tuple[str, int], dict[str, Any]]:
    """(note guid, template ordinal) -> what Anki shows for the card."""
    today = col.sched.today
    out = {}
    for cid, guid, ord_, ctype, queue, due, ivl, factor, lapses, odue, odid, data in col.db.all(
            "select c.id, n.guid, c.ord, c.type, c.queue, c.due, c.ivl, c.factor, c.lapses, c.odue, c.odid, c.data"
            " from cards c join notes n on n.id = c.nid"):
        memory = json.loads(data) if data and data.startswith("{") else {}
        due = odue if odid and odue else due
        if ctype == 0:
            due_in = None
        elif ctype in (1, 3) and due > 1_000_000_000:
            due_in = (datetime.fromtimestamp(due, UTC).date() - datetime.fromtimestamp(time.time(), UTC).date()).days
        else:
            due_in = due - today
        out[(guid, ord_)] = {
            "new": ctype == 0, "due_in": due_in, "ivl": ivl if ctype else 0,
            "ease": factor // 10 if ctype == 2 else None, "lapses": lapses,
            "revlog": col.db.scalar("select count() from revlog where cid = ? and ease > 0", cid),
            "suspended": queue == -1, "buried": queue in (-2, -3), "s": memory.get("s"), "d": memory.get("d"),
        }
    return out


def studyllm_cards(home: Path, today: date) -> dict[tuple[str, int], dict[str, Any]]:
    con = sqlite3.connect(home / "studyllm.db")
    out = {}
    for guid, ord_, reviews, due_day, ivl, ef, lapses, revlog, suspended, buried, fsrs_state in con.execute(
            "SELECT a.guid, a.ord, s.reviews, s.due_day, s.interval, s.ef_centi, s.lapses,"
            " (SELECT count(*) FROM review_log r WHERE r.card_id = s.card_id), s.suspended, s.buried_until,"
            " s.fsrs_state FROM anki_card a JOIN card_state s ON s.card_id = a.card_id"):
        fs = json.loads(fsrs_state) if fsrs_state else {}
        out[(guid, ord_)] = {
            "new": reviews == 0, "due_in": None if due_day is None else (date.fromisoformat(due_day) - today).days,
            "ivl": ivl, "ease": ef, "lapses": lapses, "revlog": revlog, "suspended": bool(suspended),
            "buried": buried is not None and buried > today.isoformat(),
            "s": fs.get("stability"), "d": fs.get("difficulty"),
        }
    con.close()
    return out


def compare(a: dict, b: dict) -> list[str]:
    """Mismatches between Anki's view ``a`` and ``b`` (keys missing on either side count)."""
    bad = [f"{k}: missing" for k in a.keys() ^ b.keys()]
    for k in a.keys() & b.keys():
        x, y = a[k], b[k]
        if x["new"] or y["new"]:
            if x["new"] != y["new"] or x["suspended"] != y["suspended"]:
                bad.append(f"{k}: {x} != {y}")
            continue
        fields = ["due_in", "ivl", "lapses", "revlog", "suspended", "buried"]
        if x["ease"] is not None and y["ease"] is not None:
            fields.append("ease")
        diff = [f for f in fields if x[f] != y[f]]
        if (x["s"] is None) != (y["s"] is None) or (x["s"] is not None and (
                abs(x["s"] - y["s"]) > 1e-3 or abs(x["d"] - y["d"]) > 1e-2)):
            diff.append("s")  # the FSRS memory state (exported rounded to 4 and 3 decimals)
        if diff:
            bad.append(f"{k}: " + ", ".join(f"{f} {x[f]} != {y[f]}" for f in diff))
    return bad


def run(notes: int, days: int, per_day: int, seed: int, fsrs: bool = False) -> dict[str, Any]:
    from anki._backend import RustBackend
    from anki.collection import Collection, ExportAnkiPackageOptions
    from anki.import_export_pb2 import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    from studyllm.store import Store
    from studyllm.store.anki import export_apkg, export_colpkg
    from studyllm.store.anki_import import import_package

    results: dict[str, Any] = {"notes": notes, "days": days, "fsrs": fsrs}
    with tempfile.TemporaryDirectory(prefix="bench-anki-rt-") as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        path = build(folder, notes, days, per_day, seed, fsrs)
        results["build_s"] = round(time.perf_counter() - t0, 2)
        col = Collection(str(path))
        truth = anki_cards(col)
        results["cards"] = len(truth)
        results["reviews"] = sum(c["revlog"] for c in truth.values())
        results["suspended"] = sum(c["suspended"] for c in truth.values())
        results["buried"] = sum(c["buried"] for c in truth.values())
        results["learning_now"] = col.db.scalar("select count() from cards where queue in (1, 3)")
        results["memory_states"] = sum(c["s"] is not None for c in truth.values())
        packages = {}
        for name, legacy in (("legacy", True), ("current", False)):
            p = folder / f"{name}.apkg"
            col.export_anki_package(out_path=str(p), options=ExportAnkiPackageOptions(
                with_scheduling=True, with_media=True, legacy=legacy), limit=None)
            packages[f"apkg {name}"] = p
        col.close()
        for name, legacy in (("legacy", True), ("current", False)):
            p = folder / f"{name}.colpkg"
            col = Collection(str(path))
            col.export_collection_package(str(p), include_media=True, legacy=legacy)
            packages[f"colpkg {name}"] = p
        rows = []
        for name, p in packages.items():
            home = folder / f"home-{name.replace(' ', '-')}"
            store = Store.open(home)
            try:
                if fsrs:
                    store.set_setting("scheduler", "fsrs")
                t0 = time.perf_counter()
                report = import_package(store, p, into=folder / f"decks-{name.replace(' ', '-')}")
                took = time.perf_counter() - t0
                t0 = time.perf_counter()
                again = import_package(store, p, into=folder / f"decks-{name.replace(' ', '-')}")
                took_again = time.perf_counter() - t0
                ours = studyllm_cards(home, store.today())
            finally:
                store.close()
            bad = compare(truth, ours)
            rows.append({"direction": f"Anki {name} -> studyllm", "cards": report.cards_matched,
                         "reviews": report.reviews_imported, "mismatches": len(bad), "first": bad[:3],
                         "import_s": round(took, 2), "reimport_new_reviews": again.reviews_imported,
                         "reimport_s": round(took_again, 2)})
        # studyllm -> Anki, from the legacy apkg's home
        home = folder / "home-apkg-legacy"
        store = Store.open(home)
        try:
            ours = studyllm_cards(home, store.today())
            from studyllm.store.anki import anki_guid

            expect = {(anki_guid("", None, (g, o)), 0): v for (g, o), v in ours.items()}
            out_apkg, out_colpkg = folder / "ours.apkg", folder / "ours.colpkg"
            t0 = time.perf_counter()
            export_apkg(store, out_apkg)
            apkg_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            export_colpkg(store, out_colpkg)
            colpkg_s = time.perf_counter() - t0
        finally:
            store.close()
        fresh = Collection(str(folder / "fresh.anki2"))
        if fsrs:
            fresh.set_config("fsrs", True)
        try:
            t0 = time.perf_counter()
            fresh.import_anki_package(ImportAnkiPackageRequest(
                package_path=str(out_apkg), options=ImportAnkiPackageOptions(with_scheduling=True)))
            took = time.perf_counter() - t0
            theirs = anki_cards(fresh)
        finally:
            fresh.close()
        bad = compare(expect, theirs)
        rows.append({"direction": "studyllm apkg -> Anki", "cards": len(theirs),
                     "reviews": sum(c["revlog"] for c in theirs.values()), "mismatches": len(bad), "first": bad[:3],
                     "export_s": round(apkg_s, 2), "import_s": round(took, 2)})
        target = folder / "restored" / "collection.anki2"
        target.parent.mkdir()
        t0 = time.perf_counter()
        RustBackend().import_collection_package(col_path=str(target), backup_path=str(out_colpkg),
                                                media_folder=str(target.parent / "media"),
                                                media_db=str(target.parent / "media.db2"))
        took = time.perf_counter() - t0
        restored = Collection(str(target))
        try:
            theirs = anki_cards(restored)
        finally:
            restored.close()
        bad = compare(expect, theirs)
        rows.append({"direction": "studyllm colpkg -> Anki", "cards": len(theirs),
                     "reviews": sum(c["revlog"] for c in theirs.values()), "mismatches": len(bad), "first": bad[:3],
                     "export_s": round(colpkg_s, 2), "import_s": round(took, 2)})
        results["rows"] = rows
    return results


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--notes", type=int, default=300)
    ap.add_argument("--days", type=int, default=40)
    ap.add_argument("--per-day", type=int, default=400)
    ap.add_argument("--seed", type=int, default=5)
    ap.add_argument("--fsrs", action="store_true", help="Anki's FSRS on, studyllm's scheduler setting on fsrs")
    args = ap.parse_args()
    load = os.getloadavg()[0]
    c0 = time.process_time()
    res = run(args.notes, args.days, args.per_day, args.seed, args.fsrs)
    res["cpu_s"] = round(time.process_time() - c0, 1)
    res["load_average_1min_at_start"] = round(load, 2)
    json.dump(res, sys.stdout, indent=2)
    print()
    return 0 if all(r["mismatches"] == 0 for r in res["rows"]) else 1


if __name__ == "__main__":
    raise SystemExit(main())
