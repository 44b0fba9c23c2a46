"""The Anki half of the benchmarks: the ``anki`` package's Rust backend on the TSV decks.

Every measurement builds a fresh collection in a new temporary folder, so the functions
can be called in any order and alternated with the studyllm side. Each returns a flat
dict of figures (seconds as ``*_s``, milliseconds as ``*_ms``, bytes, MB).

    measure_import(tsv)                      -> import_s, metadata_s, notes, cards
    measure_reimport(tsv, edited_tsv)        -> reimport_unchanged_s, reimport_edited_s, ...
    measure_study(tsv, n_answers=2000)       -> per_answer_median_ms / p95 / p99, ...
    measure_days(tsv, days=30, per_day=500)  -> days_total_s, days_answers, ...
    measure_cold_start(tsv)                  -> cold_total_s, cold_proc_wall_s, ...   (fresh process)
    measure_rss(tsv, n_answers=2000)         -> peak_rss_mb, db_bytes, ...            (fresh process)
    measure_all(tsv, edited_tsv)             -> all of the above in one dict

Run alone (decks are generated into benchmarks/out/ if missing):

    python benchmarks/anki_side.py --sizes 1000 10000 --runs 3

Fuzz is off (``ANKI_TEST_MODE=1``) so intervals are reproducible. "Today" is moved
forward by shifting the collection creation time ``crt`` back a day and reopening the
collection, because the core caches the current day while a collection is open.
"""

from __future__ import annotations

import os

os.environ.setdefault("ANKI_TEST_MODE", "1")  # no interval fuzz; read by the Rust core

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:  # benchmarks/ is a folder of scripts, not a package
    sys.path.insert(0, _HERE)

from common import (  # noqa: E402
    Timer,
    emit_json,
    file_size,
    grade_sequence,
    latency_summary,
    median_of_runs,
    peak_rss_self_mb,
    run_in_subprocess,
    summary_table,
)

SECONDS_PER_DAY = 86_400
LIMIT = 9999  # Anki's per-day limits top out here


# --------------------------------------------------------------------------- collection helpers


def anki_version() -> str:
    try:
        from anki.buildinfo import version

        return str(version)
    except (ImportError, AttributeError):  # pragma: no cover - depends on the installed package
        from importlib.metadata import version as pkg_version

        return pkg_version("anki")


@contextmanager
def _workdir(work_dir: str | os.PathLike[str] | None = None) -> Iterator[Path]:
    """A new temporary folder (inside ``work_dir`` if given), removed afterwards."""
    path = Path(tempfile.mkdtemp(prefix="anki-bench-", dir=work_dir))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _open(path: Path):
    from anki.collection import Collection

    return Collection(str(path))


def _import_tsv(col, tsv_path: Path) -> tuple[Any, float, float, float]:
    """Import a TSV deck the way Anki's import dialog does: read the file's metadata
    (header lines), then import. Returns (log, metadata s, total s, total CPU s)."""
    from anki.import_export_pb2 import ImportCsvRequest

    c0 = time.process_time()
    t0 = time.perf_counter()
    metadata = col.get_csv_metadata(str(tsv_path), None)
    t1 = time.perf_counter()
    result = col.import_csv(ImportCsvRequest(path=str(tsv_path), metadata=metadata))
    t2 = time.perf_counter()
    return result.log, t1 - t0, t2 - t0, time.process_time() - c0


def _deck_name(tsv_path: Path) -> str:
    with open(tsv_path, encoding="utf-8") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            if line.startswith("#deck:"):
                return line[len("#deck:") :].strip()
    return "Default"


def _prepare_study(col, tsv_path: Path, *, new_per_day: int = LIMIT, reviews_per_day: int = LIMIT) -> None:
    """Select the imported deck and raise its daily limits so the session never runs dry."""
    did = col.decks.id_for_name(_deck_name(tsv_path))
    if did is None:
        raise RuntimeError(f"deck from {tsv_path} not found after import")
    col.decks.select(did)
    conf = col.decks.config_dict_for_deck_id(did)
    conf["new"]["perDay"] = new_per_day
    conf["rev"]["perDay"] = reviews_per_day
    col.decks.update_config(conf)


