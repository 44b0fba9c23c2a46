"""Regenerate the README screenshots: python assets/make_screenshots.py

Builds an in-memory store from the shipped decks with a frozen clock, answers a few
cards so the numbers look lived-in, and saves SVGs of the home, study, browse and
calculator screens into this folder.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path

from studyllm.clock import FrozenClock
from studyllm.store import Store
from studyllm.store.importer import sync_folders
from studyllm.ui.app import build_app

HERE = Path(__file__).resolve().parent
SIZE = (100, 30)


def seeded_store(home: Path) -> Store:
    clock = FrozenClock(datetime(2026, 3, 1, 9, tzinfo=timezone.utc), "UTC")
    store = Store.open(home, clock=clock)  # a file: the app's workers each get a connection
    sync_folders(store)
    # three days of study so home shows a streak, due cards and a next-due date
    for day in range(3):
        for _ in range(12):
            card = store.next_card()
            if card is None:
                break
            store.answer(card.id, (5, 4, 3, 2)[card.id % 4], 6000)
        clock.advance(days=1)
    clock.set(clock.now() + timedelta(hours=1))
    return store


async def shoot() -> None:
    with tempfile.TemporaryDirectory(prefix="studyllm-shots-") as tmp:
        await _shoot(seeded_store(Path(tmp)))


async def _shoot(store: Store) -> None:
    app = build_app(store, timer=lambda: 0.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        app.save_screenshot("home.svg", path=str(HERE))
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("space")
        await pilot.pause()
        app.save_screenshot("study.svg", path=str(HERE))
        await pilot.press("escape", "b")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#search").value = "memory"
        for _ in range(200):
            await pilot.pause(0.02)
            if screen.searches >= 2:
                break
        await pilot.press("tab", "tab", "tab", "tab", "down")
        await pilot.pause()
        app.save_screenshot("browse.svg", path=str(HERE))
        await pilot.press("escape", "c")
        await pilot.pause(0.3)
        app.save_screenshot("calculators.svg", path=str(HERE))
    store.close()


if __name__ == "__main__":
    asyncio.run(shoot())
    print("wrote", ", ".join(sorted(p.name for p in HERE.glob("*.svg"))))
