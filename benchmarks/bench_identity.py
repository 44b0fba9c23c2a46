"""Re-import of an edited deck: identity matching must stay linear (issues #16 and #17).

Each measurement imports a generated deck into a fresh store, then times the re-import of an
edited copy in the same process (``import_paths``, parse included, as ``studyllm import``
runs it). Edits:

- ``answers``: ``edit_some`` (one word of the answer changed or a remark added; questions kept)
- ``both``: the question and the answer of each chosen card lightly edited (the similar-text
  layer does the work, the hardest case for matching)

``--compare DIR`` runs the same measurement on another checkout (e.g. the commit before this
change) in alternated subprocesses, and prints the median of each side:

    python benchmarks/bench_identity.py --compare /tmp/base --runs 5
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import gen_decks  # noqa: E402

CASES = [  # (deck size, cards edited, how)
    (10_000, 10, "answers"),
    (10_000, 10, "both"),
    (1_000, 1_000, "both"),
    (2_000, 2_000, "both"),
    (2_000, 2_000, "answers"),
    (10_000, 10_000, "both"),
]


def edit_both(md: Path, n: int, seed: int = 99) -> Path:
    """Lightly edit the question and the answer of ``n`` cards."""
    lines = md.read_text(encoding="utf-8").split("\n")
    q_idx = [i for i, line in enumerate(lines) if line.startswith("Q: ")]
    rng = random.Random(seed)
    for k in sorted(rng.sample(range(len(q_idx)), min(n, len(q_idx)))):
        i = q_idx[k]
        lines[i] = lines[i].rstrip("?") + " (in short)?"
        if lines[i + 1].startswith("A: "):
            lines[i + 1] = gen_decks._tweak(lines[i + 1][3:], rng).join(("A: ", ""))
    out = md.with_name(f"{md.stem}-both{n}.md")
    out.write_text("\n".join(lines), encoding="utf-8")
    return out


def decks(size: int, edited: int, how: str, out: Path) -> tuple[Path, Path]:
    md, tsv = gen_decks.generate(size, 1, out)
    if how == "answers":
        return md, gen_decks.edit_some(md, tsv, n=edited)[0]
    return md, edit_both(md, edited)


def measure_one(size: int, edited: int, how: str, out: Path) -> dict:
    """One run, in this process, with whatever ``studyllm`` is importable."""
    from studyllm.store import Store
    from studyllm.store.importer import import_paths

    md, edited_md = decks(size, edited, how, out)
    with tempfile.TemporaryDirectory() as tmp:
        deck = Path(tmp) / "deck.md"
        deck.write_bytes(md.read_bytes())
        store = Store.open(Path(tmp) / "home")
        r = import_paths(store, [deck])
        assert r.ok, r.errors[:3]
        deck.write_bytes(edited_md.read_bytes())
        t0 = time.perf_counter()
        r = import_paths(store, [deck])
        dt = time.perf_counter() - t0
        t = r.totals()
        store.close()
    return {"size": size, "edited": edited, "how": how, "reimport_s": dt, "new": t["new"],
            "archived": t["archived"], "updated": t["updated"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--compare", type=Path, help="another checkout to measure in alternation (the 'before')")
    ap.add_argument("--after", type=Path, default=HERE.parent,
                    help="the checkout measured as 'after' (default: this one; use a copy to keep editing)")
    ap.add_argument("--one", nargs=3, metavar=("SIZE", "EDITED", "HOW"), help=argparse.SUPPRESS)
    ap.add_argument("--cases", default="all", help="comma-separated case numbers (0-based), or all")
    ap.add_argument("--out", type=Path, default=gen_decks.OUT_DIR)
    ap.add_argument("--timeout", type=float, default=300.0, help="seconds before a run is given up (the before side)")
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(measure_one(int(args.one[0]), int(args.one[1]), args.one[2], args.out)))
        return 0
    cases = CASES if args.cases == "all" else [CASES[int(i)] for i in args.cases.split(",")]
    sides = {"after": args.after.resolve()}
    if args.compare:
        sides = {"before": args.compare.resolve(), "after": args.after.resolve()}
    for size, edited, how in cases:
        times: dict[str, list[float]] = {k: [] for k in sides}
        last: dict[str, dict] = {}
        for _ in range(args.runs):
            for name, root in sides.items():  # alternated: before, after, before, after ...
                cmd = [sys.executable, str(HERE / "bench_identity.py"), "--one", str(size), str(edited), how,
                       "--out", str(args.out)]
                env = {"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin", "HOME": tempfile.gettempdir()}
                try:
                    res = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=args.timeout,
                                         check=True)
                except subprocess.TimeoutExpired:
                    times[name].append(float("inf"))
                    continue
                except subprocess.CalledProcessError as exc:
                    raise SystemExit(f"{name} run failed:\n{exc.stderr[-2000:]}") from None
                row = json.loads(res.stdout.strip().splitlines()[-1])
                times[name].append(row["reimport_s"])
                last[name] = row
        parts = []
        for name in sides:
            med = statistics.median(times[name])
            extra = last.get(name, {})
            parts.append(f"{name} median {med:.3f} s (new {extra.get('new')}, archived {extra.get('archived')})")
        print(f"{size} cards, {edited} edited ({how}): " + "; ".join(parts), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
