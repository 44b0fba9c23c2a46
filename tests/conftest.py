"""Shared fixtures: a frozen clock and stores built around temporary databases."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from studyllm.clock import FrozenClock
from studyllm.decks.model import ParsedCard, ParsedDeck


def shared_dir() -> Path:
    """The project's shared reference folder: ``$STUDYLLM_SHARED`` if set, else ``shared/``
    beside the checkout (``parents[2]``). Tests never name a machine's absolute path."""
    env = os.environ.get("STUDYLLM_SHARED")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared"


def shared_file(*parts: str) -> Path | None:
    """A file of the shared folder, or ``None`` when it is not there (the caller skips or
    falls back to its copy in ``tests/data``)."""
    path = shared_dir().joinpath(*parts)
    return path if path.is_file() else None


SHARED = shared_dir()


@pytest.fixture(autouse=True)
def _isolated_home(tmp_path_factory, monkeypatch):
    """No test ever touches the real user data folder."""
    monkeypatch.setenv("STUDYLLM_HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture
def clock() -> FrozenClock:
    # Monday 2026-03-02 12:00 in Berlin (11:00 UTC)
    return FrozenClock(datetime(2026, 3, 2, 11, 0, tzinfo=UTC), "Europe/Berlin")


@pytest.fixture
def store(clock):
    from studyllm.store import Store

    s = Store.memory(clock=clock)
    yield s
    s.close()


@pytest.fixture
def file_store(tmp_path, clock):
    from studyllm.store import Store

    s = Store.open(tmp_path / "home", clock=clock)
    yield s
    s.close()


def make_deck(key: str = "d", n: int = 5, *, title: str | None = None, options: dict | None = None,
              prefix: str = "Question") -> ParsedDeck:
    cards = [
        ParsedCard("basic", f"{prefix} number {i} about transformers?", f"Answer {i}.", heading_path=("Part",),
                   line=3 + 3 * i)
        for i in range(n)
    ]
    return ParsedDeck(path=f"{key}.md", key=key, title=title or key.upper(), cards=cards, options=options or {},
                      content_hash=f"hash-{key}-{n}")


def add_deck(store, key: str = "d", n: int = 5, **kw):
    from studyllm.store.importer import import_parsed

    deck = make_deck(key, n, **kw)
    report = import_parsed(store, deck, source_path=f"/nonexistent/{key}.md")
    assert report.ok, report.errors
    return store.deck_id(key)


# ---------------------------------------------------------------------------- UI tests
# A seeded file store with a frozen clock, built from ParsedCard records with ``import_parsed``
# so the UI tests don't depend on the Markdown parser. Import the helpers from here
# (``from conftest import make_store, settle``), as the other tests import ``add_deck``.

UI_NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

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
               key: str = "week1", clock: FrozenClock | None = None, source: Path | None = None):
    """A store with one deck (``cards`` or :func:`basic_cards`) and a frozen clock, in a file
    database as in the app (workers: home loader, search, recount then get their own)."""
    import atexit
    import shutil
    import tempfile

    from studyllm.store import Store

    clock = clock or FrozenClock(UI_NOW, "UTC")
    home = tmp_path if tmp_path is not None else Path(tempfile.mkdtemp(prefix="studyllm-ui-test-"))
    if tmp_path is None:
        atexit.register(shutil.rmtree, home, True)
    store = Store.open(home, clock=clock)
    add_cards_deck(store, cards if cards is not None else basic_cards(), title=title, key=key, source=source)
    return store


def add_cards_deck(store, cards: list[ParsedCard], *, title: str, key: str, source: Path | None = None,
                   tags: tuple[str, ...] = ()) -> None:
    """Import a deck of these ParsedCard records (no Markdown parsing)."""
    from studyllm.store.importer import import_parsed

    deck = ParsedDeck(path=str(source or f"/decks/{key}.md"), key=key, title=title, cards=list(cards), tags=tags,
                      content_hash=key)
    report = import_parsed(store, deck, source_path=str(source or f"/decks/{key}.md"))
    assert report.ok, report.errors


@pytest.fixture
def ui_store(tmp_path):
    """The default UI store (:func:`make_store` with :func:`basic_cards`) in ``tmp_path``, closed after."""
    s = make_store(tmp_path / "ui-home")
    yield s
    s.close()


HOSTILE = [
    ParsedCard("basic", "Click [@click=app.quit]here[/] or [red]red[/red] \x1b]52;c;ZXZpbA==\x07 bell\x07",
               "[bold]not bold[/bold] \x1b[2J cleared? \x9b31m", ("[@click=app.quit]x",), line=1),
]


async def settle(pilot, frames: int = 3) -> None:
    """Textual's convention for "wait until the app is quiet": let it process its messages and
    draw ``frames`` times (work scheduled with ``call_after_refresh`` runs), then wait for every
    worker (e.g. home's reload) to complete, and let what they posted back be shown."""
    for _ in range(frames):
        await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def open_browse(pilot) -> None:
    """Home's ``b``, then wait for Browse's first search (a worker of its own) and move to the
    second row, as the Browse snapshots show it."""
    await pilot.press("b")
    screen = pilot.app.screen
    for _ in range(100):
        await pilot.pause(0.02)
        if screen.searches:
            break
    await pilot.press("down")


def drawn_lines(widget) -> list[str]:
    """The widget's lines as drawn on screen (padding included), as plain text."""
    from textual.geometry import Region

    return [strip.text for strip in widget.render_lines(Region(0, 0, *widget.outer_size))]


# ---------------------------------------------------------------------------- tmux (slow tests)
TMUX = shutil.which("tmux")
TMUX_SOCKET = "hardening"  # our own tmux server (tmux -L), never the default one


def tmux_cmd(*args: str) -> str:
    """Run a tmux command on the tests' own server; its standard output."""
    assert TMUX is not None
    return subprocess.run([TMUX, "-L", TMUX_SOCKET, *args], check=True, capture_output=True, text=True).stdout


def tmux_wait(session: str, text: str, timeout: float = 40.0) -> str:
    """The pane's text once ``text`` shows in it; fails with the screen after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    shown = ""
    while time.monotonic() < deadline:
        shown = tmux_cmd("capture-pane", "-p", "-t", session)
        if text in shown:
            return shown
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; screen was:\n{shown}")


def tmux_kill(session: str) -> None:
    if TMUX is not None:
        subprocess.run([TMUX, "-L", TMUX_SOCKET, "kill-session", "-t", session], capture_output=True)
