"""Pilot tests for the study flow: reveal and grade, the end summary, undo, bury,
suspend, multiple choice, cloze, ordered and typed (calculator) answers."""

from __future__ import annotations

import importlib
import random

import pytest
from conftest import basic_cards, calc_card, drawn_lines, make_store

from studyllm.decks.model import ParsedCard
from studyllm.ui.app import build_app
from studyllm.ui.screens.study import StudyScreen

SIZE = (80, 24)


async def start_study(pilot) -> StudyScreen:
    await pilot.press("s")
    await pilot.pause()
    screen = pilot.app.screen
    assert isinstance(screen, StudyScreen)
    return screen


def review_count(store, card_id: int) -> int:
    return len(store.history(card_id))


async def test_study_a_deck_to_the_end_commits_every_answer():
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        seen = []
        for _ in range(20):
            if screen.finished:
                break
            card = screen.card
            seen.append(card.id)
            if card.kind == "calc":
                pytest.fail("no calc card in this deck")
            await pilot.press("space")
            await pilot.pause()
            assert screen.revealed
            await pilot.press("5")
            await pilot.pause()
            # committed before the next card shows
            assert review_count(store, card.id) == 1
        assert screen.finished
        assert len(seen) == len(basic_cards())
        summary = str(screen.query_one("#summary-text").render())
        assert "Session complete" in summary
        assert f"{len(seen)} answers" in summary
        assert "100% graded 3 or more" in summary
        assert "Next due" in summary
        assert store.counts().total == 0
        await pilot.press("escape")
        await pilot.pause()
        assert type(app.screen).__name__ == "HomeScreen"


async def test_grades_hidden_until_reveal_and_weak_answer_comes_back():
    store = make_store(cards=basic_cards()[:2])
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        first = screen.card.id
        await pilot.press("2")  # not revealed yet: no grade
        await pilot.pause()
        assert review_count(store, first) == 0
        assert screen.card.id == first
        await pilot.press("enter")
        await pilot.pause()
        assert screen.query_one("#card-pane").revealed
        await pilot.press("2")
        await pilot.pause()
        assert store.history(first)[0]["grade"] == 2
        # graded below 4: still in today's queue as a drill
        ids = []
        while not screen.finished and len(ids) < 6:
            ids.append(screen.card.id)
            await pilot.press("space", "5")
            await pilot.pause()
        assert first in ids
        assert screen.finished


async def test_the_footer_keys_follow_revealed_and_finished_by_themselves(monkeypatch):
    """``revealed``/``finished`` are reactives with ``bindings=True``: setting one refreshes the
    footer's keys from ``check_action``, with no ``refresh_bindings()`` call of the screen's own."""
    store = make_store(cards=basic_cards()[:1])
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)

        def keys() -> str:
            return "".join(drawn_lines(screen.query_one("#keys")))

        assert "Show answer" in keys() and "Again" not in keys()
        screen.revealed = True  # the bare attribute: no reveal(), no refresh_bindings() by hand
        await pilot.pause()
        assert "Show answer" not in keys() and "Undo" in keys()
        screen.revealed = False
        await pilot.pause()
        assert "Show answer" in keys()
        screen.finished = True
        await pilot.pause()
        assert "Show answer" not in keys() and "Bury" not in keys()


async def test_undo_restores_the_card_and_its_state():
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        first = screen.card
        await pilot.press("space", "4")
        await pilot.pause()
        assert screen.card.id != first.id
        assert review_count(store, first.id) == 1
        await pilot.press("u")
        await pilot.pause()
        assert screen.card.id == first.id
        assert not screen.revealed
        assert review_count(store, first.id) == 0
        assert store.card(first.id).state_name == "new"
        assert screen.session.done == 0


async def test_bury_and_suspend_take_the_card_out_of_today():
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        total = store.counts().total
        buried = screen.card.id
        await pilot.press("b")
        await pilot.pause()
        assert screen.card.id != buried
        assert store.card(buried).buried_until is not None
        suspended = screen.card.id
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert screen.card.id not in (buried, suspended)
        assert store.card(suspended).suspended
        assert store.counts().total == total - 2


