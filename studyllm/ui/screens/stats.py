"""Stats: reviews per day (30/90/365), a calendar heatmap, streaks, true retention, the due
forecast, cards by state and easiness, and a per-deck table.

The figures come from :mod:`studyllm.store.stats` (read-only SQL), loaded in a thread worker
so a large log never blocks the UI; the screen only draws what it is given.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.color import Color, ColorParseError
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.widgets import Footer, Header, Static

from studyllm.ui.screens.base import AppScreen
from studyllm.ui.text import clean, plural
from studyllm.ui.widgets.barchart import BarChart

SPANS = (30, 90, 365)
_WEEKDAYS = ("Mon", "", "Wed", "", "Fri", "", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def retention_title(desired: float | None) -> str:
    """The retention table's title; in FSRS mode it names the desired retention to compare with."""
    # in FSRS mode the desired retention is the point of the title: the cells say "passed/reviews"
    # already, and at 120×40 the panel is 56 columns, which cut the long title to "· desired…"
    if desired is None:
        return "True retention (q ≥ 3): passed of reviews"
    return f"True retention (q ≥ 3) · desired {round(desired * 100)}%"


NARROW = 110  # below this width the side-by-side panels are stacked, so none is cut

PERIODS = (("today", "Today"), ("week", "7 days"), ("month", "30 days"))
DECK_COLUMNS = (("new", "New"), ("learning", "Learn"), ("young", "Young"), ("mature", "Mature"),
                ("suspended", "Susp."), ("leeches", "Leech"), ("total", "Cards"))


def _pct(rate: dict[str, Any]) -> Text:
    if not rate["total"]:
        return Text("–", style="dim", justify="right")
    return Text(f"{100 * rate['rate']:.0f}% {rate['passed']}/{rate['total']}", justify="right", no_wrap=True)


