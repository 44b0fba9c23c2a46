"""Help: every key of every screen, read from the screens' own bindings so it can't drift."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from studyllm.ui.registry import GLOBAL_BINDINGS, SCREENS, screen_class
from studyllm.ui.screens.base import AppScreen

INTRO = (
    "studyllm shows each card, you recall the answer, reveal it and grade yourself. "
    "SM-2 grades: 0 blackout · 1 wrong but familiar · 2 wrong but easy once seen · "
    "3 right with serious difficulty · 4 right after a hesitation · 5 perfect. "
    "Grades below 3 restart the card; below 4 it comes back later today. "
    "In 4-button mode (Settings) the keys 1-4 are Again/Hard/Good/Easy = grades 2/3/4/5. "
    "Ctrl+P opens the command palette with every action."
)


def _screens() -> list[tuple[str, list[BindingType]]]:
    """Every registered screen's keys, in the registry's order, after the global ones."""
    out: list[tuple[str, list[BindingType]]] = [
        ("Everywhere", [*GLOBAL_BINDINGS, Binding("ctrl+p", "command_palette", "Command palette")]),
    ]
    for name, entry in SCREENS.items():
        if name == "help":
            continue
        out.append((entry.title if name != "study" else "Study", list(screen_class(name).BINDINGS)))
    return out


def _key_name(b: Binding) -> str:
    if b.key_display:
        return b.key_display
    names = {"question_mark": "?", "exclamation_mark": "!", "comma": ",", "space": "Space", "enter": "Enter",
             "escape": "Esc", "shift+up": "Shift+↑", "shift+down": "Shift+↓", "up": "↑", "down": "↓"}
    return ", ".join(names.get(k, k) for k in b.key.split(","))


def keys_table() -> Table:
    table = Table(box=None, expand=True, show_header=False, padding=(0, 1))
    table.add_column("Key", style="bold", no_wrap=True, width=12)
    table.add_column("Action")
    for title, bindings in _screens():
        table.add_row(Text(title, style="bold underline"), "")
        seen = set()
        for item in bindings:
            b = Binding(*item) if isinstance(item, tuple) else item
            desc = b.description or b.action
            row = (_key_name(b), desc)
            if row in seen:
                continue
            seen.add(row)
            long = f"  ({b.tooltip})" if b.tooltip else ""
            table.add_row(row[0], desc + long)
        table.add_row("", "")
    return table


class HelpScreen(AppScreen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("q", "app.pop_screen", "Back", show=False),
    ]
    DEFAULT_CSS = """
    HelpScreen #help-intro { padding: 1 2 0 2; color: $text-muted; }
    HelpScreen #help-body { padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        yield Header()
        yield Static(INTRO, id="help-intro", markup=False)
        with VerticalScroll(id="help-body"):
            yield Static(keys_table(), id="help-keys")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Help: keys"
        self.query_one("#help-body").focus()
