"""The store's share of keypress -> next card (a script, not a test): on a database of
100,000 cards, each step is what the study screen asks the store for one grade key:
``answer`` (durable commit), ``next_card`` and, at the reveal, ``preview_answer`` (the grade
bar's intervals). Wall-clock and CPU time per step, p50/p95, so two checkouts can be compared
when the machine is shared (CPU time moves less with the load than wall-clock time):

    python benchmarks/bench_answer_path.py --home DIR [--answers 300] [--scheduler sm2|fsrs]

``--home`` is copied to a temporary folder first (the copy is studied, the original is not
changed): build it once with ``benchmarks/bench_tui.py --home DIR --answers 2 --skip-tmux``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--home", type=Path, required=True)
    ap.add_argument("--answers", type=int, default=300)
    ap.add_argument("--scheduler", default="sm2")
    args = ap.parse_args()

    from studyllm.clock import FrozenClock
    from studyllm.store import Store

    tmp = Path(tempfile.mkdtemp(prefix="bench-answer-"))
    shutil.copytree(args.home, tmp, dirs_exist_ok=True)
    clock = FrozenClock(datetime(2026, 3, 2, 12, tzinfo=UTC))
    store = Store.open(tmp, clock=clock)
    if args.scheduler != "sm2":
        store.set_setting("scheduler", args.scheduler)
    has_preview = hasattr(store, "preview_answer")
    grades = [5, 4, 3, 5, 4, 1]
    wall: list[float] = []
    cpu: list[float] = []
    card = store.next_card()
    for i in range(args.answers):
        assert card is not None
        w0, c0 = time.perf_counter(), time.process_time()
        store.answer(card.id, grades[i % len(grades)], 1500, shown=card)
        card = store.next_card()
        if has_preview and card is not None:
            store.preview_answer(card)
        wall.append((time.perf_counter() - w0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
        clock.advance(seconds=20)
        if i % 50 == 49:
            clock.advance(hours=1)  # let the same-day repeats come back
    store.close()
    shutil.rmtree(tmp, ignore_errors=True)
    load = os.getloadavg()[0]
    print(f"{args.scheduler}: {len(wall)} answers: wall p50 {statistics.median(wall):.2f} ms, "
          f"p95 {pct(wall, 95):.2f} ms; CPU p50 {statistics.median(cpu):.2f} ms, p95 {pct(cpu, 95):.2f} ms "
          f"(load {load:.1f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
