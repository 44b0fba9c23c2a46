"""The benchmark driver: studyllm against Anki's backend, in alternation, on the same decks.

    /work/venv-bench/bin/python benchmarks/run.py --sizes 1000 10000 100000 --runs 3

For each deck size (seeded decks from ``gen_decks``, generated if missing) and each run,
every measurement is taken on both systems back to back, the order swapped from one
measurement and run to the next, so a busy machine slows both alike. Medians over the
runs, the studyllm/Anki ratio per measurement and size, and the targets of issue 9 are
printed and written to ``docs/performance.md`` with the machine, versions, date and the
command; a plot of the figures against deck size goes to ``assets/performance.svg``.

Every finished measurement is appended to a JSON file (``--json``, default
``benchmarks/out/results-<time>.json``); ``--report-only FILE`` rebuilds the report from
such a file without measuring again.

A hand-written section at the end of ``docs/performance.md`` that starts with the line
``<!-- notes: kept by run.py -->`` is kept when the report is rewritten.
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import os
import platform
import shlex
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_HERE = Path(__file__).resolve().parent
if str(_HERE) not in sys.path:
    sys.path.insert(0, str(_HERE))

import common  # noqa: E402 - after the sys.path set-up above
from common import format_value, markdown_table, median_of_runs, ratio  # noqa: E402

ROOT = _HERE.parent
DOC = ROOT / "docs" / "performance.md"
PLOT = ROOT / "assets" / "performance.svg"
NOTES_MARK = "<!-- notes: kept by run.py -->"

# (name, label, key, unit) of the figures compared side by side
COMPARED = [
    ("import_proc", "first import, whole process: `studyllm import` / python + anki (s)", "import_proc_wall_s"),
    ("import_proc", "first import, whole process: CPU time, user + system (s)", "import_proc_cpu_s"),
    ("import_proc", "first import, whole process: peak RSS (MB)", "import_proc_rss_mb"),
    ("import", "first import, in-process (s)", "import_s"),
    ("reimport", "re-import, unchanged (s)", "reimport_unchanged_s"),
    ("reimport", "re-import, 10 edited (s)", "reimport_edited_s"),
    ("study", "answer, median (ms)", "per_answer_median_ms"),
    ("study", "answer, p95 (ms)", "per_answer_p95_ms"),
    ("study", "answer, p99 (ms)", "per_answer_p99_ms"),
    ("study", "fetch next card, median (ms)", "fetch_median_ms"),
    ("study", "answer + commit, median (ms)", "answer_median_ms"),
    ("days", "30 days (s)", "days_total_s"),
    ("days", "30 days: answers", "days_answers"),
    ("cold", "cold start: library import + open + first card (s)", "cold_total_s"),
    ("cold", "cold start: library import (s)", "cold_import_s"),
    ("cold", "cold start: open (s)", "cold_open_s"),
    ("cold", "cold start: first card (s)", "cold_first_card_s"),
    ("cold", "cold start: whole process (s)", "cold_proc_wall_s"),
    ("tui_start", "terminal start → first card (studyllm, later start) / Anki's fresh process on 10,000 cards (s)",
     "tui_start_vs_anki_s"),
    ("tui_start", "terminal start → first card: CPU time, user + system (studyllm to its first card; Anki's whole "
     "process) (s)", "tui_start_vs_anki_cpu_s"),
    ("rss", "peak RSS, import + 2,000 answers (MB)", "peak_rss_mb"),
    ("rss", "database on disk (MB)", "db_mb"),
]

# studyllm-only figures
STUDYLLM_ONLY = [
    ("import", "parse_file alone (s)", "parse_s"),
    ("floors", "floor: `python -c pass` (s)", "floor_python_s"),
    ("floors", "floor: `python -c 'import textual.app'` (s)", "floor_textual_s"),
    ("floors", "floor: raw sqlite3 inserts of the same card rows, one durable commit (s)", "floor_sqlite_s"),
    ("import", "markdown-it-py commonmark parse, the floor (s)", "mdit_commonmark_s"),
    ("import", "markdown-it-py with studyllm's preset, block pass (s)", "mdit_preset_s"),
    ("reimport", "re-import forced, unchanged file parsed again (s)", "reimport_forced_s"),
    ("reimport", "re-import 10 edited: cards updated", "edited_updated"),
    ("reimport", "cards after re-imports (no duplicates)", "notes_after"),
    ("tui", "TUI key → next card on screen (key 50 ms after the last frame), median (ms)", "tui_key_to_card_median_ms"),
    ("tui", "TUI key → next card on screen (key 50 ms after the last frame), p95 (ms)", "tui_key_to_card_p95_ms"),
    ("tui", "TUI key → next card on screen, p99 (ms)", "tui_key_to_card_p99_ms"),
    ("tui", "TUI key → next card: CPU time of the process, median (ms)", "tui_key_to_card_cpu_median_ms"),
    ("tui", "TUI key → next card: CPU time of the process, p95 (ms)", "tui_key_to_card_cpu_p95_ms"),
    ("tui", "TUI keys back to back (no pause): key → next card, median (ms)", "tui_rapid_key_to_card_median_ms"),
    ("tui", "TUI keys back to back (no pause): key → next card, p95 (ms)", "tui_rapid_key_to_card_p95_ms"),
    ("tui", "TUI Space → answer on screen, median (ms)", "tui_reveal_median_ms"),
    ("tui", "TUI Space → answer on screen, p95 (ms)", "tui_reveal_p95_ms"),
    ("tui", "TUI Space → answer: CPU time, median (ms)", "tui_reveal_cpu_median_ms"),
    ("tui_bench", "bench_tui.grade_latency (its own method), median (ms)", "tui_bench_median_ms"),
    ("tui_bench", "bench_tui.grade_latency (its own method), p95 (ms)", "tui_bench_p95_ms"),
    ("tui_start", "`studyllm` in tmux, first start of the day (makes the daily backup): home screen (s)",
     "tui_start_home_s"),
    ("tui_start", "`studyllm` in tmux, first start of the day: first card on screen (s)", "tui_start_first_card_s"),
    ("tui_start", "`studyllm` in tmux, later start: home screen (s)", "tui_start_warm_home_s"),
    ("tui_start", "`studyllm` in tmux, later start: first card on screen (s)", "tui_start_warm_first_card_s"),
    ("tui_start", "`studyllm` in tmux, later start: CPU time to the first card (s)", "tui_start_warm_cpu_s"),
]

# figures whose growth with deck size is checked (studyllm side)
GROWTH_KEYS = [
    "import_proc_wall_s", "import_s", "reimport_unchanged_s", "reimport_edited_s", "per_answer_median_ms",
    "per_answer_p95_ms",
    "tui_key_to_card_p95_ms", "days_total_s", "cold_total_s", "tui_start_first_card_s", "tui_start_warm_first_card_s",
    "peak_rss_mb", "db_mb",
]
GROWTH_SLACK = 1.15  # log-log slope allowed per segment (1.0 = linear; slack for noise)

PLOT_KEYS = [
    ("import_proc_wall_s", "first import, whole process (s)"),
    ("reimport_unchanged_s", "re-import unchanged (s)"),
    ("per_answer_median_ms", "answer median (ms)"),
    ("days_total_s", "30 days (s)"),
    ("cold_total_s", "cold start (s)"),
    ("peak_rss_mb", "peak RSS (MB)"),
    ("reimport_edited_s", "re-import, 10 edited (s)"),
    ("tui_key_to_card_p95_ms", "TUI key → card p95 (ms), target 16"),
    ("tui_start_vs_anki_s", "terminal start → first card (s)"),
    ("db_mb", "database on disk (MB)"),
]
PLOT_TARGET_LINES = {"tui_key_to_card_p95_ms": 16.0}


# --------------------------------------------------------------------------- measuring


def _anki_start(args: argparse.Namespace) -> dict[str, Any]:
    """Anki's side of the terminal start-up figure: a fresh process that imports ``anki``,
    opens a 10,000-card collection and gets the first due card (the issue's yardstick at
    every size), three times (as many starts as the studyllm side makes), medians."""
    import anki_side as A
    import studyllm_side as S

    tsv10k = S.deck_paths(10_000, args.seed, args.out)[1]
    r = A.measure_cold_start(tsv10k, runs=3, work_dir=args.work_dir)
    return {"tui_start_vs_anki_s": r["cold_proc_wall_s"], "tui_start_vs_anki_cpu_s": r.get("proc_cpu_s")}


def _studyllm_start(md: Path, args: argparse.Namespace) -> dict[str, Any]:
    import studyllm_side as S

    r = S.measure_tui_start(md, work_dir=args.work_dir)
    if "tui_start_warm_first_card_s" in r:
        r["tui_start_vs_anki_s"] = r["tui_start_warm_first_card_s"]
        r["tui_start_vs_anki_cpu_s"] = r.get("tui_start_warm_cpu_s")
    return r


def _sides(md: Path, tsv: Path, emd: Path, etsv: Path, args: argparse.Namespace):
    """name -> (anki thunk or None, studyllm thunk)."""
    import anki_side as A
    import studyllm_side as S

    w = args.work_dir
    return {
        "import_proc": (lambda: A.measure_import_process(tsv, work_dir=w),
                        lambda: S.measure_import_process(md, work_dir=w)),
        "floors": (None, lambda: S.measure_floors(md, work_dir=w)),
        "import": (lambda: A.measure_import(tsv, work_dir=w), lambda: S.measure_import(md, work_dir=w)),
        "reimport": (
            lambda: A.measure_reimport(tsv, etsv, work_dir=w),
            lambda: S.measure_reimport(md, emd, work_dir=w),
        ),
        "study": (
            lambda: A.measure_study(tsv, n_answers=args.answers, work_dir=w),
            lambda: S.measure_study(md, n_answers=args.answers, work_dir=w),
        ),
        "tui": (None, lambda: S.measure_tui(md, n_answers=args.tui_answers, work_dir=w)),
        "tui_bench": (None, lambda: S.measure_tui_bench(md, n_answers=args.tui_bench_answers, work_dir=w)),
        "days": (lambda: A.measure_days(tsv, work_dir=w), lambda: S.measure_days(md, work_dir=w)),
        "cold": (lambda: A.measure_cold_start(tsv, work_dir=w), lambda: S.measure_cold_start(md, work_dir=w)),
        "tui_start": (lambda: _anki_start(args), lambda: _studyllm_start(md, args)),
        "rss": (
            lambda: _lean_rss("anki_side", tsv, args.answers, w),
            lambda: _lean_rss("studyllm_side", md, args.answers, w),
        ),
    }


_LEAN_RSS = r"""
import json, sys
sys.path.insert(0, sys.argv[1])
import importlib
side = importlib.import_module(sys.argv[2])
work = sys.argv[5] or None
print(json.dumps(side.measure_rss(sys.argv[3], n_answers=int(sys.argv[4]), work_dir=work)))
"""


def _lean_rss(module: str, deck: Path, answers: int, work_dir: str | None) -> dict[str, Any]:
    """Both sides' ``measure_rss`` from a small fresh Python process.

    The kernel's peak RSS of a child (``wait4``'s ``ru_maxrss``, which ``common`` reads)
    also counts the resident memory of the parent at the moment the child is spawned
    (Python spawns with vfork + exec; Linux carries the old memory's high-water mark over
    exec). This driver holds both libraries and several imported decks, so a child it
    spawned would inherit a peak of ~160 MB whatever it did. From a lean parent
    (~20 MB) the figure is the child's own."""
    r = common.run_in_subprocess(_LEAN_RSS, [str(_HERE), module, str(deck), str(answers), work_dir or ""])
    r.pop("proc_wall_s", None)
    r["rss_lean_parent_mb"] = r.pop("proc_peak_rss_mb", None)
    return r