async def test_undo_takes_back_the_last_action_whatever_it_was():
    """Grade A, bury B, suspend C: u brings C back unsuspended, then B unburied, then A unanswered."""
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        a = screen.card.id
        await pilot.press("space", "4")
        await pilot.pause()
        b = screen.card.id
        await pilot.press("b")
        await pilot.pause()
        c = screen.card.id
        await pilot.press("exclamation_mark")
        await pilot.pause()
        assert store.card(c).suspended and store.is_buried(store.card(b))
        await pilot.press("u")
        await pilot.pause()
        assert screen.card.id == c and not store.card(c).suspended
        assert store.is_buried(store.card(b)) and review_count(store, a) == 1
        await pilot.press("u")
        await pilot.pause()
        assert screen.card.id == b and not store.is_buried(store.card(b))
        assert review_count(store, a) == 1
        await pilot.press("u")
        await pilot.pause()
        assert screen.card.id == a and review_count(store, a) == 0
        assert screen.session.done == 0
        await pilot.press("u")
        await pilot.pause()
        assert screen.card.id == a


def test_store_undo_keeps_a_later_suspend_of_the_answered_card(store):
    from conftest import add_deck

    add_deck(store, n=2)
    card = store.next_card()
    store.answer(card.id, 4)
    store.suspend(card.id)
    assert store.undo_action().action == "suspend"
    assert not store.card(card.id).suspended
    assert store.undo_action().action == "answer"
    assert store.card(card.id).state_name == "new"
    assert store.undo_action() is None


async def test_browse_shows_buried_cards_and_unburies_them():
    from studyllm.ui.screens.browse import BrowseScreen

    store = make_store()
    card = store.next_card()
    store.bury(card.id)
    app = build_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("b")
        await pilot.pause()
        screen = pilot.app.screen
        assert isinstance(screen, BrowseScreen)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        row = next(r for r in screen.rows if r.id == card.id)
        assert row.state == "buried"
        screen.show_detail(card.id)
        assert "buried until" in str(screen.query_one("#detail-head").render())
        await pilot.press("ctrl+b")
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()
        assert not store.is_buried(store.card(card.id))
        assert next(r for r in screen.rows if r.id == card.id).state == "new"


def shown_key(screen: StudyScreen, text: str) -> str:
    """The number key of the choice with this text, wherever the shuffle put it."""
    choices = screen.presenter.choices
    for pos, i in enumerate(screen.presenter.choice_order):
        if choices[i]["text"] == text:
            return str(pos + 1)
    raise AssertionError(f"no choice {text!r}")


def multi_card() -> ParsedCard:
    back = "- [x] git rebase\n- [x] git commit --amend\n- [ ] git merge\n- [ ] git revert"
    return ParsedCard("mcq", "Which commands rewrite history?", back, ("Git",), line=3,
                      extra={"choices": [{"text": "git rebase", "correct": True},
                                         {"text": "git commit --amend", "correct": True},
                                         {"text": "git merge", "correct": False},
                                         {"text": "git revert", "correct": False}]})


def single_card() -> ParsedCard:
    return next(c for c in basic_cards() if c.kind == "mcq")  # SGD, Adam (right), plain gradient descent


