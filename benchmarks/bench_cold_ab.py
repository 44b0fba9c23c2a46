"""The library cold start of two source trees, alternated run by run (issue #14's "nothing
gets slower"): a fresh Python process imports ``studyllm.store``, opens a store and gets the
first due card, as ``run.py --measure cold`` does for one tree.

    python benchmarks/bench_cold_ab.py before=SRC_A:HOME_A now=SRC_B:HOME_B --runs 20

Each SRC is a source tree (a checkout or ``git archive`` of a commit; its ``studyllm``
package is found through PYTHONPATH, from a neutral working folder, and the child checks it
imported that one); each HOME a studyllm home holding the same deck imported by that tree
(the schema versions differ). The order is swapped every run. Printed: each run with the
load average, then the medians of the child's own phases (import, open, first card), the
whole process's wall time and its CPU time (user + system, ``wait4``), and the median of the
per-run ratios. Both trees run from bytecode caches (``common.bytecode_env``); the first
run of each is a warm-up that writes them and is not counted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:  # benchmarks/ is a folder of scripts, not a package
    sys.path.insert(0, _HERE)

from common import alternated, run_in_subprocess  # noqa: E402

CHILD = r"""
import sys, time, json
t0 = time.perf_counter()
from pathlib import Path
from studyllm.store import Store
t1 = time.perf_counter()
store = Store.open(Path(sys.argv[1]))
t2 = time.perf_counter()
card = store.next_card()
t3 = time.perf_counter()
store.close()
import studyllm
print(json.dumps({"import_s": t1 - t0, "open_s": t2 - t1, "first_card_s": t3 - t2, "total_s": t3 - t0,
                  "file": studyllm.__file__, "modules": len(sys.modules), "card": card is not None}))
"""

KEYS = ("import_s", "open_s", "first_card_s", "total_s", "proc_wall_s", "proc_cpu_s")


def _side(spec: str) -> tuple[str, Path, Path]:
    name, _, rest = spec.partition("=")
    src, _, home = rest.rpartition(":")
    if not (name and src and home):
        raise argparse.ArgumentTypeError(f"expected NAME=SRC:HOME, got {spec!r}")
    return name, Path(src).resolve(), Path(home).resolve()


def one(src: Path, home: Path, cwd: str) -> dict[str, float]:
    r = run_in_subprocess(CHILD, [str(home)], env={"PYTHONPATH": str(src)}, cwd=cwd)
    if not Path(r["file"]).is_relative_to(src):
        raise SystemExit(f"the child imported {r['file']}, not the tree {src}")
    if not r["card"]:
        raise SystemExit(f"no due card in {home}")
    return r


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sides", nargs=2, type=_side, metavar="NAME=SRC:HOME")
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-cold-ab-") as cwd:
        for _name, src, home in args.sides:
            one(src, home, cwd)  # warm-up: bytecode caches
        results = alternated(
            args.sides, args.runs, lambda src, home: one(src, home, cwd),
            lambda _name, res: (f"{res['total_s'] * 1000:.1f} ms in process, {res['proc_wall_s'] * 1000:.0f} ms "
                                f"wall, {res['proc_cpu_s'] * 1000:.0f} ms CPU"),
        )
    print(f"\n{args.runs} runs each, alternated; medians (ms):")
    for name, _, _ in args.sides:
        rs = results[name]
        figures = ", ".join(f"{k.removesuffix('_s')} {statistics.median(x[k] for x in rs) * 1000:.1f}" for k in KEYS)
        print(f"  {name}: {figures}; modules {rs[0]['modules']}; "
              f"load {min(x['load'] for x in rs):.1f}-{max(x['load'] for x in rs):.1f}")
    (a_name, _, _), (b_name, _, _) = args.sides
    for key in ("import_s", "total_s", "proc_wall_s", "proc_cpu_s"):
        ratios = [y[key] / x[key] for x, y in zip(results[a_name], results[b_name], strict=True) if x[key] > 0]
        print(f"  {b_name} / {a_name}, {key.removesuffix('_s')}: median of the per-run ratios "
              f"{statistics.median(ratios):.3f} (range {min(ratios):.2f}-{max(ratios):.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