def retention_table(retention: dict[str, Any]) -> Table:
    """True retention, overall (young, mature, all) and per deck, for today, 7 and 30 days: each
    cell "84% 107/127" (passed of total), the label column cut to what the width leaves."""
    table = Table(box=None, expand=True, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column("", ratio=1, no_wrap=True, overflow="ellipsis", min_width=6)
    for _key, label in PERIODS:
        table.add_column(label, justify="right", no_wrap=True)
    overall = retention["overall"]
    for kind, label in (("young", "Young (< 21 d)"), ("mature", "Mature"), ("all", "All")):
        table.add_row(Text(label), *(_pct(overall[p][kind]) for p, _ in PERIODS))
    for d in retention["decks"]:
        table.add_row(Text(clean(d["title"]), style="italic"), *(_pct(d[p]["all"]) for p, _ in PERIODS))
    return table


def deck_table(decks: list[dict[str, Any]]) -> Table:
    table = Table(box=None, expand=True, padding=(0, 1), show_edge=False, header_style="bold")
    table.add_column("Deck", ratio=1, no_wrap=True, overflow="ellipsis", min_width=6)
    for _key, label in DECK_COLUMNS:
        table.add_column(label, justify="right", no_wrap=True)
    for d in decks:
        title = Text(clean(d["title"]) + (" (archived)" if d.get("archived") else ""))
        table.add_row(title, *(Text(str(d.get(k, 0)), style="" if d.get(k) else "dim") for k, _ in DECK_COLUMNS))
    if not decks:
        table.add_row(Text("no decks yet", style="dim"), *([""] * len(DECK_COLUMNS)))
    return table


class StatsScreen(AppScreen[None]):
    CSS_PATH = "stats.tcss"
    BINDINGS = [
        Binding("d", "cycle_days", "30/90/365 days", tooltip="the reviews chart's span, in turn"),
        Binding("1", "set_days(30)", "30 days", show=False),
        Binding("2", "set_days(90)", "90 days", show=False),
        Binding("3", "set_days(365)", "365 days", show=False),
        Binding("r", "reload", "Refresh", tooltip="read the figures again"),
        Binding("escape", "app.go('home')", "Home"),
    ]

    days: reactive[int] = reactive(30, init=False)

    def __init__(self, **_ignored: Any) -> None:
        super().__init__()
        self.data: dict[str, Any] | None = None
        self.heat: dict[str, Any] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="stats-body"):
            yield Static("Loading statistics…", id="stats-summary", markup=False)
            reviews = BarChart(id="reviews-plot")
            reviews.border_title = "Reviews per day"
            yield reviews
            heat = Static(id="heatmap", markup=False)
            heat.border_title = "Last 365 days"
            yield heat
            with Horizontal(id="stats-middle"):
                retention = Static(id="retention")
                retention.border_title = "True retention (q ≥ 3): passed of reviews"
                yield retention
                forecast = BarChart(id="forecast-plot")
                forecast.border_title = "Due in the next 30 days"
                yield forecast
            with Horizontal(id="stats-bottom"):
                with Vertical(id="stats-states"):
                    yield Static(id="card-states", markup=False)
                    yield Static(id="ef-bars", markup=False)
                decks = Static(id="deck-stats")
                decks.border_title = "Decks"
                yield decks
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Stats"
        self.query_one("#card-states", Static).border_title = "Cards"
        self.query_one("#ef-bars", Static).border_title = "Easiness (answered cards)"
        self._fit(self.size.width)
        self.action_reload()

    def on_resize(self) -> None:
        self._fit(self.size.width)
        if self.data is not None and self.heat is not None:  # the summary and heatmap fit themselves to the width
            self.call_after_refresh(self._refit)

    def _refit(self) -> None:
        if self.data is not None and self.heat is not None:
            self._summary(self.data, self.days)
            self._heatmap(self.heat)

    def _fit(self, width: int) -> None:
        """Side by side at 110 columns and more; stacked below, so no panel is cut."""
        narrow = 0 < width < NARROW
        for panel in self.query("#stats-middle, #stats-bottom"):
            panel.set_class(narrow, "stacked")

    def on_screen_resume(self) -> None:
        self.action_reload()

    # ------------------------------------------------------------------ actions
    def action_reload(self) -> None:
        self.load(self.days)

    def action_cycle_days(self) -> None:
        self.days = SPANS[(SPANS.index(self.days) + 1) % len(SPANS)] if self.days in SPANS else SPANS[0]

    def action_set_days(self, days: int) -> None:
        self.days = days

    def watch_days(self, _days: int) -> None:
        self.action_reload()

    # ------------------------------------------------------------------ loading
    @work(thread=True, exclusive=True, group="stats")
    def load(self, days: int) -> None:
        from studyllm.store import stats

        store = self.app.store
        data = stats.summary(store, days=days)
        self.app.call_from_thread(self.show, data, data["heatmap"], days)

    def show(self, data: dict[str, Any], heat: dict[str, Any], days: int) -> None:
        self.data, self.heat = data, heat
        self._summary(data, days)
        self._reviews(data, days)
        self._heatmap(heat)
        self._retention(data)
        self._forecast(data)
        self._states(data)
        self._decks(data)

    # ------------------------------------------------------------------ drawing
    def _colour(self, name: str, fallback: str) -> Color:
        value = self.app.theme_variables.get(name) or fallback
        try:
            return Color.parse(value)
        except ColorParseError:  # a theme without this variable, or one Textual can't read
            return Color.parse(fallback)

    def _width(self, selector: str) -> int:
        """The content width of a panel, or (before the first layout) what the screen leaves it."""
        width = self.query_one(selector).content_size.width
        return width if width > 0 else max(20, self.size.width - 8)

    def _summary(self, data: dict[str, Any], days: int) -> None:
        st = data["streaks"]
        per_day = data["reviews_per_day"]
        total = sum(d["reviews"] for d in per_day)
        today = per_day[-1]["reviews"] if per_day else 0
        groups = [
            [(f"Today {data['today']}: {plural(today, 'answer')}", "bold")],
            [(f"Streak {plural(st['current'], 'day')}", "bold"),
             (f" · longest {st['longest']} · {plural(st['days_studied'], 'day')} studied", "")],
            [(f"{plural(total, 'answer')} in the last {days} days, {total / days:.1f} a day", "dim")],
        ]
        # the three groups on one line when they fit, else a line break between groups, never
        # inside one ("… 0.4 a" / "day" at 120 columns)
        width = self._width("#stats-summary")
        text = Text()
        used = 0
        for i, group in enumerate(groups):
            length = sum(len(part) for part, _ in group)
            if i:
                if used + 3 + length <= width:
                    text.append("   ")
                    used += 3
                else:
                    text.append("\n")
                    used = 0
            for part, style in group:
                text.append(part, style=style or None)
            used += length
        self.query_one("#stats-summary", Static).update(text)

    def _reviews(self, data: dict[str, Any], days: int) -> None:
        ys = [d["reviews"] for d in data["reviews_per_day"]]
        self.query_one("#reviews-plot", BarChart).plot(
            ys, (f"{-(len(ys) - 1)} d", "today"), title=f"Reviews per day, last {days} days (d: 30/90/365)",
            colour=self._colour("primary", "#0178D4").hex)

    def _heatmap(self, heat: dict[str, Any]) -> None:
        weeks = heat["weeks"]
        top = heat["max"] or 1
        base = self._colour("panel", "#2a2a2a")
        hot = self._colour("success", "#4EBF71")
        levels = [base] + [base.blend(hot, f) for f in (0.35, 0.6, 0.8, 1.0)]
        # a week is one column, or two ("■ ") when the panel has room for that (120 columns),
        # so the year spans the panel rather than half of it
        cw = 2 if 4 + 2 * len(weeks) <= self._width("#heatmap") else 1
        labels = [" "] * (len(weeks) * cw)
        for i, week in enumerate(weeks):
            monday = date.fromisoformat(week[0][0])  # a week's Monday is never after today
            at = i * cw
            if monday.day <= 7 and at + 3 <= len(labels) and not "".join(labels[at:at + 3]).strip():
                labels[at:at + 3] = _MONTHS[monday.month - 1]
        text = Text()
        text.append("    " + "".join(labels).rstrip() + "\n", style="dim")
        for row in range(7):
            text.append(f"{_WEEKDAYS[row]:<4}", style="dim")
            for week in weeks:
                cell = week[row]
                if cell is None:
                    text.append(" " * cw)
                    continue
                n = cell[1]
                level = 0 if n == 0 else min(4, 1 + (4 * (n - 1)) // top)
                text.append("■", style=levels[level].hex)
                if cw == 2:
                    text.append(" ")
            text.append("\n")
        text.append(f"{plural(heat['total'], 'answer')} from {heat['start']} to {heat['end']}; "
                    f"busiest day {heat['max']}",
                    style="dim")
        self.query_one("#heatmap", Static).update(text)

    def _retention(self, data: dict[str, Any]) -> None:
        retention = self.query_one("#retention", Static)
        retention.border_title = retention_title(data.get("desired_retention"))
        retention.update(retention_table(data["retention"]))

    def _forecast(self, data: dict[str, Any]) -> None:
        ys = [d["due"] for d in data["forecast"]]
        self.query_one("#forecast-plot", BarChart).plot(
            ys, ("today", f"+{len(ys) - 1} d"), title=f"Due in the next {len(ys)} days: {sum(ys)}",
            colour=self._colour("accent", "#FFA62B").hex)

    def _states(self, data: dict[str, Any]) -> None:
        c = data["cards"]
        text = Text()
        for key, label, style in (("new", "New", "bold"), ("learning", "Learning", ""), ("young", "Young", ""),
                                  ("mature", "Mature", "bold"), ("suspended", "Suspended", "dim"),
                                  ("archived", "Archived", "dim"), ("leeches", "Leeches", "bold")):
            text.append(f"{label:<10}", style=style)
            text.append(f"{c[key]:>7}\n")
        text.append(f"{'Total':<10}{c['total']:>7}", style="bold")
        self.query_one("#card-states", Static).update(text)
        ef = data["ef"]
        bars = Text()
        top = max((e["cards"] for e in ef), default=0)
        for e in ef:
            filled = max(1, round(14 * e["cards"] / top))
            bars.append(f"{e['ef']:.1f} ", style="dim")
            bars.append("█" * filled, style=self._colour("secondary", "#0178D4").hex)
            bars.append(f" {e['cards']}\n")
        if not ef:
            bars.append("no answers yet", style="dim")
        bars.rstrip()
        self.query_one("#ef-bars", Static).update(bars)

    def _decks(self, data: dict[str, Any]) -> None:
        self.query_one("#deck-stats", Static).update(deck_table(data["decks"]))
