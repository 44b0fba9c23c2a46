"""A card side too long for the screen is drawn only up to a cap (issue #17 item 6: revealing a
0.9 MB table card froze the TUI for 17 s); the rest is said to be left out, never silently."""

from __future__ import annotations

from conftest import drawn_lines, make_store, settle

from studyllm.decks.model import ParsedCard
from studyllm.ui.app import build_app
from studyllm.ui.widgets.cardpane import DRAW_CHARS, DRAW_LINES, CardPane, capped


def table(rows: int, cols: int = 8) -> str:
    head = "| " + " | ".join(f"h{i}" for i in range(cols)) + " |\n|" + "---|" * cols + "\n"
    return head + "".join("| " + " | ".join(f"r{r}c{i}" for i in range(cols)) + " |\n" for r in range(rows))


def test_a_short_side_is_drawn_whole():
    text = "A short answer.\n\nWith two paragraphs."
    assert capped(text) == (text, 0)


def test_a_long_side_is_cut_at_a_line_within_both_caps_and_counts_what_is_left_out():
    text = table(5000)
    shown, left_out = capped(text)
    assert len(shown) <= DRAW_CHARS and shown.count("\n") < DRAW_LINES
    assert text.startswith(shown) and text[len(shown)] == "\n"  # cut at a line boundary
    assert shown.count("\n") + 1 + left_out == text.count("\n") + 1
    many_short = "\n".join("x" for _ in range(DRAW_LINES * 3))
    shown, left_out = capped(many_short)
    assert shown.count("\n") + 1 == DRAW_LINES and left_out == 2 * DRAW_LINES


def test_one_huge_line_is_cut_too():
    shown, left_out = capped("y" * (DRAW_CHARS * 5))
    assert len(shown) == DRAW_CHARS and left_out == 0


async def test_revealing_a_99_kB_table_card_draws_the_cap_and_says_the_rest_is_left_out(tmp_path):
    back = table(1300)
    assert 95_000 < len(back) < 100_000  # under the 100,000-character card limit, so it imports
    store = make_store(tmp_path, cards=[ParsedCard("basic", "The big table?", back, (), line=1)])
    app = build_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("s")
        await settle(pilot)
        await pilot.press("space")
        await settle(pilot)
        pane = app.screen.query_one("#card-pane", CardPane)
        lines = drawn_lines(pane)
        text = "\n".join(lines)
        assert "r0c0" in text and "r1299c0" not in text
        assert "more lines not drawn" in text
        assert len(lines) < DRAW_LINES + 20
        await pilot.press("4")  # the app is still answering keys
        await settle(pilot)
        assert app.is_running
