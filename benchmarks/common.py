"""Small helpers shared by the benchmark scripts: statistics, timing, subprocesses, tables.

Nothing here imports studyllm or anki, so both sides (and the driver) can use it.
The benchmark scripts live in a plain folder, not a package: they import each other
as top-level modules (``import common``) with ``benchmarks/`` on ``sys.path``.
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent


# --------------------------------------------------------------------------- statistics


def median(values: Iterable[float]) -> float:
    """Median of the values (mean of the two middle ones for an even count)."""
    data = sorted(values)
    if not data:
        raise ValueError("median of an empty sequence")
    mid = len(data) // 2
    if len(data) % 2:
        return float(data[mid])
    return (data[mid - 1] + data[mid]) / 2.0


def percentile(values: Iterable[float], p: float) -> float:
    """The p-th percentile (0..100), linear interpolation between closest ranks.

    Same definition as numpy's default ("linear"), so p=50 is the median.
    """
    data = sorted(values)
    if not data:
        raise ValueError("percentile of an empty sequence")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile must be within 0..100, got {p}")
    if len(data) == 1:
        return float(data[0])
    rank = (len(data) - 1) * p / 100.0
    lo = math.floor(rank)
    hi = math.ceil(rank)
    if lo == hi:
        return float(data[lo])
    return data[lo] + (data[hi] - data[lo]) * (rank - lo)


def latency_summary(seconds: Sequence[float], prefix: str = "") -> dict[str, float]:
    """Median, p95, p99 and max of a list of durations, in milliseconds."""
    if not seconds:
        return {}
    ms = [s * 1000.0 for s in seconds]
    return {
        f"{prefix}median_ms": median(ms),
        f"{prefix}p95_ms": percentile(ms, 95),
        f"{prefix}p99_ms": percentile(ms, 99),
        f"{prefix}max_ms": max(ms),
    }


def median_of_runs(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Combine several result dicts key by key: the median of numeric values.

    Non-numeric values (versions, notes) are taken from the first run.
    """
    out: dict[str, Any] = {}
    keys: list[str] = []
    for run in runs:
        for key in run:
            if key not in keys:
                keys.append(key)
    for key in keys:
        vals = [run[key] for run in runs if key in run]
        if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in vals):
            out[key] = median(vals)
        else:
            out[key] = vals[0]
    return out


# --------------------------------------------------------------------------- grades

# The seeded grade mix both sides use for study sessions, in Anki's four buttons.
# (studyllm's SM-2 side maps them onto its own grades: again=1, hard=3, good=4, easy=5.)
GRADE_MIX: dict[str, float] = {"again": 0.10, "hard": 0.15, "good": 0.60, "easy": 0.15}


def grade_sequence(n: int, seed: int, mix: Mapping[str, float] = GRADE_MIX) -> list[str]:
    """``n`` grades drawn from ``mix`` with ``random.Random(seed)``: the same list every time."""
    import random

    rng = random.Random(seed)
    names = list(mix)
    weights = [mix[k] for k in names]
    return rng.choices(names, weights=weights, k=n)


# --------------------------------------------------------------------------- timing


class Timer:
    """Context manager measuring wall time with ``time.perf_counter``.

    >>> with Timer() as t:
    ...     pass
    >>> t.seconds >= 0
    True
    """

    def __init__(self) -> None:
        self.start = 0.0
        self.seconds = 0.0

    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc: object) -> None:
        self.seconds = time.perf_counter() - self.start

    @property
    def ms(self) -> float:
        return self.seconds * 1000.0


def _vmhwm_mb(pid: int | str = "self") -> float | None:
    """The kernel's high-water mark of resident memory (VmHWM) for a live process, in MB."""
    try:
        with open(f"/proc/{pid}/status", "rb") as fh:
            for line in fh:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1]) / 1024.0  # kB
    except (OSError, ValueError, IndexError):
        return None
    return None


def peak_rss_self_mb() -> float:
    """Peak resident set size of the current process so far, in MB (2^20 bytes).

    On Linux this is VmHWM from /proc/self/status. Not ``getrusage().ru_maxrss``: Linux
    carries ru_maxrss across fork+exec, so a child started by a big benchmark process
    reports the parent's peak as its own (seen here: every child "peaked" at exactly the
    parent's RSS). VmHWM belongs to the process image, so it starts afresh at exec.
    """
    hwm = _vmhwm_mb("self")
    if hwm is not None:
        return hwm
    import resource

    maxrss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return maxrss / (1024 * 1024) if sys.platform == "darwin" else maxrss / 1024.0


