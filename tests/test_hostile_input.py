"""Hostile and broken input: decks from strangers, calculator fields, export files, settings.

Every bad input must end in the project's own error type with a position (``DeckError``
with line/col, ``ValueError`` naming the field, ``ProgressError`` naming the line), and
every deck that tries to *act* (Textual markup, terminal escapes, huge or deeply nested
text, link tricks) is either stored and displayed inertly or refused with a clear message.
"""

from __future__ import annotations

import ast
import importlib
import json
import math
import os
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studyllm.decks.model import DeckError

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "studyllm"

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
_SCRATCH: dict[str, Path] = {}


def scratch(factory, name: str) -> Path:
    """One reusable file per fuzz test (a fresh temporary folder per example is slow)."""
    if name not in _SCRATCH:
        _SCRATCH[name] = factory.mktemp("fuzz") / name
    return _SCRATCH[name]

# Pieces of deck syntax that make interesting combinations more likely than plain text would.
TOKENS = [
    "Q:", "A:", "C:", "O:", "?", "??", "::", ":::", "{{c1::", "{{c2::", "}}", "::hint", "==", "[", "]",
    "- [x] ", "- [ ] ", "1. ", "- ", "> ", "#", "## ", "### ", "```", "```calc", "~~~", "    ", "`", "---",
    "\n", "\n\n", " ", "\t", "<!--", "-->", "<div>", "</div>", "*", "_", "|", "|---|", "\\", "title: x",
    "id: ", "mode: outline", "mode: headings", "tags: [a", "\x1b[31m", "\x00", "\u202e", "\r\n", "\ufeff",
    "[@click=app.quit]", "[link=x]", "自编码", "é", "\u0301",
]
deck_text = st.lists(st.one_of(st.sampled_from(TOKENS), st.text(max_size=12)), max_size=40).map("".join)


def check_positions(deck, text: str) -> None:
    n_lines = text.replace("\r\n", "\n").replace("\r", "\n").count("\n") + 1  # Markdown's line breaks
    for problem in [*deck.errors, *deck.warnings]:
        assert isinstance(problem, DeckError)
        assert isinstance(problem.line, int) and 1 <= problem.line <= n_lines + 1, problem
        assert isinstance(problem.col, int) and problem.col >= 1, problem
        assert str(problem).startswith(f"{problem.path}:{problem.line}:{problem.col}: ")
    for card in deck.cards:
        assert 1 <= card.line <= n_lines + 1


# ------------------------------------------------------------------ fuzz: deck parser
parser = importlib.import_module("studyllm.decks.parser")


@FUZZ
@given(text=deck_text)
def test_fuzz_parse_deck_only_deck_errors_with_positions(text):
    try:
        deck = parser.parse_deck(text, "fuzz.md")
    except DeckError as exc:  # allowed, but it must carry a position
        assert exc.line >= 1 and exc.col >= 1
        return
    check_positions(deck, text)


@FUZZ
@given(text=deck_text)
def test_fuzz_outline_mode(text):
    try:
        deck = parser.parse_deck(text, "fuzz.md", outline=True)
    except DeckError as exc:
        assert exc.line >= 1 and exc.col >= 1
        return
    check_positions(deck, text)


@FUZZ
@given(data=st.binary(max_size=300))
def test_fuzz_parse_file_with_random_bytes(data, tmp_path_factory):
    path = scratch(tmp_path_factory, "deck.md")
    path.write_bytes(data)
    deck = parser.parse_file(path)
    for problem in deck.errors + deck.warnings:
        assert isinstance(problem, DeckError) and problem.line >= 1 and problem.col >= 1


# ------------------------------------------------------------------ fuzz: calculator fields
calc = importlib.import_module("studyllm.calc")

quantity_text = st.one_of(
    st.text(max_size=30),
    st.lists(st.sampled_from(["7", "1.4", "e", "E", "+", "-", "9" * 30, "B", "b", " ", "GB", "GiB", "%", "T",
                              "billion", "PF-days", "FLOPs", ",", ".", "x", "\u2212", "\u00d7", "inf", "nan",
                              "1e308", "e999", "0x1", "_", "params"]), max_size=8).map("".join),
)


