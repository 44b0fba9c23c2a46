"""First ``studyllm import`` of a generated deck into a new home, in a fresh process: the
whole command as a user runs it (interpreter start, imports, creating the database, parsing,
writing). Compares code trees, alternated run by run, and prints medians of wall and CPU time
(user + system, steadier on a busy machine) and the load.

    python benchmarks/gen_decks.py --sizes 10000
    python benchmarks/bench_first_import.py --deck benchmarks/out/bench-10000-s1.md \\
        --tree before=/tmp/main-checkout --tree after=. --runs 7

Each ``--tree NAME=DIR`` is a checkout whose ``studyllm`` package is put first on the path.
The child's peak resident memory (``VmHWM``) is printed beside the times; ``--check-rss
NAME=MB`` makes the script fail (exit 1) when that tree's median peak is over MB, the check
of issue #23's memory target (e.g. ``--check-rss after=160`` at 100,000 cards:
``--max-deck-mb 64``, as the deck is over the default 10 MB limit). A benchmark, never a unit
test: it needs the generated deck and a fresh process per run.
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
    "if sys.argv[3] != '10':\n"
    "    main(['--home', sys.argv[1], 'settings', 'max_deck_mb', sys.argv[3]])\n"
    "rc = main(['--home', sys.argv[1], 'import', sys.argv[2]])\n"
    "import studyllm\n"
    "mods = sorted({m.split('.')[0] for m in sys.modules} & {'sqlalchemy', 'sqlmodel'})\n"
    "hwm = next(int(ln.split()[1]) for ln in open('/proc/self/status') if ln.startswith('VmHWM:')) / 1024\n"
    "print(studyllm.__file__, rc, ','.join(mods) or '-', time.perf_counter() - t0, hwm, file=sys.stderr)\n"
)


def one(tree: Path, deck: Path, max_deck_mb: int = 10) -> tuple[float, float, str]:
    with tempfile.TemporaryDirectory(prefix="first-import-") as tmp:
        env = dict(os.environ, PYTHONPATH=str(tree))
        env.pop("STUDYLLM_HOME", None)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        out = subprocess.run([sys.executable, "-c", CHILD, str(Path(tmp) / "home"), str(deck), str(max_deck_mb)],
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
    ap.add_argument("--max-deck-mb", type=int, default=10, help="the home's max_deck_mb (64 for 100,000 cards)")
    ap.add_argument("--check-rss", action="append", default=[], metavar="NAME=MB",
                    help="fail if this tree's median peak RSS is over MB")
    args = ap.parse_args(argv)
    args.deck = args.deck.resolve()  # the child runs in a temporary folder
    trees = [(name, Path(d).resolve()) for name, d in (t.split("=", 1) for t in args.tree)]
    times: dict[str, list[float]] = {name: [] for name, _ in trees}
    cpus: dict[str, list[float]] = {name: [] for name, _ in trees}
    rss: dict[str, list[float]] = {name: [] for name, _ in trees}
    loads: list[float] = []
    one(trees[0][1], args.deck, args.max_deck_mb)  # warm the file cache
    for i in range(args.runs):
        order = trees if i % 2 == 0 else trees[::-1]
        for name, tree in order:
            loads.append(os.getloadavg()[0])
            wall, cpu, info = one(tree, args.deck, args.max_deck_mb)
            times[name].append(wall)
            cpus[name].append(cpu)
            rss[name].append(float(info.split()[4]))
            print(f"run {i + 1} {name:<8} {wall:6.3f} s, CPU {cpu:6.3f} s, peak RSS {rss[name][-1]:6.1f} MB"
                  f"  (modules: {info.split()[2]})", flush=True)
    print(f"load average (1 min) during the runs: median {statistics.median(loads):.1f}, "
          f"min {min(loads):.1f}, max {max(loads):.1f}; {os.cpu_count()} cores")
    for name, values in times.items():
        print(f"{name:<8} median {statistics.median(values):.3f} s  min {min(values):.3f}  max {max(values):.3f}"
              f"  (n={len(values)}); CPU (user + system) median {statistics.median(cpus[name]):.3f} s;"
              f" peak RSS median {statistics.median(rss[name]):.1f} MB")
    failed = False
    for check in args.check_rss:
        name, limit = check.split("=", 1)
        peak = statistics.median(rss[name])
        ok = peak <= float(limit)
        failed |= not ok
        print(f"peak RSS of {name}: {peak:.1f} MB, limit {float(limit):.1f} MB: {'pass' if ok else 'FAIL'}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
