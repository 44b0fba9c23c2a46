"""Home: the decks with what is due, today's progress, the streak and the next due day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Header, Static
from textual.widgets.data_table import CellDoesNotExist, RowDoesNotExist
from textual.worker import get_current_worker

from studyllm.store import DeckSummary
from studyllm.store.pace import estimate_minutes, recent_pace
from studyllm.ui.screens.base import AppScreen
from studyllm.ui.text import due_words, one_line, plural
from studyllm.ui.widgets.columns import fit_column
from studyllm.ui.widgets.keybar import KeyBar

NUM_COLUMNS = (("new", "New"), ("due", "Due"), ("again", "Again"), ("learning", "Learn"), ("cards", "Cards"))
NUM_WIDTH = 5


def next_reviews_line(due_now: int, next_due: date | None, today: date, held: int = 0) -> str:
    """Reviews due now first (they are in "to go"), then the first day after today with any.
    ``held``: reviews due that today's limits hold back; said, rather than "No reviews due now"."""
    now = f"Reviews due now: {due_now}" if due_now else "No reviews due now"
    if held > 0:
        now = (f"Reviews due now: {due_now}" if due_now else "Today's review limit is reached") + \
            f" ({held} more due: Settings, Reviews per day)"
    later = (f"next after today: {next_due.isoformat()} ({due_words(next_due, today)})" if next_due
             else "none scheduled after today")
    return f"{now} · {later}"


def legend_text(decks: list[DeckSummary], new: int, due: int) -> str:
    """What each column counts, and why the columns may add up to more than "to go": each deck
    counts up to its own daily limit; the global limit then caps all decks together."""
    legend = ("New, Due: what a deck offers today, up to its own limit · Again: missed today, asked "
              "again · Learn: still in learning steps · Cards: all in the deck")
    notes = []
    deck_new, deck_due = sum(d.new for d in decks), sum(d.review for d in decks)
    if deck_new > new:
        notes.append(f"{new} of {deck_new} new")
    if deck_due > due:
        notes.append(f"{due} of {deck_due} due")
    if notes:
        legend = f"All decks: the daily limit lets {' and '.join(notes)} through today. " + legend
    return legend


def progress_line(head: str, counts: str, room: int) -> str:
    """Today's line, on one line when it fits in ``room`` columns, else broken before the counts
    (at 80 columns it wrapped inside them: "… (20 new, 7 due, 0" / "again)")."""
    line = f"{head} {counts}"
    return line if len(line) <= room else f"{head}\n{counts}"


def time_estimate(cards: int, pace: float | None) -> str:
    """" ≈ 6 min": the cards to go at the learner's own recent pace (:mod:`studyllm.store.pace`);
    nothing before their first timed answer (no guess)."""
    if not cards or pace is None:
        return ""
    return f" ≈ {estimate_minutes(cards, pace)} min"


