"""Two checkouts of studyllm on the answer path, alternated run by run (a script, not a test).

    python benchmarks/bench_trees.py --old /tmp/old-tree --new . --runs 7 [--measure study days]

Each run measures every tree once, in a fresh Python process started from a neutral folder
with ``PYTHONPATH`` set to that tree (the child checks ``studyllm.__file__`` is the tree's),
the order swapped from one run to the next, so a busy machine slows both alike. The child
runs this checkout's harness (``studyllm_side.measure_study`` / ``measure_days``) against the
tree's library, so both trees are measured by the same code. Beside the harness's wall-clock
figures, the child gives the CPU time (user + system of the process, ``process_time``) of
each answer and of the 30 days, and the load average is printed beside every run.

Prints per run and the medians over the runs, and writes every result to ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent

_CHILD = r"""
import json, sys, time
tree, bench, measure, deck, answers = sys.argv[1:6]
sys.path.insert(0, bench)
import studyllm
from pathlib import Path
assert Path(studyllm.__file__).resolve().is_relative_to(Path(tree).resolve()), studyllm.__file__
import studyllm_side as S
import common
from studyllm.store import db as _db
if not hasattr(_db.Connection, "execute"):  # a tree before issue 14: the harness's closing counts read raw rows
    _db.Connection.execute = lambda self, sql, params=(): self.raw.execute(sql, params)

real_loop = S._answer_loop
cpu_each = []
loop_cpu = [0.0]

def timed_loop(store, grades):
    # the harness's loop, with the CPU time of each answer beside its wall time
    pc, pt = time.perf_counter, time.process_time
    per_answer, fetch, answer = [], [], []
    c_start = pt()
    for grade in grades:
        c0, t0 = pt(), pc()
        card = store.next_card()
        if card is None:
            break
        t1 = pc()
        store.answer(card.id, S.GRADES[grade])
        t2, c2 = pc(), pt()
        per_answer.append(t2 - t0)
        fetch.append(t1 - t0)
        answer.append(t2 - t1)
        cpu_each.append(c2 - c0)
    loop_cpu[0] += pt() - c_start
    return {"per_answer": per_answer, "fetch": fetch, "answer": answer}

S._answer_loop = timed_loop
if measure == "study":
    r = S.measure_study(deck, n_answers=int(answers))
    r.update({"cpu_" + k: v for k, v in common.latency_summary(cpu_each, "per_answer_").items()})
else:
    r = S.measure_days(deck)
    r["days_cpu_s"] = loop_cpu[0]
r["studyllm_file"] = studyllm.__file__
print(json.dumps(r))
"""

# what is printed per measure: (key, label, scale)
SHOWN = {
    "study": [("per_answer_median_ms", "answer p50 ms"), ("per_answer_p95_ms", "p95 ms"),
              ("per_answer_p99_ms", "p99 ms"), ("cpu_per_answer_median_ms", "CPU p50 ms"),
              ("cpu_per_answer_p95_ms", "CPU p95 ms"), ("cpu_per_answer_p99_ms", "CPU p99 ms")],
    "days": [("days_total_s", "30 days s"), ("days_cpu_s", "CPU s"), ("days_answers", "answers")],
}


def run_child(tree: Path, measure: str, deck: Path, answers: int, python: str) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["PYTHONPATH"] = str(tree)
    with tempfile.TemporaryDirectory(prefix="bench-trees-") as cwd:
        out = subprocess.run([python, "-c", _CHILD, str(tree), str(_HERE), measure, str(deck), str(answers)],
                             cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{tree} {measure}: exit {out.returncode}\n{out.stderr[-2000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--old", type=Path, required=True, help="the older checkout (its folder holding studyllm/)")
    ap.add_argument("--new", type=Path, default=_HERE.parent, help="the newer checkout (default: this one)")
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--measure", nargs="+", default=["study", "days"], choices=sorted(SHOWN))
    ap.add_argument("--size", type=int, default=10_000, help="deck size (cards)")
    ap.add_argument("--answers", type=int, default=2000, help="answers in the study measure")
    ap.add_argument("--decks", type=Path, default=_HERE / "out", help="deck folder (generated if missing)")
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()

    sys.path.insert(0, str(_HERE))
    import studyllm_side as S

    deck = S.deck_paths(args.size, 1, args.decks)[0]
    trees = {"old": args.old.resolve(), "new": args.new.resolve()}
    rows: list[dict[str, Any]] = []
    for run in range(args.runs):
        for k, measure in enumerate(args.measure):
            order = ["old", "new"] if (run + k) % 2 == 0 else ["new", "old"]
            for name in order:
                load = os.getloadavg()[0]
                r = run_child(trees[name], measure, deck, args.answers, args.python)
                rows.append({"run": run, "tree": name, "measure": measure, "load": load, "result": r})
                shown = ", ".join(f"{label} {r[key]:.3f}" for key, label in SHOWN[measure] if key in r)
                print(f"run {run + 1}/{args.runs} {measure:<5} {name}: {shown} (load {load:.1f})", flush=True)
    if args.json:
        args.json.write_text(json.dumps({"trees": {k: str(v) for k, v in trees.items()}, "rows": rows}, indent=1))
    print("\nmedians over the runs (new / old):")
    for measure in args.measure:
        for key, label in SHOWN[measure]:
            med = {}
            for name in trees:
                vals = [row["result"][key] for row in rows if row["tree"] == name and row["measure"] == measure
                        and key in row["result"]]
                med[name] = statistics.median(vals) if vals else None
            if med["old"] and med["new"] is not None:
                print(f"  {label:<14} old {med['old']:.4f}  new {med['new']:.4f}  {med['new'] / med['old'] - 1:+.1%}")
    loads = [row["load"] for row in rows]
    print(f"load average (1 min) over the runs: {min(loads):.1f}-{max(loads):.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