@pytest.mark.parametrize(("card", "picks", "chosen", "feedback", "marks", "suggested"), [
    # one right answer: a key picks a choice, another key replaces it
    pytest.param(single_card, ["SGD"], {0}, "Not that one", ["✗ wrong choice", "✓ right, missed"], 1,
                 id="single-wrong"),
    pytest.param(single_card, ["Adam"], {1}, "✓ Right choice", [], 4, id="single-right"),
    pytest.param(single_card, ["SGD", "Adam"], {1}, "✓ Right choice", [], 4, id="single-key-replaces"),
    # two right answers: keys toggle, and only the exact set is right
    pytest.param(multi_card, ["git rebase"], {0}, "1 right choice missed", ["✓ right, missed"], 1,
                 id="multi-one-missed"),
    pytest.param(multi_card, ["git rebase", "git commit --amend", "git merge", "git merge", "git merge"], {0, 1, 2},
                 "1 wrong choice", ["✗ wrong choice"], 1, id="multi-toggle-and-wrong-extra"),
    pytest.param(multi_card, ["git commit --amend", "git rebase"], {0, 1}, "✓ All right choices", [], 4,
                 id="multi-exact-set"),
])
async def test_multiple_choice_picks_reveal_and_grade(card, picks, chosen, feedback, marks, suggested):
    store = make_store(cards=[card()])
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        pane = screen.query_one("#card-pane")
        multi = card is multi_card
        assert screen.card.kind == "mcq" and screen.presenter.multi_answer == multi
        assert ("Choose all that apply" in pane.extra.plain) == multi
        await pilot.press(*(shown_key(screen, text) for text in picks))
        await pilot.pause()
        assert screen.presenter.chosen == chosen
        assert not screen.revealed
        await pilot.press("space")
        await pilot.pause()
        assert screen.revealed
        assert feedback in pane.feedback.plain
        for mark in marks:
            assert mark in pane.extra.plain
        assert screen.suggested == suggested
        if multi:  # its back is the parser's raw task list: shown once, as the marked choices
            drawn = "\n".join(drawn_lines(pane))
            assert all(drawn.count(c["text"]) == 1 for c in screen.presenter.choices), drawn
        await pilot.press(str(suggested))  # the number keys are grades now
        await pilot.pause()
        assert store.history(screen.session.answers[0][0])[0]["grade"] == suggested


def test_multiple_choice_order_is_shuffled_per_review():
    from studyllm.ui.screens.study import review_seed

    store = make_store(cards=[multi_card()])
    card = store.next_card()
    orders = set()
    for reviews in range(12):
        view = card._replace(reviews=reviews)
        order = list(range(4))
        random.Random(review_seed(view)).shuffle(order)
        orders.add(tuple(order))
    assert len(orders) > 3  # not the file order every time


async def test_multiple_choice_shown_order_follows_the_review_seed():
    store = make_store(cards=[multi_card()])
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        from studyllm.ui.screens.study import review_seed

        expected = list(range(4))
        random.Random(review_seed(screen.card)).shuffle(expected)
        assert screen.presenter.choice_order == expected
        lines = screen.query_one("#card-pane").extra.plain.splitlines()[1:]
        texts = [c["text"] for c in screen.presenter.choices]
        assert [next(t for t in texts if line.endswith(t)) for line in lines] == [texts[i] for i in expected]


async def test_cloze_shows_the_blank_then_the_answer():
    cloze = [c for c in basic_cards() if c.kind == "cloze"]
    store = make_store(cards=cloze)
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        front = screen.query_one("#card-pane")
        assert "[...]" in front.front
        assert not screen.query_one("#card-pane").revealed
        await pilot.press("space")
        await pilot.pause()
        assert "**2 GB**" in screen.query_one("#card-pane").back


async def test_ordered_reorder_then_check():
    ordered = [c for c in basic_cards() if c.kind == "ordered"]
    store = make_store(cards=ordered)
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        assert screen.presenter.order != [0, 1, 2]  # shuffled
        # selection sort with the keys: put item i at position i
        for target in range(3):
            pos = screen.presenter.order.index(target)
            while screen.presenter.order_pos != pos:
                await pilot.press("down")
            while pos > target:
                await pilot.press("shift+up")
                pos -= 1
        await pilot.pause()
        assert screen.presenter.order == [0, 1, 2]
        await pilot.press("space")
        await pilot.pause()
        assert "All 3 in the right order" in screen.query_one("#card-pane").feedback.plain
        assert screen.suggested == 4


async def test_ordered_wrong_order_is_marked():
    ordered = [c for c in basic_cards() if c.kind == "ordered"]
    store = make_store(cards=ordered)
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        await pilot.press("space")
        await pilot.pause()
        assert "in the right place" in screen.query_one("#card-pane").feedback.plain
        assert "belongs at" in screen.query_one("#card-pane").extra.plain
        assert "Right order" in screen.query_one("#card-pane").back


