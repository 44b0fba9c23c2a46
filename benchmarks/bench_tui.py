"""TUI benchmark (a script, not a test): with 100,000 cards in the database,

1. keypress on a grade -> next card rendered (headless app driven with Pilot, several
   hundred answers): the time from posting the key event to the app, as the terminal
   driver does, to the end of the first screen refresh after the next card was put on
   screen (``call_after_refresh``), p50/p95/max. This includes Textual's frame scheduling
   (refreshes are batched at up to 60 per second) and the durable commit of the answer;
2. process start -> first card on screen in a real terminal: the installed ``studyllm``
   in tmux, ``s`` sent as soon as the home screen shows, timed until the card is drawn;
3. the peak RSS of that process (VmHWM) after answering a few cards.

    python benchmarks/bench_tui.py [--cards 100000] [--answers 300] [--runs 5] [--home DIR]

The database is built once in --home (default benchmarks/out/tui-home-<cards>) and reused.

Two trees against each other (issue #19's "no slower than before"), start-up only:

    python benchmarks/bench_tui.py --ab old=EXE_A:HOME_A new=EXE_B:HOME_B --runs 10

starts each command in tmux in turn, the order swapped every run (A B, B A, A B, ...), and
prints every pair with the load average beside it, the wall time to home and to the first
card, and the CPU time (user + system, from ``/proc``) the process had used when the card
showed; then the medians, and the per-run ratios' median. Each EXE is a command run as
``EXE --home HOME`` (a wrapper script can set PYTHONPATH for an old tree); the first start
of each side is a warm-up (it makes the day's backup) and is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent

WORDS = ("attention transformer token embedding decoder encoder gradient optimizer adam memory "
         "quantization scaling chinchilla compute flops parameter layer softmax sampling temperature "
         "注意力 模型 参数 训练 推理 量化").split()


def build_db(home: Path, n_cards: int, seed: int = 1) -> None:
    from studyllm.decks.model import ParsedCard, ParsedDeck
    from studyllm.store import Store
    from studyllm.store.importer import import_parsed

    store = Store.open(home)
    have = store.database.connect().execute("SELECT count(*) FROM card").fetchone()[0]
    if have >= n_cards:
        store.close()
        return
    rng = random.Random(seed)
    per_deck = 10_000
    t0 = time.perf_counter()
    for d in range(n_cards // per_deck):
        cards = []
        for i in range(per_deck):
            q = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14)))
            a = " ".join(rng.choice(WORDS) for _ in range(rng.randint(8, 20)))
            cards.append(ParsedCard("basic", f"Card {d}-{i}: what about {q}?", f"**{a}** and `code {i}`",
                                    (f"Topic {i // 50}",), line=2 * i + 3))
        deck = ParsedDeck(path=f"/bench/deck{d}.md", key=f"bench-{d}", title=f"Bench deck {d}", cards=cards,
                          content_hash=f"bench-{d}")
        report = import_parsed(store, deck, source_path=f"/bench/deck{d}.md")
        assert report.ok, report.errors
    # enough new cards per day that the session never runs dry during the benchmark
    store.set_setting("new_per_day", 10_000)
    store.set_setting("reviews_per_day", 100_000)
    print(f"built {n_cards} cards in {time.perf_counter() - t0:.1f} s", file=sys.stderr)
    store.close()


def pct(values: list[float], p: float) -> float:
    values = sorted(values)
    k = (len(values) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(values) - 1)
    return values[lo] + (values[hi] - values[lo]) * (k - lo)


async def grade_latency(home: Path, answers: int, scheduler: str = "sm2") -> dict[str, float]:
    import shutil as _sh
    import tempfile

    from textual import events

    from studyllm.clock import FrozenClock
    from studyllm.store import Store
    from studyllm.ui.app import build_app

    # work on a copy so the reused database stays unstudied
    tmp = Path(tempfile.mkdtemp(prefix="bench-tui-"))
    _sh.copytree(home, tmp, dirs_exist_ok=True)  # the database, its WAL and the backups folder
    store = Store.open(tmp, clock=FrozenClock(datetime(2026, 3, 2, 12, tzinfo=UTC)))
    if scheduler != "sm2":  # the copy only (a checkout without the setting can't measure it)
        store.set_setting("scheduler", scheduler)
    app = build_app(store)
    samples: list[float] = []
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        screen = app.screen
        marks: list[float] = []
        original = screen.show_card

        def show_card(card):
            original(card)
            app.call_after_refresh(lambda: marks.append(time.perf_counter()))

        screen.show_card = show_card
        grades = [5, 4, 3, 5, 4]
        for i in range(answers):
            await pilot.press("space")
            await pilot.pause()
            marks.clear()
            key = str(grades[i % len(grades)])
            # post the key as the terminal driver does (Pilot.press adds its own waiting on top)
            t0 = time.perf_counter()
            app.post_message(events.Key(key, key))
            while not marks:
                await asyncio.sleep(0)
            samples.append(marks[0] - t0)
    store.close()
    _sh.rmtree(tmp, ignore_errors=True)
    ms = [s * 1000 for s in samples]
    return {"n": len(ms), "p50_ms": statistics.median(ms), "p95_ms": pct(ms, 95), "max_ms": max(ms)}


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], check=True, capture_output=True, text=True).stdout


def start_to_first_card(home: Path, runs: int) -> dict[str, float]:
    exe = shutil.which("studyllm")
    if not exe or not shutil.which("tmux"):
        return {"skipped": 1.0}
    import common

    common.compile_studyllm()  # run from bytecode, as installed (common.bytecode_env)
    results_home, results_card, rss = [], [], []
    for r in range(runs + 1):  # the first run imports the shipped decks: a warm-up, not counted
        session = f"bench-tui-{os.getpid()}-{r}"
        t0 = time.perf_counter()
        tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24",
             f"exec env -u PYTHONDONTWRITEBYTECODE {exe} --home '{home}'")
        try:
            t_home = t_card = None
            while time.perf_counter() - t0 < 120:
                shown = tmux("capture-pane", "-p", "-t", session)
                if t_home is None and "Decks" in shown and "Today:" in shown:
                    t_home = time.perf_counter()
                    tmux("send-keys", "-t", session, "s")
                if t_home is not None and "Show answer" in shown:
                    t_card = time.perf_counter()
                    break
                time.sleep(0.005)
            pid = tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip()
            for _ in range(5):  # answer a few cards, then read the peak memory
                tmux("send-keys", "-t", session, "Space")
                time.sleep(0.15)
                tmux("send-keys", "-t", session, "4")
                time.sleep(0.15)
            try:
                status = Path(f"/proc/{pid}/status").read_text()
                hwm = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM"))
            except (OSError, StopIteration, ValueError):
                hwm = 0
            if r > 0 and t_home and t_card:
                results_home.append(t_home - t0)
                results_card.append(t_card - t0)
                rss.append(hwm / 1024)
        finally:
            subprocess.run(["tmux", "send-keys", "-t", session, "Escape"], capture_output=True)
            time.sleep(0.3)
            subprocess.run(["tmux", "send-keys", "-t", session, "q"], capture_output=True)
            time.sleep(0.5)
            subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
    if not results_card:
        return {"failed": 1.0}
    return {
        "runs": len(results_card),
        "start_to_home_s_median": statistics.median(results_home),
        "start_to_first_card_s_median": statistics.median(results_card),
        "start_to_first_card_s_min": min(results_card),
        "peak_rss_mb_max": max(rss),
    }


def _cpu_s(pid: str) -> float:
    """User + system CPU time of a process so far (``/proc/PID/stat``), in seconds."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def one_start(exe: str, home: Path, size: tuple[int, int] = (80, 24), timeout: float = 120) -> dict[str, float]:
    """One tmux start of ``exe --home home``: home shown, ``s``, first card shown."""
    session = f"bench-tui-{os.getpid()}-{time.monotonic_ns()}"
    t0 = time.perf_counter()
    # bytecode caches as an installed studyllm has them (common.bytecode_env)
    tmux("new-session", "-d", "-s", session, "-x", str(size[0]), "-y", str(size[1]),
         f"exec env -u PYTHONDONTWRITEBYTECODE {exe} --home '{home}'")
    try:
        pid = tmux("display-message", "-p", "-t", session, "#{pane_pid}").strip()
        t_home = t_card = None
        cpu = float("nan")
        while time.perf_counter() - t0 < timeout:
            shown = tmux("capture-pane", "-p", "-t", session)
            if t_home is None and "Decks" in shown and "Today:" in shown:
                t_home = time.perf_counter()
                tmux("send-keys", "-t", session, "s")
            if t_home is not None and "Show answer" in shown:
                t_card = time.perf_counter()
                cpu = _cpu_s(pid)
                break
            time.sleep(0.005)
        if t_home is None or t_card is None:
            raise RuntimeError(f"{exe}: no first card within {timeout} s: {shown[:400]}")
        return {"home_s": t_home - t0, "card_s": t_card - t0, "cpu_s": cpu}
    finally:
        subprocess.run(["tmux", "send-keys", "-t", session, "Escape"], capture_output=True)
        time.sleep(0.3)
        subprocess.run(["tmux", "send-keys", "-t", session, "q"], capture_output=True)
        for _ in range(100):
            if subprocess.run(["tmux", "has-session", "-t", session], capture_output=True).returncode != 0:
                break
            time.sleep(0.05)
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)