MEASUREMENTS = ["import_proc", "import", "floors", "reimport", "study", "tui", "tui_bench", "days", "cold", "tui_start",
                "rss"]


def _with_db_mb(r: dict[str, Any]) -> dict[str, Any]:
    if "db_bytes" in r and r["db_bytes"] is not None:
        r["db_mb"] = r["db_bytes"] / (1024 * 1024)
    return r


def measure(args: argparse.Namespace, record: Callable[[dict[str, Any]], None]) -> list[dict[str, Any]]:
    import studyllm_side as S

    rows: list[dict[str, Any]] = []
    common.compile_studyllm()  # measured from bytecode, as installed (common.bytecode_env)
    which = [m for m in MEASUREMENTS if m in args.measure]
    t_all = time.perf_counter()
    for n in args.sizes:
        md, tsv, emd, etsv = S.deck_paths(n, args.seed, args.out)
        sides = _sides(md, tsv, emd, etsv, args)
        runs = args.runs_large if (args.runs_large and n >= 100_000) else args.runs
        for run in range(runs):
            t_run = time.perf_counter()
            for k, name in enumerate(which):
                anki_fn, sl_fn = sides[name]
                order = [("anki", anki_fn), ("studyllm", sl_fn)]
                if (run + k) % 2:
                    order.reverse()
                for system, fn in order:
                    if fn is None:
                        continue
                    t0 = time.perf_counter()
                    try:
                        result = _with_db_mb(fn())
                        error = None
                    except Exception as exc:  # noqa: BLE001 - a benchmark records any failure of either system and goes on
                        result, error = {}, f"{type(exc).__name__}: {exc}"
                    row = {
                        "size": n, "run": run, "system": system, "measure": name, "result": result,
                        "error": error, "wall_s": time.perf_counter() - t0, "loadavg": os.getloadavg(),
                        "at": datetime.now(UTC).isoformat(timespec="seconds"),
                    }
                    rows.append(row)
                    record(row)
                    status = f"error {error}" if error else f"{row['wall_s']:.1f} s"
                    print(f"  {n:>7,} run {run + 1}/{runs} {name:<9} {system:<8} {status}"
                          f"  (load {row['loadavg'][0]:.1f})", flush=True)
            print(f"{n:>7,} cards, run {run + 1}/{runs}: {time.perf_counter() - t_run:.0f} s", flush=True)
    print(f"all measurements: {time.perf_counter() - t_all:.0f} s", flush=True)
    return rows


