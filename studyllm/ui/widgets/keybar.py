"""A light footer: the screen's active keys as one or two lines of text.

Textual's Footer rebuilds a widget per key whenever the bindings change, which costs a
good fraction of a frame on every reveal and grade in the study loop. This renders the
same information (key and description, disabled keys dimmed) as a single Content, so
the study hot path stays fast. Mouse users have the grade buttons.
"""

from __future__ import annotations

from textual.content import Content
from textual.widgets import Static


class KeyBar(Static):
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

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self._bindings_changed)
        self._bindings_changed(self.screen)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def _bindings_changed(self, _screen) -> None:
        seen: set[tuple[str, str]] = set()
        parts: list[tuple[int, Content]] = []
        order = {(b.action, b.description): i for i, b in enumerate(_bindings_of(self.screen))}
        for _key, active in self.screen.active_bindings.items():
            binding = active.binding
            if not binding.show or not binding.description:
                continue
            ident = (binding.action, binding.description)
            if ident in seen:
                continue
            seen.add(ident)
            key = self.app.get_key_display(binding)
            key_style = "bold $footer-key-foreground" if active.enabled else "dim"
            desc_style = "" if active.enabled else "dim"
            item = Content.assemble((key, key_style), " ", (binding.description, desc_style))
            parts.append((order.get(ident, 1000), item))
        parts.sort(key=lambda p: p[0])
        self._items = [item for _, item in parts]
        self._layout()

    def on_resize(self) -> None:
        self._layout()

    def _layout(self) -> None:
        # pack whole items into lines, so a key is never split from its words
        items = getattr(self, "_items", [])
        width = max(20, (self.size.width or 80) - 2)
        lines: list[list[Content]] = [[]]
        used = 0
        for item in items:
            n = item.cell_length
            if lines[-1] and used + 2 + n > width:
                lines.append([])
                used = 0
            used += (2 if lines[-1] else 0) + n
            lines[-1].append(item)
        self.update(Content("\n").join(Content("  ").join(line) for line in lines))


def _bindings_of(screen) -> list:
    out = []
    for b in getattr(type(screen), "BINDINGS", []):
        if not isinstance(b, tuple):
            out.append(b)
    return out