@pytest.mark.parametrize("right", [True, False])
async def test_typed_calc_answer_checked(right):
    importlib.import_module("studyllm.calc.cards")
    store = make_store(cards=[calc_card()])
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        q = screen.presenter.question
        assert q is not None
        assert screen.query_one("#card-pane").front.startswith("How many GB")
        typed = f"{q.answer} {q.unit}" if right else f"{q.answer * 10 + 1} {q.unit}"
        await pilot.press(*typed)
        await pilot.press("enter")
        await pilot.pause()
        assert screen.revealed
        fb = screen.query_one("#card-pane").feedback.plain
        assert fb.startswith("✓") if right else fb.startswith("✗")
        assert screen.suggested == (4 if right else 1)
        assert "Answer" in screen.query_one("#card-pane").back
        await pilot.press("3")
        await pilot.pause()
        assert store.history(screen.session.answers[0][0])[0]["grade"] == 3


async def test_calc_question_is_replayed_after_undo():
    importlib.import_module("studyllm.calc.cards")
    store = make_store(cards=[calc_card(), basic_cards()[0]])
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        prompt = screen.presenter.question.prompt
        await pilot.press(*"1 GB", "enter")
        await pilot.pause()
        await pilot.press("0")
        await pilot.pause()
        await pilot.press("u")
        await pilot.pause()
        assert screen.card.kind == "calc"
        assert screen.presenter.question.prompt == prompt


async def test_unreadable_calc_answer_can_be_retyped():
    importlib.import_module("studyllm.calc.cards")
    store = make_store(cards=[calc_card()])
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        await pilot.press(*"abc", "enter")
        await pilot.pause()
        assert not screen.revealed


async def test_four_button_mode_maps_to_sm2_grades():
    store = make_store()
    store.set_setting("grading_mode", "four")
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        ids = []
        for key in ("1", "2", "3", "4"):
            ids.append(screen.card.id)
            await pilot.press("space", key)
            await pilot.pause()
        grades = [store.history(i)[0]["grade"] for i in ids]
        assert grades == [2, 3, 4, 5]
        # "0" is not a key in this mode
        card = screen.card.id
        await pilot.press("space", "0")
        await pilot.pause()
        assert screen.card.id == card and review_count(store, card) == 0


@pytest.mark.parametrize("mode, label, grade", [("sm2", "5 perfect", 5), ("sm2", "1 wrong", 1),
                                               ("four", "3 Good", 4)])
async def test_grade_bar_takes_clicks_only_once_the_answer_shows(mode, label, grade):
    store = make_store()
    store.set_setting("grading_mode", mode)
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        bar = screen.query_one("#grades")
        # where the button is once the answer shows (before, the bar's line says what to do)
        x = drawn_lines(bar)[0].index("Space") + 2
        first = screen.card.id
        await pilot.click("#grades", offset=(x, 0))  # answer not shown yet: refused
        await pilot.pause()
        assert review_count(store, first) == 0 and screen.card.id == first
        await pilot.press("space")
        await pilot.pause()
        x = drawn_lines(bar)[0].index(label) + 2
        await pilot.click("#grades", offset=(x, 0))
        await pilot.pause()
        assert store.history(first)[0]["grade"] == grade
        assert screen.card.id != first or screen.finished


async def test_edit_opens_editor_and_reimports(tmp_path, monkeypatch):
    importlib.import_module("studyllm.decks.parser")
    deck = tmp_path / "deck.md"
    deck.write_text("# Edit me\n\nWhat is teh sum of two and two in base ten? :: 4\n", encoding="utf-8")
    from conftest import UI_NOW as NOW

    from studyllm.clock import FrozenClock
    from studyllm.store import Store
    from studyllm.store.importer import import_file

    store = Store.open(tmp_path / "home", clock=FrozenClock(NOW))
    assert import_file(store, deck).ok
    editor = tmp_path / "ed.sh"
    editor.write_text('#!/bin/sh\nsed -i "s/teh/the/" "$2"\n', encoding="utf-8")
    editor.chmod(0o755)
    app = build_app(store, editor=str(editor))
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        card_id = screen.card.id
        await pilot.press("e")
        await pilot.pause()
        assert "the sum" in deck.read_text()
        assert screen.card.id == card_id  # same card, progress kept
        assert "the sum" in screen.query_one("#card-pane").front


