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
    for i, v in enumerate(values):
        start, stop = c.spans[i]
        column = "".join(row[start:stop] for row in c.rows)
        if v:
            assert column.strip(), f"value {v} at {i} drew nothing"
        else:
            assert not column.strip(), f"a bar at {i} where the data has 0"
    # the tallest bar is full height; the 1 is one eighth of a row, not nothing
    assert all(row[c.spans[29][0]] == "█" for row in c.rows)
    assert c.rows[-1][c.spans[27][0]] == "▁"


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
        before = reviews.last.spans[first][0]
        for line in lines:
            assert not line[axis:axis + before].strip(), "a bar before the first day with answers"


@pytest.mark.parametrize(("n", "width"),
                         [(30, 110), (30, 60), (30, 50), (30, 31), (90, 110), (365, 110), (365, 48), (2, 9)])
def test_bars_span_the_whole_width_one_width_each_with_even_gaps(n, width):
    """30 bars at 110 columns used 90 and left 20 empty on the right: the bars now reach both
    edges; with room for gaps, every bar is one width and gaps differ by at most one column;
    without it, bars touch and differ in width by at most one column. Bars never overlap."""
    c = chart([1] * n, width, 3)
    spans = c.spans
    assert len(spans) == len(c.bars)
    assert spans[0][0] == 0 and spans[-1][1] == width, spans
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:], strict=False)), "bars overlap"
    widths = {stop - start for start, stop in spans}
    gaps = {b[0] - a[1] for a, b in zip(spans, spans[1:], strict=False)}
    if 2 * len(spans) - 1 <= width:
        assert len(widths) == 1 and min(gaps) >= 1 and max(gaps) - min(gaps) <= 1, (widths, gaps)
    else:
        assert gaps == {0} and max(widths) - min(widths) <= 1 and min(widths) >= 1, (widths, gaps)
    assert all(len(row) == width for row in c.rows)
    drawn = c.rows[-1]
    assert drawn[0] != " " and drawn[-1] != " "


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_30_day_chart_fills_its_panel(size):
    """The reviews chart's bars reach the right edge of its panel at 80 and 120 columns."""
    store = seeded_store()
    app = StatsApp(store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.pause()
        reviews = app.screen.query_one("#reviews-plot", BarChart)
        assert reviews.last is not None and len(reviews.last.bars) == 30
        plot = drawn_lines(reviews)[1:-2]  # inside the border, above the x labels
        axis = plot[0].index("▕") + 1
        right = len(plot[0]) - 2  # the right padding and border
        assert reviews.last.spans[-1][1] == right - axis, (right, axis, reviews.last.spans[-1])
        assert reviews.last.spans[0][0] == 0
        # today's bar (the seeded log has answers today) is drawn in the last columns of the panel
        assert plot[-1][right - 1] != " ", plot[-1]


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (120, 40)])
async def test_the_summary_breaks_between_its_groups_never_inside_one(size):
    """At 120 columns the summary line ran one word over and wrapped "… 2.6 a" / "day"."""
    store = seeded_store()
    app = StatsApp(store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.pause()
        lines = [line.strip() for line in drawn_lines(app.screen.query_one("#stats-summary")) if line.strip()]
        text = "\n".join(lines)
        assert any(line.startswith("Today ") for line in lines), lines
        assert any(line.startswith("Streak ") or "   Streak " in line for line in lines), lines
        per_day = next(line for line in lines if "in the last 30 days" in line)
        assert per_day.endswith(" a day"), lines
        assert "longest" in text and "studied" in text


@pytest.mark.parametrize(("size", "cell"), [((80, 24), "■■"), ((120, 40), "■ ■")])
async def test_the_heatmap_spans_its_panel_when_there_is_room(size, cell):
    """A week is one column at 80; at 120 each week takes two, so the year fills the panel (it
    filled half of it)."""
    store = seeded_store()
    heat = stats.summary(store)["heatmap"]
    app = StatsApp(store)
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        await pilot.pause()
        panel = app.screen.query_one("#heatmap")
        rows = drawn_lines(panel)[2:9]  # the border and the month line above the seven weekdays
        assert rows[0].lstrip("│ ").startswith("Mon")
        monday = rows[0]
        assert cell in monday
        first, last = monday.index("■"), monday.rindex("■")
        weeks = len(heat["weeks"])
        assert monday.count("■") == weeks
        width = panel.content_region.width
        if size[0] >= 120:
            assert last - first + 2 >= 2 * weeks and last - first + 2 >= 0.9 * (width - 4), (first, last, width)
        assert len(monday.rstrip(" │")) < len(monday)  # nothing drawn over the border


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_the_desired_retention_is_in_the_retention_title_uncut(size):
    """In FSRS mode at 120×40 the title read "True retention (q ≥ 3): passed of reviews · desired…"."""
    store = seeded_store.__wrapped__()  # its own copy: the cached one is shared by tests that only read it
    try:
        store.set_setting("scheduler", "fsrs")
        store.set_setting("desired_retention", 0.87)
        app = StatsApp(store)
        async with app.run_test(size=size) as pilot:
            await settle(pilot)
            await pilot.pause()
            top = drawn_lines(app.screen.query_one("#retention"))[0]
            assert "desired 87%" in top and "…" not in top, top
    finally:
        store.close()