def _imported_collection(path: Path, tsv_path: Path, **limits: int):
    col = _open(path)
    _import_tsv(col, tsv_path)
    _prepare_study(col, tsv_path, **limits)
    return col


def _ratings():
    from anki.scheduler.v3 import CardAnswer

    return {
        "again": CardAnswer.AGAIN,
        "hard": CardAnswer.HARD,
        "good": CardAnswer.GOOD,
        "easy": CardAnswer.EASY,
    }


def _answer_loop(col, grades: list[str], *, render: bool = True) -> dict[str, Any]:
    """Answer cards from the queue, one grade each, until the grades or the queue run out.

    Per answer, the timed step is: fetch the next card from the queue, render its
    question (what any front end must do to show it; optional), build the answer,
    and ``answer_card``, which runs in its own transaction and commits it (WAL,
    synchronous=FULL, so the answer is durable when the call returns).
    """
    from anki.cards import Card

    ratings = _ratings()
    sched = col.sched
    per_answer: list[float] = []
    cpu: list[float] = []
    fetch: list[float] = []
    answer: list[float] = []
    pc = time.perf_counter
    cc = time.process_time
    for grade in grades:
        c0 = cc()
        t0 = pc()
        queued = sched.get_queued_cards()
        if not queued.cards:
            break
        qc = queued.cards[0]
        card = Card(col, backend_card=qc.card)
        card.start_timer()
        if render:
            card.question()
        t1 = pc()
        sched.answer_card(sched.build_answer(card=card, states=qc.states, rating=ratings[grade]))
        t2 = pc()
        cpu.append(cc() - c0)
        per_answer.append(t2 - t0)
        fetch.append(t1 - t0)
        answer.append(t2 - t1)
    return {"per_answer": per_answer, "cpu": cpu, "fetch": fetch, "answer": answer}


# --------------------------------------------------------------------------- measurements


def measure_import(tsv_path: str | os.PathLike[str], *, work_dir: str | None = None) -> dict[str, Any]:
    """(1) Import the TSV deck into a fresh, empty collection.

    ``import_s`` covers reading the CSV metadata plus ``col.import_csv`` (both are
    needed for a CSV import; ``metadata_s`` is the first part). Creating the empty
    collection is not timed.
    """
    tsv_path = Path(tsv_path)
    with _workdir(work_dir) as d:
        col = _open(d / "collection.anki2")
        try:
            log, meta_s, total_s, cpu_s = _import_tsv(col, tsv_path)
            notes, cards = col.note_count(), col.card_count()
        finally:
            col.close()
        return {
            "import_s": total_s,
            "import_cpu_s": cpu_s,
            "metadata_s": meta_s,
            "notes": notes,
            "cards": cards,
            "new_notes": len(log.new),
            "db_bytes_after_import": file_size(d / "collection.anki2"),
        }


_IMPORT_CHILD = r"""
import os, sys, time, json
t0 = time.perf_counter()
from anki.collection import Collection
from anki.import_export_pb2 import ImportCsvRequest
col = Collection(sys.argv[1])
metadata = col.get_csv_metadata(sys.argv[2], None)
log = col.import_csv(ImportCsvRequest(path=sys.argv[2], metadata=metadata)).log
n = col.note_count()
col.close()
t1 = time.perf_counter()
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
print(json.dumps({"import_child_s": t1 - t0, "import_proc_notes": n, "import_proc_new": len(log.new),
                  "peak_rss_mb": hwm}))
"""


