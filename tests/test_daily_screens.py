"""Every screen of the daily loop as a learner moves between them: each names itself."""

from __future__ import annotations

import pytest
from conftest import make_store

from studyllm.ui.app import build_app
from studyllm.ui.registry import SCREENS


@pytest.mark.parametrize("name", [n for n in SCREENS if n != "home"])
async def test_every_screen_names_itself_in_the_header(name):
    """The Calculators screen kept home's title ("studyllm — …"); every other screen said its name."""
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        home_title = app.screen.title
        app.action_go(name)
        for _ in range(20):
            await pilot.pause()
            if app.screen is not None and type(app.screen).__name__ != "HomeScreen":
                break
        screen = app.screen
        assert type(screen).__name__ != "HomeScreen", name
        assert screen.title and screen.title != home_title, (name, screen.title)
        expected = "Study" if name == "study" else SCREENS[name].title.split()[0]
        assert expected.lower() in screen.title.lower(), (name, screen.title)
