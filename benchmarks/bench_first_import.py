"""First ``studyllm import`` of a generated deck into a new home, in a fresh process: the
whole command as a user runs it (interpreter start, imports, creating the database, parsing,
writing). Compares code trees, alternated run by run, and prints medians of wall and CPU time
(user + system, steadier on a busy machine) and the load.

    python benchmarks/gen_decks.py --sizes 10000
    python benchmarks/bench_first_import.py --deck benchmarks/out/bench-10000-s1.md \\
        --tree before=/tmp/main-checkout --tree after=. --runs 7

Each ``--tree NAME=DIR`` is a checkout whose ``studyllm`` package is put first on the path.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = (
    "import sys, time\n"
    "t0 = time.perf_counter()\n"
    "from studyllm.cli import main\n"
    "rc = main(['--home', sys.argv[1], 'import', sys.argv[2]])\n"
    "import studyllm\n"
    "mods = sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'sqlmodel'})\n"
    "print(studyllm.__file__, rc, ','.join(mods) or '-', time.perf_counter() - t0, file=sys.stderr)\n"
)


def one(tree: Path, deck: Path) -> tuple[float, str]:
    with tempfile.TemporaryDirectory(prefix="first-import-") as tmp:
        env = dict(os.environ, PYTHONPATH=str(tree))
        env.pop("STUDYLLM_HOME", None)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, str(Path(tmp) / "home"), str(deck)],
                             env=env, cwd=tmp, capture_output=True, text=True, check=True)
        wall = time.perf_counter() - t0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    info = out.stderr.strip().splitlines()[-1]
    where, rc = info.split()[0], info.split()[1]
    if rc != "0":
        raise SystemExit(f"studyllm import exited {rc}: {out.stdout[-500:]}")
    if not where.startswith(str(tree.resolve())):
        raise SystemExit(f"the child imported studyllm from {where}, not from {tree}")
    return wall, cpu, info


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--deck", type=Path, required=True)
    ap.add_argument("--tree", action="append", required=True, metavar="NAME=DIR")
    ap.add_argument("--runs", type=int, default=7)
    args = ap.parse_args(argv)
    args.deck = args.deck.resolve()  # the child runs in a temporary folder
    trees = [(name, Path(d).resolve()) for name, d in (t.split("=", 1) for t in args.tree)]
    times: dict[str, list[float]] = {name: [] for name, _ in trees}
    cpus: dict[str, list[float]] = {name: [] for name, _ in trees}
    loads: list[float] = []
    one(trees[0][1], args.deck)  # warm the file cache
    for i in range(args.runs):
        order = trees if i % 2 == 0 else trees[::-1]
        for name, tree in order:
            loads.append(os.getloadavg()[0])
            wall, cpu, info = one(tree, args.deck)
            times[name].append(wall)
            cpus[name].append(cpu)
            print(f"run {i + 1} {name:<8} {wall:6.3f} s, CPU {cpu:6.3f} s  (modules: {info.split()[2]})", flush=True)
    print(f"load average (1 min) during the runs: median {statistics.median(loads):.1f}, "
          f"min {min(loads):.1f}, max {max(loads):.1f}; {os.cpu_count()} cores")
    for name, values in times.items():
        print(f"{name:<8} median {statistics.median(values):.3f} s  min {min(values):.3f}  max {max(values):.3f}"
              f"  (n={len(values)}); CPU (user + system) median {statistics.median(cpus[name]):.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