def measure_import_process(tsv_path: str | os.PathLike[str], *, work_dir: str | None = None) -> dict[str, Any]:
    """(1b) The first import as a whole process, what a learner waits for: a fresh Python
    process imports ``anki``, creates a new collection, reads the CSV metadata, imports the
    TSV and closes the collection. ``import_proc_wall_s`` is timed from outside (interpreter
    start to exit); ``import_proc_rss_mb`` is the process's peak RSS."""
    with _workdir(work_dir) as d:
        r = run_in_subprocess(_IMPORT_CHILD, [str(d / "collection.anki2"), str(Path(tsv_path).resolve())],
                              env={"ANKI_TEST_MODE": "1"})
    return {"import_proc_wall_s": r["proc_wall_s"], "import_proc_cpu_s": r["proc_cpu_s"],
            "import_proc_rss_mb": r["proc_peak_rss_mb"],
            "import_proc_notes": r["import_proc_notes"]}


def measure_reimport(
    tsv_path: str | os.PathLike[str],
    edited_tsv_path: str | os.PathLike[str],
    *,
    work_dir: str | None = None,
) -> dict[str, Any]:
    """(2) Re-import into a collection that already holds the deck: first the same
    file unchanged, then the variant with a few answers edited (same GUIDs).

    Anki has no whole-file shortcut: it matches every row by GUID and compares fields.
    """
    tsv_path, edited = Path(tsv_path), Path(edited_tsv_path)
    with _workdir(work_dir) as d:
        col = _open(d / "collection.anki2")
        try:
            _import_tsv(col, tsv_path)
            log_same, _, same_s, same_cpu = _import_tsv(col, tsv_path)
            log_edit, _, edit_s, edit_cpu = _import_tsv(col, edited)
            notes = col.note_count()
        finally:
            col.close()
        return {
            "reimport_unchanged_s": same_s,
            "reimport_edited_s": edit_s,
            "reimport_unchanged_cpu_s": same_cpu,
            "reimport_edited_cpu_s": edit_cpu,
            "unchanged_updated": len(log_same.updated),
            "unchanged_new": len(log_same.new),
            "edited_updated": len(log_edit.updated),
            "edited_new": len(log_edit.new),
            "notes_after": notes,
        }


def measure_study(
    tsv_path: str | os.PathLike[str],
    *,
    n_answers: int = 2000,
    seed: int = 7,
    render: bool = True,
    work_dir: str | None = None,
) -> dict[str, Any]:
    """(3) A study session of ``n_answers`` answers with the seeded grade mix
    (``common.grade_sequence``), on the freshly imported deck with daily limits raised.

    ``per_answer_*`` is fetch + render question + answer + commit; ``fetch_*`` and
    ``answer_*`` split it.
    """
    tsv_path = Path(tsv_path)
    grades = grade_sequence(n_answers, seed)
    with _workdir(work_dir) as d:
        col = _imported_collection(d / "collection.anki2", tsv_path)
        try:
            with Timer() as t:
                loop = _answer_loop(col, grades, render=render)
        finally:
            col.close()
    out: dict[str, Any] = {"answers": len(loop["per_answer"]), "session_s": t.seconds}
    out.update(latency_summary(loop["per_answer"], "per_answer_"))
    cpu = latency_summary(loop["cpu"], "per_answer_cpu_")
    out.update({k: v for k, v in cpu.items() if "median" in k or "p95" in k})
    out.update({k: v for k, v in latency_summary(loop["fetch"], "fetch_").items() if "median" in k or "p95" in k})
    out.update({k: v for k, v in latency_summary(loop["answer"], "answer_").items() if "median" in k or "p95" in k})
    return out


def _next_day(col) -> None:
    """Move the collection one day forward: crt back a day, then reopen (the core caches today)."""
    col.crt = col.crt - SECONDS_PER_DAY
    col.close()
    col.reopen()


