"""A light footer: the screen's active keys as one or two lines of text.

Textual's Footer rebuilds a widget per key whenever the bindings change, which costs a
good fraction of a frame on every reveal and grade in the study loop. This renders the
same information (key and description, disabled keys dimmed) as a single Content, and
redraws only when the keys change (each set of keys is rendered once per width). A click
on a key runs its action, as in Textual's Footer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from textual.binding import Binding
from textual.content import Content
from textual.style import Style

from studyllm.ui.widgets.lines import ChangedLines

if TYPE_CHECKING:
    from textual.screen import Screen


class KeyBar(ChangedLines):
    DEFAULT_CSS = """
    KeyBar {
        height: auto;
        max-height: 3;
        width: 100%;
        padding: 0 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    """

    def __init__(self, *, one_line: bool = False, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # one line: the keys that fit, in their order, with the last one (Help) always kept; the
        # others are in Help. Otherwise the keys wrap onto up to three lines.
        self.one_line = one_line
        self.auto_links = False  # keep the keys' own colours (clickable text is drawn as a link otherwise)
        self._items: list[Content] = []
        self._signature: tuple[tuple[str, str, bool, str], ...] = ()
        self._most_lines = (0, 0)  # (width, lines): the most lines needed at this width

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen: Screen[Any]) -> None:
        seen: set[tuple[str, str]] = set()
        parts: list[tuple[int, tuple[str, str, bool, str]]] = []  # (order, (key, description, enabled, action))
        order = {(b.action, b.description): i for i, b in enumerate(_bindings_of(self.screen))}
        for active in self.screen.active_bindings.values():
            binding = active.binding
            if not binding.show or not binding.description:
                continue
            ident = (binding.action, binding.description)
            if ident in seen:
                continue
            seen.add(ident)
            parts.append((order.get(ident, 1000), (self.app.get_key_display(binding), binding.description,
                                                   active.enabled, _click_action(binding.action))))
        parts.sort(key=lambda p: p[0])
        signature = tuple(item for _, item in parts)
        if signature == self._signature and self._items:
            return
        self._signature = signature
        self._items = [
            Content.assemble((key, "bold $footer-key-foreground" if enabled else "dim"), " ",
                             (desc, "" if enabled else "dim")).stylize_before(Style.from_meta({"@click": action}))
            for key, desc, enabled, action in signature
        ]
        self.redraw()

    def lines_parts(self, width: int) -> list:
        wrapped = self._wrap(width)
        return [((self._signature, len(wrapped)),
                 lambda: Content("\n").join(Content("  ").join(line) for line in wrapped))]

    def _wrap(self, width: int) -> list[list[Content]]:
        if self.one_line:
            return [self._one_line(width)]
        # pack whole items into lines, so a key is never split from its words
        lines: list[list[Content]] = [[]]
        used = 0
        for item in self._items:
            n = item.cell_length
            if lines[-1] and used + 2 + n > width:
                lines.append([])
                used = 0
            used += (2 if lines[-1] else 0) + n
            lines[-1].append(item)
        # The bar never shrinks while the width stays the same: the study screen swaps
        # between its question and answer keys on every card, and a bar that changed
        # height each time would move the card and make the whole screen lay out again.
        seen_width, most = self._most_lines
        most = max(most, len(lines)) if seen_width == width else len(lines)
        self._most_lines = (width, most)
        while len(lines) < most:
            lines.append([])
        return lines


    def _one_line(self, width: int) -> list[Content]:
        items = self._items
        if not items:
            return []
        last = items[-1]
        room = width - last.cell_length
        line: list[Content] = []
        for item in items[:-1]:
            if sum(i.cell_length + 2 for i in line) + item.cell_length + 2 > room:
                break
            line.append(item)
        return [*line, last]


def _click_action(action: str) -> str:
    """A binding's action as a click runs it: the screen's own actions are named with
    their namespace (``study_all`` -> ``screen.study_all``); ``app.go('browse')`` stays.
    These are the app's own binding strings, never card text."""
    name = action.split("(", 1)[0]
    return action if "." in name else f"screen.{action}"


def _bindings_of(screen: Screen[Any]) -> list[Binding]:
    out: list[Binding] = []
    for b in getattr(type(screen), "BINDINGS", []):
        if not isinstance(b, tuple):
            out.append(b)
    return out