class HomeScreen(AppScreen[None]):
    # styles: home.tcss, read with the app's (see StudyApp.CSS_PATH)
    BINDINGS = [
        Binding("enter", "study_selected", "Study deck", priority=False,
                tooltip="study the selected deck's due and new cards"),
        Binding("s", "study_all", "Study all", tooltip="every deck's due and new cards in one session"),
        Binding("x", "custom_study", "Custom study",
                tooltip="more new cards, review ahead, or cram without moving the schedule"),
        Binding("b", "app.go('browse')", "Browse"),
        Binding("i", "app.go('import')", "Import"),
        Binding("c", "app.go('calculators')", "Calculators"),
        Binding("t", "app.go('stats')", "Stats"),
        Binding("comma", "app.go('settings')", "Settings", key_display=","),
        Binding("r", "refresh", "Refresh", show=False, tooltip="read the counts again"),
        Binding("y", "app.sync", "Sync", show=False,  # named on the sync line while sync is on
                tooltip="send this machine's answers to the sync folder and merge the others'"),
        Binding("q", "app.quit", "Quit"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.decks: list[DeckSummary] = []
        self._mount_resume = False
        self._shown = 0  # numbers shown so far (the first time is the start, which syncs on its own)

    def compose(self) -> ComposeResult:
        yield Header()
        with Vertical(id="home-body"):
            with Horizontal(id="today"):
                yield Static(id="today-progress", markup=False)
                yield Static(id="today-streak", markup=False)
            yield Static(id="today-next", markup=False)
            table: DataTable[Text] = DataTable(id="decks", cursor_type="row", zebra_stripes=True)
            table.border_title = "Decks"
            yield table
            yield Static(id="home-legend", classes="legend", markup=False)
            yield Static(id="home-hint", classes="hint", markup=False)
            yield Static(id="home-sync", classes="hint", markup=False)
        yield KeyBar(id="keys")  # lighter than Footer (a widget per key): the first screen people see

    def on_mount(self) -> None:
        table = self.query_one("#decks", DataTable)
        table.add_column("Deck", key="deck", width=self._deck_width())
        for key, label in NUM_COLUMNS:
            table.add_column(label, key=key, width=NUM_WIDTH)
        # The first numbers are read here, so the first frame shows them: the queries take a
        # few milliseconds, while a worker's answer waited for the frames of an empty table
        # to be drawn first (and the frame with the numbers was drawn after them). Later
        # loads (back from another screen, r) stay in the worker.
        self._show(self._fetch())
        self._mount_resume = True  # the resume that follows the mount needs no second load

    def _deck_width(self) -> int:
        # fill what the number columns leave (each cell has 1 column of padding on both sides)
        width = self.size.width or 80
        return max(16, width - 4 - 2 - 2 - len(NUM_COLUMNS) * (NUM_WIDTH + 2) - 2)

    def on_resize(self) -> None:
        if fit_column(self.query_one("#decks", DataTable), "deck", self._deck_width()):
            self.refresh_data()

    def on_screen_suspend(self) -> None:
        self._mount_resume = False

    def on_screen_resume(self) -> None:
        if self._mount_resume:  # just loaded in on_mount; later resumes (back from a screen) reload
            self._mount_resume = False
            return
        self.app.store.reload_settings()  # limits or the scheduler may have been changed from the CLI
        self.refresh_data()

    def action_refresh(self) -> None:
        self.app.store.reload_settings()
        self.refresh_data()

    def refresh_data(self) -> None:
        """Reload the numbers in a worker: on a large collection the per-deck counts take a
        while, and the screen (and its keys) should be live at once."""
        self._load()

    @work(thread=True, exclusive=True, group="home")
    def _load(self) -> None:
        data = self._fetch()
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show, data)

    def _fetch(self) -> dict:
        from studyllm.store.sync_events import last_sync

        store = self.app.store
        # the global daily limits apply on top of each deck's own; one pass of the capped counts for both
        decks, counts = store.decks_and_counts()
        return {
            "decks": decks,
            "counts": counts,
            "done": store.answered_today(),
            "streak": store.streak(),
            "next_due": store.next_due(),
            # none left to review today: is that the limits? (one count over ix_state_queue_due, whose
            # range is empty unless reviews are held back, so the start path pays ~nothing for it)
            "due_all": store.due_reviews_all() if counts.review == 0 else None,
            "today": store.today(),
            "sync": last_sync(store),
            "pace": recent_pace(store),  # seconds per answer, None before any timed answer
        }

    def _show(self, data: dict) -> None:
        decks = data["decks"]
        table = self.query_one("#decks", DataTable)
        selected = None
        if table.row_count and table.cursor_row is not None:
            try:
                selected = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            except CellDoesNotExist:
                selected = None
        table.clear()

        def num(n: int, style: str) -> Text:
            return Text(str(n), style=style if n else "dim", justify="right")

        for d in decks:
            table.add_row(
                Text(one_line(d.title, self._deck_width()), no_wrap=True),
                num(d.new, "bold blue"),
                num(d.review, "bold green"),
                num(d.drill, "bold red"),
                num(d.learning, ""),
                Text(str(d.total), justify="right", style="dim"),
                key=str(d.id),
            )
        if selected is not None:
            try:
                table.move_cursor(row=table.get_row_index(selected))
            except RowDoesNotExist:  # the selected deck is gone
                pass
        counts = data["counts"]
        new, due, again = counts.new, counts.review, counts.drill
        done = data["done"]
        left = counts.total
        streak = data["streak"]
        streak_text = f"Streak: {streak} day{'s' if streak != 1 else ''}"
        room = (self.size.width or 80) - 4 - len(streak_text) - 6  # the paddings, the streak, both right margins
        self.query_one("#today-progress", Static).update(progress_line(
            f"Today: {done} answered, {left} to go{time_estimate(left, data['pace'])}",
            f"({new} new, {due} due, {again} again)", room))
        self.query_one("#today-streak", Static).update(streak_text)
        held = max(0, data["due_all"] - due) if data.get("due_all") is not None else 0
        self.query_one("#today-next", Static).update(next_reviews_line(due, data["next_due"], data["today"], held))
        self.query_one("#home-legend", Static).update(legend_text(decks, new, due))
        if not decks:
            hint = "No decks yet. Press i to import Markdown decks, or run: studyllm import PATH"
        elif left == 0 and held:
            hint = "Done up to today's limits. Browse (b), custom study (x) or the calculators (c)."
        elif left == 0:
            hint = "All done for today. Browse (b) or try the calculators (c)."
        else:
            hint = "Enter: study this deck · s: study all · ?: keys · ctrl+p: commands"
        self.query_one("#home-hint", Static).update(hint)
        self._sync = data["sync"]
        self.show_sync_line()
        # back from a session with answers to send (not again after a failed sync: y retries)
        if self._shown and self._sync[0] and self._sync[2] and not getattr(self.app, "sync_error", ""):
            self.app.sync_in_background(quiet=True)
        self.decks = decks
        self._shown += 1

    def show_sync_line(self) -> None:
        """The last sync (or what a running sync is doing); nothing while sync is off."""
        folder, last, out = getattr(self, "_sync", (None, None, 0))
        line = getattr(self.app, "sync_line", "")
        if not line and folder:
            when = "never"
            if last:
                try:
                    zone = self.app.store.clock.zone()
                    when = datetime.fromisoformat(last).astimezone(zone).strftime("%Y-%m-%d %H:%M")
                except ValueError:
                    when = last
            line = f"Last sync: {when}" + (f" · {plural(out, 'change')} to send" if out else "") + " · y: sync now"
        widget = self.query_one("#home-sync", Static)
        widget.update(line)
        widget.display = bool(line)  # no line at all while sync is off

    @on(DataTable.RowSelected, "#decks")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        self._study_row(event.row_key.value)

    def action_study_selected(self) -> None:
        table = self.query_one("#decks", DataTable)
        if not table.row_count:
            self.notify("No decks yet: press i to import some.", severity="warning")
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self._study_row(key)

    def _study_row(self, key: str | None) -> None:
        if key is None:
            return
        deck_id = int(key)
        title = next((d.title for d in self.decks if d.id == deck_id), None)
        self.app.study(deck_id, title)

    def action_study_all(self) -> None:
        self.app.study(None, None)

    def action_custom_study(self) -> None:
        """Custom study: a session of its own (more new, review ahead, cram), for every deck or
        the one under the cursor."""
        from studyllm.ui.screens.custom import CustomStudyDialog, CustomStudyScreen

        table = self.query_one("#decks", DataTable)
        deck_id = None
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            deck_id = int(key) if key is not None else None

        def chosen(session: Any) -> None:
            if session is not None:
                self.app.push_screen(CustomStudyScreen(session))

        self.app.push_screen(CustomStudyDialog(deck_id), chosen)