def measure_days(
    tsv_path: str | os.PathLike[str],
    *,
    days: int = 30,
    per_day: int = 500,
    seed: int = 11,
    new_per_day: int = LIMIT,
    render: bool = True,
    work_dir: str | None = None,
) -> dict[str, Any]:
    """(4) ``days`` simulated days: each day answer what is due, at most ``per_day``
    answers, then move the clock forward a day. ``days_total_s`` is the whole run
    including the day changes (close/reopen); ``days_answer_s`` is the answering alone.
    """
    tsv_path = Path(tsv_path)
    grades = grade_sequence(days * per_day, seed)
    per_day_counts: list[int] = []
    answer_s = 0.0
    reopen_s = 0.0
    with _workdir(work_dir) as d:
        col = _imported_collection(d / "collection.anki2", tsv_path, new_per_day=new_per_day)
        try:
            c_start = time.process_time()
            t_start = time.perf_counter()
            for day in range(days):
                t0 = time.perf_counter()
                loop = _answer_loop(col, grades[day * per_day : (day + 1) * per_day], render=render)
                t1 = time.perf_counter()
                per_day_counts.append(len(loop["per_answer"]))
                if day < days - 1:
                    _next_day(col)
                answer_s += t1 - t0
                reopen_s += time.perf_counter() - t1
            total_s = time.perf_counter() - t_start
            cpu_s = time.process_time() - c_start
            reviews = col.db.scalar("select count() from revlog")
            review_rows = col.db.scalar("select count() from revlog where type = 1")  # 1 = review
        finally:
            col.close()
        db_bytes = file_size(d / "collection.anki2")
    return {
        "days_total_s": total_s,
        "days_cpu_s": cpu_s,
        "days_answer_s": answer_s,
        "days_reopen_s": reopen_s,
        "days_answers": sum(per_day_counts),
        "days_min_answers_per_day": min(per_day_counts),
        "days_revlog_rows": reviews,
        "days_review_answers": review_rows,
        "days_db_bytes": db_bytes,
    }


_COLD_CHILD = r"""
import os, sys, time, json
c0 = time.process_time()
t0 = time.perf_counter()
from anki.collection import Collection
from anki.cards import Card
t1 = time.perf_counter()
col = Collection(sys.argv[1])
t2 = time.perf_counter()
qc = col.sched.get_queued_cards().cards[0]
card = Card(col, backend_card=qc.card)
text = card.question()
t3 = time.perf_counter()
c3 = time.process_time()
col.close()
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:")) / 1024
print(json.dumps({"cold_import_s": t1 - t0, "cold_open_s": t2 - t1, "cold_first_card_s": t3 - t2,
                  "cold_total_s": t3 - t0, "cold_cpu_s": c3 - c0, "cold_question_chars": len(text),
                  "peak_rss_mb": hwm}))
"""


def measure_cold_start(
    tsv_path: str | os.PathLike[str],
    *,
    runs: int = 1,
    work_dir: str | None = None,
) -> dict[str, Any]:
    """(5) Cold start: a fresh Python process imports ``anki``, opens a collection
    holding the deck, and renders the first due card. The child times itself
    (``cold_total_s`` = library import + open + first card); ``cold_proc_wall_s`` is
    the whole process from outside (interpreter start-up and close included).
    With ``runs`` > 1 the collection is prepared once and the medians are returned.
    The OS file cache is warm (the collection was just written): this measures a new
    process, not a cold disk.
    """
    tsv_path = Path(tsv_path)
    with _workdir(work_dir) as d:
        path = d / "collection.anki2"
        col = _imported_collection(path, tsv_path)
        col.close()
        results = []
        for _ in range(runs):
            r = run_in_subprocess(_COLD_CHILD, [str(path)], env={"ANKI_TEST_MODE": "1"})
            r["cold_proc_wall_s"] = r.pop("proc_wall_s")
            r["cold_peak_rss_mb"] = r.pop("proc_peak_rss_mb")
            r.pop("peak_rss_mb", None)
            results.append(r)
    return median_of_runs(results)


