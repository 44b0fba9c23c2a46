"""What the start-up paths leave out (issues #14 and #23): modules that no start needs are
imported only by the work that needs them, and what stands in for an import still gives the
same answers."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import pytest
from textual.widgets import Input, Static, TextArea

from studyllm.store import Store
from studyllm.store.importer import sync_folders
from studyllm.ui.screens.base import typing_in_field

# The library cold start: import the store, open an existing home, fetch the first card.
_COLD = (
    "import sys\n"
    "from pathlib import Path\n"
    "from studyllm.store import Store\n"
    "store = Store.open(Path(sys.argv[1]))\n"
    "store.next_card()\n"
    "store.close()\n"
    "print(' '.join(sorted(sys.modules)))\n"
)

# The TUI start up to the app's first event (``studyllm --home H``: the parser, the error
# wrapper, opening the store, the deck re-scan, the app), then the two screens of the first
# card, which the app imports once it runs.
_TUI = (
    "import sys\n"
    "import textual.app\n"
    "seen = []\n"
    "textual.app.App.run = lambda self, *a, **k: seen.append(type(self).__name__)\n"
    "from studyllm.cli import main\n"
    "assert main(['--home', sys.argv[1]]) == 0\n"
    "assert seen == ['StudyApp'], seen\n"
    "import studyllm.ui.screens.home, studyllm.ui.screens.study\n"
    "print(' '.join(sorted(sys.modules)))\n"
)


def _modules(code: str, home: str) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code, home], capture_output=True, text=True, check=True)
    return set(out.stdout.split())


@pytest.mark.slow  # runs a subprocess
def test_the_cold_start_imports_no_migration_or_replay(tmp_path):
    home = tmp_path / "home"
    with Store.open(home) as store:
        sync_folders(store)  # the shipped decks
        assert store.next_card() is not None
    loaded = _modules(_COLD, str(home))
    assert "studyllm.store.service" in loaded  # (the check itself works)
    # the upgrade steps are needed only by an older database, the replay only by merges and
    # scheduler switches
    assert not loaded & {"studyllm.store.migrations", "studyllm.store.replay"}
    # the value records are NamedTuples: no dataclasses, so none of the inspect, ast and dis it
    # loads; random and zlib only for FSRS's fuzz; the sync events at the first write, uuid at the first answer (#14)
    assert not loaded & {"dataclasses", "inspect", "ast", "dis", "random", "zlib", "uuid",
                         "studyllm.store.sync_events"}


@pytest.mark.slow  # runs a subprocess
def test_the_tui_start_imports_no_export_code_or_text_area(tmp_path):
    home = tmp_path / "home"
    with Store.open(home):
        pass
    loaded = _modules(_TUI, str(home))
    assert {"studyllm.ui.app", "studyllm.store.importer", "textual.widgets._input"} <= loaded
    assert "studyllm.store.export_format" not in loaded  # only when an export or merge error is raised
    assert "textual.widgets._text_area" not in loaded  # no start-up screen has a TextArea
    assert not loaded & {"studyllm.store.migrations", "studyllm.store.replay"}


def test_a_command_still_reports_an_export_error_in_one_line(tmp_path, capsys):
    """The export errors' class is imported only once one is raised, and still caught."""
    from studyllm.cli_common import run_reported
    from studyllm.store.export_format import ProgressError

    def fails(_args):
        raise ProgressError("line 3: not a progress export")

    assert run_reported("import-progress", fails, SimpleNamespace(home=str(tmp_path))) == 1
    assert capsys.readouterr().err == "studyllm import-progress: error: line 3: not a progress export\n"


class _Notes(TextArea):
    pass


class _Search(Input):
    pass


@pytest.mark.parametrize(
    ("widget", "typing"),
    [(Input, True), (TextArea, True), (_Search, True), (_Notes, True), (Static, False), (None, False)],
)
def test_typing_in_field_knows_text_fields_and_their_subclasses(widget, typing):
    screen = SimpleNamespace(focused=widget() if widget else None)
    assert typing_in_field(screen) is typing  # type: ignore[arg-type]  (only .focused is read)


@pytest.mark.parametrize("argv", [[], ["--home", "/tmp/h"], ["--home=/tmp/h"], ["--home="], ["--home=-odd"],
                                  ["--home", ""], ["--home", "a b"]])
def test_the_app_start_reads_its_arguments_as_the_full_parser_does(argv):
    """``studyllm [--home DIR]`` skips building every command's parser (``cli._app_only``): it
    must read what the parser reads."""
    from studyllm.cli import _app_only, build_parser

    assert _app_only(argv) == build_parser().parse_args(argv)


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["--ho", "x"], ["--home"], ["--home", "-x"],
                                  ["--home", "x", "due"], ["due"], ["--home", "a", "--home", "b"]])
def test_anything_else_goes_through_the_full_parser(argv):
    from studyllm.cli import _app_only

    assert _app_only(argv) is None


_FPS = (
    "import sys, types\n"
    "def build_app(store, **kwargs):\n"
    "    import textual.constants\n"
    "    print(textual.constants.MAX_FPS)\n"
    "    raise SystemExit(0)\n"
    "sys.modules['studyllm.ui.app'] = types.SimpleNamespace(build_app=build_app)\n"
    "from studyllm.cli import main\n"
    "main(['--home', sys.argv[1]])\n"
)


@pytest.mark.slow  # runs subprocesses
@pytest.mark.parametrize(("env", "fps"), [({}, "120"), ({"TEXTUAL_FPS": "30"}, "30")])
def test_the_app_draws_up_to_120_frames_a_second_unless_told_otherwise(tmp_path, env, fps):
    """The start's first frames come in a burst, each waiting for Textual's next frame tick:
    the TUI start sets TEXTUAL_FPS=120 before Textual is imported, unless the user set it."""
    import os

    base = {k: v for k, v in os.environ.items() if k != "TEXTUAL_FPS"}
    out = subprocess.run([sys.executable, "-c", _FPS, str(tmp_path / "home")], capture_output=True, text=True,
                         check=True, env={**base, **env})
    assert out.stdout.split() == [fps]
