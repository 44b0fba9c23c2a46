"""A concurrency long run: two study drivers on one home while imports, merges and backups run.

    python benchmarks/concurrency_long.py                  # 120 s, seed 2026
    python benchmarks/concurrency_long.py --seconds 30 --json out.json

What runs at once, all on one ``STUDYLLM_HOME`` (the real code paths, separate processes):

* two study drivers (``python -m studyllm.testing.reliability answer``), one per deck, answering through
  the Store API as fast as they can and printing ``ACK <log uid>`` after each answer returns;
* an API importer re-importing new versions of a 1,000-card deck in a loop;
* from this process, in turn: the real ``studyllm import`` of a 2,000-card Markdown file (a new
  version each time), the real ``studyllm import-progress`` of one of four exports (each merged
  several times: the first merge adds its answers, the others nothing), and the real
  ``studyllm backup --create``.

At the end the drivers are killed with SIGKILL (mid-answer) and the database is checked: every
acknowledged answer is stored (answers acknowledged vs stored), no answer half-written (reviews =
log rows), no card graded twice on one day, every export fully merged and never twice,
``integrity_check`` ok, each backup verified, no "database is locked" and no traceback in any
child's stderr. Not a test (it takes minutes); ``tests/test_reliability_concurrency.py`` is the
short version that runs in CI.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from studyllm.testing.reliability import (  # noqa: E402
    IMPORT_DECK_KEY,
    cli,
    deck_log_uids,
    graded_twice,
    integrity,
    kill9,
    lines,
    log_uids,
    make_export,
    setup_home,
    spawn,
    state_mismatches,
    write_markdown_deck,
)

STUDY_CARDS = 20_000  # per driver deck: more than two minutes of answering


def bad_stderr(text: str) -> bool:
    return "locked" in text or "Traceback" in text


def run(seconds: float, seed: int, work: Path) -> dict:
    rng = random.Random(seed)
    home = work / "home"
    exports = []
    for i in range(4):
        path = work / f"export{i}.json"
        exports.append((path, make_export(path, key=f"merge{i}", n_cards=150, days=2)))
    setup_home(home, {"alpha": STUDY_CARDS, "beta": STUDY_CARDS, **{f"merge{i}": 150 for i in range(4)}})
    db = home / "studyllm.db"
    deck = work / "cli-deck.md"  # not "bulk": that key is the API importer's deck

    children = []
    for name, args in (
        ("study-a", ["answer", str(home), str(seed), "alpha"]),
        ("study-b", ["answer", str(home), str(seed + 1), "beta"]),
        ("importer", ["import", str(home), "0", IMPORT_DECK_KEY]),
    ):
        out, err = work / f"{name}.out", work / f"{name}.err"
        children.append((name, spawn(args, out, err), out, err))

    ops: dict[str, dict[str, int]] = {k: {"runs": 0, "ok": 0, "failed": 0} for k in ("import", "merge", "backup")}
    op_errors: list[str] = []
    merged_first: dict[int, int] = {}
    version = 0
    start = time.monotonic()
    n = 0
    while time.monotonic() - start < seconds:
        kind = ("import", "merge", "backup")[n % 3]
        n += 1
        out, err = work / f"op-{kind}.out", work / f"op-{kind}.err"
        if kind == "import":
            version += 1
            write_markdown_deck(deck, version, n=2000)
            args = ["--home", str(home), "import", str(deck)]
        elif kind == "merge":
            i = rng.randrange(len(exports))
            args = ["--home", str(home), "import-progress", str(exports[i][0])]
        else:
            args = ["--home", str(home), "backup", "--create"]
        proc = cli(args, out, err)
        code = proc.wait(timeout=300)
        ops[kind]["runs"] += 1
        stderr = err.read_text()
        if code == 0 and not bad_stderr(stderr):
            ops[kind]["ok"] += 1
            if kind == "merge":
                merged_first.setdefault(i, ops[kind]["runs"])
        else:
            ops[kind]["failed"] += 1
            op_errors.append(f"{kind} exit {code}: {stderr[-400:]}")
        time.sleep(rng.uniform(0.0, 0.5))
    elapsed = time.monotonic() - start

    child_report = {}
    acked: set[str] = set()
    for name, proc, out, err in children:
        alive = proc.poll() is None
        kill9(proc)
        parsed = lines(out)
        stderr = err.read_text()
        if name.startswith("study"):
            mine = {p[1] for p in parsed if p[0] == "ACK"}
            acked |= mine
            child_report[name] = {"acknowledged": len(mine), "alive_at_end": alive, "bad_stderr": bad_stderr(stderr)}
        else:
            imported = [int(p[1]) for p in parsed if p[0] == "IMPORTED"]
            child_report[name] = {"versions_imported": len(imported), "alive_at_end": alive,
                                  "bad_stderr": bad_stderr(stderr)}
        if bad_stderr(stderr) or not alive:
            op_errors.append(f"{name} {'exited early' if not alive else 'stderr'}: {stderr[-400:]}")

    stored = deck_log_uids(db, ("alpha", "beta"))
    all_uids = log_uids(db)
    merges_complete = sum(1 for _p, uids in exports if uids <= all_uids)
    merged_exports = len(merged_first)
    backups = sorted((home / "backups").glob("*")) if (home / "backups").exists() else []
    verify_out, verify_err = work / "verify.out", work / "verify.err"
    verify_code = cli(["--home", str(home), "backup", "--verify"], verify_out, verify_err).wait(timeout=300)
    return {
        "seconds": round(elapsed, 1),
        "seed": seed,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "children": child_report,
        "operations": ops,
        "answers_acknowledged": len(acked),
        "answers_stored": len(stored),
        "acknowledged_but_missing": len(acked - stored),
        "stored_not_acknowledged": len(stored - acked),  # committed while the SIGKILL landed: at most 2
        "half_written": state_mismatches(db),
        "graded_twice_same_day": graded_twice(db),
        "exports_merged": merged_exports,
        "exports_complete": merges_complete,
        "integrity": integrity(db),
        "backup_files": len(backups),
        "backup_verify_exit": verify_code,
        "backup_verify": verify_out.read_text().strip()[-600:],
        "errors": op_errors,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=120.0)
    ap.add_argument("--seed", type=int, default=2026)
    ap.add_argument("--json", type=Path, help="write the raw figures here")
    ns = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="studyllm-concurrency-") as tmp:
        result = run(ns.seconds, ns.seed, Path(tmp))
    text = json.dumps(result, indent=2)
    print(text)
    if ns.json:
        ns.json.write_text(text + "\n")
    ok = (result["acknowledged_but_missing"] == 0 and result["stored_not_acknowledged"] <= 2
          and result["half_written"] == 0 and result["graded_twice_same_day"] == 0
          and result["integrity"] == "ok" and result["exports_complete"] >= result["exports_merged"]
          and not result["errors"] and result["backup_verify_exit"] == 0)
    print("OK" if ok else "NOT OK", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