def file_size(path: str | os.PathLike[str], *, with_sidecars: bool = True) -> int:
    """Size in bytes of a database file, plus its -wal/-journal/-shm files if present."""
    p = Path(path)
    total = p.stat().st_size if p.exists() else 0
    if with_sidecars:
        for suffix in ("-wal", "-journal", "-shm"):
            side = p.with_name(p.name + suffix)
            if side.exists():
                total += side.stat().st_size
    return total


# --------------------------------------------------------------------------- subprocesses


class SubprocessError(RuntimeError):
    pass


def bytecode_env(env: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a measured child process: ours without ``PYTHONDONTWRITEBYTECODE``.

    With it set (this machine's sessions set it), a child reads no ``.pyc`` it did not find
    and writes none: an editable studyllm compiled every one of its modules from source on
    every start (~0.1 s of CPU at TUI start, about 12 % of it), while Anki's modules, installed
    with their ``.pyc`` by pip, were read compiled. A learner's installed studyllm runs
    from bytecode too (pip compiles at install; Python writes the caches on the first run
    otherwise), so both sides are measured that way: see :func:`compile_studyllm`."""
    child = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    if env:
        child.update(env)
    return child


def compile_studyllm() -> None:
    """Write the bytecode caches of the ``studyllm`` package being measured (as ``pip install``
    does), so no measured run pays for compiling it; quiet, and a no-op when they are fresh."""
    import compileall

    import studyllm

    compileall.compile_dir(Path(studyllm.__file__).parent, quiet=1)


def _looks_like_module(target: str) -> bool:
    return re.fullmatch(r"[A-Za-z_][\w]*(\.[A-Za-z_][\w]*)+|[A-Za-z_]\w*", target) is not None


def run_in_subprocess(
    code_or_module: str | os.PathLike[str],
    args: Sequence[str] = (),
    *,
    python: str | None = None,
    env: Mapping[str, str] | None = None,
    cwd: str | os.PathLike[str] | None = None,
    timeout: float | None = 1800,
) -> dict[str, Any]:
    """Run a fresh Python process and return the JSON object it prints last.

    ``code_or_module`` is a path to a ``.py`` file (run as a script), a dotted module
    name (run with ``-m``), or else a snippet of code (run with ``-c``). The child must
    print one JSON object on the last non-empty line of its stdout. It runs with bytecode
    caches (:func:`bytecode_env`).

    Three figures measured from outside are added: ``proc_wall_s`` (start to exit, so it
    includes interpreter start-up), ``proc_cpu_s`` (the child's user + system CPU time, from
    ``wait4``: steadier than wall time on a busy machine) and ``proc_peak_rss_mb``, the child's peak RSS: the
    last VmHWM read from /proc/<pid>/status while it ran (polled every millisecond or
    so; VmHWM only grows), or the child's own ``peak_rss_mb`` if it reports a larger one.
    (Not wait4's ru_maxrss, which Linux inherits from the parent across fork+exec.)
    """
    exe = python or sys.executable
    target = os.fspath(code_or_module)
    if target.endswith(".py") and Path(target).exists():
        cmd = [exe, target, *args]
    elif _looks_like_module(target):
        cmd = [exe, "-m", target, *args]
    else:
        cmd = [exe, "-c", target, *args]
    child_env = bytecode_env(env)
    # stdout/stderr go to temporary files so that wait4 can reap the child itself
    # (Popen.communicate would reap it and lose the rusage).
    import tempfile

    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=err, env=child_env, cwd=cwd)
        status, wall, peak = _watch(proc, t0, timeout, cmd)
        out.seek(0)
        err.seek(0)
        stdout = out.read().decode("utf-8", "replace")
        stderr = err.read().decode("utf-8", "replace")
    if proc.returncode != 0:
        raise SubprocessError(f"exit {proc.returncode}: {' '.join(cmd)}\n{stderr[-4000:]}")
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise SubprocessError(f"no output from {' '.join(cmd)}\n{stderr[-4000:]}")
    try:
        result = json.loads(lines[-1])
    except json.JSONDecodeError as exc:
        raise SubprocessError(f"last line is not JSON: {lines[-1][:200]!r}") from exc
    if not isinstance(result, dict):
        raise SubprocessError("child printed JSON that is not an object")
    child_peak = result.get("peak_rss_mb")
    if isinstance(child_peak, (int, float)) and child_peak > peak:
        peak = float(child_peak)
    result["proc_wall_s"] = wall
    result["proc_peak_rss_mb"] = peak
    result["proc_cpu_s"] = getattr(proc, "cpu_s", None)
    return result


def _watch(proc: subprocess.Popen, t0: float, timeout: float | None, cmd: Sequence[str]) -> tuple[int, float, float]:
    """Wait for ``proc`` while sampling its VmHWM; return (exit status, wall s, peak RSS MB).

    The child is reaped here with waitpid (not by Popen), so the wall time ends at exit.
    """
    deadline = None if timeout is None else t0 + timeout
    peak = 0.0
    while True:
        hwm = _vmhwm_mb(proc.pid)
        if hwm is not None and hwm > peak:
            peak = hwm
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            proc.cpu_s = usage.ru_utime + usage.ru_stime  # type: ignore[attr-defined]  # read by run_in_subprocess
            break
        if deadline is not None and time.perf_counter() > deadline:
            proc.kill()
            os.waitpid(proc.pid, 0)
            raise SubprocessError(f"timeout after {timeout}s: {list(cmd)}")
        time.sleep(0.001)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)  # keep Popen from reaping again
    return status, wall, peak


def peak_rss_of_subprocess(
    cmd: Sequence[str], *, env: Mapping[str, str] | None = None, timeout: float | None = 1800
) -> tuple[float, int]:
    """Run any command to completion; return (peak RSS in MB sampled from VmHWM, exit code).

    A process that lives less than a millisecond or so may be missed (peak 0).
    """
    child_env = bytecode_env(env)
    t0 = time.perf_counter()
    proc = subprocess.Popen(list(cmd), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=child_env)
    _, _, peak = _watch(proc, t0, timeout, cmd)
    return peak, proc.returncode


def emit_json(result: Mapping[str, Any]) -> None:
    """Print a result dict as one JSON line (the child side of run_in_subprocess)."""
    sys.stdout.write(json.dumps(dict(result), sort_keys=True) + "\n")
    sys.stdout.flush()


# --------------------------------------------------------------------------- tables


def format_value(value: Any, digits: int = 3) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        if value == 0:
            return "0"
        mag = abs(value)
        if mag >= 1000:
            return f"{value:,.0f}"
        if mag >= 100:
            return f"{value:.1f}"
        # `digits` significant figures for small values
        return f"{value:.{max(0, digits - 1 - math.floor(math.log10(mag)))}f}"
    if value is None:
        return "–"
    return str(value)


def markdown_table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    align: Sequence[str] | None = None,
    digits: int = 3,
) -> str:
    """A GitHub-flavoured Markdown table. ``align`` holds "l", "r" or "c" per column
    (default: first column left, others right). Pipes in cells are escaped."""
    headers = list(headers)
    if align is None:
        align = ["l"] + ["r"] * (len(headers) - 1)
    marks = {"l": ":---", "r": "---:", "c": ":---:"}

    def cell(v: Any) -> str:
        return format_value(v, digits).replace("|", "\\|").replace("\n", " ")

    lines = [
        "| " + " | ".join(cell(h) for h in headers) + " |",
        "| " + " | ".join(marks[a] for a in align) + " |",
    ]
    for row in rows:
        row = list(row)
        if len(row) != len(headers):
            raise ValueError(f"row has {len(row)} cells, table has {len(headers)} columns")
        lines.append("| " + " | ".join(cell(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def summary_table(results: dict[int, dict[str, Any]], columns: Sequence[tuple[str, str]]) -> str:
    """One row per deck size, one column per ``(key, label)``; ``db_bytes`` is shown in MiB
    (2**20 bytes, as run.py's ``db_mb``), so both sides' tables use the same unit."""
    headers = ["cards"] + [label for _, label in columns]
    rows = []
    for n, r in sorted(results.items()):
        row: list[Any] = [n]
        for key, _ in columns:
            v = r.get(key)
            row.append(v / 2**20 if key == "db_bytes" and v is not None else v)
        rows.append(row)
    return markdown_table(headers, rows)


def alternated(
    sides: Sequence[tuple[str, Any, Any]], runs: int,
    measure: Callable[[Any, Any], dict[str, float]], describe: Callable[[str, dict[str, float]], str],
) -> dict[str, list[dict[str, float]]]:
    """``runs`` rounds in which every side ``(name, a, b)`` is measured once by ``measure(a, b)``,
    the order reversed from one round to the next so a busy machine slows every side alike; each
    result gets the 1-minute load average taken just before it (key ``load``), and each round is
    printed as one line of ``describe(name, result)``. Returns the results per side's name."""
    results: dict[str, list[dict[str, float]]] = {name: [] for name, _, _ in sides}
    for r in range(runs):
        order = sides if r % 2 == 0 else sides[::-1]
        line = []
        for name, a, b in order:
            load = os.getloadavg()[0]
            res = measure(a, b)
            res["load"] = load
            results[name].append(res)
            line.append(f"{name}: {describe(name, res)} (load {load:.1f})")
        print(f"run {r + 1:>2}: " + " | ".join(line), flush=True)
    return results


def ratio(a: float | None, b: float | None) -> float | None:
    """a / b, or None when either is missing or b is zero."""
    if a is None or b is None or b == 0:
        return None
    return a / b
