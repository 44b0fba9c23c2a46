"""Parser benchmark: markdown-it-py's own parse vs studyllm's parse_deck on a generated deck.

    /work/venv/bin/python benchmarks/bench_parser.py [--cards 10000] [--repeat 5] [--seed 7]

Generates (seeded) a deck of N `Q:`/`A:` cards (about 240 bytes each, mixed English
and Chinese, some inline code and bold, under a few headings), then prints the median
of `repeat` runs for:

* `MarkdownIt().parse(text)` — markdown-it-py with its default (commonmark) rules,
* `parse_deck(text)` — the whole studyllm parse (tokens + card pass),
* the share of `parse_deck` spent after markdown-it (our own pass).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from markdown_it import MarkdownIt

from studyllm.decks.parser import parse_deck

WORDS = (
    "model token attention layer memory gradient batch loss scaling compute data weights optimizer "
    "precision inference training context window embedding transformer decoder encoder softmax "
    "自编码模型 自回归模型 参数 显存 注意力"
).split()


def make_deck(cards: int, seed: int) -> str:
    rng = random.Random(seed)
    out = ["---", "title: Generated benchmark deck", "tags: [bench]", "---", "", "# Generated benchmark deck", ""]
    for i in range(cards):
        if i % 500 == 0:
            out += [f"## Section {i // 500 + 1}", ""]
        q = " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 12)))
        a = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 30)))
        if i % 10 == 0:
            a += " with `code::span` inside"
        if i % 7 == 0:
            a = "**" + a + "**"
        out += [f"Q: {q} #{i}?", f"A: {a}.", ""]
    return "\n".join(out)


def median_time(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cards", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    text = make_deck(args.cards, args.seed)
    deck = parse_deck(text, "bench.md")
    assert not deck.errors, deck.errors[:3]
    assert len(deck.cards) == args.cards, len(deck.cards)
    md = MarkdownIt()
    t_md = median_time(lambda: md.parse(text), args.repeat)
    t_deck = median_time(lambda: parse_deck(text, "bench.md"), args.repeat)
    print(f"deck: {args.cards} cards, {len(text.encode()):,} bytes (seed {args.seed})")
    print(f"MarkdownIt().parse       median of {args.repeat}: {t_md * 1000:8.1f} ms")
    print(f"parse_deck               median of {args.repeat}: {t_deck * 1000:8.1f} ms  ({t_deck / t_md:.2f}x)")


if __name__ == "__main__":
    main()
