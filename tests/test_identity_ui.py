"""The Import screen: per-card report and the possible-rewrite checklist."""

from __future__ import annotations

import importlib

from conftest import make_store

from studyllm.store.importer import import_paths
from studyllm.ui.app import build_app

SIZE = (100, 40)
TEXT = "# Dup\n\nQ: What is it?\nA: The first answer about attention heads.\n\nQ: What is it?\nA: A second one.\n"


async def _wait(pilot, screen) -> None:
    for _ in range(300):
        await pilot.pause(0.02)
        if not screen.busy and screen.last_report is not None:
            return
    raise AssertionError("import did not finish")


async def test_import_screen_lists_cards_and_links_ticked_rewrites(tmp_path):
    importlib.import_module("studyllm.decks.parser")
    p = tmp_path / "dup.md"
    p.write_text(TEXT, encoding="utf-8")
    store = make_store(cards=[])
    import_paths(store, [p])
    c = store.next_card()
    assert c.back == "The first answer about attention heads."
    store.answer(c.id, 4)
    p.write_text(TEXT.replace("The first answer about attention heads.", "Something \x1b[2J else, 42."),
                 encoding="utf-8")
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("i")
        await pilot.pause()
        screen = app.screen
        screen.query_one("#path").value = str(p)
        await pilot.press("f5")
        await _wait(pilot, screen)
        report = str(screen.query_one("#report").render())
        assert "new" in report and "dup.md:3" in report and "archived" in report
        checklist = screen.query_one("#rewrites")
        assert checklist.display and checklist.option_count == 1
        assert "\x1b" not in str(checklist.get_option_at_index(0).prompt)
        checklist.select_all()
        preview = screen.last_report
        await pilot.press("f6")
        for _ in range(300):
            await pilot.pause(0.02)
            if not screen.busy and screen.last_report is not preview:
                break
        assert "linked" in str(screen.query_one("#report").render())
        assert not checklist.display
    assert store.card(c.id).reviews == 0  # its answer moved to the rewritten card
    with store.database.connect() as conn:
        n = conn.execute("SELECT count(*) FROM card_link").fetchone()[0]
        tracked = conn.execute("SELECT path FROM source").fetchall()
    assert n == 1 and tracked == [(str(p.resolve()),)]


async def test_e_on_a_shipped_card_edits_a_copy_that_takes_over(tmp_path, monkeypatch):
    importlib.import_module("studyllm.decks.parser")
    shipped = tmp_path / "pkg" / "decks"
    shipped.mkdir(parents=True)
    original = "---\nid: course\ntitle: Course\n---\n\nQ: What is teh token?\nA: A piece of text.\n"
    (shipped / "01-course.md").write_text(original, encoding="utf-8")
    monkeypatch.setattr("studyllm.paths.shipped_decks_dir", lambda: shipped)
    from conftest import UI_NOW as NOW

    from studyllm.clock import FrozenClock
    from studyllm.store import Store
    from studyllm.store.importer import sync_folders

    store = Store.open(tmp_path / "home", clock=FrozenClock(NOW))
    sync_folders(store)
    editor = tmp_path / "ed.sh"
    editor.write_text('#!/bin/sh\nsed -i "s/teh/the/" "$2"\n', encoding="utf-8")
    editor.chmod(0o755)
    app = build_app(store, editor=str(editor))
    notes = []
    monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append(str(message)))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("s")
        for _ in range(100):
            await pilot.pause(0.02)
            if getattr(app.screen, "card", None) is not None:
                break
        screen = app.screen
        card_id = screen.card.id
        store.answer(card_id, 4)
        await pilot.press("e")
        await pilot.pause()
    copy = tmp_path / "home" / "decks" / "01-course.md"
    assert (shipped / "01-course.md").read_text() == original  # the package is never written
    assert "the token" in copy.read_text()
    assert any("your own copy" in n for n in notes)
    card = store.card(card_id)
    assert card.front == "What is the token?" and card.reviews == 1 and card.source_path == str(copy.resolve())
