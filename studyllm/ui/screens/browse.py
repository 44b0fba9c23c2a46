"""Browse: search every card as you type, filter by deck, state and tag, and read a card's
history and SM-2 state in words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Footer, Header, Input, Markdown, Select, Static
from textual.worker import get_current_worker

from studyllm.store.browse import STATES, BrowseRow, all_tags, explain_card, recall_words, search_cards
from studyllm.ui.presenters.calc import calc_question, split_calc_body
from studyllm.ui.screens.base import AppScreen
from studyllm.ui.text import clean, due_words, one_line
from studyllm.ui.widgets.cardpane import card_parser
from studyllm.ui.widgets.columns import fit_column

LIMIT = 500


# the history columns, most wanted first: (header, cell)
_HISTORY = (
    ("Day", lambda h: str(h["day"])),
    ("Grade", lambda h: str(h["grade"])),
    ("Next", lambda h: f"{h['interval_after']} d"),
    ("EF", lambda h: f"{(h['ef_after'] or 0) / 100:.2f}"),
    ("Kind", lambda h: str(h["kind"])),
    ("Time", lambda h: f"{(h['duration_ms'] or 0) / 1000:.1f} s"),
)


def history_table(history: list[dict[str, Any]], width: int) -> Table:
    """A card's answers, one a row, with as many columns as ``width`` holds whole (at 120×40
    the detail panel is 44 columns: six columns with two-space gaps and "2.50→2.36" were cut
    to "2026-…", "2.50→…", "Inter…"). The easiness shown is the one after the answer; the one
    before is the row above's."""
    chosen: list[tuple[str, list[str]]] = []
    used = -1  # no gap before the first column
    for header, cell in _HISTORY:
        cells = [cell(h) for h in history]
        need = max(len(header), *(len(c) for c in cells)) + 1
        if used + need > width and chosen:
            break
        chosen.append((header, cells))
        used += need
    t = Table(box=None, padding=(0, 1, 0, 0), show_edge=False, header_style="bold")
    for header, _cells in chosen:
        t.add_column(header, no_wrap=True)
    for row in zip(*(cells for _header, cells in chosen), strict=True):
        t.add_row(*row)
    return t


