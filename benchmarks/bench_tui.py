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
    results_home, results_card, rss = [], [], []
    for r in range(runs + 1):  # the first run imports the shipped decks: a warm-up, not counted
        session = f"bench-tui-{os.getpid()}-{r}"
        t0 = time.perf_counter()
        tmux("new-session", "-d", "-s", session, "-x", "80", "-y", "24", f"exec {exe} --home '{home}'")
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cards", type=int, default=100_000)
    ap.add_argument("--answers", type=int, default=300)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--home", type=Path)
    ap.add_argument("--skip-tmux", action="store_true")
    ap.add_argument("--scheduler", default="sm2", help="sm2 (default) or fsrs: the scheduler the answers go through")
    args = ap.parse_args()
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