@FUZZ
@given(text=quantity_text)
def test_fuzz_parse_quantity_raises_only_value_error_naming_the_field(text):
    try:
        value = calc.parse_quantity(text, field="batch size")
    except ValueError as exc:
        assert str(exc).startswith("batch size: "), str(exc)
        return
    assert isinstance(value, float) and math.isfinite(value) and value >= 0


@FUZZ
@given(value=st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.booleans(), st.none()))
def test_fuzz_parse_quantity_non_text(value):
    try:
        out = calc.parse_quantity(value, field="params")
    except ValueError as exc:
        assert str(exc).startswith("params: ")
        return
    assert math.isfinite(out)


# ------------------------------------------------------------------ fuzz: progress export files
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.one_of(
    st.binary(max_size=200),
    st.recursive(
        st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
        lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=6), inner, max_size=4)),
        max_leaves=20,
    ).map(lambda v: json.dumps(v).encode()),
    st.fixed_dictionaries({"format": st.just("studyllm-progress"), "version": st.integers(0, 3),
                           "cards": st.just({"columns": ["uid"], "rows": [[1]]})})
    .map(lambda v: json.dumps(v).encode()),
))
def test_fuzz_export_file_raises_only_progress_error(data, tmp_path_factory):
    progress = importlib.import_module("studyllm.store.export_format")
    path = scratch(tmp_path_factory, "export.json")
    path.write_bytes(data)
    try:
        progress.load_export(path)
    except progress.ProgressError as exc:
        assert str(exc)
        assert "Traceback" not in str(exc)


def test_deeply_nested_export_is_refused_cleanly(tmp_path):
    progress = importlib.import_module("studyllm.store.export_format")
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(progress.ProgressError):
        progress.load_export(path)


# ------------------------------------------------------------------ decks that try to act
@pytest.fixture
def fstore(tmp_path, clock):
    from studyllm.store import Store

    s = Store.open(tmp_path / "home", clock=clock)
    yield s
    s.close()


def import_text(store, folder: Path, name: str, text: str | bytes):
    from studyllm.store.importer import import_paths

    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    report = import_paths(store, [path])
    (deck,) = report.decks
    return deck


def stored_cards(store) -> list[tuple[str, str]]:
    with store.database.connect() as conn:
        return [tuple(r) for r in conn.execute("SELECT front, back FROM card WHERE archived = 0 ORDER BY id")]


def test_textual_markup_is_stored_as_plain_text(fstore, tmp_path):
    text = "Q: Press [@click=app.quit]here[/] or [link=file:///etc/passwd]this[/link] [b red]now[/]\nA: ok\n"
    deck = import_text(fstore, tmp_path / "decks", "markup.md", text)
    assert deck.ok and deck.new == 1
    ((front, _back),) = stored_cards(fstore)
    assert "[@click=app.quit]here[/]" in front and "[link=file:///etc/passwd]" in front


def test_escape_sequences_are_flagged_and_never_reach_display(fstore, tmp_path):
    from studyllm.ui.text import clean

    text = "Q: red \x1b[31mtext\x1b[0m and clip \x1b]52;c;cm0gLXJmIH4=\x07 and \x9b2J\nA: \x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\\n"
    deck = import_text(fstore, tmp_path / "decks", "ansi.md", text)
    assert deck.ok
    assert any("control character" in w.message for w in deck.warnings)
    for front, back in stored_cards(fstore):
        for shown in (clean(front), clean(back)):
            assert not any(ord(ch) < 32 and ch not in "\n\t" for ch in shown), repr(shown)
            assert not any(0x7F <= ord(ch) <= 0x9F for ch in shown), repr(shown)


def test_control_characters_and_bidi_overrides_are_data(fstore, tmp_path):
    text = "Q: bell\x07 back\x08space and \u202eright-to-left\u202c and \u2066isolate\u2069?\nA: \u200fok\n"
    deck = import_text(fstore, tmp_path / "decks", "ctrl.md", text)
    assert deck.ok and deck.new == 1
    ((front, back),) = stored_cards(fstore)
    assert "right-to-left" in front and "ok" in back


