"""Sync merge benchmark (docs/sync.md): a full merge of N answers from another device's journal
into a home that has the deck but no answers, then 1,000 new answers merged incrementally.

    python benchmarks/sync_bench.py --answers 100000 --cards 10000
    python benchmarks/sync_bench.py --answers 1000000 --cards 20000 --ab main=/tmp/base now=. --runs 3

With ``--ab NAME=TREE ...`` each round runs this script once per tree, in a fresh process with
``PYTHONPATH`` set to that tree (the same journal: same seed), the order reversed every round,
the load average beside each run; then the medians and the ratio of the last tree to the first.

The journal is written as device A's push writes it (one event per line, sorted keys, then dev and
seq; uuid4 answer ids); the merge is the real
``studyllm.store.sync.sync`` of home B. Peak memory is the process's max RSS after each step.
Wall time and CPU time (``time.process_time``) are both printed: on a shared machine the wall
time depends on the load, printed beside it.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from studyllm.clock import FrozenClock
from studyllm.decks.model import ParsedCard, ParsedDeck
from studyllm.store import Store
from studyllm.store import sync as S
from studyllm.store.importer import import_parsed


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# the text a device writes for an event (studyllm.store.sync_events.emit, then the push adds dev and seq)
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode


def write_events(path: Path, cards: list[tuple[str, str]], n: int, start: datetime, seq0: int) -> None:
    """``n`` answers round the cards, one a day per card, as device A's push writes them: the
    event's JSON (sorted keys) with ``dev`` and ``seq`` appended; uids are uuid4 hex, as the
    study path makes them (random, so the inserts land on random index pages)."""
    with open(path, "a") as fh:
        for i in range(n):
            uid, chash = cards[i % len(cards)]
            at = start + timedelta(minutes=i // len(cards) * 1440 + (i % len(cards)) * 0.001)
            body = _encode({"t": "answer", "uid": uuid.UUID(int=random.getrandbits(128), version=4).hex,
                            "card": uid, "deck": "bench", "hash": chash, "day": at.date().isoformat(),
                            "grade": 3 + i % 3, "ms": 900, "at": at.isoformat()})
            fh.write(body[:-1] + f',"dev":"aaaaaaaaaaaa","seq":{seq0 + i}}}\n')


_FIGURES = re.compile(r"full merge: .* in ([\d.]+) s \(([\d.]+) s CPU\); peak rss (\d+) MB.*\n"
                      r"incremental: .* in ([\d.]+) s \(([\d.]+) s CPU\)")


def ab(trees: list[str], runs: int, answers: int, cards: int, seed: int) -> int:
    """The bench of each tree in its own process, alternated run by run (common.alternated)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from common import alternated, median

    def measure(_name: str, tree: str) -> dict[str, float]:
        env = {**os.environ, "PYTHONPATH": str(Path(tree).resolve())}
        out = subprocess.run([sys.executable, __file__, "--answers", str(answers), "--cards", str(cards),
                              "--seed", str(seed)], env=env, capture_output=True, text=True, check=True).stdout
        m = _FIGURES.search(out)
        if m is None:
            raise SystemExit(f"no figures in the output of {tree}:\n{out}")
        wall, cpu, rss, inc_wall, inc_cpu = map(float, m.groups())
        return {"wall": wall, "cpu": cpu, "rss": rss, "inc_wall": inc_wall, "inc_cpu": inc_cpu}

    def describe(_name: str, r: dict[str, float]) -> str:
        return (f"{r['cpu']:.2f} s CPU, {r['wall']:.2f} s wall, {r['rss']:.0f} MB;"
                f" incremental {r['inc_cpu']:.3f} s CPU")

    sides = [(spec.split("=", 1)[0], spec.split("=", 1)[0], spec.split("=", 1)[1]) for spec in trees]
    results = alternated(sides, runs, measure, describe)
    first = sides[0][0]
    for name, rs in results.items():
        med = {k: median(r[k] for r in rs) for k in ("cpu", "wall", "rss", "inc_cpu", "inc_wall", "load")}
        line = (f"{name}: median {med['cpu']:.2f} s CPU, {med['wall']:.2f} s wall, peak rss {med['rss']:.0f} MB,"
                f" incremental {med['inc_cpu']:.3f} s CPU / {med['inc_wall']:.3f} s wall (load {med['load']:.1f})")
        if name != first:
            base = median(r["cpu"] for r in results[first])
            line += f"; CPU {med['cpu'] / base:.2f}x {first}"
        print(line)
    return 0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--answers", type=int, default=100_000)
    ap.add_argument("--cards", type=int, default=10_000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--ab", nargs="+", metavar="NAME=TREE", help="alternate these source trees run by run")
    ap.add_argument("--runs", type=int, default=3, help="rounds of --ab")
    args = ap.parse_args()
    if args.ab:
        return ab(args.ab, args.runs, args.answers, args.cards, args.seed)
    random.seed(args.seed)
    root = Path(tempfile.mkdtemp(prefix="sync-bench-"))
    folder = root / "shared"
    clock = FrozenClock(datetime(2030, 1, 1, 9, tzinfo=UTC), "UTC")
    store = Store.open(root / "b", clock=clock)
    deck = ParsedDeck(path="bench.md", key="bench", title="Bench", content_hash="bench",
                      cards=[ParsedCard("basic", f"Question {i}?", f"Answer {i}.", line=i + 1)
                             for i in range(args.cards)])
    import_parsed(store, deck, source_path=str(root / "bench.md"))
    with store.database.connect() as conn:
        cards = [(u, h) for u, h in conn.execute("SELECT uid, content_hash FROM card ORDER BY position")]
    S.enable(store, folder)
    journal = folder / "devices" / "aaaaaaaaaaaa" / "2026-01.jsonl"
    journal.parent.mkdir(parents=True)
    start = datetime(2026, 1, 1, 8, tzinfo=UTC)
    write_events(journal, cards, args.answers, start, 0)
    print(f"load average {os.getloadavg()[0]:.2f}; rss before {rss_mb():.0f} MB; journal "
          f"{journal.stat().st_size / 1e6:.0f} MB")
    t, c = time.perf_counter(), time.process_time()
    r = S.sync(store)
    full, full_cpu = time.perf_counter() - t, time.process_time() - c
    print(f"full merge: {r.added:,} answers, {r.cards_replayed:,} cards in {full:.2f} s ({full_cpu:.2f} s CPU);"
          f" peak rss {rss_mb():.0f} MB; load average {os.getloadavg()[0]:.2f}")
    later = start + timedelta(days=args.answers // args.cards + 1)
    write_events(journal, cards[:1000], 1000, later, args.answers)
    t, c = time.perf_counter(), time.process_time()
    r = S.sync(store)
    inc, inc_cpu = time.perf_counter() - t, time.process_time() - c
    print(f"incremental: {r.added:,} answers, {r.cards_replayed:,} cards rebuilt in {inc:.3f} s ({inc_cpu:.3f} s CPU);"
          f" peak rss {rss_mb():.0f} MB; load average {os.getloadavg()[0]:.2f}")
    store.close()
    shutil.rmtree(root)  # (the journal and the home: about 600 MB at 1,000,000 answers)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
