"""Issue #19 item 13: every setting is on the Settings screen (built from the store's list), and
"Saved." appears only after a change."""

from __future__ import annotations

from conftest import make_store, settle

from studyllm.store import settings as store_settings
from studyllm.ui.app import build_app

SIZE = (80, 24)


def messages(screen) -> dict[str, str]:
    return {key: str(screen.query_one(f"#{key}-msg").render()) for key in store_settings.SPECS}


async def open_settings(pilot):
    await settle(pilot)
    await pilot.press("comma")
    await pilot.pause()
    await pilot.pause()
    screen = pilot.app.screen
    assert type(screen).__name__ == "SettingsScreen"
    return screen


async def test_every_setting_is_on_the_screen_and_nothing_says_saved_at_first():
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        for key in store_settings.SPECS:
            assert screen.query(f"#{key}"), f"{key} is not on the Settings screen"
        assert not any("Saved" in m for m in messages(screen).values())
        # the four that were CLI only, and the separators
        for key, text, value in (("leech_lapses", "5", 5), ("drill_delay_minutes", "3", 3),
                                 ("backups_keep", "2", 2), ("max_deck_mb", "20", 20),
                                 ("separators", "inline=;; multiline=%%", {"inline": ";;", "multiline": "%%"})):
            screen.query_one(f"#{key}").value = text
            await pilot.pause()
            stored = store.setting(key)
            assert (stored == value if not isinstance(value, dict) else value.items() <= stored.items()), key
            assert messages(screen)[key] == "Saved."
        screen.query_one("#leech_lapses").value = "0"
        await pilot.pause()
        assert store.setting("leech_lapses") == 5 and "must be from 1 to 100" in messages(screen)["leech_lapses"]


async def test_saved_only_after_a_change():
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        field = screen.query_one("#new_per_day")
        field.value = "20"  # what is stored already
        await pilot.pause()
        assert "Saved" not in messages(screen)["new_per_day"]
        field.value = "21"
        await pilot.pause()
        assert messages(screen)["new_per_day"] == "Saved." and store.setting("new_per_day") == 21
        field.value = "021"  # the same number again: nothing new to save, the message goes back
        await pilot.pause()
        assert "Saved" not in messages(screen)["new_per_day"]
        screen.query_one("#theme").value = app.theme  # the theme already in use
        await pilot.pause()
        assert "Saved" not in messages(screen)["theme"]
        screen.query_one("#grading_mode").value = "sm2"  # already sm2
        await pilot.pause()
        assert "Saved" not in messages(screen)["grading_mode"]
        screen.query_one("#grading_mode").value = "four"
        await pilot.pause()
        assert messages(screen)["grading_mode"] == "Saved." and store.setting("grading_mode") == "four"


async def test_a_setting_added_to_the_store_appears_without_editing_the_screen(monkeypatch):
    """The screen is built from the store's list: new settings of each type get a working field."""
    from studyllm.store.settings import SettingSpec, _choice

    def retention(value):
        if not isinstance(value, float) or not 0.7 <= value <= 0.99:
            raise ValueError("must be from 0.70 to 0.99")
        return value

    def flag(value):
        if not isinstance(value, bool):
            raise ValueError("must be on or off")
        return value

    extra = {s.key: s for s in (
        SettingSpec("scheduler", "sm2", _choice("sm2", "fsrs"), "Which scheduler plans the reviews"),
        SettingSpec("desired_retention", 0.9, retention, "Share of reviews you want to pass"),
        SettingSpec("fuzz", True, flag, "Spread the due days a little"),
    )}
    monkeypatch.setattr(store_settings, "SPECS", {**store_settings.SPECS, **extra})
    monkeypatch.setattr("studyllm.ui.screens.settings.SPECS", store_settings.SPECS)
    monkeypatch.setattr("studyllm.store.service.SPECS", store_settings.SPECS)
    store = make_store()
    app = build_app(store)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_settings(pilot)
        assert str(screen.query_one("#desired_retention-msg").render()) == "Share of reviews you want to pass"
        screen.query_one("#scheduler").value = "fsrs"
        await pilot.pause()
        assert store.setting("scheduler") == "fsrs"
        screen.query_one("#desired_retention").value = "0.85"
        await pilot.pause()
        assert store.setting("desired_retention") == 0.85
        screen.query_one("#desired_retention").value = "0.5"
        await pilot.pause()
        assert "must be from 0.70 to 0.99" in str(screen.query_one("#desired_retention-msg").render())
        assert store.setting("desired_retention") == 0.85
        screen.query_one("#fuzz").value = False
        await pilot.pause()
        assert store.setting("fuzz") is False
        assert str(screen.query_one("#fuzz-msg").render()) == "Saved."