def test_one_megabyte_single_line_is_refused_with_its_line(fstore, tmp_path):
    line = "word " * 200_000  # 1,000,000 characters on one line
    deck = import_text(fstore, tmp_path / "decks", "long.md", f"Q: short\nA: short\n\nQ: {line}\nA: short\n")
    assert not deck.ok
    err = deck.errors[0]
    assert err.line == 4 and "limit" in err.message and "long.md:4:1" in str(err)
    assert stored_cards(fstore) == []  # the whole file is refused, nothing half-imported


def test_file_over_the_size_limit_is_refused(fstore, tmp_path):
    fstore.set_setting("max_deck_mb", 1)
    deck = import_text(fstore, tmp_path / "decks", "huge.md", "Q: x\nA: " + "y" * (1024 * 1024 + 10) + "\n")
    assert not deck.ok and "limit" in deck.errors[0].message
    assert stored_cards(fstore) == []


@pytest.mark.parametrize("text", [
    "- " * 10_000 + "deep\n",
    "> " * 10_000 + "deep\n",
    "1. " * 10_000 + "deep\n",
    "Q: x\nA:\n" + "> " * 10_000 + "deep\n",
], ids=["list", "quote", "ordered", "in-answer"])
def test_ten_thousand_levels_of_nesting(fstore, tmp_path, text):
    deck = import_text(fstore, tmp_path / "decks", "deep.md", text)
    assert not deck.ok
    err = deck.errors[0]
    assert "nested too deeply" in err.message and err.line >= 1
    assert stored_cards(fstore) == []  # a file with errors changes nothing


@pytest.mark.parametrize("text", [
    " ".join(f"=={i}==" for i in range(5000)) + "\n",
    " ".join(f"{{{{c{i}::w{i}}}}}" for i in range(1, 5001)) + "\n",
    "C: " + " ".join(f"[w{i}]" for i in range(5000)) + "\n",
], ids=["highlights", "numbered-clozes", "c-block"])
def test_cloze_bomb_is_refused(fstore, tmp_path, text):
    """One paragraph that would explode into thousands of cards, each a copy of the paragraph."""
    deck = import_text(fstore, tmp_path / "decks", "bomb.md", text)
    assert deck.new == 0, f"made {deck.new} cards"
    assert "at most" in str(deck.card_errors[0])
    assert stored_cards(fstore) == []


def test_many_clozes_sharing_one_number_make_one_card(fstore, tmp_path):
    text = " ".join(f"{{{{c1::w{i}}}}}" for i in range(5000)) + "\n"
    deck = import_text(fstore, tmp_path / "decks", "one.md", text)
    assert deck.ok and deck.new == 1
    total = sum(len(f) + len(b) for f, b in stored_cards(fstore))
    assert total < 20 * len(text)


def test_front_matter_cannot_construct_python_objects(fstore, tmp_path):
    text = "---\ntitle: !!python/object/apply:os.system ['touch PWNED']\n---\nQ: x\nA: y\n"
    deck = import_text(fstore, tmp_path / "decks", "yaml.md", text)
    assert not deck.ok and deck.errors[0].line == 2
    assert not (tmp_path / "PWNED").exists() and not Path("PWNED").exists()


def test_yaml_alias_bomb_in_front_matter(fstore, tmp_path):
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{','.join(['*' + prev] * 9)}]")
    text = "---\n" + "\n".join(lines) + "\ntags: *i\n---\nQ: x\nA: y\n"
    deck = import_text(fstore, tmp_path / "decks", "bomb.md", text)
    assert not deck.ok  # refused with a message, not expanded into a billion strings


def test_binary_and_non_utf8_files_are_refused_with_position(fstore, tmp_path):
    deck = import_text(fstore, tmp_path / "decks", "bin.md", b"Q: x\nA: y\x00z\n")
    assert not deck.ok and deck.errors[0].line == 2
    deck = import_text(fstore, tmp_path / "decks", "latin1.md", "Q: caf\xe9\nA: y\n".encode("latin-1"))
    assert not deck.ok and deck.errors[0].line == 1 and "UTF-8" in deck.errors[0].message


