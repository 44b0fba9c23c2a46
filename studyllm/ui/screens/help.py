"""Help: the keys of every screen, grouped by screen and purpose, one line per meaning.

The lines are built from the screens' own bindings (:mod:`studyllm.ui.keys`), so Help can't
drift from the keys; only the grade map of the grading mode in use is shown.
"""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Footer, Header, Static

from studyllm.ui.keys import key_lines
from studyllm.ui.registry import GLOBAL_BINDINGS, SCREENS, screen_class
from studyllm.ui.screens.base import AppScreen

INTRO = (
    "studyllm shows each card, you recall the answer, reveal it and grade yourself. "
    "Grades below 3 (SM-2) or Again restart the card; a weak pass comes back later today. "
    "The footer and the key line show only the keys that work at that moment. Ctrl+P opens the command palette."
)

SM2_INTRO = ("SM-2 grades: 0 blackout · 1 wrong but familiar · 2 wrong but easy once seen · "
             "3 right with serious difficulty · 4 right after a hesitation · 5 perfect. "
             "Settings → Grading switches to four buttons.")
FOUR_INTRO = ("Four buttons: 1 Again · 2 Hard · 3 Good · 4 Easy (SM-2 grades 2, 3, 4, 5). "
              "Settings → Grading switches to the SM-2 grades 0–5.")


def _screens() -> list[tuple[str, list[BindingType]]]:
    """Every registered screen's keys, in the registry's order, after the global ones."""
    out: list[tuple[str, list[BindingType]]] = [
        ("Everywhere", [*GLOBAL_BINDINGS, Binding("ctrl+p", "command_palette", "Command palette",
                                                  tooltip="search every action of the screen you are on")]),
    ]
    for name, entry in SCREENS.items():
        if name == "help":
            continue
        out.append((entry.title if name != "study" else "Study", list(screen_class(name).BINDINGS)))
    return out


def keys_table(grading_mode: str = "sm2") -> Table:
    """The Help table. ``grading_mode`` picks the grade map shown (the other mode's is left out)."""
    skip = ("button",) if grading_mode != "four" else ("grade",)
    table = Table(box=None, expand=True, show_header=False, padding=(0, 1))
    table.add_column("Purpose", style="italic dim", no_wrap=True, width=12)
    table.add_column("Key", style="bold", no_wrap=True, width=12)
    table.add_column("Action", ratio=1)
    for title, bindings in _screens():
        table.add_row(Text(title, style="bold underline not italic", no_wrap=True, overflow="ignore"), "", "")
        purpose = None
        for line in key_lines(bindings, skip=skip):
            text = Text(line.text)
            if line.tooltip:
                text.append(f" — {line.tooltip}", style="dim")
            table.add_row(line.purpose if line.purpose != purpose else "", line.key_text, text)
            purpose = line.purpose
        table.add_row("", "", "")
    return table


class HelpScreen(AppScreen[None]):
    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("q", "app.pop_screen", "Back", show=False),
    ]
    DEFAULT_CSS = """
    HelpScreen #help-intro { padding: 1 1 1 1; color: $text-muted; }
    HelpScreen #help-body { padding: 0 1; }
    """

    def compose(self) -> ComposeResult:
        mode = self.app.store.setting("grading_mode")
        yield Header()
        with VerticalScroll(id="help-body"):  # the intro scrolls away with the keys (7 of 24 rows at 80×24)
            yield Static(INTRO + " " + (FOUR_INTRO if mode == "four" else SM2_INTRO), id="help-intro", markup=False)
            yield Static(keys_table(mode), id="help-keys")
        yield Footer()

    def on_mount(self) -> None:
        self.title = "Help: keys"
        self.query_one("#help-body").focus()
