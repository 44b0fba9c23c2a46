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
        parts: list[Content] = []
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
            parts.append(Content.assemble((key, key_style), " ", (binding.description, desc_style)))
        self.update(Content("  ").join(parts))