class BrowseScreen(AppScreen[None]):
    CSS_PATH = "browse.tcss"
    BINDINGS = [
        Binding("slash", "focus_search", "Search", key_display="/", tooltip="put the cursor in the search box"),
        Binding("ctrl+s", "toggle_suspend", "Suspend/unsuspend", tooltip="the selected card"),
        Binding("exclamation_mark", "toggle_suspend", "Suspend/unsuspend", key_display="!", show=False),
        Binding("ctrl+b", "toggle_bury", "Bury/unbury", tooltip="the selected card, until tomorrow"),
        Binding("f", "focus_results", "Results", show=False, tooltip="move to the list of cards"),
        Binding("escape", "leave", "Home"),
    ]

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.rows: list[BrowseRow] = []
        self.current: int | None = None
        self.searches = 0  # completed searches (tests wait on this)

    def compose(self) -> ComposeResult:
        store = self.app.store
        yield Header()
        with Horizontal(id="filters"):
            yield Input(placeholder="Search front and back…", id="search")
            # Text, not str: an option list reads str prompts as markup, and titles are untrusted
            yield Select([(Text(one_line(d.title, 60)), d.id) for d in store.decks()], prompt="Any deck", id="deck")
            yield Select([(s, s) for s in STATES], prompt="Any state", id="state")
            yield Select([(Text(one_line(t, 40)), t) for t in all_tags(store)], prompt="Any tag", id="tag")
        with Horizontal(id="browse-main"):
            table: DataTable[Text | str] = DataTable(id="results", cursor_type="row", zebra_stripes=True)
            table.border_title = "Cards"
            yield table
            with VerticalScroll(id="detail"):
                yield Static(id="detail-head", markup=False)
                yield Markdown(id="detail-front", open_links=False, parser_factory=card_parser)
                yield Markdown(id="detail-back", open_links=False, parser_factory=card_parser)
                yield Static(id="detail-state", markup=False)
                yield Static(id="detail-history", markup=False)
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Browse"
        table = self.query_one("#results", DataTable)
        table.add_column("Card", key="front", width=self._card_width())
        table.add_column("State", key="state", width=9)
        self.query_one("#detail").border_title = "Card"
        self.run_search()
        self.query_one("#search", Input).focus()

    def _card_width(self) -> int:
        # the results pane takes 3/5 of the width (browse.tcss); minus border, State column, padding, scrollbar
        table_width = (self.app.size.width or 80) * 3 // 5
        return max(12, table_width - 2 - 9 - 4 - 2)

    def on_resize(self) -> None:
        self._fit_columns()

    def _fit_columns(self) -> None:
        if fit_column(self.query_one("#results", DataTable), "front", self._card_width()):
            self._show_rows(self.rows)

    # ------------------------------------------------------------------ searching
    def filters(self) -> dict[str, Any]:
        def val(sel_id: str) -> Any:
            v = self.query_one(sel_id, Select).value
            return None if v is Select.NULL else v

        return {
            "query": self.query_one("#search", Input).value,
            "deck_id": val("#deck"),
            "state": val("#state"),
            "tag": val("#tag"),
        }

    @on(Input.Changed, "#search")
    @on(Select.Changed)
    def _filters_changed(self) -> None:
        self.run_search()

    @on(Input.Submitted, "#search")
    def _search_submitted(self) -> None:
        self.action_focus_results()

    def run_search(self) -> None:
        self._search(self.filters())

    @work(thread=True, exclusive=True, group="search")
    def _search(self, filters: dict) -> None:
        rows = search_cards(self.app.store, filters["query"], deck_id=filters["deck_id"], state=filters["state"],
                            tag=filters["tag"], limit=LIMIT)
        if not get_current_worker().is_cancelled:
            self.app.call_from_thread(self._show_rows, rows)

    def _show_rows(self, rows: list[BrowseRow]) -> None:
        self.rows = rows
        table = self.query_one("#results", DataTable)
        table.clear()
        width = self._card_width()
        for r in rows:
            front = calc_question(r.front) if r.kind == "calc" else r.front  # not "question: …" from the spec
            table.add_row(Text(one_line(front, width), no_wrap=True), Text(r.state), key=str(r.id))
        n = len(rows)
        table.border_title = f"Cards: {n}{'+' if n >= LIMIT else ''}"
        if not rows:
            self.show_detail(None)
        elif self.current not in {r.id for r in rows}:
            self.show_detail(rows[0].id)
        self.searches += 1

    @on(DataTable.RowHighlighted, "#results")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.row_key is not None and event.row_key.value is not None:
            self.show_detail(int(event.row_key.value))

    # ------------------------------------------------------------------ detail
    def show_detail(self, card_id: int | None) -> None:
        self.current = card_id
        head = self.query_one("#detail-head", Static)
        front = self.query_one("#detail-front", Markdown)
        back = self.query_one("#detail-back", Markdown)
        state = self.query_one("#detail-state", Static)
        hist = self.query_one("#detail-history", Static)
        if card_id is None:
            head.update("No cards match.")
            for w in (front, back):
                w.update("")
            state.update("")
            hist.update("")
            return
        store = self.app.store
        card = store.card(card_id)
        history = store.history(card_id)
        due = "" if card.state_name in ("new", "archived") else f" · {due_words(card.due_day, store.today())}"
        recall = store.recall_now(card)
        if recall is not None:  # FSRS mode: the predicted probability of recall now
            due += f" · {recall_words(recall)}"
        state_name = card.state_name
        if state_name not in ("archived", "suspended") and store.is_buried(card):
            state_name += f", buried until {card.buried_until}"
        head.update(Text(f"{clean(card.context)}\n{card.kind} · {state_name}{due} · "
                         f"{clean(Path(card.source_path).name)}:{card.line}", style="dim"))
        if card.kind == "calc":  # its front is the spec: the question, then the rest as the block it is
            question, spec = split_calc_body(clean(card.front))
            front.update(f"{question}\n\n```yaml\n{spec}\n```" if question else f"```yaml\n{spec}\n```")
        else:
            front.update(clean(card.front))
        back.update(clean(card.back))
        back.display = bool(card.back.strip())  # no dashed rule over an empty back (a calculator card)
        state.update(Text(explain_card(store, card)))
        if history:
            hist.update(history_table(history[-12:], self._detail_width()))
        else:
            hist.update(Text("No reviews yet.", style="dim"))

    def _detail_width(self) -> int:
        # less two columns for the panel's scroll bar, which a longer card brings in only after
        # this table is laid out
        width = self.query_one("#detail-history", Static).content_size.width
        return (width if width > 0 else max(20, (self.size.width - 2) * 2 // 5 - 4)) - 2

    # ------------------------------------------------------------------ actions
    def action_focus_search(self) -> None:
        self.query_one("#search", Input).focus()

    def action_focus_results(self) -> None:
        self.query_one("#results", DataTable).focus()

    def action_toggle_suspend(self) -> None:
        if self.current is None:
            return
        store = self.app.store
        card = store.card(self.current)
        if card.archived:
            self.notify("Archived cards can't be suspended.")
            return
        store.set_suspended(card.id, not card.suspended)
        self.notify("Unsuspended." if card.suspended else "Suspended.")
        self.show_detail(card.id)
        self.run_search()

    def action_toggle_bury(self) -> None:
        if self.current is None:
            return
        store = self.app.store
        card = store.card(self.current)
        if card.archived or card.suspended:
            self.notify("Only cards in the study queue can be buried.")
            return
        if store.is_buried(card):
            store.unbury(card.id)
            self.notify("Unburied: it can come up again today.")
        else:
            store.bury(card.id)
            self.notify("Buried until tomorrow.")
        self.show_detail(card.id)
        self.run_search()

    def action_leave(self) -> None:
        self.app.action_go("home")