def measure_rss(
    tsv_path: str | os.PathLike[str],
    *,
    n_answers: int = 2000,
    seed: int = 7,
    work_dir: str | None = None,
) -> dict[str, Any]:
    """(6) Peak RSS of a fresh process that imports the deck into a new collection and
    studies ``n_answers`` cards, and the collection's size on disk after closing it
    (file plus any -wal, in bytes). Peak RSS is the kernel's VmHWM of the child (see
    ``common.peak_rss_self_mb`` for why not ru_maxrss)."""
    with _workdir(work_dir) as d:
        r = run_in_subprocess(
            Path(__file__).resolve().as_posix(),
            ["--child-rss", str(Path(tsv_path).resolve()), str(d), str(n_answers), str(seed)],
            env={"ANKI_TEST_MODE": "1"},
        )
    return {
        "peak_rss_mb": r["proc_peak_rss_mb"],
        "rss_after_import_anki_mb": r["rss_after_import_anki_mb"],
        "db_bytes": r["db_bytes"],
        "rss_answers": r["answers"],
    }


def _child_rss(tsv: str, work: str, n_answers: str, seed: str) -> None:
    import anki.collection  # noqa: F401  (measure the library's own footprint first)

    base = peak_rss_self_mb()
    path = Path(work) / "collection.anki2"
    col = _imported_collection(path, Path(tsv))
    loop = _answer_loop(col, grade_sequence(int(n_answers), int(seed)))
    col.close()
    emit_json(
        {
            "rss_after_import_anki_mb": base,
            "peak_rss_mb": peak_rss_self_mb(),
            "db_bytes": file_size(path),
            "answers": len(loop["per_answer"]),
        }
    )


MEASUREMENTS = ("import", "reimport", "study", "days", "cold", "rss")


def measure_all(
    tsv_path: str | os.PathLike[str],
    edited_tsv_path: str | os.PathLike[str],
    *,
    work_dir: str | None = None,
    render: bool = True,
    which: tuple[str, ...] | list[str] = MEASUREMENTS,
) -> dict[str, Any]:
    """The chosen measurements (default: all six) once, merged into one dict."""
    unknown = set(which) - set(MEASUREMENTS)
    if unknown:
        raise ValueError(f"unknown measurement(s): {sorted(unknown)}")
    out: dict[str, Any] = {}
    if "import" in which:
        out.update(measure_import(tsv_path, work_dir=work_dir))
    if "reimport" in which:
        out.update(measure_reimport(tsv_path, edited_tsv_path, work_dir=work_dir))
    if "study" in which:
        out.update(measure_study(tsv_path, render=render, work_dir=work_dir))
    if "days" in which:
        out.update(measure_days(tsv_path, render=render, work_dir=work_dir))
    if "cold" in which:
        out.update(measure_cold_start(tsv_path, work_dir=work_dir))
    if "rss" in which:
        out.update(measure_rss(tsv_path, work_dir=work_dir))
    return out


# --------------------------------------------------------------------------- command line

TABLE_COLUMNS = [
    ("import_s", "import s"),
    ("reimport_unchanged_s", "re-import same s"),
    ("reimport_edited_s", "re-import 10 edited s"),
    ("per_answer_median_ms", "answer median ms"),
    ("per_answer_p95_ms", "answer p95 ms"),
    ("per_answer_p99_ms", "answer p99 ms"),
    ("days_total_s", "30 days s"),
    ("cold_total_s", "cold start s"),
    ("cold_proc_wall_s", "cold process s"),
    ("peak_rss_mb", "peak RSS MB"),
    ("db_bytes", "DB MiB"),
]


# CPU time of the process (time.process_time): steadier than wall time on a busy machine,
# but blind to waiting for the disk (fsync) and to being scheduled out.
CPU_COLUMNS = [
    ("import_cpu_s", "import CPU s"),
    ("reimport_unchanged_cpu_s", "re-import same CPU s"),
    ("reimport_edited_cpu_s", "re-import 10 edited CPU s"),
    ("per_answer_cpu_median_ms", "answer CPU median ms"),
    ("per_answer_cpu_p95_ms", "answer CPU p95 ms"),
    ("days_cpu_s", "30 days CPU s"),
    ("cold_cpu_s", "cold start CPU s"),
]




