"""Shared fixtures: a frozen clock and stores built around temporary databases."""

from __future__ import annotations

import os
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
