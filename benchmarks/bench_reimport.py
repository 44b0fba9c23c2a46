"""Re-import with a few cards edited: studyllm now, an older studyllm tree, and Anki, alternated.

    python benchmarks/bench_reimport.py --size 10000 --runs 7 [--old /path/to/old/tree]

Each run measures, each in a fresh process and in an order rotated from run to run, the
re-import of the deck with 10 answers edited (``gen_decks.edit_some``) after a first import
and an unchanged re-import, as ``run.py --measure reimport`` does in-process: studyllm with
this tree, studyllm with the tree given by ``--old`` (put first on ``PYTHONPATH``; e.g. a
``git archive`` of main before issue #23's change), and Anki's backend (``anki_side``). It
prints wall and CPU time (user + system of the process, in the measured call) of every run,
the medians, the ratios and the load average before and after; ``--json`` writes them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

_HERE = Path(__file__).resolve().parent
ROOT = _HERE.parent

_STUDYLLM_CHILD = r"""
import json, shutil, sys, tempfile, time
from pathlib import Path
import studyllm
from studyllm.store import Store
from studyllm.store.importer import import_paths
md, edited = Path(sys.argv[1]), Path(sys.argv[2])
with tempfile.TemporaryDirectory() as d:
    d = Path(d)
    deck = d / "deck.md"
    shutil.copyfile(md, deck)
    store = Store.open(d / "home")
    store.set_setting("max_deck_mb", 64)
    assert import_paths(store, [deck]).ok
    t0, c0 = time.perf_counter(), time.process_time()
    same = import_paths(store, [deck])
    same_s, same_cpu = time.perf_counter() - t0, time.process_time() - c0
    shutil.copyfile(edited, deck)
    t0, c0 = time.perf_counter(), time.process_time()
    edit = import_paths(store, [deck])
    edit_s, edit_cpu = time.perf_counter() - t0, time.process_time() - c0
    store.close()
e = edit.decks[0]
print(json.dumps({"edited_s": edit_s, "edited_cpu_s": edit_cpu, "unchanged_s": same_s, "unchanged_cpu_s": same_cpu,
                  "updated": e.updated, "new": e.new, "archived": e.archived, "code": studyllm.__file__}))
"""

_ANKI_CHILD = r"""
import json, sys
sys.path.insert(0, sys.argv[3])
import anki_side
r = anki_side.measure_reimport(sys.argv[1], sys.argv[2])
print(json.dumps({"edited_s": r["reimport_edited_s"], "edited_cpu_s": r["reimport_edited_cpu_s"],
                  "unchanged_s": r["reimport_unchanged_s"], "unchanged_cpu_s": r["reimport_unchanged_cpu_s"],
                  "updated": r["edited_updated"], "new": r["edited_new"]}))
"""


def _run(system: str, files: dict[str, Path], old: Path | None) -> dict:
    env = dict(os.environ)
    if system == "anki":
        code, args = _ANKI_CHILD, [str(files["tsv"]), str(files["etsv"]), str(_HERE)]
        env["ANKI_TEST_MODE"] = "1"
    else:
        code, args = _STUDYLLM_CHILD, [str(files["md"]), str(files["emd"])]
        tree = ROOT if system == "new" else old
        assert tree is not None
        env["PYTHONPATH"] = os.pathsep.join([str(tree), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    out = subprocess.run([sys.executable, "-c", code, *args], env=env, capture_output=True, text=True, check=True,
                         cwd=str(Path(args[0]).parent))
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--old", type=Path, default=None, help="an older studyllm tree to compare with")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(_HERE))
    import gen_decks

    md, tsv = gen_decks.generate(args.size, 1)
    emd, etsv = gen_decks.edit_some(md, tsv, n=10)
    files = {"md": md, "tsv": tsv, "emd": emd, "etsv": etsv}
    systems = ["new", "anki"] + (["old"] if args.old else [])
    results: dict[str, list[dict]] = {s: [] for s in systems}
    load_before = os.getloadavg()
    for r in range(args.runs):
        order = systems[r % len(systems):] + systems[:r % len(systems)]
        for system in order:
            res = _run(system, files, args.old)
            res["load"] = os.getloadavg()[0]
            results[system].append(res)
            print(f"run {r + 1} {system:4s} edited {res['edited_s']:.3f} s (CPU {res['edited_cpu_s']:.3f} s)"
                  f"  unchanged {res['unchanged_s']:.4f} s  updated {res['updated']}  load {res['load']:.2f}",
                  flush=True)
    load_after = os.getloadavg()
    med = {s: {k: statistics.median(x[k] for x in results[s])
               for k in ("edited_s", "edited_cpu_s", "unchanged_s", "unchanged_cpu_s")} for s in systems}
    print(f"\nmedians of {args.runs} alternated runs, {args.size:,} cards, 10 edited;"
          f" load average {load_before[0]:.2f} before, {load_after[0]:.2f} after")
    for s in systems:
        m = med[s]
        print(f"  {s:4s} edited {m['edited_s']:.3f} s, CPU {m['edited_cpu_s']:.3f} s;"
              f" unchanged {m['unchanged_s']:.4f} s, CPU {m['unchanged_cpu_s']:.4f} s")
    for s in systems:
        if s == "anki":
            continue
        a = med["anki"]
        print(f"  {s}/anki: edited {med[s]['edited_s'] / a['edited_s']:.2f}× wall,"
              f" {med[s]['edited_cpu_s'] / a['edited_cpu_s']:.2f}× CPU;"
              f" unchanged {med[s]['unchanged_s'] / a['unchanged_s']:.3f}× wall")
    if args.old:
        print(f"  new/old: edited {med['new']['edited_s'] / med['old']['edited_s']:.2f}× wall,"
              f" {med['new']['edited_cpu_s'] / med['old']['edited_cpu_s']:.2f}× CPU")
    if args.json:
        args.json.write_text(json.dumps({"size": args.size, "runs": args.runs, "load_before": load_before,
                                         "load_after": load_after, "results": results, "medians": med}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