# ------------------------------------------------------------------ paths
def test_symlink_loops_do_not_hang_the_import(fstore, tmp_path):
    from studyllm.store.importer import import_paths

    folder = tmp_path / "decks"
    (folder / "sub").mkdir(parents=True)
    (folder / "sub" / "a.md").write_text("Q: one\nA: two\n")
    os.symlink(folder, folder / "sub" / "loop")  # decks/sub/loop -> decks
    os.symlink(folder / "sub", folder / "again")  # a second way into sub
    report = import_paths(fstore, [folder])
    assert [Path(d.path).name for d in report.decks] == ["a.md"]
    assert report.ok and len(stored_cards(fstore)) == 1


def test_file_symlink_loop_is_reported_not_a_crash(fstore, tmp_path):
    from studyllm.store.importer import import_paths

    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "a.md").write_text("Q: one\nA: two\n")
    os.symlink("self.md", folder / "self.md")  # a file link to itself
    report = import_paths(fstore, [folder])
    assert len(stored_cards(fstore)) == 1  # the good file still imports
    (bad,) = [d for d in report.decks if not d.ok]
    assert "self.md" in str(bad.errors[0]) and "loop" in str(bad.errors[0])


def test_symlink_to_a_file_outside_the_deck_folder_is_refused(fstore, tmp_path):
    from studyllm.store.importer import import_paths

    secret = tmp_path / "private" / "secret.md"
    secret.parent.mkdir()
    secret.write_text("Q: my bank PIN?\nA: 1234\n")
    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "ok.md").write_text("Q: one\nA: two\n")
    os.symlink(secret, folder / "innocent.md")
    report = import_paths(fstore, [folder])
    assert all("PIN" not in front for front, _ in stored_cards(fstore))
    refused = [d for d in report.decks if not d.ok]
    assert refused and "outside" in str(refused[0].errors[0])


def test_file_name_with_a_newline(fstore, tmp_path):
    deck = import_text(fstore, tmp_path / "decks", "two\nlines.md", "Q: x\nA: y\n")
    assert deck.ok and deck.new == 1
    (summary,) = fstore.decks()
    assert summary.source_path.endswith("two\nlines.md")  # the path is kept exactly, as data


def test_import_command_does_not_print_escape_sequences_from_file_names(tmp_path, capsys):
    from studyllm.cli import main

    folder = tmp_path / "decks"
    folder.mkdir()
    (folder / "evil\x1b]0;pwned\x07\nname.md").write_text("Q: x\nA: y\n")
    assert main(["--home", str(tmp_path / "home"), "import", str(folder)]) == 0
    out = capsys.readouterr()
    assert "\x1b" not in out.out + out.err and "\x07" not in out.out + out.err


# ------------------------------------------------------------------ display (TUI)
HOSTILE_CARDS = [
    ("[@click=app.quit]Click me[/] and [link=https://evil.example]link[/link] [reverse]x[/]", "[@click=app.quit]"),
    ("red \x1b[31mtext\x1b[0m clipboard \x1b]52;c;cm0gLXJmIH4=\x07 CSI \x9b2J", "clipboard"),
    ("bell\x07 and \u202eright-to-left\u202c", "right-to-left"),
]


async def test_hostile_card_text_renders_inertly_in_the_tui(tmp_path):
    importlib.import_module("studyllm.ui.app")
    from conftest import make_store
    from textual.geometry import Region

    from studyllm.decks.model import ParsedCard
    from studyllm.ui.app import build_app
    from studyllm.ui.widgets.cardpane import CardPane

    cards = [ParsedCard("basic", front, f"Answer {i} [@click=app.bell]", ("[bold]H[/]",), line=1 + 2 * i)
             for i, (front, _marker) in enumerate(HOSTILE_CARDS)]
    store = make_store(cards=cards, title="[@click=app.quit]Evil deck")
    app = build_app(store)
    shown = []
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("s")
        await pilot.pause()
        for _ in range(len(HOSTILE_CARDS)):
            screen = app.screen
            front = screen.query_one("#card-pane", CardPane)
            lines = front.render_lines(Region(0, 0, front.size.width, front.size.height))
            text = "\n".join(strip.text for strip in lines)
            shown.append(text)
            for strip in lines:
                for segment in strip:
                    assert not any(ord(ch) < 32 or 0x7F <= ord(ch) <= 0x9F for ch in segment.text), repr(segment.text)
                    assert not any(0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069
                                   for ch in segment.text), repr(segment.text)  # no bidi overrides
                    style = segment.style
                    assert not (style and style.meta and "@click" in style.meta), style.meta
                    assert not (style and style.link), style.link
            await pilot.click("#card-pane")  # clicking the text runs nothing
            assert app.is_running and app.return_code is None
            await pilot.press("space")
            await pilot.pause()
            await pilot.press("5")
            await pilot.pause()
    joined = "\n".join(shown)
    for _front, marker in HOSTILE_CARDS:
        assert marker in joined, f"{marker!r} not displayed literally"