async def test_card_answered_in_another_window_is_not_counted_twice(tmp_path):
    from studyllm.store import Store

    store = make_store(tmp_path)
    other = Store.open(tmp_path, clock=store.clock)  # a second studyllm window on the same database
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        shown = screen.card
        other.answer(shown.id, 4)  # answered elsewhere while this window shows it
        await pilot.press("space")
        await pilot.pause()
        await pilot.press("5")
        await pilot.pause()
        assert review_count(store, shown.id) == 1  # only the other window's answer
        assert screen.card is not None and screen.card.id != shown.id
    other.close()


async def test_next_front_is_drawn_while_the_answer_is_read(monkeypatch):
    store = make_store(cards=basic_cards()[:3])
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        pane = screen.query_one("#card-pane")
        upcoming = store.next_card(exclude=screen.card.id)
        await pilot.press("space")
        await pilot.pause()
        assert ("front", upcoming.front, True) in pane._memo  # drawn ahead, after the answer's frame
        rendered = []
        original = pane._to_strips
        monkeypatch.setattr(pane, "_to_strips",
                            lambda content, width: rendered.append(content) or original(content, width))
        await pilot.press("5")
        await pilot.pause()
        assert screen.card.id == upcoming.id and pane.front == upcoming.front
        assert rendered == []  # the new card's front was swapped in, not drawn again


@pytest.mark.parametrize("answer", ["176.2", "12.5", "3.75"])
def test_unreadable_answer_toast_never_gives_the_answer_away(answer):
    from studyllm.calc import cards as calc_cards

    spec = calc_cards.parse_spec(f"question: How much?\nanswer: {answer}\nunit: GB\ntolerance: 2%\n")
    question = calc_cards.draw(spec, 1)
    result = calc_cards.check(question, "abc")
    assert result.value is None
    assert "e.g." in result.message
    example = result.message.rsplit("e.g.", 1)[1]
    assert calc_cards.format_sci(question.answer, 3) not in example


def test_plural_words():
    from studyllm.ui.text import plural

    assert plural(1, "answer") == "1 answer"
    assert plural(2, "answer") == "2 answers"
    assert plural(0, "day") == "0 days"
    assert plural(1, "different card") == "1 different card"


async def test_summary_uses_singular_for_one():
    store = make_store(cards=[basic_cards()[0]])
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        await pilot.press("space", "5")
        await pilot.pause()
        summary = str(screen.query_one("#summary-text").render())
        assert "1 answer (1 different card)" in summary
        assert "1 day" in summary and "day(s)" not in summary


async def test_c_on_a_calc_card_opens_the_calculator_with_every_number():
    """Issue #19 item 5: precision and mode reach the calculator, not only the parameter count."""
    from textual.widgets import Input, Select

    importlib.import_module("studyllm.calc.cards")
    store = make_store(cards=[calc_card()])
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        q = screen.presenter.question
        await pilot.press(*f"{q.answer} {q.unit}")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        calc_screen = app.screen
        assert calc_screen.query_one("#mem-precision", Select).value == q.values["precision"]
        assert calc_screen.query_one("#mem-mode", Select).value == "infer"
        assert calc_screen.query_one("#mem-params", Input).value.rstrip("B") == f"{q.values['params'] / 1e9:g}"
        weights = calc_screen.memory_report.as_dict()["per_gpu_bytes"]["weights"] / 1e9
        assert weights == pytest.approx(q.answer)


# ---------------------------------------------------------------- presenters and math (issue #19)
def test_every_card_kind_has_a_presenter_and_its_keys_are_bound():
    from studyllm.decks.model import CARD_KINDS
    from studyllm.ui.presenters import PRESENTERS, Presenter, presenter_class

    assert set(CARD_KINDS) <= set(PRESENTERS)
    assert presenter_class("some-future-kind") is Presenter  # shown as a basic card, not an error
    bound = {(b.key, b.action) for b in StudyScreen.BINDINGS if not isinstance(b, tuple)}
    for presenter in PRESENTERS.values():
        assert {(b.key, b.action) for b in presenter.KEYS} <= bound, presenter.kind


def _math_cards() -> list[ParsedCard]:
    return [
        ParsedCard("basic", r"Why divide by $\sqrt{d_k}$ in $\mathrm{softmax}(QK^T/\sqrt{d_k})$?",
                   r"So the dot products stay small: $$\mathrm{Var}(q \cdot k) = d_k$$", ("Attention",), line=3),
    ]