def start_ab(sides: list[tuple[str, str, Path]], runs: int, size: tuple[int, int]) -> int:
    """Alternated tmux starts of two (or more) commands; see the module docstring."""
    if not shutil.which("tmux"):
        print("tmux is not installed", file=sys.stderr)
        return 1
    for _name, exe, home in sides:  # warm-up: the day's backup, the shipped decks' first sync
        one_start(exe, home, size)
        time.sleep(2)
    import common

    results = common.alternated(
        sides, runs, lambda exe, home: one_start(exe, home, size),
        lambda _name, res: f"home {res['home_s']:.3f} s, card {res['card_s']:.3f} s, CPU {res['cpu_s']:.2f} s",
    )
    print(f"\n{runs} runs each, {size[0]}x{size[1]}, alternated; medians:")
    for name, _, _ in sides:
        rs = results[name]
        print(f"  {name}: home {statistics.median(x['home_s'] for x in rs):.3f} s, "
              f"first card {statistics.median(x['card_s'] for x in rs):.3f} s "
              f"(min {min(x['card_s'] for x in rs):.3f}), CPU {statistics.median(x['cpu_s'] for x in rs):.3f} s, "
              f"load {min(x['load'] for x in rs):.1f}-{max(x['load'] for x in rs):.1f}")
    if len(sides) == 2:
        a, b = (results[name] for name, _, _ in sides)
        for key, label in (("card_s", "first card, wall"), ("cpu_s", "CPU time")):
            ratios = [y[key] / x[key] for x, y in zip(a, b, strict=True) if x[key] > 0]
            print(f"  {sides[1][0]} / {sides[0][0]}, {label}: median of the per-run ratios "
                  f"{statistics.median(ratios):.3f} (range {min(ratios):.2f}-{max(ratios):.2f})")
    return 0


