"""Parse-time bombs (#17 item 6): every file under the size limit parses in bounded time and memory.

    python benchmarks/bench_bombs.py [--mb 9.9] [--only NAME ...] [--repeat 1]

Each shape below is generated at just under the size limit (10 MB by default) and parsed
by ``parse_bytes`` in a fresh process (so peak memory is that parse's alone); printed: the
parse time (median of ``repeat`` runs), the process's peak RSS, the cards made and the first
message. The first row parses the 10,000-card benchmark deck as a yardstick: 0.45 s on the
machine of docs/performance.md, so a loaded machine's figures can be scaled. The target is
under 5 s and 300 MB for every shape. Run it by hand or from CI's
long job; it is a benchmark, not a test (``tests/test_parser_bounds.py`` checks that the
bounds are applied, at small scale).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from studyllm.decks.parser import MAX_CARDS, MAX_LINES


def _fill(unit: str, size: int, head: str = "") -> str:
    return head + unit * max(1, (size - len(head)) // len(unit))


def _lines(line: str, size: int, head: str = "Q: q\nA: ") -> str:
    return head + "\n".join([line] * max(1, (size - len(head)) // (len(line) + 1)))


def _table(cols: int, size: int) -> str:
    row = "|" + "b|" * cols
    rows = max(1, size // len(row) - 2)
    return "Q: q\nA:\n\n" + "\n".join(["|" + "a|" * cols, "|" + "-|" * cols] + [row] * rows)


SHAPES: dict[str, Callable[[int], str]] = {
    "lt-lines": lambda n: _lines("<a" * 20_000, n),
    "link-lines": lambda n: _lines("[x](" * 10_000, n),
    "bracket-lines": lambda n: _lines("[" * 40_000, n),
    "backtick-lines": lambda n: _lines("`a" * 20_000, n),
    "backslash-lines": lambda n: _lines("\\\\a" * 13_000, n),
    "emphasis-lines": lambda n: _lines("*a_" * 13_000, n),
    "table-20000-columns": lambda n: _table(20_000, n),
    "table-100-columns": lambda n: _table(100, n),
    "table-2-columns": lambda n: _table(2, n),
    "tiny-paragraphs": lambda n: _fill("a\n\n", n),
    "inline-cards": lambda n: _fill("a :: b\n", n),
    "list-cards": lambda n: _fill("- a :: b\n", n),
    "separator-cards": lambda n: _fill("q\n?\na\n\n", n),
    "qa-cards": lambda n: _fill("Q: q\nA: a\n\n", n),
    "cloze-line": lambda n: _lines("{{c1::x}} " * 4_000, n, head=""),
    "cloze-openers": lambda n: _lines("{{c1::" * 16_000, n, head=""),
    "highlights": lambda n: _lines("==a== " * 16_000, n, head=""),
    "c-block-brackets": lambda n: _lines("[a] " * 20_000, n, head="C: "),
    "html-blocks": lambda n: _fill("<div>\nx\n</div>\n\n", n),
    "quotes-deep": lambda n: _fill(">" * 30 + " a :: b\n", n),
    "lists-deep": lambda n: "".join("  " * i + "- a\n" for i in range(200)) * max(1, n // 40_000),
    "headings": lambda n: _fill("## h\n", n),
    "start-without-end": lambda n: _fill("START\nx\n\n", n),
    "flashcard-tags": lambda n: _fill("q #flashcard\na\n\n", n),
    "wiki-links": lambda n: _fill("[[a|b]] :: ![[c.png]] #t ^id\n", n),
    # just under the line limit (parser.MAX_LINES): the most work a file can make before a bound refuses it
    "paragraph-at-line-cap": lambda n: "\n".join(["word " * 8] * (MAX_LINES - 10)),
    "inline-cards-at-card-cap": lambda n: "\n".join(f"term {i} :: meaning {i}" for i in range(MAX_CARDS - 10)),
    "qa-cards-at-line-cap": lambda n: "\n\n".join(f"Q: question {i}?\nA: answer {i}"
                                                   for i in range(MAX_LINES // 2 - 10)),
}

CHILD = r"""
import json, resource, statistics, sys, time
from studyllm.decks.parser import parse_bytes
data = open(sys.argv[1], "rb").read()
times = []
for _ in range(int(sys.argv[2])):
    t = time.perf_counter()
    deck = parse_bytes(data, "bomb.md")
    times.append(time.perf_counter() - t)
msgs = [str(e) for e in deck.errors + deck.skipped + deck.warnings]
print(json.dumps({"s": statistics.median(times), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "cards": len(deck.cards), "msgs": len(msgs), "first": msgs[0][:110] if msgs else ""}))
"""


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--mb", type=float, default=9.9, help="file size in MB (the limit is 10)")
    ap.add_argument("--only", nargs="*", help="shape names")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    size = int(args.mb * 1024 * 1024)
    names = args.only or list(SHAPES)
    worst_s = worst_mb = 0.0
    print(f"{'shape':<22} {'bytes':>10} {'s':>6} {'peak MB':>8} {'cards':>7}  first message")
    with tempfile.TemporaryDirectory() as tmp:
        for name in ["reference", *names]:
            if name == "reference":
                # the 10,000-card benchmark deck (0.45 s on the machine of docs/performance.md): a yardstick
                # for how loaded this machine is right now
                sys.path.insert(0, str(Path(__file__).parent))
                import gen_decks

                text = gen_decks.render_markdown(gen_decks.cards(10_000, 1), title="Reference", key="reference")
            else:
                text = SHAPES[name](size)
            data = text.encode()[:size]
            path = Path(tmp) / f"{name}.md"
            path.write_bytes(data)
            out = subprocess.run([sys.executable, "-c", CHILD, str(path), str(args.repeat)], capture_output=True,
                                 text=True, timeout=600, env={**os.environ, "PYTHONHASHSEED": "0"})
            if out.returncode:
                print(f"{name:<22} FAILED: {out.stderr.strip().splitlines()[-1] if out.stderr else out.returncode}")
                worst_s = float("inf")
                continue
            r = json.loads(out.stdout)
            if name != "reference":
                worst_s, worst_mb = max(worst_s, r["s"]), max(worst_mb, r["rss_mb"])
            print(f"{name:<22} {len(data):>10,} {r['s']:>6.2f} {r['rss_mb']:>8.0f} {r['cards']:>7,}  {r['first']}")
    ok = worst_s < 5 and worst_mb < 300
    print(f"worst: {worst_s:.2f} s, {worst_mb:.0f} MB peak (target < 5 s and < 300 MB): {'PASS' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
