"""Simulated learner under each scheduler (issue #20): ``python benchmarks/sched_sim.py [--cards N --days D]``.

Not a test. A seeded learner meets 10 new cards a day (until ``--cards`` are introduced) and
answers every card due that day, for ``--days`` days, once with SM-2 and once with FSRS (default
parameters, desired retention 0.9, no same-day steps, fuzz on and seeded per card and review).

The forgetting model is deliberately NOT FSRS's power curve: each card has a difficulty
``d ~ U(0, 1)`` and a memory strength ``S`` (days, first 2 + 8(1 - d)); an answer ``t`` days after
the last one is recalled with probability ``exp(-t / (S * e^n))``, ``n ~ N(0, 0.25)`` drawn per
review (noise). A recall multiplies ``S`` by ``1.8 + 2.5(1 - d)``; a lapse halves it
(floor 1 day). Grades: recalled with p > 0.9 → 5, p > 0.6 → 4, else 3; forgotten → 1.

Reported per scheduler: reviews per day (mean over the days), true retention (share of the
due reviews recalled, first sightings excluded), total reviews, and ``sched evaluate``'s
scores (:func:`studyllm.schedule.evaluate`) on the simulated log.
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studyllm.schedule import evaluate, scheduler

START = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def simulate(name: str, cards: int, days: int, seed: int, fit: bool = False) -> dict[str, object]:
    rng = random.Random(seed)
    sched = scheduler(name) if name == "sm2" else scheduler(
        "fsrs", desired_retention=0.9, learning_steps=(), relearning_steps=(), fuzz=True)
    difficulty = [rng.random() for _ in range(cards)]
    strength = [2 + 8 * (1 - d) for d in difficulty]
    state: dict[int, object] = {}
    due: dict[int, int] = {}  # card -> day index
    last: dict[int, datetime] = {}
    reviews_count: dict[int, int] = {}
    log: dict[int, list[tuple[datetime, int]]] = {}
    introduced = total = scored = recalled_n = 0
    for day in range(days):
        today = [c for c, d in due.items() if d <= day]
        new = list(range(introduced, min(cards, introduced + 10)))
        introduced += len(new)
        for c in sorted(today) + new:
            at = START + timedelta(days=day, seconds=c)
            if c in last:
                t = (at - last[c]).total_seconds() / 86400
                p = math.exp(-t / (strength[c] * math.exp(rng.gauss(0, 0.25))))
                ok = rng.random() < p
                grade = (5 if p > 0.9 else 4 if p > 0.6 else 3) if ok else 1
                strength[c] = strength[c] * (1.8 + 2.5 * (1 - difficulty[c])) if ok else max(1.0, strength[c] * 0.5)
                scored += 1
                recalled_n += ok
            else:
                grade = 3  # first sighting: the answer is read and rated hard
            st = state.get(c, sched.new_state())
            n = reviews_count.get(c, 0)
            st, due_at = sched.review(st, grade, at, seed=c * 100_003 + n)  # type: ignore[arg-type]
            state[c] = st
            reviews_count[c] = n + 1
            due[c] = day + max(1, math.ceil((due_at - at).total_seconds() / 86400 - 1e-9))
            last[c] = at
            log.setdefault(c, []).append((at, grade))
            total += 1
    result = evaluate(log, fitted=fit)
    return {
        "scheduler": name, "reviews_per_day": total / days, "true_retention": recalled_n / max(1, scored),
        "total_reviews": total, "evaluate": result,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cards", type=int, default=1000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--fit", action="store_true",
                    help="also score FSRS fitted to each simulated log (needs the fsrs-fit extra; 5 fits per log)")
    args = ap.parse_args()
    fitted = " log loss FSRS fitted | RMSE FSRS fitted |" if args.fit else ""
    print("| scheduler | reviews/day | true retention | total reviews | log loss SM-2 | RMSE SM-2 "
          f"| log loss FSRS | RMSE FSRS |{fitted} seconds |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|" + ("---:|---:|" if args.fit else "") + "---:|")
    for name in ("sm2", "fsrs"):
        t0 = time.process_time()
        r = simulate(name, args.cards, args.days, args.seed, args.fit)
        ev = r["evaluate"]
        scores = "| n/a " * (6 if args.fit else 4) if isinstance(ev, int) else "".join(
            f"| {e.log_loss:.4f} | {e.rmse_bins:.4f} " for e in ev)  # type: ignore[union-attr]
        print(f"| {name} | {r['reviews_per_day']:.1f} | {r['true_retention']:.3f} | {r['total_reviews']} "
              f"{scores}| {time.process_time() - t0:.1f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