def _side(spec: str) -> tuple[str, str, Path]:
    name, _, rest = spec.partition("=")
    exe, _, home = rest.rpartition(":")
    if not (name and exe and home):
        raise argparse.ArgumentTypeError(f"expected NAME=EXE:HOME, got {spec!r}")
    return name, exe, Path(home)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cards", type=int, default=100_000)
    ap.add_argument("--answers", type=int, default=300)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--home", type=Path)
    ap.add_argument("--skip-tmux", action="store_true")
    ap.add_argument("--scheduler", default="sm2", help="sm2 (default) or fsrs: the scheduler the answers go through")
    ap.add_argument("--ab", nargs="+", type=_side, metavar="NAME=EXE:HOME",
                    help="start-up only: alternated tmux starts of these commands (each on its own home)")
    ap.add_argument("--size", default="80x24", help="terminal size of the --ab starts (default 80x24)")
    args = ap.parse_args()
    if args.ab:
        w, _, h = args.size.partition("x")
        return start_ab(args.ab, args.runs, (int(w), int(h)))
    home = args.home or HERE / "out" / f"tui-home-{args.cards}"
    home.mkdir(parents=True, exist_ok=True)
    build_db(home, args.cards)
    lat = asyncio.run(grade_latency(home, args.answers, args.scheduler))
    print(f"grade key -> next card rendered ({lat['n']} answers, {args.cards} cards, {args.scheduler}): "
          f"p50 {lat['p50_ms']:.1f} ms, p95 {lat['p95_ms']:.1f} ms, max {lat['max_ms']:.1f} ms")
    if not args.skip_tmux:
        st = start_to_first_card(home, args.runs)
        if "start_to_first_card_s_median" in st:
            print(f"process start -> home screen: median {st['start_to_home_s_median']:.2f} s")
            print(f"process start -> first card (studyllm, then s): median {st['start_to_first_card_s_median']:.2f} s, "
                  f"best {st['start_to_first_card_s_min']:.2f} s over {st['runs']} runs")
            print(f"peak RSS after 5 answers: {st['peak_rss_mb_max']:.0f} MB")
        else:
            print(f"start-up measurement: {st}")
    try:
        load = os.getloadavg()
        print(f"(load average during the run: {load[0]:.1f}, {os.cpu_count()} CPUs)")
    except OSError:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
