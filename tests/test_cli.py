"""The command line: version, due, settings, import, usage errors, bad databases."""

import importlib
import json
import subprocess
import sys

import pytest

from studyllm import __version__
from studyllm.cli import main


def run(*argv, capsys):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_version(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert __version__ in capsys.readouterr().out


def test_unknown_option_is_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["--frobnicate"])
    assert exc.value.code == 2
    assert "usage:" in capsys.readouterr().err


@pytest.mark.parametrize("cmd", [[], ["due"], ["import"], ["settings"]])
def test_help_everywhere(cmd, capsys):
    with pytest.raises(SystemExit) as exc:
        main([*cmd, "--help"])
    assert exc.value.code == 0
    assert "usage:" in capsys.readouterr().out


def test_due_json_on_empty_home(tmp_path, capsys):
    code, out, _ = run("--home", str(tmp_path), "due", "--json", "--no-sync", capsys=capsys)
    assert code == 0
    data = json.loads(out)
    assert data["decks"] == [] and data["totals"] == {"new": 0, "review": 0, "drill": 0}
    assert (tmp_path / "studyllm.db").exists()


def test_home_from_environment(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("STUDYLLM_HOME", str(tmp_path / "envhome"))
    code, _, _ = run("due", "--no-sync", capsys=capsys)
    assert code == 0 and (tmp_path / "envhome" / "studyllm.db").exists()


def test_bad_database_file(tmp_path, capsys):
    (tmp_path / "studyllm.db").write_text("hello")
    code, out, err = run("--home", str(tmp_path), "due", "--no-sync", capsys=capsys)
    assert code == 1
    assert "not a studyllm (SQLite) database" in err and str(tmp_path) in err
    assert "Traceback" not in err
    assert (tmp_path / "studyllm.db").read_text() == "hello"


def test_settings_roundtrip(tmp_path, capsys):
    assert run("--home", str(tmp_path), "settings", "new_per_day", "7", capsys=capsys)[0] == 0
    code, out, _ = run("--home", str(tmp_path), "settings", "new_per_day", capsys=capsys)
    assert out.strip() == "7"
    code, _, err = run("--home", str(tmp_path), "settings", "rollover_hour", "25", capsys=capsys)
    assert code == 2 and "rollover_hour" in err
    code, _, err = run("--home", str(tmp_path), "settings", "nonsense", capsys=capsys)
    assert code == 2 and "unknown setting" in err


def test_import_and_due(tmp_path, capsys):
    importlib.import_module("studyllm.decks.parser")
    deck = tmp_path / "d.md"
    deck.write_text("---\ntitle: Terms\n---\n\nQ: What is inference?\nA: Using a trained model to produce output.\n",
                    encoding="utf-8")
    code, out, _ = run("--home", str(tmp_path / "h"), "import", str(deck), capsys=capsys)
    assert code == 0 and "1 new" in out
    code, out, _ = run("--home", str(tmp_path / "h"), "due", "--json", "--no-sync", capsys=capsys)
    data = json.loads(out)
    assert [(d["title"], d["new"]) for d in data["decks"]] == [("Terms", 1)]


def test_import_error_exit_code(tmp_path, capsys):
    code, out, _ = run("--home", str(tmp_path / "h"), "import", str(tmp_path / "missing.md"), capsys=capsys)
    assert code == 1 and "no such file" in out


@pytest.mark.slow  # runs a subprocess
def test_console_script_runs_in_subprocess(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "studyllm", "--home", str(tmp_path), "due", "--no-sync"],
        capture_output=True, text=True, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "No decks yet" in proc.stdout


def test_tui_start_collects_no_garbage_until_the_app_runs(tmp_path, monkeypatch):
    """`studyllm` builds the app with the collector off (start-up objects live as long as the
    app) and turns it back on, with those objects frozen, before the app runs."""
    import gc

    import studyllm.ui.app as app_module

    seen = {}

    class FakeApp:
        def run(self):
            seen["run"] = gc.isenabled()

    def fake_build(store, **kwargs):
        seen["build"] = gc.isenabled()
        seen["frozen_before"] = gc.get_freeze_count()
        return FakeApp()

    monkeypatch.setattr(app_module, "build_app", fake_build)
    assert gc.isenabled()
    try:
        assert main(["--home", str(tmp_path / "h")]) == 0
        assert seen["build"] is False and seen["run"] is True
        assert gc.get_freeze_count() > seen["frozen_before"]
        assert gc.isenabled()
    finally:
        gc.unfreeze()


def test_subcommands_are_registered_explicitly_and_a_broken_module_is_loud(monkeypatch):
    import studyllm.cli as cli

    commands = set(cli.build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]
    assert {"due", "import", "sources", "link", "unlink", "settings", "calc", "stats", "export",
            "import-progress", "backup"} <= commands
    # our own module missing (or broken): an error, never a silently missing command
    monkeypatch.setattr(cli, "_PLUGIN_MODULES", (*cli._PLUGIN_MODULES, "studyllm.cli_nonexistent"))
    with pytest.raises(ModuleNotFoundError):
        cli.build_parser()


def test_a_command_whose_optional_extra_is_missing_says_what_to_install(monkeypatch, tmp_path, capsys):
    import sys as _sys

    import studyllm.cli as cli

    source = tmp_path / "pkg"
    source.mkdir()
    (source / "cli_fakeextra.py").write_text("import surely_not_an_installed_package  # noqa\n")
    import studyllm

    monkeypatch.setattr(studyllm, "__path__", [*studyllm.__path__, str(source)])
    monkeypatch.setattr(cli, "_PLUGIN_MODULES", (*cli._PLUGIN_MODULES, "studyllm.cli_fakeextra"))
    _sys.modules.pop("studyllm.cli_fakeextra", None)
    assert cli.main(["fakeextra"]) == 2
    err = capsys.readouterr().err
    assert "needs the package 'surely_not_an_installed_package'" in err
    assert "pip install 'studyllm[fakeextra]'" in err and "Traceback" not in err