# --------------------------------------------------------------------------- combining


def combine(rows: list[dict[str, Any]]) -> dict[str, dict[int, dict[str, Any]]]:
    """system -> size -> median of runs (each measurement's dicts merged per run first)."""
    per: dict[tuple[str, int, int], dict[str, Any]] = {}
    for row in rows:
        if row.get("error"):
            continue
        per.setdefault((row["system"], row["size"], row["run"]), {}).update(row["result"])
    grouped: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for (system, size, _run), merged in per.items():
        grouped.setdefault((system, size), []).append(merged)
    out: dict[str, dict[int, dict[str, Any]]] = {"studyllm": {}, "anki": {}}
    for (system, size), runs in grouped.items():
        out.setdefault(system, {})[size] = median_of_runs(runs)
    return out


def _get(res, system: str, size: int, key: str) -> float | None:
    v = res.get(system, {}).get(size, {}).get(key)
    return v if isinstance(v, (int, float)) and not isinstance(v, bool) else None


def slope(a: float | None, b: float | None, na: int, nb: int) -> float | None:
    """log-log slope of a figure between two deck sizes (1.0 = grows linearly)."""
    if not a or not b or a <= 0 or b <= 0 or na == nb:
        return None
    return math.log(b / a) / math.log(nb / na)


def targets(res: dict[str, dict[int, dict[str, Any]]], sizes: list[int]) -> list[dict[str, Any]]:
    """Each target of issues 23 and 15 (and the older ones kept ahead): what, where, figure,
    limit, pass. A run at one size checks every target of that size."""
    out: list[dict[str, Any]] = []
    largest = max(sizes)

    def add(name: str, size: int | str, value: float | None, limit: float, unit: str, detail: str = "") -> None:
        ok = None if value is None else value <= limit
        margin = None if value is None else value / limit
        out.append({"target": name, "size": size, "value": value, "limit": limit, "unit": unit,
                    "pass": ok, "margin": margin, "detail": detail})

    def g(key: str, n: int, system: str = "studyllm") -> float | None:
        return _get(res, system, n, key)

    def r(key: str, n: int) -> float | None:
        return ratio(g(key, n), g(key, n, "anki"))

    def anysize(key: str) -> float | None:
        """A figure that does not depend on the deck (``python -c pass``): from any size measured."""
        return next((v for m in sorted(sizes) if (v := g(key, m)) is not None), None)

    def floor_note(n: int) -> str:
        parts = []
        for key, label in (("floor_python_s", "`python -c pass`"), ("floor_sqlite_s", "raw sqlite3 inserts"),
                           ("mdit_commonmark_s", "markdown-it-py parse")):
            v = anysize(key) if key == "floor_python_s" else g(key, n)
            if v:
                parts.append(f"{label} {format_value(v)} s")
        return "floors: " + ", ".join(parts) if parts else ""

    for n in sizes:
        if n < 10_000:
            continue
        add("first import, whole process ≤ 1.5× Anki", n, r("import_proc_wall_s", n), 1.5, "×",
            f"{format_value(g('import_proc_wall_s', n))} s against "
            f"{format_value(g('import_proc_wall_s', n, 'anki'))} s;"
            f" CPU time {format_value(r('import_proc_cpu_s', n))}×;"
            f" in-process {format_value(r('import_s', n))}× ({format_value(g('import_s', n))} s against "
            f"{format_value(g('import_s', n, 'anki'))} s); " + floor_note(n))
        add("first import, whole process, CPU time (user + system) ≤ 1.5× Anki", n, r("import_proc_cpu_s", n), 1.5,
            "×", f"{format_value(g('import_proc_cpu_s', n))} s against "
            f"{format_value(g('import_proc_cpu_s', n, 'anki'))} s (steadier than wall time on a loaded machine)")
    if 10_000 in sizes:
        add("first import, in-process ≤ 2.5× Anki (issue 15)", 10_000, r("import_s", 10_000), 2.5, "×")
    for n in sizes:
        if n < 10_000:
            continue
        add("peak RSS of the first import (whole process) ≤ 0.5× Anki", n, r("import_proc_rss_mb", n), 0.5, "×",
            f"{format_value(g('import_proc_rss_mb', n))} MB against "
            f"{format_value(g('import_proc_rss_mb', n, 'anki'))} MB")
        add("peak RSS, import + 2,000 answers ≤ 0.5× Anki", n, r("peak_rss_mb", n), 0.5, "×",
            f"{format_value(g('peak_rss_mb', n))} MB against {format_value(g('peak_rss_mb', n, 'anki'))} MB")
    if 10_000 in sizes:
        add("re-import, 10 of 10,000 edited ≤ 1.0× Anki", 10_000, r("reimport_edited_s", 10_000), 1.0, "×",
            f"{format_value(g('reimport_edited_s', 10_000))} s against "
            f"{format_value(g('reimport_edited_s', 10_000, 'anki'))} s")
    for n in sizes:
        add("re-import unchanged ≤ 0.2× Anki", n, r("reimport_unchanged_s", n), 0.2, "×")
    for n in sizes:
        add("per-answer median ≤ 1.6× Anki", n, r("per_answer_median_ms", n), 1.6, "×")
    add("keypress → rendered card p95 < 16 ms", largest, g("tui_key_to_card_p95_ms", largest), 16.0, "ms")
    for n in sizes:
        add("30 days ≤ 1× Anki", n, r("days_total_s", n), 1.0, "×")
    for n in sizes:
        add("cold start to first card (library) ≤ 2× Anki", n, r("cold_total_s", n), 2.0, "×",
            f"whole process: {format_value(r('cold_proc_wall_s', n))}×")
    # the terminal: `studyllm` → `s` → first card on screen with n cards in the database,
    # against Anki's fresh process opening a 10,000-card collection, in the same alternated slot
    for n in sizes:
        if n < 100_000:
            continue
        ours = g("tui_start_warm_first_card_s", n)
        theirs = g("tui_start_vs_anki_s", n, "anki")
        cpu_ours, cpu_theirs = g("tui_start_vs_anki_cpu_s", n), g("tui_start_vs_anki_cpu_s", n, "anki")
        add("terminal start → first card ≤ 1.25× Anki's fresh process (10,000 cards)", n, ratio(ours, theirs), 1.25,
            "×", f"CPU time {format_value(cpu_ours)} s against {format_value(cpu_theirs)} s "
            f"({format_value(ratio(cpu_ours, cpu_theirs))}×); later start {format_value(ours)} s, "
            "first start of the day "
            f"{format_value(g('tui_start_first_card_s', n))} s, against {format_value(theirs)} s; floors: "
            f"`import textual.app` {format_value(anysize('floor_textual_s'))} s, `python -c pass` "
            f"{format_value(anysize('floor_python_s'))} s")
    ss = sorted(sizes)
    for key in GROWTH_KEYS:
        slopes = [slope(_get(res, "studyllm", a, key), _get(res, "studyllm", b, key), a, b)
                  for a, b in itertools.pairwise(ss)]
        known = [s for s in slopes if s is not None]
        if len(ss) < 2 or not known:
            continue
        add(f"growth of {key} no faster than linear", f"{ss[0]:,}→{ss[-1]:,}", max(known), GROWTH_SLACK, "slope",
            "log-log slopes per step: " + ", ".join(format_value(s) for s in known))
    return out


