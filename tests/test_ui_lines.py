"""The study screen's fast widgets: ChangedLines repaints only the lines that changed,
lays out only when its height must change, memoises renders by key and redraws on a new
width or theme; CardMarkdown draws exactly what Rich's Markdown draws."""

from __future__ import annotations

import pytest
from rich.console import Console
from rich.markdown import Markdown as RichMarkdown
from textual.app import App
from textual.containers import VerticalScroll
from textual.geometry import Region

from studyllm.ui.widgets.cardmd import CardMarkdown
from studyllm.ui.widgets.cardpane import CardPane
from studyllm.ui.widgets.lines import ChangedLines


class LinesApp(App):
    CSS = """
    #fixed { height: 3; }
    #filled { min-height: 1fr; }
    #scroll { height: 10; }
    """

    def compose(self):
        yield ChangedLines(id="auto")
        yield ChangedLines(id="fixed")
        with VerticalScroll(id="scroll"):
            yield ChangedLines(id="filled")


def _text(widget) -> list[str]:
    return [strip.text.rstrip() for strip in widget.render_lines(Region(0, 0, *widget.outer_size))]


def _spy(widget, monkeypatch):
    calls = []
    original = widget.refresh

    def refresh(*regions, **kwargs):
        calls.append((regions, kwargs.get("layout", False)))
        return original(*regions, **kwargs)

    monkeypatch.setattr(widget, "refresh", refresh)
    return calls


async def test_only_changed_lines_are_repainted(monkeypatch):
    app = LinesApp()
    async with app.run_test(size=(40, 20)) as pilot:
        w = app.query_one("#fixed", ChangedLines)
        w.draw("one\ntwo\nthree")
        await pilot.pause()
        assert _text(w) == ["one", "two", "three"]
        calls = _spy(w, monkeypatch)
        w.draw("one\nTWO\nthree")
        assert calls == [((Region(0, 1, 40, 1),), False)]
        await pilot.pause()
        assert _text(w) == ["one", "TWO", "three"]
        calls.clear()
        w.draw("one\nTWO\nthree")  # nothing changed: nothing repainted
        assert calls == []


async def test_height_change_lays_out_only_when_needed(monkeypatch):
    app = LinesApp()
    async with app.run_test(size=(40, 20)) as pilot:
        auto = app.query_one("#auto", ChangedLines)
        auto.draw("a\nb")
        await pilot.pause()
        assert auto.size.height == 2
        calls = _spy(auto, monkeypatch)
        auto.draw("a\nb\nc\nd")
        assert calls[-1][1] is True  # auto height grows: a layout pass
        await pilot.pause()
        assert auto.size.height == 4 and _text(auto) == ["a", "b", "c", "d"]

        # min-height holds the height: more or fewer lines within it need no layout
        filled = app.query_one("#filled", ChangedLines)
        filled.draw("x")
        await pilot.pause()
        assert filled.size.height == 10
        calls = _spy(filled, monkeypatch)
        filled.draw("x\ny\nz")
        filled.draw("q")
        assert calls and not any(layout for _, layout in calls)
        await pilot.pause()
        assert _text(filled)[:3] == ["q", "", ""]
        # taller than the viewport: the widget grows and the scroll view can scroll
        filled.draw("\n".join(str(i) for i in range(25)))
        assert calls[-1][1] is True
        await pilot.pause()
        assert filled.size.height == 25
        assert app.query_one("#scroll").max_scroll_y == 15


async def test_memo_key_skips_the_render_and_resize_redraws(monkeypatch):
    app = LinesApp()
    async with app.run_test(size=(40, 20)) as pilot:
        w = app.query_one("#fixed", ChangedLines)
        made = []
        original = w.lines_content

        def counting(width):
            made.append(width)
            return original(width)

        monkeypatch.setattr(w, "lines_content", counting)
        w.draw("state A", key="a")
        await pilot.pause()
        w.draw("state B", key="b")
        w.draw("state A", key="a")
        await pilot.pause()
        assert made.count(40) == 2  # A and B rendered once each
        assert _text(w)[0] == "state A"
        await pilot.resize_terminal(30, 20)
        await pilot.pause()
        assert w.size.width == 30 and 30 in made  # a new width renders again
        assert _text(w)[0] == "state A"


async def test_theme_change_redraws_with_the_new_colours():
    app = LinesApp()
    async with app.run_test(size=(40, 20)) as pilot:
        app.theme = "textual-dark"
        w = app.query_one("#fixed", ChangedLines)
        from textual.content import Content

        w.draw(Content.styled("accent", "$accent"), key="k")
        await pilot.pause()
        before = w.render_lines(Region(0, 0, 40, 1))[0]
        app.theme = "textual-light"
        await pilot.pause()
        after = w.render_lines(Region(0, 0, 40, 1))[0]
        assert before.text == after.text
        assert before != after  # same words, the new theme's colour


SOURCES = [
    "plain words",
    "**bold**, *italic*, ~~struck~~ and `code`",
    "- one\n- two\n  - nested\n\n1. first\n2. second",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "```python\nprint('hi')\n```",
    "> quoted\n\n# Heading\n\n自编码模型 and 自回归模型",
    "[a link](https://example.com) and more",
]


@pytest.mark.parametrize("source", SOURCES)
def test_card_markdown_draws_what_rich_draws(source):
    def draw(renderable):
        console = Console(width=60, record=True, color_system="truecolor", force_terminal=True)
        console.print(renderable)
        return console.export_text(styles=True)

    rich_md = RichMarkdown(source, hyperlinks=False, code_theme="ansi_dark", inline_code_lexer=None)
    assert draw(CardMarkdown(source)) == draw(rich_md)


async def test_card_pane_reveal_keeps_the_front_and_adds_the_back():
    class PaneApp(App):
        def compose(self):
            yield CardPane(id="pane")

    app = PaneApp()
    async with app.run_test(size=(50, 12)) as pilot:
        pane = app.query_one(CardPane)
        pane.show("What is **SFT**?")
        await pilot.pause()
        shown = _text(pane)
        assert shown[0] == "What is SFT?" and not any("Supervised" in line for line in shown)
        pane.reveal("Supervised fine-tuning.")
        await pilot.pause()
        shown = _text(pane)
        assert shown[0] == "What is SFT?"
        assert any("Supervised fine-tuning." in line for line in shown)
        assert pane.revealed and pane.back == "Supervised fine-tuning."


@pytest.mark.parametrize(("source", "lines"), [
    ("Line one\nline two  \nthree", ["Line one", "line two", "three"]),  # soft and hard breaks are breaks
    ("Q: <C-v> then Press <Esc> twice", ["Q: <C-v> then Press <Esc> twice"]),  # HTML-looking text is kept
    ("a<br>b<br/>\nc", ["a", "b", "c"]),  # <br> is a break
    ("<div>shown</div>", ["<div>shown</div>"]),
])
def test_card_text_shows_breaks_and_html_as_written(source, lines):
    console = Console(width=60, record=True, color_system=None)
    console.print(CardMarkdown(source))
    assert [ln.rstrip() for ln in console.export_text().split("\n") if ln.strip()] == lines