def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "--child-rss":
        _child_rss(*argv[1:5])
        return 0
    import gen_decks

    ap = argparse.ArgumentParser(description="Measure the anki package's backend on the benchmark decks.")
    ap.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1, help="deck seed")
    ap.add_argument("--out", type=Path, default=gen_decks.OUT_DIR, help="where the decks are (generated if missing)")
    ap.add_argument("--work-dir", default=None, help="parent folder for the temporary collections")
    ap.add_argument("--json", type=Path, default=None, help="also write all runs and medians here")
    ap.add_argument("--measure", nargs="+", choices=MEASUREMENTS, default=list(MEASUREMENTS))
    ap.add_argument("--no-render", action="store_true", help="don't render the question in the answer loop")
    args = ap.parse_args(argv)

    load_before = os.getloadavg()
    print(
        f"anki {anki_version()}, Python {sys.version.split()[0]}, ANKI_TEST_MODE={os.environ.get('ANKI_TEST_MODE')},"
        f" work dir {args.work_dir or tempfile.gettempdir()}, render {'off' if args.no_render else 'on'},"
        f" load average {load_before[0]:.2f} on {os.cpu_count()} CPUs"
    )
    medians: dict[int, dict[str, Any]] = {}
    all_runs: dict[int, list[dict[str, Any]]] = {}
    t_all = time.perf_counter()
    for n in args.sizes:
        key = gen_decks.deck_key(n, args.seed)
        md, tsv = args.out / f"{key}.md", args.out / f"{key}.tsv"
        if not (md.exists() and tsv.exists()):
            md, tsv = gen_decks.generate(n, args.seed, args.out)
        edited = tsv.with_name(f"{tsv.stem}-edited10.tsv")
        if not edited.exists():
            _, edited = gen_decks.edit_some(md, tsv, n=10)
        runs = []
        for i in range(args.runs):
            t0 = time.perf_counter()
            runs.append(measure_all(tsv, edited, work_dir=args.work_dir, render=not args.no_render, which=args.measure))
            print(f"  {n:>7,} cards, run {i + 1}/{args.runs}: {time.perf_counter() - t0:.1f} s", flush=True)
        all_runs[n] = runs
        medians[n] = median_of_runs(runs)
    print()
    print(f"Anki medians of {args.runs} run(s):")
    print(summary_table(medians, TABLE_COLUMNS))
    print("CPU time (process_time), medians:")
    print(summary_table(medians, CPU_COLUMNS))
    for n, r in sorted(medians.items()):
        if not {"study", "days", "reimport"} <= set(args.measure):
            break
        print(
            f"{n:>7,}: answers {r['answers']:.0f}, 30 days {r['days_answers']:.0f} answers"
            f" (min {r['days_min_answers_per_day']:.0f}/day, {r['days_review_answers']:.0f} reviews),"
            f" re-import edited updated {r['edited_updated']:.0f},"
            f" unchanged updated {r['unchanged_updated']:.0f}, notes {r['notes_after']:.0f}"
        )
    load_after = os.getloadavg()
    print(f"total {time.perf_counter() - t_all:.1f} s;"
          f" load average {load_before[0]:.2f} before, {load_after[0]:.2f} after")
    if args.json:
        meta = {
            "anki": anki_version(),
            "python": sys.version.split()[0],
            "work_dir": args.work_dir or tempfile.gettempdir(),
            "render": not args.no_render,
            "loadavg_before": load_before,
            "loadavg_after": load_after,
            "cpus": os.cpu_count(),
        }
        args.json.write_text(json.dumps({**meta, "medians": medians, "runs": all_runs}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