# --------------------------------------------------------------------------- report


def _versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for pkg in ("studyllm", "anki", "textual", "sqlalchemy", "sqlmodel", "markdown-it-py", "rich"):
        try:
            out[pkg] = version(pkg)
        except PackageNotFoundError:
            out[pkg] = "not installed"
    return out


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def machine_info() -> dict[str, Any]:
    try:
        uname = subprocess.run(["uname", "-a"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        uname = " ".join(platform.uname())
    mem = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except OSError:
        pass
    return {
        "uname": uname, "cpu": _cpu(), "cpus": os.cpu_count(), "memory": mem,
        "python": sys.version.split()[0], "versions": _versions(), "git": _git_state(),
    }


def _git_state(before: str | None = None) -> str:
    """The commit measured (and whether studyllm/ had uncommitted changes), or ''."""
    try:
        if before:
            rev = subprocess.run(["git", "rev-list", "-1", f"--before={before}", "HEAD"], cwd=ROOT,
                                 capture_output=True, text=True, check=False).stdout.strip()
            return f"{rev[:10]} (last commit before the start)" if rev else ""
        rev = subprocess.run(["git", "rev-parse", "--short=10", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                             check=False).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "studyllm"], cwd=ROOT,
                               capture_output=True, text=True, check=False).stdout.strip()
        return rev + (" with uncommitted changes in studyllm/" if dirty else "")
    except OSError:
        return ""


def _fmt(v: Any) -> str:
    return format_value(v) if v is not None else "–"


def comparison_table(res, sizes: list[int]) -> str:
    headers = ["measure"]
    for n in sizes:
        headers += [f"studyllm {n:,}", f"Anki {n:,}", f"ratio {n:,}"]
    rows = []
    for _name, label, key in COMPARED:
        row: list[Any] = [label]
        for n in sizes:
            a, b = _get(res, "studyllm", n, key), _get(res, "anki", n, key)
            row += [_fmt(a), _fmt(b), (_fmt(ratio(a, b)) + "×") if ratio(a, b) is not None else "–"]
        rows.append(row)
    return markdown_table(headers, rows)


def studyllm_table(res, sizes: list[int]) -> str:
    headers = ["studyllm only"] + [f"{n:,} cards" for n in sizes]
    rows = []
    for _name, label, key in STUDYLLM_ONLY:
        rows.append([label] + [_fmt(_get(res, "studyllm", n, key)) for n in sizes])
    return markdown_table(headers, rows)


def targets_table(tg: list[dict[str, Any]]) -> str:
    rows = []
    for t in tg:
        verdict = "–" if t["pass"] is None else ("**pass**" if t["pass"] else "**FAIL**")
        by = "" if t["margin"] is None else f"{t['margin']:.2f} of the limit"
        value = "–" if t["value"] is None else f"{format_value(t['value'])} {t['unit']}"
        rows.append([t["target"], t["size"] if isinstance(t["size"], str) else f"{t['size']:,}", value,
                     f"{format_value(t['limit'])} {t['unit']}", verdict, by, t["detail"]])
    return markdown_table(["target", "cards", "figure", "limit", "verdict", "figure / limit", "detail"],
                          rows, align=["l", "r", "r", "r", "c", "r", "l"])


def svg_plot(res, sizes: list[int]) -> str:
    """Small multiples: each figure against deck size, log-log, studyllm and Anki."""
    panel_w, panel_h, cols = 300, 210, 3
    pad_l, pad_r, pad_t, pad_b = 58, 28, 28, 34
    n_rows = math.ceil(len(PLOT_KEYS) / cols)
    width, height = cols * panel_w, n_rows * panel_h + 30
    colours = {"studyllm": "#d9480f", "anki": "#1c7ed6"}
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="11">',
        f'<rect width="{width}" height="{height}" fill="white"/>',
        f'<text x="10" y="{height - 10}" fill="{colours["studyllm"]}">● studyllm</text>',
        f'<text x="90" y="{height - 10}" fill="{colours["anki"]}">■ Anki (anki {_versions()["anki"]})</text>',
        f'<text x="{width - 10}" y="{height - 10}" text-anchor="end" fill="#555">'
        "log-log axes; medians of alternated runs</text>",
    ]
    ss = sorted(sizes)
    lx0, lx1 = math.log10(ss[0]), math.log10(ss[-1]) if len(ss) > 1 else math.log10(ss[0]) + 1
    for i, (key, label) in enumerate(PLOT_KEYS):
        ox, oy = (i % cols) * panel_w, (i // cols) * panel_h
        x0, x1 = ox + pad_l, ox + panel_w - pad_r
        y0, y1 = oy + panel_h - pad_b, oy + pad_t
        vals = [v for s in ("studyllm", "anki") for n in ss if (v := _get(res, s, n, key)) and v > 0]
        if key in PLOT_TARGET_LINES and vals:
            vals.append(PLOT_TARGET_LINES[key])
        out.append(f'<text x="{ox + panel_w / 2}" y="{oy + 16}" text-anchor="middle" font-weight="bold">{label}</text>')
        out.append(f'<rect x="{x0}" y="{y1}" width="{x1 - x0}" height="{y0 - y1}" fill="none" stroke="#999"/>')
        if not vals:
            continue
        ly0, ly1 = math.floor(math.log10(min(vals))), math.ceil(math.log10(max(vals)))
        if ly1 == ly0:
            ly1 += 1

        def px(n: float, x0: float = x0, x1: float = x1) -> float:  # this panel's axes, bound now
            return x0 + (math.log10(n) - lx0) / ((lx1 - lx0) or 1) * (x1 - x0)

        def py(v: float, y0: float = y0, y1: float = y1, ly0: int = ly0, ly1: int = ly1) -> float:
            return y0 - (math.log10(v) - ly0) / (ly1 - ly0) * (y0 - y1)

        for e in range(ly0, ly1 + 1):
            y = py(10 ** e)
            out.append(f'<line x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
            tick = f"{10 ** e:,}" if e >= 0 else f"{10.0 ** e:.{-e}f}"
            out.append(f'<text x="{x0 - 4}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>')
        for n in ss:
            x = px(n)
            out.append(f'<text x="{x:.1f}" y="{y0 + 14}" text-anchor="middle">{n:,}</text>')
        if key in PLOT_TARGET_LINES:
            y = py(PLOT_TARGET_LINES[key])
            out.append(f'<line x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}" stroke="#2b8a3e" stroke-dasharray="5,4"/>')
        for system, colour in colours.items():
            pts = [(px(n), py(v)) for n in ss if (v := _get(res, system, n, key)) and v > 0]
            if len(pts) > 1:
                out.append('<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>'.format(
                    colour, " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)))
            for x, y in pts:
                if system == "studyllm":
                    out.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour}"/>')
                else:
                    out.append(f'<rect x="{x - 3.5:.1f}" y="{y - 3.5:.1f}" width="7" height="7" fill="{colour}"/>')
    out.append(f'<text x="{width / 2}" y="{height - 10}" text-anchor="middle" fill="#555">cards in the deck</text>')
    out.append("</svg>")
    return "\n".join(out) + "\n"


def write_report(data: dict[str, Any], doc: Path = DOC, plot: Path = PLOT) -> None:
    rows = data["rows"]
    sizes = sorted({r["size"] for r in rows})
    res = combine(rows)
    tg = targets(res, sizes)
    info = data["machine"]
    loads = [r["loadavg"][0] for r in rows if r.get("loadavg")]
    errors = [r for r in rows if r.get("error")]
    failed = [t for t in tg if t["pass"] is False]

    lines = [
        "# Performance: studyllm against Anki's backend",
        "",
        "Generated by `benchmarks/run.py` (do not edit above the notes section; re-run the command).",
        "",
        "## Summary",
        "",
    ]
    passed = sum(1 for t in tg if t["pass"])
    not_measured = sum(1 for t in tg if t["pass"] is None)
    lines.append(f"{passed} of {len(tg)} target checks pass, {len(failed)} fail"
                 + (f", {not_measured} not measured" if not_measured else "")
                 + ".")
    if failed:
        lines.append("")
        lines.append("Failing:")
        lines.append("")
        for t in failed:
            size = t["size"] if isinstance(t["size"], str) else f"{t['size']:,} cards"
            lines.append(f"- {t['target']} at {size}: {format_value(t['value'])} {t['unit']}, "
                         f"{t['margin']:.1f}× the limit of {format_value(t['limit'])} {t['unit']}")
    lines += ["", "## Targets", "", targets_table(tg), "## Machine and versions", ""]
    lines += [
        f"- date: {data['started']} to {data['finished']} (UTC)",
        f"- machine: `{info['uname']}`",
        f"- CPU: {info['cpu']}, {info['cpus']} logical CPUs, memory {info['memory']}",
        f"- Python {info['python']}; " + ", ".join(f"{k} {v}" for k, v in info["versions"].items()),
        f"- studyllm code: commit {info.get('git') or _git_state(data['started'])}",
        f"- load average (1 min) during the runs: median {format_value(common.median(loads)) if loads else '–'}, "
        f"min {format_value(min(loads)) if loads else '–'}, max {format_value(max(loads)) if loads else '–'} "
        "(the machine was shared with other jobs; figures are medians of alternated runs)",
        f"- runs per measurement and size: {_runs_text(rows)} (medians); work folder: "
        f"{data['args'].get('work_dir') or 'the system temp dir'}",
        "",
        "Command:",
        "",
        "```sh",
        data["command"],
        "```",
        "",
    ]
    if errors:
        lines += ["Errors during the runs:", ""]
        lines += [f"- {e['system']} {e['measure']} at {e['size']:,} cards, run {e['run'] + 1}: `{e['error'][:300]}`"
                  for e in errors]
        lines.append("")
    lines += [
        "## studyllm and Anki, side by side",
        "",
        "Medians; ratio = studyllm / Anki (below 1 means studyllm is faster or smaller).",
        "",
        comparison_table(res, sizes),
        "## studyllm only",
        "",
        studyllm_table(res, sizes),
        "## Plot",
        "",
        f"![figures against deck size]({os.path.relpath(plot, doc.parent)})",
        "",
        "## Method",
        "",
        "- One command generates the decks (if missing), measures both systems and writes this page and the"
        " plot: `/work/venv-bench/bin/python benchmarks/run.py --sizes 1000 10000 100000 --runs 3`"
        " (a venv with `pip install -e '.[bench,test]'`; tmux for the terminal start-up figure). Every"
        " measurement is saved as it finishes; `--report-only FILE...` rebuilds the page from saved runs.",
        "- Decks: `benchmarks/gen_decks.py`, seed "
        f"{data['args'].get('seed', 1)}: the same cards as Markdown (studyllm) and Anki TSV; 20–200 characters"
        " a side, English with Chinese, inline code and formulas. The 10-edited variant changes 10 answers.",
        "- Anki: the `anki` package (Rust core) through its Python API, `ANKI_TEST_MODE=1` (no fuzz);"
        " see `benchmarks/anki_side.py` and `benchmarks/README.md`.",
        "- studyllm: the real code path, `Store.open`, `import_paths`, `Store.next_card`, `Store.answer`"
        " (its own transaction, WAL with `synchronous=FULL`); see `benchmarks/studyllm_side.py`.",
        "- Study: 2,000 answers with the seeded grade mix again 10 %, hard 15 %, good 60 %, easy 15 %"
        " (studyllm grades 1, 3, 4, 5), daily limits raised to 9,999; per answer = next card + answer + commit.",
        "- TUI: the Textual app from `build_app`, headless (`run_test`); a key event is put in the app's queue"
        " and the clock stops when the first frame showing the next card has been composed and turned into"
        " terminal output (the headless driver drops it instead of writing it).",
        "- 30 days: at most 500 answers a day; studyllm moves a `FrozenClock` a day forward, Anki shifts"
        " `col.crt` back a day and reopens the collection.",
        "- First import, whole process (what a learner waits for): a fresh Python process runs"
        " `studyllm --home NEW import deck.md` through `studyllm.cli.main` (creating the home and its database,"
        " reading, parsing, syncing, the durable commit, the printed report; for a deck over the default 10 MB"
        " limit the same process first runs `studyllm settings max_deck_mb 64`); on Anki's side a fresh process"
        " imports `anki`, creates a collection, reads the CSV metadata and imports the TSV. Timed from outside,"
        " interpreter start to exit; peak RSS from the process's VmHWM. The in-process figure (`import_paths`"
        " into an open store, `col.import_csv` into an open collection) is beside it.",
        "- Floors: `python -c pass` and `python -c 'import textual.app'` as whole processes (medians of 3); raw"
        " `sqlite3` inserts of the same card and card_state rows into a new database made from `schema.sql`"
        " (WAL, `synchronous=FULL`, a page cache holding every page), one transaction and its durable commit;"
        " markdown-it-py's own CommonMark parse of the file (block + inline).",
        "- Terminal start → first card against Anki: in the same alternated slot, Anki's fresh process imports"
        " `anki`, opens a 10,000-card collection and gets the first due card, three times (medians), beside"
        " studyllm's three tmux starts (the first of the day and two later ones; the ratio uses the later"
        " starts).",
        "- Cold start: a fresh Python process imports the library, opens the store and gets the first due card"
        " (the child times itself; the whole process is timed too). First card on screen: `studyllm --home H`"
        " in a tmux pane, `s` once the home screen shows, `tmux capture-pane` polled until the card's text shows.",
        "- Peak RSS: a fresh process imports the deck and studies 2,000 cards; the kernel's maximum RSS (`wait4`)."
        " Database size after closing, with any `-wal` file.",
        "",
    ]
    old_notes = ""
    if doc.exists():
        text = doc.read_text(encoding="utf-8")
        if NOTES_MARK in text:
            old_notes = text[text.index(NOTES_MARK):]
    if not old_notes:
        old_notes = NOTES_MARK + "\n\n## Notes\n\n(none yet)\n"
    doc.parent.mkdir(parents=True, exist_ok=True)
    doc.write_text("\n".join(lines) + "\n" + old_notes, encoding="utf-8")
    plot.parent.mkdir(parents=True, exist_ok=True)
    plot.write_text(svg_plot(res, sizes), encoding="utf-8")


def _runs_text(rows: list[dict[str, Any]]) -> str:
    counts: dict[tuple[str, int, str], int] = {}
    for r in rows:
        if not r.get("error"):
            key = (r["measure"], r["size"], r["system"])
            counts[key] = counts.get(key, 0) + 1
    by_measure: dict[str, set[int]] = {}
    for (measure, _size, _system), c in counts.items():
        by_measure.setdefault(measure, set()).add(c)
    tally: dict[int, int] = {}
    for v in by_measure.values():
        for x in v:
            tally[x] = tally.get(x, 0) + 1
    common_n = max(tally, key=lambda x: (tally[x], x)) if tally else 0
    others = [f"{m} {'–'.join(str(x) for x in sorted(v))}" for m, v in by_measure.items() if v != {common_n}]
    return str(common_n) + (f" ({', '.join(others)})" if others else "")


def print_summary(data: dict[str, Any]) -> None:
    rows = data["rows"]
    sizes = sorted({r["size"] for r in rows})
    res = combine(rows)
    print()
    print(comparison_table(res, sizes))
    print(studyllm_table(res, sizes))
    print(targets_table(targets(res, sizes)))


# --------------------------------------------------------------------------- main


def load_results(paths: list[Path]) -> dict[str, Any]:
    """One results file, or several pooled: their runs are numbered on per deck size, the
    machine and versions come from the first file, the dates span all of them."""
    files = [json.loads(Path(p).read_text()) for p in paths]
    data = dict(files[0])
    if len(files) == 1:
        return data
    rows: list[dict[str, Any]] = []
    next_run: dict[int, int] = {}
    for f in files:
        base = dict(next_run)
        for row in f["rows"]:
            row = dict(row)
            row["run"] = base.get(row["size"], 0) + row["run"]
            next_run[row["size"]] = max(next_run.get(row["size"], 0), row["run"] + 1)
            rows.append(row)
    data["rows"] = rows
    data["started"] = min(f["started"] for f in files)
    data["finished"] = max((f["finished"] or f["started"]) for f in files)
    data["command"] = "\n".join(f["command"] for f in files)
    gits = [f.get("machine", {}).get("git") or "?" for f in files]
    if len(set(gits)) > 1:
        data["machine"] = dict(data["machine"])
        data["machine"]["git"] = "; ".join(
            f"{g} ({', '.join(sorted({r['measure'] for r in f['rows']}))})" for g, f in zip(gits, files, strict=True))
    return data


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--runs-large", type=int, default=0, help="runs at 100,000 cards and more (default: --runs)")
    ap.add_argument("--seed", type=int, default=1, help="deck seed")
    ap.add_argument("--answers", type=int, default=2000, help="answers in the study session and the RSS run")
    ap.add_argument("--tui-answers", type=int, default=200, help="answers through the Textual app")
    ap.add_argument("--tui-bench-answers", type=int, default=100, help="answers for bench_tui's own method")
    ap.add_argument("--measure", nargs="+", default=MEASUREMENTS, choices=MEASUREMENTS)
    ap.add_argument("--out", type=Path, default=_HERE / "out", help="deck folder")
    ap.add_argument("--work-dir", default=None, help="parent folder for the temporary stores (default: system temp)")
    ap.add_argument("--json", type=Path, default=None, help="results file (default: out/results-<time>.json)")
    ap.add_argument("--report-only", type=Path, nargs="+", default=None,
                    help="rebuild the report from results file(s); several files are pooled as more runs")
    ap.add_argument("--no-doc", action="store_true", help="print only; don't write docs/ and assets/")
    args = ap.parse_args(argv)

    if args.report_only:
        data = load_results(args.report_only)
        data["command"] += "\n" + " ".join(
            shlex.quote(a) for a in [sys.executable, "benchmarks/run.py", *argv]) + "   # this report"
        print_summary(data)
        if not args.no_doc:
            write_report(data)
            print(f"wrote {DOC} and {PLOT}")
        return 0

    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    json_path = args.json or (args.out / f"results-{stamp}.json")
    json_path.parent.mkdir(parents=True, exist_ok=True)
    exe = sys.executable
    command = " ".join(shlex.quote(a) for a in [exe, "benchmarks/run.py", *argv])
    data: dict[str, Any] = {
        "command": command,
        "args": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": machine_info(),
        "started": datetime.now(UTC).isoformat(timespec="seconds"),
        "finished": None,
        "rows": [],
    }

    def record(row: dict[str, Any]) -> None:
        data["rows"].append(row)
        json_path.write_text(json.dumps(data, indent=1, default=str))

    print(f"results go to {json_path}; load average {os.getloadavg()}", flush=True)
    measure(args, record)
    data["finished"] = datetime.now(UTC).isoformat(timespec="seconds")
    json_path.write_text(json.dumps(data, indent=1, default=str))
    print_summary(data)
    if not args.no_doc:
        write_report(data)
        print(f"wrote {DOC} and {PLOT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
