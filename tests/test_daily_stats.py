"""Issue #19 item 7: every Stats panel readable at 80×24 and 120×40 with the figures
``studyllm stats --json`` has, and no bars the data doesn't have."""

from __future__ import annotations

import pytest
from conftest import drawn_lines
from test_stats_screen import StatsApp, seeded_store, settle

from studyllm.store import stats
from studyllm.ui.widgets.barchart import BarChart, chart


def test_a_zero_draws_nothing_and_every_other_value_draws_a_bar():
    values = [0] * 27 + [1, 0, 40]
    c = chart(values, 60, 5)
    assert c.per_bar == 1 and c.bars == values and c.top == 40
    cols = len(c.rows[0]) // len(values)
    for i, v in enumerate(values):
        column = "".join(row[i * cols:(i + 1) * cols] for row in c.rows)
        if v:
            assert column.strip(), f"value {v} at {i} drew nothing"
        else:
            assert not column.strip(), f"a bar at {i} where the data has 0"
    # the tallest bar is full height; the 1 is one eighth of a row, not nothing
    assert all(row[29 * cols] == "█" for row in c.rows)
    assert c.rows[-1][27 * cols] == "▁"


def test_runs_are_summed_ending_on_the_last_value():
    values = list(range(1, 366))
    c = chart(values, 70, 4)
    assert c.per_bar == 6
    assert sum(c.bars) == sum(values)
    assert c.bars[-1] == sum(values[-6:])  # the newest bar is a whole run, ending today


def _panel_text(screen, selector: str) -> str:
    return "\n".join(drawn_lines(screen.query_one(selector)))


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_every_panel_shows_the_json_figures_uncut(size):
    store = seeded_store()
    data = stats.summary(store)
    app = StatsApp(store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.pause()
        screen = app.screen
        retention = _panel_text(screen, "#retention")
        for label in ("Today", "7 days", "30 days", "Young", "Mature", "All"):
            assert label in retention, (size, label)
        overall = data["retention"]["overall"]
        for period in ("today", "week", "month"):
            for kind in ("young", "mature", "all"):
                r = overall[period][kind]
                if r["total"]:
                    assert f"{100 * r['rate']:.0f}% {r['passed']}/{r['total']}" in retention, (size, period, kind)
        for d in data["retention"]["decks"]:
            r = d["month"]["all"]
            if r["total"]:
                assert f"{r['passed']}/{r['total']}" in retention
        decks = _panel_text(screen, "#deck-stats")
        header = next(line for line in decks.splitlines() if "Deck " in line and "Decks" not in line)
        for word in ("New", "Learn", "Young", "Mature", "Susp.", "Leech", "Cards"):
            assert word in header, (size, word)
        for d in data["decks"]:
            row = next(line for line in decks.splitlines() if d["title"][:8] in line)
            keys = ("new", "learning", "young", "mature", "suspended", "leeches", "total")
            assert row.strip(" │").split()[-7:] == [str(d[k]) for k in keys]
        cards = _panel_text(screen, "#card-states")
        for key in ("new", "learning", "young", "mature", "suspended", "archived", "leeches", "total"):
            assert str(data["cards"][key]) in cards
        forecast = screen.query_one("#forecast-plot", BarChart)
        assert forecast.last is not None and sum(forecast.last.bars) == sum(d["due"] for d in data["forecast"])
        assert f": {sum(d['due'] for d in data['forecast'])}" in str(forecast.border_title)
        reviews = screen.query_one("#reviews-plot", BarChart)
        assert reviews.last is not None and reviews.last.bars == [d["reviews"] for d in data["reviews_per_day"]]
        for selector in ("#retention", "#deck-stats", "#forecast-plot", "#reviews-plot", "#card-states"):
            region = screen.query_one(selector).region
            assert region.right <= size[0], (selector, region)


async def test_no_phantom_bars_on_the_30_day_chart():
    """The seeded log has answers on 9 of the last 10 days only: the 20 days before draw nothing."""
    store = seeded_store()
    data = stats.summary(store)
    app = StatsApp(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = app.screen
        reviews = screen.query_one("#reviews-plot", BarChart)
        ys = [d["reviews"] for d in data["reviews_per_day"]]
        first = next(i for i, v in enumerate(ys) if v)
        assert first >= 15
        lines = drawn_lines(reviews)[1:-2]  # inside the border, above the x labels
        axis = lines[0].index("▕") + 1
        cols = len(reviews.last.rows[0]) // len(ys)
        for line in lines:
            assert not line[axis:axis + first * cols].strip(), "a bar before the first day with answers"
