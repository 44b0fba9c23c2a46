"""StatsScreen: snapshot tests with a frozen clock and a seeded in-memory store, and Pilot checks."""

from __future__ import annotations

import functools
from datetime import UTC, datetime, timedelta

from conftest import add_deck, drawn_lines
from textual.app import App
from textual.widgets import Static

from studyllm.clock import FrozenClock
from studyllm.store import Store
from studyllm.ui.screens.stats import StatsScreen

SIZE = (100, 64)


@functools.cache
def seeded_store() -> Store:
    """Shared by the tests, which only read it. Two decks answered over nine days (with a gap), so every panel
    has something to show."""
    clock = FrozenClock(datetime(2026, 2, 20, 9, 0, tzinfo=UTC), "UTC")
    store = Store.memory(clock=clock)
    add_deck(store, "alpha", 8, title="Attention basics")
    add_deck(store, "beta", 5, title="Memory and scaling")
    with store.database.connect() as conn:
        ids = [r[0] for r in conn.execute("SELECT id FROM card ORDER BY id")]
    grades = [5, 4, 3, 2, 4, 5, 1, 4, 3, 5]
    k = 0
    start = datetime(2026, 2, 20, 9, 0, tzinfo=UTC)
    for day in range(10):
        clock.set(start + timedelta(days=day))
        if day == 4:  # a day off breaks the streak
            continue
        for cid in ids[: 4 + day]:
            store.answer(cid, grades[k % len(grades)])
            k += 1
            clock.advance(minutes=3)
    return store


class StatsApp(App[None]):
    def __init__(self, store: Store):
        super().__init__()
        self.store = store

    def on_mount(self) -> None:
        self.push_screen(StatsScreen())


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def test_stats_screen_snapshot(snap_compare):
    assert snap_compare(StatsApp(seeded_store()), terminal_size=SIZE, run_before=settle)


def test_stats_screen_snapshot_365_days(snap_compare):
    async def run_before(pilot) -> None:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)

    assert snap_compare(StatsApp(seeded_store()), terminal_size=SIZE, run_before=run_before)


def test_stats_screen_empty_store_snapshot(snap_compare):
    clock = FrozenClock(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "UTC")
    assert snap_compare(StatsApp(Store.memory(clock=clock)), terminal_size=(80, 40), run_before=settle)


async def test_stats_screen_shows_the_store_figures_and_cycles_spans():
    store = seeded_store()
    app = StatsApp(store)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        assert isinstance(screen, StatsScreen)
        from studyllm.store import stats

        expected = stats.summary(store)
        assert screen.data == expected
        summary = str(screen.query_one("#stats-summary", Static).render())
        st = expected["streaks"]
        days = f"{st['current']} day{'' if st['current'] == 1 else 's'}"
        assert f"Streak {days}" in summary and f"longest {st['longest']}" in summary
        decks = "\n".join(drawn_lines(screen.query_one("#deck-stats", Static)))
        assert "Attention basics" in decks and "Memory and scaling" in decks
        alpha = next(line for line in decks.splitlines() if "Attention basics" in line)
        assert alpha.strip(" │").split()[-1] == "8"
        retention = "\n".join(drawn_lines(screen.query_one("#retention", Static)))
        assert all(d["title"] in retention for d in expected["retention"]["decks"])
        assert screen.days == 30
        for want in (90, 365, 30):
            await pilot.press("d")
            await settle(pilot)
            assert screen.days == want
            assert len(screen.data["reviews_per_day"]) == want
        await pilot.press("2")
        await settle(pilot)
        assert screen.days == 90


async def test_stats_screen_renders_with_a_light_theme():
    app = StatsApp(seeded_store())
    async with app.run_test(size=SIZE) as pilot:
        app.theme = "textual-light"
        await settle(pilot)
        heat = str(app.screen.query_one("#heatmap", Static).render())
        assert "Mon" in heat and ("answers from" in heat or "answer from" in heat)