# ------------------------------------------------------------------ nothing runs user text
FORBIDDEN_CALLS = {"eval", "exec", "compile", "__import__"}
FORBIDDEN_MODULES = {"pickle", "cPickle", "marshal", "shelve", "dill", "cloudpickle", "jsonpickle"}


def test_no_eval_exec_or_pickle_in_the_package():
    problems = []
    files = sorted(PACKAGE.rglob("*.py"))
    assert len(files) > 10
    for path in files:
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        where = path.relative_to(ROOT)
        for node in ast.walk(tree):
            if isinstance(node, ast.Call):
                func = node.func
                name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
                if isinstance(func, ast.Name) and name in FORBIDDEN_CALLS:
                    problems.append(f"{where}:{node.lineno}: {name}()")
                if name in ("load", "load_all", "unsafe_load", "full_load") and isinstance(func, ast.Attribute) \
                        and isinstance(func.value, ast.Name) and func.value.id == "yaml":
                    loader = [k for k in node.keywords if k.arg == "Loader"]
                    if name != "load" or not loader or "Safe" not in ast.unparse(loader[0].value):
                        problems.append(f"{where}:{node.lineno}: yaml.{name} without SafeLoader")
                if name in ("system", "popen") and isinstance(func, ast.Attribute):
                    problems.append(f"{where}:{node.lineno}: os.{name}()")
                if any(k.arg == "shell" and isinstance(k.value, ast.Constant) and k.value.value for k in node.keywords):
                    problems.append(f"{where}:{node.lineno}: shell=True")
            elif isinstance(node, ast.Import):
                problems += [f"{where}:{node.lineno}: import {a.name}" for a in node.names
                             if a.name.split(".")[0] in FORBIDDEN_MODULES]
            elif isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in FORBIDDEN_MODULES:
                problems.append(f"{where}:{node.lineno}: from {node.module} import")
    assert problems == []


def test_the_scan_itself_catches_forbidden_code(tmp_path, monkeypatch):
    """Guard against a scan that can't fail: plant each forbidden pattern and see it reported."""
    global PACKAGE, ROOT
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    for i in range(11):
        (pkg / f"m{i}.py").write_text("x = 1\n")
    samples = ["eval(user)", "exec(code)", "import pickle", "from marshal import loads", "yaml.load(text)",
               "os.system(cmd)", "subprocess.run(cmd, shell=True)"]
    for sample in samples:
        (pkg / "bad.py").write_text(sample + "\n")
        monkeypatch.setattr(sys.modules[__name__], "PACKAGE", pkg)
        monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
        with pytest.raises(AssertionError):
            test_no_eval_exec_or_pickle_in_the_package()
    (pkg / "bad.py").write_text("import ast\nast.literal_eval('1')\nyaml.load(t, Loader=yaml.SafeLoader)\n")
    test_no_eval_exec_or_pickle_in_the_package()


