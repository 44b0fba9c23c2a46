"""Every screen at 80×24 and 120×40, in studyllm's dark and light themes (issue #19): snapshot
tests (pytest-textual-snapshot) with a frozen clock, a frozen timer and a seeded database.
Update with: pytest --snapshot-update tests/test_ui_snapshots_themes.py

The study screen is shot on a basic card (question and answer), a "choose all that apply"
card with a wrong and a missed choice, an ordered card, a calculator card with a typed
answer, a math card, and the end summary.
"""

from __future__ import annotations

import pytest
from conftest import basic_cards, calc_card, make_store, open_browse, settle
from textual.widgets import Input

from studyllm.decks.model import ParsedCard
from studyllm.ui.app import build_app

SIZES = {"80x24": (80, 24), "120x40": (120, 40)}
THEMES = ["studyllm-dark", "studyllm-light"]


def two_right() -> ParsedCard:
    return ParsedCard("mcq", "Which of these change the commit history?", "Both rewrite commits.", ("Git",), line=3,
                      extra={"choices": [{"text": "git rebase", "correct": True},
                                         {"text": "git commit --amend", "correct": True},
                                         {"text": "git status", "correct": False},
                                         {"text": "git log", "correct": False}]})


def math_card() -> ParsedCard:
    return ParsedCard("basic", r"Why does attention compute $\mathrm{softmax}\left(\frac{QK^T}{\sqrt{d_k}}\right)V$?",
                      r"Dividing by $\sqrt{d_k}$ keeps the dot products' variance near 1: "
                      r"$$\mathrm{Var}(q \cdot k) = d_k$$", ("Attention",), line=9)


async def open_study(pilot) -> None:
    """Press s and wait for the "left" count, which comes from a worker."""
    await settle(pilot)
    await pilot.press("s")
    for _ in range(100):
        await pilot.pause(0.01)
        if getattr(pilot.app.screen, "remaining", None) is not None:
            break


async def home(pilot):
    await settle(pilot)


async def study_question(pilot):
    await open_study(pilot)


async def study_answer(pilot):
    await open_study(pilot)
    await pilot.press("space")


async def study_mcq_two_right(pilot):
    await open_study(pilot)
    # the choices are shuffled per review: pick "git rebase" and "git status" wherever they are
    screen = pilot.app.screen
    texts = [screen.presenter.choices[i]["text"] for i in screen.presenter.choice_order]
    await pilot.press(str(texts.index("git rebase") + 1), str(texts.index("git status") + 1), "space")


async def study_ordered(pilot):
    await open_study(pilot)
    await pilot.press("shift+down")


async def study_calc(pilot):
    await open_study(pilot)
    await pilot.press(*"4 GB", "enter")


async def study_summary(pilot):
    await open_study(pilot)
    await pilot.press("space", "5")


async def browse(pilot):
    await settle(pilot)
    await open_browse(pilot)


async def settings(pilot):
    await settle(pilot)
    await pilot.press("comma")
    await pilot.pause()


async def help_screen(pilot):
    await settle(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


async def calculators(pilot):
    await settle(pilot)
    await pilot.press("c")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def stats(pilot):
    await settle(pilot)
    await pilot.press("t")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def import_screen(pilot):
    await settle(pilot)
    await pilot.press("i")
    await pilot.pause(0.2)


def _answered_store():
    store = make_store()
    for _ in range(4):
        card = store.next_card(None)
        if card is None:
            break
        store.answer(card.id, 4)
    return store


SCREENS = {
    "home": (home, lambda: make_store()),
    "study_question": (study_question, lambda: make_store(cards=basic_cards()[:1])),
    "study_answer": (study_answer, lambda: make_store(cards=basic_cards()[:1])),
    "study_mcq_two_right": (study_mcq_two_right, lambda: make_store(cards=[two_right()])),
    "study_ordered": (study_ordered, lambda: make_store(cards=[c for c in basic_cards() if c.kind == "ordered"])),
    "study_calc": (study_calc, lambda: make_store(cards=[calc_card()])),
    "study_math": (study_answer, lambda: make_store(cards=[math_card()])),
    "study_summary": (study_summary, lambda: make_store(cards=basic_cards()[:1])),
    "browse": (browse, lambda: make_store()),
    "settings": (settings, lambda: make_store()),
    "help": (help_screen, lambda: make_store()),
    "calculators": (calculators, lambda: make_store()),
    "import": (import_screen, lambda: make_store()),
    "stats": (stats, _answered_store),
}


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("screen", list(SCREENS))
def test_screen(snap_compare, screen, size, theme, tmp_path, monkeypatch):
    (tmp_path / "decks").mkdir()  # the import screen lists the working folder: this one
    (tmp_path / "decks" / "week1.md").write_text("# W\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    run_before, store_for = SCREENS[screen]
    store = store_for()
    store.set_setting("theme", theme)
    app = build_app(store, timer=lambda: 100.0)

    async def still(pilot):
        await run_before(pilot)
        # a focused field's blinking cursor made the picture depend on when it was taken (under load)
        for field in pilot.app.screen.query(Input):
            field.cursor_blink = False
        await pilot.pause()

    assert snap_compare(app, run_before=still, terminal_size=SIZES[size])

