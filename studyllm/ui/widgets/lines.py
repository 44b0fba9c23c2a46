"""A widget that redraws only the lines that changed.

Textual repaints every line of a widget whenever its content is updated, and each line
goes through the CSS pipeline (background, padding, borders, filters): about a tenth of
a millisecond per line here. The study screen changes a handful of lines per key, on
widgets up to forty lines tall, so :class:`ChangedLines` renders its content to strips
itself, compares them with the strips on screen, and marks only the lines that differ
as dirty. A layout pass happens only when the widget's height has to change.

Renders can be memoised by a key (``draw(renderable, key=...)``): the grade bar and the
key bar swap between a few states, and a state seen before costs no render at all.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any

from textual.geometry import Region, Size
from textual.strip import Strip
from textual.visual import Visual, VisualType, visualize
from textual.widget import Widget

_MEMO = 32  # remembered renders per widget (cleared on a new width or theme)


class ChangedLines(Widget):
    DEFAULT_CSS = """
    ChangedLines {
        height: auto;
    }
    """

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._content: VisualType = ""
        self._key: Hashable | None = None
        self._strips: list[Strip] = []
        self._width = -1
        self._memo: OrderedDict[Hashable, list[Strip]] = OrderedDict()

    # ------------------------------------------------------------------ public
    def draw(self, content: VisualType, key: Hashable | None = None) -> None:
        """Show ``content`` (Content, Rich renderable or plain str, never read as markup).
        With a ``key``, the render is remembered under it: the same key later means the
        same content."""
        self._content = content
        self._key = key
        self.redraw()

    def redraw(self) -> None:
        """Render again (after a change :meth:`lines_content` depends on) and repaint the
        lines that changed."""
        if self._width != self.size.width or not self.size.width:
            self._invalidate()
            return
        self._replace(self._render_strips(self._width))

    @property
    def line_count(self) -> int:
        """How many lines the content has now (before any min-height)."""
        return len(self._strips)

    def remember(self, content: VisualType, key: Hashable) -> None:
        """Render ``content`` now, at the current width, and keep it under ``key``: a later
        frame that shows it costs no render. For what is likely to come next."""
        width = self.size.width
        if key in self._memo or not width or width != self._width:
            return
        self._keep(key, self._to_strips(content, width))

    def lines_parts(self, width: int) -> list[tuple[Hashable | None, Callable[[], VisualType]]]:
        """The content as parts drawn one under the other, each with its memo key (None:
        don't memoise) and a function that makes it (called only when not memoised). By
        default one part: :meth:`lines_key` and :meth:`lines_content`. A widget whose
        content has a part that stays while another changes (the card's front when the
        back is revealed) splits it, so the part that stays is not drawn again."""
        return [(self.lines_key(width), lambda: self.lines_content(width))]

    def lines_key(self, width: int) -> Hashable | None:
        """The memo key of what :meth:`lines_content` gives now (None: don't memoise).
        Subclasses that override :meth:`lines_content` override this too."""
        return self._key

    def lines_content(self, width: int) -> VisualType:
        """What to show at ``width``: by default what :meth:`draw` was given. Called only
        when the render isn't memoised under :meth:`lines_key`."""
        return self._content

    # ------------------------------------------------------------------ Textual hooks
    def on_mount(self) -> None:
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._invalidate())

    def on_unmount(self) -> None:
        self.app.theme_changed_signal.unsubscribe(self)

    def on_resize(self) -> None:
        if self.size.width != self._width:
            self._invalidate()

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        if not width:
            return 0
        self._render_at(width)
        return len(self._strips)

    def render_line(self, y: int) -> Strip:
        self._render_at(self.size.width)
        if 0 <= y < len(self._strips):
            return self._strips[y]
        return Strip.blank(self.size.width, self.visual_style.rich_style)

    # ------------------------------------------------------------------ internals
    def _render_at(self, width: int) -> None:
        """Render everything again at a new width (memoised renders are for the old one)."""
        if width != self._width:
            self._memo.clear()
            self._width = width
            self._strips = self._render_strips(width)

    def _invalidate(self) -> None:
        """Forget every render (new width or theme) and redraw in full."""
        self._memo.clear()
        self._width = -1
        self.refresh(layout=True)

    def _render_strips(self, width: int) -> list[Strip]:
        strips: list[Strip] = []
        for key, make in self.lines_parts(width):
            if key is not None and key in self._memo:
                self._memo.move_to_end(key)
                strips += self._memo[key]
                continue
            part = self._to_strips(make(), width)
            if key is not None:
                self._keep(key, part)
            strips += part
        return strips

    def _to_strips(self, content: VisualType, width: int) -> list[Strip]:
        visual = visualize(self, content, markup=False)
        return Visual.to_strips(self, visual, width, None, self.visual_style)

    def _keep(self, key: Hashable, strips: list[Strip]) -> None:
        self._memo[key] = strips
        if len(self._memo) > _MEMO:
            self._memo.popitem(last=False)

    def _replace(self, strips: list[Strip]) -> None:
        old, self._strips = self._strips, strips
        height = self.size.height
        if len(strips) != len(old) and self.styles.height is not None and self.styles.height.is_auto:
            # auto height: unchanged if it comes from a min-height that still holds both
            if not (len(strips) == height or (len(old) < height and len(strips) <= height)):
                self.refresh(layout=True)
                return
        width = self.size.width
        dirty = [
            Region(0, y, width, 1)
            for y in range(min(height, max(len(old), len(strips))))
            if y >= len(old) or y >= len(strips) or old[y] != strips[y]
        ]
        if dirty:
            self.refresh(*dirty)