# ------------------------------------------------------------------ settings with bad values
BAD_SETTINGS = {
    "new_per_day": [-1, "20", 3.5, True, 10_001],
    "reviews_per_day": [-5, None, [1]],
    "rollover_hour": [24, -1, "4am"],
    "grading_mode": ["anki", 5],
    "deck_folders": ["/just/a/string", [1, 2]],
    "theme": ["", "x" * 65, 7],
    "leech_lapses": [0, 101],
    "drill_delay_minutes": [-1, 1441],
    "backups_keep": [-1, 366],
    "max_deck_mb": [0, 2048],
    "scheduler": ["anki", "FSRS", 1],
    "desired_retention": [0.5, 1.0, "0.9", True],
    "maximum_interval": [0, 36501, 1.5],
    "fsrs_learning_steps": ["1,10", [10, 1], [0], [1441], [True], list(range(1, 12))],
    "fsrs_relearning_steps": [10, [5, 5], [-1]],
    "fsrs_fuzz": [1, "on", None],
    "separators": [";;", {"inline": ""}, {"sideways": ">>"}, {"inline": "::", "inline_reverse": "::"}, [1]],
}


@pytest.mark.parametrize(
    "key,value", [(k, v) for k, vs in BAD_SETTINGS.items() for v in vs], ids=lambda x: repr(x)[:20]
)
def test_bad_stored_setting_falls_back_with_a_warning_naming_the_key(store, key, value):
    from studyllm.store.settings import SPECS

    with store.database.begin() as conn:
        conn.execute("INSERT INTO setting(key, value) VALUES (?, ?)", (key, json.dumps(value)))
    with pytest.warns(UserWarning, match=repr(key)):
        assert store.setting(key) == SPECS[key].default
    assert any(repr(key) in w for w in store.warnings)


def test_every_setting_has_bad_values_tested():
    from studyllm.store.settings import SPECS

    assert set(BAD_SETTINGS) == set(SPECS)


def test_setting_that_is_not_json_and_unknown_keys(store):
    from studyllm.store.settings import SPECS

    with store.database.begin() as conn:
        conn.execute("INSERT INTO setting(key, value) VALUES ('theme', '{not json')")
        conn.execute("INSERT INTO setting(key, value) VALUES ('no_such_key', '1')")
    with pytest.warns(UserWarning, match="'theme'"):
        values = store.settings()
    assert values["theme"] == SPECS["theme"].default
    assert "no_such_key" not in values


# ------------------------------------------------------------------ Anki packages: any value in any column

_ANY_VALUE = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**63), 2**63 - 1), st.integers(-5, 40_000),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30), st.binary(max_size=30),
    st.sampled_from(["{", "[]", '{"1": 5}', '{"1": {"name": 7}}', "\x1b]52;c;aGk=\x07", "{" * 3000]),
)
_COLUMNS = {
    "col": ("crt", "ver", "models", "decks"),
    "note": ("id", "guid", "mid", "tags", "flds"),
    "card": ("id", "nid", "did", "ord", "type", "queue", "due", "ivl", "factor", "reps", "lapses", "odue", "odid",
             "data"),
    "review": ("id", "cid", "ease", "ivl", "lastIvl", "factor", "time", "type"),
}


# (table, {column: value}) for one or two columns of one row
anki_case = st.sampled_from(sorted(_COLUMNS)).flatmap(lambda t: st.tuples(
    st.just(t), st.dictionaries(st.sampled_from(_COLUMNS[t]), _ANY_VALUE, min_size=1, max_size=2)))


@settings(max_examples=120, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(case=anki_case)
def test_fuzz_anki_package_values_import_or_are_refused_before_writing(case, tmp_path_factory):
    """Any value in one or two columns of a package's collection: the import either succeeds or
    raises AnkiImportError with nothing written (no deck file, no deck, no answer)."""
    from test_anki_import import _hostile_package

    from studyllm.store import Store
    from studyllm.store.anki_import import AnkiImportError, import_package

    table, values = case
    overrides = {table: values}
    tmp = tmp_path_factory.mktemp("apkg")
    store = Store.open(tmp / "home")
    try:
        try:
            package = _hostile_package(tmp, **overrides)
        except (OverflowError, ValueError):  # a value sqlite3 itself can't store: nothing to import
            return
        try:
            import_package(store, package, into=tmp / "decks")
        except AnkiImportError as exc:
            assert str(package) in str(exc)
            assert not (tmp / "decks").exists()
            with store.database.connect() as conn:
                assert conn.execute("SELECT count(*) FROM review_log").fetchone()[0] == 0
    finally:
        store.close()
