"""Shared fixtures for the UI tests: a seeded in-memory store with a frozen clock.

Decks are built from ParsedCard records with ``import_parsed`` so these tests don't
depend on the Markdown parser. (Named ui_fixtures, not conftest, on purpose: the lead
owns tests/conftest.py. Import what you need from here.)
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from studyllm.clock import FrozenClock
from studyllm.decks.model import ParsedCard, ParsedDeck
from studyllm.store import Store
from studyllm.store.importer import import_parsed

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

CALC_BODY = """\
question: How many GB does it take to store the weights of a {params} model in {precision}?
vars:
  params: choice(1B, 7B, 13B)
  precision: choice(fp32, fp16)
answer: weights_bytes(params, precision)
unit: GB
tolerance: 2%
"""


def calc_card() -> ParsedCard:
    return ParsedCard("calc", "Weights memory", "Bytes per parameter times parameters.", ("Memory",), line=30,
                      extra={"body": CALC_BODY, "body_line": 31})


def basic_cards() -> list[ParsedCard]:
    return [
        ParsedCard("basic", "What does SFT stand for?", "Supervised fine-tuning.", ("Lifecycle",), line=5),
        ParsedCard("basic", "How many bytes per parameter in FP16?", "2 bytes.", ("Memory",), line=7,
                   tags=("memory",)),
        ParsedCard("cloze", "The weights of a 1B model take [...] in FP16.",
                   "The weights of a 1B model take **2 GB** in FP16.", ("Memory",), line=9, variant="c1",
                   extra={"index": "1", "answers": ["2 GB"]}),
        ParsedCard("mcq", "Which optimizer keeps two states per parameter?", "Adam keeps momentum and variance.",
                   ("Training",), line=11,
                   extra={"choices": [{"text": "SGD", "correct": False}, {"text": "Adam", "correct": True},
                                      {"text": "Plain gradient descent", "correct": False}]}),
        ParsedCard("ordered", "Put the lifecycle stages in order.", "Pre-training comes first.", ("Lifecycle",),
                   line=15, extra={"items": ["Pre-training", "Supervised fine-tuning", "RLHF"]}),
        ParsedCard("basic", "什么是大语言模型？", "一种在大量文本上训练的神经网络。", ("中文",), line=20),
    ]


def make_store(tmp_path: Path | None = None, *, cards: list[ParsedCard] | None = None, title: str = "Week 1",
               key: str = "week1", clock: FrozenClock | None = None, source: Path | None = None) -> Store:
    """A store with one deck (``cards`` or :func:`basic_cards`) and a frozen clock."""
    clock = clock or FrozenClock(NOW, "UTC")
    # a file database, as in the app: workers (home loader, search, recount) then get their own
    home = tmp_path if tmp_path is not None else Path(tempfile.mkdtemp(prefix="studyllm-ui-test-"))
    if tmp_path is None:
        atexit.register(shutil.rmtree, home, True)
    store = Store.open(home, clock=clock)
    add_deck(store, cards if cards is not None else basic_cards(), title=title, key=key, source=source)
    return store


def add_deck(store: Store, cards: list[ParsedCard], *, title: str, key: str, source: Path | None = None,
             tags: tuple[str, ...] = ()) -> None:
    deck = ParsedDeck(path=str(source or f"/decks/{key}.md"), key=key, title=title, cards=list(cards), tags=tags,
                      content_hash=key)
    report = import_parsed(store, deck, source_path=str(source or f"/decks/{key}.md"))
    assert report.ok, report.errors


HOSTILE = [
    ParsedCard("basic", "Click [@click=app.quit]here[/] or [red]red[/red] \x1b]52;c;ZXZpbA==\x07 bell\x07",
               "[bold]not bold[/bold] \x1b[2J cleared? \x9b31m", ("[@click=app.quit]x",), line=1),
]


async def wait_home(pilot, after: int = 0) -> None:
    """Wait until the home screen has loaded its numbers more than ``after`` times."""
    for _ in range(300):
        await pilot.pause(0.01)
        screen = pilot.app.screen
        if type(screen).__name__ == "HomeScreen" and screen.loads > after:
            return
    raise AssertionError("home screen did not load")


def drawn_lines(widget) -> list[str]:
    """The widget's lines as drawn on screen (padding included), as plain text."""
    from textual.geometry import Region

    return [strip.text for strip in widget.render_lines(Region(0, 0, *widget.outer_size))]
