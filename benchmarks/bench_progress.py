"""Stats queries and progress export at scale: 100,000 cards and 1,000,000 review rows.

The store is filled by bulk inserts straight into SQLite (seeded, so every run sees the
same data), then each stats function and each export is timed several times and the
median printed. Optionally (``--import``) the JSON export is merged into a copy of the
home whose review log was emptied, which replays every card from a million answers.

    python benchmarks/bench_progress.py                      # 100k cards, 1M answers
    python benchmarks/bench_progress.py --cards 10000 --reviews 100000 --repeat 3
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common

from studyllm.clock import FrozenClock
from studyllm.store import (
    Store,
    anki,
    progress,
    stats,
)

TODAY = date(2026, 3, 2)
NOW = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)  # after the last session of the day
DECKS = 20


def build(home: Path, n_cards: int, n_reviews: int, seed: int) -> Store:
    store = Store.open(home, clock=FrozenClock(NOW, "UTC"))
    rng = random.Random(seed)
    db = sqlite3.connect(store.path)
    db.execute("PRAGMA synchronous = OFF")
    now = NOW.isoformat()
    with db:
        db.executemany(
            "INSERT INTO deck (id, key, title, source_path, content_hash, tags, options, mode, position, archived,"
            " created_at, updated_at) VALUES (?,?,?,?,?,'[]','{}','cards',?,0,?,?)",
            [(d + 1, f"deck{d:02d}", f"Bench deck {d:02d}", f"/bench/deck{d:02d}.md", f"h{d}", d, now, now)
             for d in range(DECKS)],
        )
        cards, states = [], []
        for i in range(n_cards):
            cid = i + 1
            deck = i % DECKS + 1
            cards.append((cid, f"uid{cid:08d}", deck, "basic", f"Question {cid} about attention?",
                          f"Answer {cid}.", f"c{cid:060d}", f"n{cid:060d}", i // DECKS, now, now))
            r = rng.random()
            if r < 0.2:
                states.append((cid, deck, i, 0, 0, 250, 0, None, 0, 0, 0, 0, 0))
            else:
                learning = r < 0.3
                ivl = rng.choice((1, 6)) if learning else rng.randint(1, 400)
                due = (TODAY + timedelta(days=rng.randint(-10, min(ivl, 90)))).isoformat()
                queue = -1 if rng.random() < 0.02 else (1 if learning else 2)
                states.append((cid, deck, i, queue, 1 if learning else rng.randint(2, 12), rng.randint(130, 300), ivl,
                               due, rng.randint(1, 30), rng.randint(0, 6), int(queue == -1),
                               int(rng.random() < 0.01), 0))
        db.executemany(
            "INSERT INTO card (id, uid, deck_id, kind, variant, front, back, extra, heading_path, tags, line,"
            " position, content_hash, norm_hash, archived, created_at, updated_at)"
            " VALUES (?,?,?,?,'',?,?,'{}','[]','[]',1,?,?,?,0,?,?)",
            [(c[0], c[1], c[2], c[3], c[4], c[5], c[8], c[6], c[7], c[9], c[10]) for c in cards],
        )
        db.executemany(
            "INSERT INTO card_state (card_id, deck_id, position, queue, repetitions, ef_centi, interval, due_day,"
            " reviews, lapses, suspended, leech, drill_day) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,NULL)",
            [s[:12] for s in states],
        )
        kinds = ("new", "review", "review", "review", "relearn", "drill")
        # a real log is appended in time order: draw the instants first, then write them sorted
        offsets = sorted((int(rng.random() ** 1.5 * 500) * 86_400 - rng.randint(0, 50_000) for _ in range(n_reviews)),
                         reverse=True)
        start = datetime(TODAY.year, TODAY.month, TODAY.day, 8, tzinfo=UTC)
        batch = []
        for i, off in enumerate(offsets):
            cid = rng.randint(1, n_cards)
            at = start - timedelta(seconds=off)
            grade = rng.choices((0, 1, 2, 3, 4, 5), (3, 5, 7, 20, 40, 25))[0]
            ivl = rng.choice((0, 1, 6, 15, 30, 80, 200))
            batch.append((i + 1, f"{i:032x}", cid, f"uid{cid:08d}", at.isoformat(), at.date().isoformat(), grade,
                          rng.randint(800, 20_000), rng.choice(kinds), ivl))
            if len(batch) == 50_000:
                _flush(db, batch)
                batch = []
        _flush(db, batch)
    db.execute("ANALYZE")
    db.close()
    return store


def _flush(db: sqlite3.Connection, batch: list) -> None:
    db.executemany(
        "INSERT INTO review_log (id, uid, card_id, card_uid, reviewed_at, day, grade, duration_ms, kind, reps_before,"
        " ef_before, interval_before, due_before, reps_after, ef_after, interval_after, due_after, state_before)"
        " VALUES (?,?,?,?,?,?,?,?,?,2,250,?,NULL,3,250,10,NULL,'{}')",
        batch,
    )


def timed(fn, repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return common.median(times) * 1000, result


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cards", type=int, default=100_000)
    ap.add_argument("--reviews", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--import", dest="do_import", action="store_true",
                    help="also time import-progress of the JSON export")
    args = ap.parse_args()

    work = Path(tempfile.mkdtemp(prefix="bench-progress-"))
    try:
        t0 = time.perf_counter()
        store = build(work / "home", args.cards, args.reviews, args.seed)
        build_s = time.perf_counter() - t0
        rows: list[tuple[str, float, str]] = []
        checks = {
            "reviews_per_day(30)": lambda: stats.reviews_per_day(store, 30),
            "reviews_per_day(90)": lambda: stats.reviews_per_day(store, 90),
            "reviews_per_day(365)": lambda: stats.reviews_per_day(store, 365),
            "heatmap(365)": lambda: stats.heatmap(store, 365),
            "streaks": lambda: stats.streaks(store),
            "retention": lambda: stats.retention(store),
            "forecast(30)": lambda: stats.forecast(store, 30),
            "card_counts": lambda: stats.card_counts(store),
            "ef_distribution": lambda: stats.ef_distribution(store),
            "deck_table": lambda: stats.deck_table(store),
            "summary (studyllm stats)": lambda: stats.summary(store),
        }
        for name, fn in checks.items():
            ms, _ = timed(fn, args.repeat)
            rows.append((name, ms, ""))
        out_json = work / "progress.json"

        def do_json():
            with open(out_json, "w", encoding="utf-8") as fh:
                return progress.export_json(store, fh)

        ms, _ = timed(do_json, max(1, args.repeat // 2))
        rows.append(("export json", ms, f"{out_json.stat().st_size / 1e6:.0f} MB"))
        ms, _ = timed(lambda: progress.export_csv(store, work / "csv"), max(1, args.repeat // 2))
        size = sum(p.stat().st_size for p in (work / "csv").iterdir())
        rows.append(("export csv (2 files)", ms, f"{size / 1e6:.0f} MB"))
        ms, _ = timed(lambda: anki.export_anki_tsv(store, open(work / "notes.tsv", "w", encoding="utf-8")), 1)
        rows.append(("export anki-tsv", ms, f"{(work / 'notes.tsv').stat().st_size / 1e6:.0f} MB"))
        ms, _ = timed(lambda: progress.load_export(out_json), 1)
        rows.append(("load + check json export", ms, ""))
        result = {name: round(ms, 1) for name, ms, _ in rows}
        if args.do_import:
            store.close()
            shutil.copytree(work / "home", work / "empty")
            db = sqlite3.connect(work / "empty" / "studyllm.db")
            with db:
                db.execute("DELETE FROM review_log")
            db.close()
            target = Store.open(work / "empty", clock=FrozenClock(NOW, "UTC"))
            t0 = time.perf_counter()
            report = progress.import_progress(target, out_json)
            ms = (time.perf_counter() - t0) * 1000
            rows.append((f"import-progress into a home with no log ({report.added:,} added)", ms, ""))
            result["import-progress"] = round(ms, 1)
            target.close()
        print(f"{args.cards:,} cards, {args.reviews:,} review rows (built in {build_s:.1f} s), "
              f"median of {args.repeat} runs for queries:\n")
        print(common.markdown_table(["operation", "median ms", "output"], rows, align=["l", "r", "r"]))
        common.emit_json({"cards": args.cards, "reviews": args.reviews, **result})
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
