"""Parser benchmark: markdown-it-py's own parse vs studyllm's parse_deck on a generated deck.

    /work/venv/bin/python benchmarks/bench_parser.py [--cards 10000] [--repeat 5] [--seed 7]

The deck is the one the importer benchmark uses (`benchmarks/gen_decks.py`: N seeded
`Q:`/`A:` cards, ~240 bytes each, English and Chinese, inline code, a heading every 50
cards; 10,000 cards = 2.4 MB). If that module is missing, a similar deck is generated
here. Prints the median of `repeat` runs for:

* `MarkdownIt().parse(text)` — markdown-it-py alone, default (commonmark) rules;
* studyllm's markdown-it set-up, block pass only (inline rules switched off);
* the same plus the on-demand inline pass that finds code spans/HTML/links;
* `parse_deck(text)` — the whole studyllm parse.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from markdown_it import MarkdownIt

from studyllm.decks._markdown import get_md, masked_content
from studyllm.decks.parser import parse_deck

WORDS = (
    "model token attention layer memory gradient batch loss scaling compute data weights optimizer "
    "precision inference training context window embedding transformer decoder encoder softmax "
    "自编码模型 自回归模型 参数 显存 注意力"
).split()


def shared_deck(cards: int, seed: int) -> str | None:
    try:
        import gen_decks
    except ImportError:
        import sys
        from pathlib import Path

        sys.path.insert(0, str(Path(__file__).resolve().parent))
        try:
            import gen_decks
        except ImportError:
            return None
    deck = gen_decks.cards(cards, seed)
    return gen_decks.render_markdown(deck, title="Benchmark deck", key=gen_decks.deck_key(cards, seed))


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cards", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--own-generator", action="store_true", help="do not use benchmarks/gen_decks.py")
    args = ap.parse_args()
    text = None if args.own_generator else shared_deck(args.cards, args.seed)
    source = "benchmarks/gen_decks.py"
    if text is None:
        text, source = make_deck(args.cards, args.seed), "own generator"
    deck = parse_deck(text, "bench.md")
    assert not deck.errors, deck.errors[:3]
    assert len(deck.cards) == args.cards, len(deck.cards)
    md = MarkdownIt()
    ours = get_md()

    def block_and_inline() -> None:
        env: dict = {}
        for tok in ours.parse(text, env):
            if tok.type == "inline":
                masked_content(ours, tok.content, env)

    # Interleaved (one run of each per round) so that load from other processes hits all alike.
    fns = {
        "MarkdownIt().parse": lambda: md.parse(text),
        "studyllm markdown-it, blocks only": lambda: ours.parse(text, {}),
        "+ on-demand inline (code/HTML/link)": block_and_inline,
        "parse_deck (everything)": lambda: parse_deck(text, "bench.md"),
    }
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in range(args.repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    base = statistics.median(times["MarkdownIt().parse"])
    print(f"deck: {args.cards} cards, {len(text.encode()):,} bytes ({source}, seed {args.seed})")
    print(f"{args.repeat} interleaved runs:                 median       min")
    for name, ts in times.items():
        med = statistics.median(ts)
        print(f"  {name:36s} {med * 1000:8.1f} ms {min(ts) * 1000:8.1f} ms  ({med / base:.2f}x)")

if __name__ == "__main__":
    main()