async def test_math_card_shows_unicode_and_m_shows_the_source():
    store = make_store(cards=_math_cards())
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        pane = screen.query_one("#card-pane")
        text = "\n".join(drawn_lines(pane))
        assert "√d_k" in text and "softmax(QKᵀ/√d_k)" in text
        assert "\\sqrt" not in text and "$" not in text
        await pilot.press("m")
        await pilot.pause()
        text = "\n".join(drawn_lines(pane))
        assert r"$\sqrt{d_k}$" in text
        await pilot.press("m", "space")
        await pilot.pause()
        await pilot.pause()
        assert screen.revealed
        text = "\n".join(drawn_lines(pane))
        assert "Var(q · k) = d_k" in text and "\\mathrm" not in text


async def test_math_key_only_on_a_card_with_math():
    store = make_store(cards=[c for c in basic_cards() if c.kind == "basic"][:1])
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        assert not screen.check_action("math_source", ())


async def test_math_in_choices_and_obsidian_links_are_readable():
    cards = [ParsedCard("mcq", "Which is the attention scale? See [[Attention#Scaled|the attention note]].",
                        "![[attention.png]]", ("Attention",), line=3,
                        extra={"choices": [{"text": r"$\sqrt{d_k}$", "correct": True},
                                           {"text": r"$d_k^2$", "correct": False}]})]
    store = make_store(cards=cards)
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await start_study(pilot)
        pane = screen.query_one("#card-pane")
        text = "\n".join(drawn_lines(pane))
        assert "the attention note" in text and "[[" not in text
        assert "√d_k" in text and "d_k²" in text
        await pilot.press("space")
        await pilot.pause()
        assert "[image: attention.png]" in "\n".join(drawn_lines(pane))


# ---------------------------------------------------------------- layout and theme (issue #19 item 17)
@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
async def test_card_box_is_sized_to_the_card_and_the_keys_are_one_line(size):
    long_back = "\n".join(f"Line {i} of a long answer." for i in range(60))
    cards = [ParsedCard("basic", "What does SFT stand for?", "Supervised fine-tuning.", ("Lifecycle",), line=5),
             ParsedCard("basic", "A long one?", long_back, ("Lifecycle",), line=7)]
    store = make_store(cards=cards)
    app = build_app(store)
    async with app.run_test(size=size) as pilot:
        screen = await start_study(pilot)
        await pilot.pause()
        box, grades, keys = (screen.query_one(s) for s in ("#card", "#grades", "#keys"))
        assert box.region.height <= 6  # a one-line card: its line and the borders, not the whole screen
        assert keys.region.height == 1 and keys.region.bottom == size[1]
        assert "Recall the answer, then press Space" in drawn_lines(grades)[0]  # what to do now
        assert box.region.width <= 100
        await pilot.press("space")
        await pilot.pause()
        assert "Show answer" not in "".join(drawn_lines(keys)) and "Undo" in "".join(drawn_lines(keys))
        await pilot.press("5")  # the long card: the box fills the room, scrolls, and the grade bar stays
        await pilot.press("space")
        await pilot.pause()
        await pilot.pause()
        assert grades.region.bottom <= keys.region.y and box.region.bottom <= grades.region.y
        assert box.region.height >= size[1] - 10
        assert "5 perfect" in drawn_lines(grades)[0] or "5·" in drawn_lines(grades)[0]


async def test_ctrl_l_switches_light_and_dark_even_from_a_field():
    store = make_store(cards=[calc_card()])
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        assert app.theme == "studyllm-dark"  # the app's own theme by default
        screen = await start_study(pilot)
        assert screen.focused is screen.query_one("#calc-answer")
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.theme == "studyllm-light" and store.setting("theme") == "studyllm-light"
        assert screen.query_one("#calc-answer").value == ""  # the key went to the app, not the field
        await pilot.press("ctrl+l")
        assert app.theme == "studyllm-dark"
        app.theme = "textual-light"
        await pilot.press("ctrl+l")
        assert app.theme == "studyllm-dark"
