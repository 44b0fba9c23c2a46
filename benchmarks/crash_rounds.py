"""Many kill -9 rounds against real studyllm processes; prints what was tried and what was lost.

    /work/venv/bin/python benchmarks/crash_rounds.py                 # 200 answer rounds, 50 import,
                                                                     # 30 CLI import, 30 merge rounds
    /work/venv/bin/python benchmarks/crash_rounds.py --answer 20 --import 5 --cli-import 3 --merge 3

Each kind of round starts a child process, SIGKILLs it at a random moment and checks the
database (the same rounds as ``tests/test_reliability_crash.py``, which runs a handful):

* answer: a client answering cards through the Store API (with undo now and then) prints
  ``ACK <uid>`` after each answer returns; every acknowledged answer must be in the
  database, no answer half-written (card reviews = its log rows), integrity_check ok.
  All rounds share one database, so each round also starts by recovering the last crash.
* import: a client re-importing new versions of a 1,000-card deck (updates, archive,
  restore); the deck must be exactly one whole version.
* cli-import: the real ``studyllm import`` on a 2,000-card Markdown file; old or new, never mixed.
* merge: the real ``studyllm import-progress`` on an export of ~400 answers; all or none.

The result table is Markdown, ready for docs/reliability.md; ``--json`` writes the raw figures.
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studyllm.testing.reliability import (  # noqa: E402
    IMPORT_DECK_KEY,
    answer_round,
    cli_import_round,
    deck_version,
    import_round,
    make_export,
    merge_round,
    setup_home,
)


def run_answers(rounds: int, rng: random.Random, work: Path) -> dict:
    from studyllm.store import Store

    acked = lost = resurrected = bad = done = 0
    extra = 0
    for i in range(rounds):
        if i % 50 == 0:  # a fresh database every 50 rounds, so the day's new cards never run out
            home = work / f"answers-{i // 50}"
            setup_home(home, {"alpha": 8_000})
        r = answer_round(home, rng, work, max_delay=1.5)
        acked += r.acked
        lost += len(r.lost)
        resurrected += len(r.resurrected)
        extra += r.unacked_extra
        done += r.done
        if not r.ok:
            bad += 1
            print(f"  answer round {i}: NOT OK {r}", file=sys.stderr)
        with Store.open(home) as store:  # recovery after the crash; would raise if damaged
            store.next_card()
        if (i + 1) % 20 == 0:
            print(f"  answer rounds: {i + 1}/{rounds}, {acked} acknowledged, {lost} lost", file=sys.stderr)
    return {"kind": "answer", "rounds": rounds, "acknowledged": acked, "lost": lost, "undone_but_present": resurrected,
            "in_flight_committed": extra, "queue_ran_out": done, "bad_rounds": bad}


def run_imports(rounds: int, rng: random.Random, work: Path) -> dict:
    from studyllm.store import Store
    from studyllm.store.importer import import_parsed

    home = work / "imports"
    setup_home(home, {})
    with Store.open(home) as store:
        import_parsed(store, deck_version(0), source_path=f"/nonexistent/{IMPORT_DECK_KEY}.md")
    version = 1
    committed = bad = 0
    for i in range(rounds):
        r = import_round(home, rng, work, version, max_delay=3.0, wait_first=i % 2 == 0)
        committed += 0 if r.committed is None else r.committed - version + 1
        if not r.ok:
            bad += 1
            print(f"  import round {i}: NOT OK {r}", file=sys.stderr)
        version = (r.found or 0) + 1
    return {"kind": "import", "rounds": rounds, "versions_committed": committed, "bad_rounds": bad}


def run_cli_imports(rounds: int, rng: random.Random, work: Path) -> dict:
    home = work / "cli-imports"
    setup_home(home, {})
    deck = work / "bulk.md"
    # calibrate: how long does one uninterrupted run take here? Kills then land from 40% to 105% of it,
    # so most of them hit the command while it parses or writes, not before it starts.
    r = cli_import_round(home, deck, 1, rng, work, n=2000, delay=(600, 600))  # first import: all new cards
    assert r.ok and r.outcome == "new", r
    t0 = time.monotonic()
    r = cli_import_round(home, deck, 2, rng, work, n=2000, delay=(600, 600))  # a re-import: every card edited
    full = time.monotonic() - t0
    assert r.ok and r.outcome == "new", r
    outcomes: dict[str, int] = {}
    bad = 0
    for i in range(rounds):
        r = cli_import_round(home, deck, i + 3, rng, work, n=2000, delay=(0.4 * full, 1.2 * full))
        key = r.outcome if r.outcome in ("old", "new") else "mixed"
        outcomes[key] = outcomes.get(key, 0) + 1
        if not r.ok:
            bad += 1
            print(f"  cli import round {i}: NOT OK {r}", file=sys.stderr)
    return {"kind": "cli-import", "rounds": rounds, "outcomes": outcomes, "bad_rounds": bad,
            "uninterrupted_seconds": round(full, 2)}


def run_merges(rounds: int, rng: random.Random, work: Path) -> dict:
    export = work / "export.json"
    expected = make_export(export, n_cards=200, days=3)
    template = work / "merge-template"
    setup_home(template, {"merge": 200})
    home = work / "merge-home"
    shutil.copytree(template, home)
    t0 = time.monotonic()
    r = merge_round(home, export, expected, rng, work, delay=(600, 600))  # calibration, as above
    full = time.monotonic() - t0
    assert r.ok and r.outcome == "all", r
    outcomes: dict[str, int] = {}
    bad = 0
    for i in range(rounds):
        shutil.rmtree(home, ignore_errors=True)
        shutil.copytree(template, home)
        r = merge_round(home, export, expected, rng, work, delay=(0.4 * full, 1.05 * full))
        outcomes[r.outcome] = outcomes.get(r.outcome, 0) + 1
        if not r.ok:
            bad += 1
            print(f"  merge round {i}: NOT OK {r}", file=sys.stderr)
    return {"kind": "merge", "rounds": rounds, "answers_in_file": len(expected), "outcomes": outcomes,
            "bad_rounds": bad, "uninterrupted_seconds": round(full, 2)}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--answer", type=int, default=200, help="answer rounds (default 200)")
    ap.add_argument("--import", dest="imports", type=int, default=50, help="import rounds (default 50)")
    ap.add_argument("--cli-import", type=int, default=30, help="studyllm import rounds (default 30)")
    ap.add_argument("--merge", type=int, default=30, help="studyllm import-progress rounds (default 30)")
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--json", metavar="FILE", help="also write the figures as JSON")
    args = ap.parse_args(argv)
    rng = random.Random(args.seed)
    results = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="studyllm-crash-") as tmp:
        work = Path(tmp)
        for count, fn in ((args.answer, run_answers), (args.imports, run_imports),
                          (args.cli_import, run_cli_imports), (args.merge, run_merges)):
            if count > 0:
                t0 = time.monotonic()
                res = fn(count, rng, work)
                res["seconds"] = round(time.monotonic() - t0, 1)
                results.append(res)
                print(f"{res['kind']}: {json.dumps(res)}", file=sys.stderr)
    print("| What was killed | Rounds | Work done before the kills | Lost / half-written | Bad rounds |")
    print("|---|---:|---|---|---:|")
    for r in results:
        if r["kind"] == "answer":
            print(f"| answering cards (Store API, undo now and then) | {r['rounds']} | {r['acknowledged']} answers "
                  f"acknowledged | {r['lost']} acknowledged answers lost; {r['undone_but_present']} undone answers "
                  f"back | {r['bad_rounds']} |")
        elif r["kind"] == "import":
            print(f"| re-importing a 1,000-card deck (Store API) | {r['rounds']} | {r['versions_committed']} versions "
                  f"committed | 0 mixed versions | {r['bad_rounds']} |")
        elif r["kind"] == "cli-import":
            o = r["outcomes"]
            print(f"| `studyllm import` of a 2,000-card file | {r['rounds']} | old version kept {o.get('old', 0)}×, "
                  f"new version complete {o.get('new', 0)}× | {o.get('mixed', 0)} mixed | {r['bad_rounds']} |")
        else:
            o = r["outcomes"]
            print(f"| `studyllm import-progress` of {r['answers_in_file']} answers | {r['rounds']} | none merged "
                  f"{o.get('none', 0)}×, all merged {o.get('all', 0)}× | {o.get('partial', 0)} partial | "
                  f"{r['bad_rounds']} |")
    print(f"\nTotal time: {time.monotonic() - started:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2))
    return 1 if any(r["bad_rounds"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
