"""Nothing from a file, an export or the database acts on the terminal.

A hostile deck (OSC 52 clipboard writes, OSC 2 window titles, ``ESC[2J``, a window-resize
CSI, 8-bit C1 controls, bidi overrides, in its title, front matter, tags, card text and
file name) and a hostile progress export (uids and deck keys made of escapes) go through
every command and every screen; the test reads the bytes actually written: the commands'
stdout/stderr from a subprocess, and the TUI's output from ``tmux pipe-pane``.

The one sanitiser is :func:`studyllm.textsafe.clean`; its unit tests come first.
"""

from __future__ import annotations

import ast
import json
import os
import pty
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from conftest import TMUX, tmux_cmd, tmux_kill, tmux_wait

from studyllm.textsafe import clean, is_clean

ROOT = Path(__file__).resolve().parents[1]

# Markers inside escape sequences: the sanitiser removes the whole sequence, so none of them
# may ever reach the terminal (in "visible" mode they appear, escaped, next to a backslash).
SEQUENCE_MARKERS = ("TITLEPWN", "Q0xJUFBXTg", "C1PWN", "TAGPWN", "RlJPTlRQV04", "BACKPWN", "H1PWN")
ESC = "\x1b"


# ------------------------------------------------------------------ the sanitiser itself
@pytest.mark.parametrize("text, expected", [
    ("a\x1b]52;c;cm0gLXJmIH4=\x07b", "ab"),  # OSC 52 (clipboard), BEL-terminated
    ("a\x1b]2;title\x1b\\b", "ab"),  # OSC 2 (window title), ST-terminated
    ("a\x1b[2Jb\x1b[8;12;34tc", "abc"),  # clear screen, resize window
    ("a\x1b[38;5;196mred\x1b[0m", "ared"),  # SGR
    ("a\x9b2Jb\x9d0;t\x9cc", "abc"),  # 8-bit CSI and OSC
    ("a\x1bcb", "ab"),  # ESC c: full reset
    ("a\x1bPq#0;2;0;0;0\x1b\\b", "ab"),  # DCS (sixel)
    ("a\u202eevil\u202c\u2066x\u2069", "aevilx"),  # bidi overrides and isolates
    ("tab\tnew\nline", "tab\tnew\nline"),  # kept
    ("cr\r\x00nul\x7fdel\x85nel", "crnuldelnel"),
    ("CJK 自编码 é\u0301 emoji 🙂", "CJK 自编码 é\u0301 emoji 🙂"),
    ("open \x1b]2;never closed\nnext line", "open \nnext line"),  # an unterminated string stops at its line
])
def test_clean_removes_escape_sequences_and_controls(text, expected):
    assert clean(text) == expected
    assert is_clean(clean(text))


def test_clean_takes_any_object_and_is_idempotent():
    assert clean(ValueError("bad \x1b[2J value")) == "bad  value"
    once = clean("x\x1b]0;t\x07\x9by\u202e")
    assert clean(once) == once


def test_visible_mode_shows_every_control_escaped():
    text = "evil\x1b]2;t\x07\nname\u202e\x9b.md"
    shown = clean(text, escape="visible")
    assert shown == "evil\\x1b]2;t\\x07\\nname\\u202e\\x9b.md"
    assert shown.isprintable()
    assert clean("plain name.md", escape="visible") == "plain name.md"


def test_json_mode_keeps_the_document_and_its_meaning():
    value = {"title": "t\x1b]52;c;x\x07 \x9b2J \u202e \x7f 自", "n": [1, "\x85"]}
    text = clean(json.dumps(value, ensure_ascii=False, indent=2), escape="json")
    assert json.loads(text) == value
    assert is_clean(text.replace("\n", ""))
    assert "自" in text  # readable text stays readable


def test_ui_text_clean_is_the_same_function():
    from studyllm.ui import text

    assert text.clean is clean


def test_cli_modules_print_only_through_the_sanitiser():
    """``print`` appears in the CLI modules only inside ``echo``/``echo_json``/``status``."""
    allowed = {"echo", "echo_json", "status"}
    names = sorted(p.name for p in (ROOT / "studyllm").glob("cli*.py"))
    assert {"cli.py", "cli_common.py", "cli_progress.py", "cli_backup.py", "cli_calc.py"} <= set(names)
    for name in names:  # every CLI module, including ones added later
        tree = ast.parse((ROOT / "studyllm" / name).read_text(encoding="utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print":
                    assert func.name in allowed, f"{name}:{node.lineno}: print() in {func.name}"
                if isinstance(node, ast.Attribute) and node.attr == "write" and isinstance(node.value, ast.Attribute):
                    assert not (isinstance(node.value.value, ast.Name) and node.value.value.id == "sys"), (
                        f"{name}:{node.lineno}: sys.{node.value.attr}.write bypasses the sanitiser")


# ------------------------------------------------------------------ a hostile home
HOSTILE_DIR = "decks\x1b]2;DIRPWN\x07"
HOSTILE_FILE = "evil\x1b]2;FNAMEPWN\x07\u202e\x9bname.md"
YAML_TITLE = ("Evil \\e]52;c;Q0xJUFBXTg==\\a\\e]2;TITLEPWN\\a\\e[2J\\e[8;12;34t\\x9b2J\\x9d2;C1PWN\\x9c"
              "\\u202eRTL VISIBLE-TITLE")
HOSTILE_DECK = f"""---
title: "{YAML_TITLE}"
tags: ["tag\\e]2;TAGPWN\\a", "\\u202eright"]
---

Q: Front \x1b]52;c;RlJPTlRQV04=\x07 \x1b[8;12;34t VISIBLE-FRONT
A: Back \x1b]2;BACKPWN\x07 VISIBLE-BACK

Q: Second \x9b2J question
A: Second answer \u202eoverride
"""
H1_DECK = "# H1 \x1b]2;H1PWN\x07\x1b[2J VISIBLE-H1\n\nQ: q1 \x1b[2J\nA: a1\n"


def assert_terminal_safe(data: bytes, where: str) -> None:
    """No byte that a terminal acts on: C0 controls other than newline and tab, DEL, C1, bidi."""
    text = data.decode("utf-8", errors="strict")
    bad = sorted({f"U+{ord(ch):04X}" for ch in text if ch not in "\n\t" and not is_clean(ch)})
    assert not bad, f"{where}: wrote {bad}: {text[:400]!r}"


def run_cli(home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "STUDYLLM_HOME": str(home), "COLUMNS": "100"}
    return subprocess.run([sys.executable, "-m", "studyllm", "--home", str(home), *args],
                          capture_output=True, env=env, cwd=cwd, timeout=120)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    from studyllm.store import Store
    from studyllm.store.importer import import_paths

    base = tmp_path_factory.mktemp("hostile")
    decks = base / HOSTILE_DIR
    decks.mkdir()
    (decks / HOSTILE_FILE).write_text(HOSTILE_DECK, encoding="utf-8")
    (decks / "h1.md").write_text(H1_DECK, encoding="utf-8")
    (decks / "broken.md").write_bytes(b"---\ntitle: [\x1b]2;ERRPWN\x07\n---\nQ: x\n")
    home = base / "home"
    store = Store.open(home)
    try:
        report = import_paths(store, [decks])
        assert report.decks and any(d.title and "VISIBLE-TITLE" in d.title for d in report.decks)
        store.set_setting("deck_folders", [str(decks)])
        card = store.next_card()
        assert card is not None and "VISIBLE-FRONT" in card.front
        store.answer(card.id, 4)  # a review, so stats and exports list the deck
        keys = [d.key for d in store.decks()]
    finally:
        store.close()
    # an export whose ids and keys are escape sequences, for cards this home doesn't know
    evil = "x\x1b]52;c;RVhQUFdO\x07\x1b]2;EXPPWN\x07\u202e\x9b"
    export = {
        "format": "studyllm-progress", "version": 1, "schema_version": 1, "app_version": "0",
        "exported_at": "2026-03-02T11:00:00+00:00", "today": "2026-03-02",
        "decks": [{"key": f"deck{evil}", "title": f"T{evil}", "source_path": f"/p/{evil}.md",
                   "content_hash": "h", "tags": [], "options": {}, "mode": "cards", "archived": False}],
        "cards": {"columns": ["uid", "deck_key", "content_hash", "front"],
                  "rows": [[f"uid{evil}", f"deck{evil}", "h", f"front{evil}"]]},
        "card_states": {"columns": ["card_uid"], "rows": [[f"uid{evil}"]]},
        "review_log": {"columns": ["uid", "card_uid", "reviewed_at", "day", "grade"],
                       "rows": [[f"log{evil}", f"uid{evil}", "2026-03-02T11:00:00+00:00", "2026-03-02", 4]]},
    }
    (base / "evil-export.json").write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
    bad = dict(export, review_log={"columns": ["uid", "card_uid", "reviewed_at", "day", "grade"],
                                   "rows": [[f"log{evil}", f"uid{evil}", f"when{evil}", "2026-03-02", 4]]})
    (base / "bad-export.json").write_text(json.dumps(bad, ensure_ascii=False), encoding="utf-8")
    return {"base": base, "decks": decks, "home": home, "keys": keys}


COMMANDS = [
    ("import", "{decks}"),
    ("import", "--dry-run", "--force", "{decks}"),
    ("import", "--json", "--force", "{decks}"),
    ("import", "{decks}/missing\x1b]2;ARGPWN\x07.md"),
    ("due",),
    ("due", "--json"),
    ("stats",),
    ("stats", "--json"),
    ("stats", "--days", "365"),
    ("export", "-o", "-"),
    ("export", "-o", "{base}/out.json"),
    ("export", "-f", "csv", "-o", "{base}/csv"),
    ("export", "-f", "anki-tsv", "-o", "{base}/out.tsv"),
    ("export", "-f", "apkg", "-o", "{base}/out.apkg"),
    ("export", "-f", "anki-tsv", "--deck", "nope", "-o", "-"),
    ("import-progress", "{base}/evil-export.json"),
    ("import-progress", "--dry-run", "{base}/evil-export.json"),
    ("import-progress", "--json", "{base}/evil-export.json"),
    ("import-progress", "{base}/bad-export.json"),
    ("import-progress", "{base}/csv"),
    ("settings",),
    ("settings", "deck_folders"),
    ("backup", "--create"),
    ("backup", "--verify"),
    ("backup", "--restore", "nothing\x1b]2;ARGPWN\x07"),
]


@pytest.mark.slow
@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c)[:40].encode("unicode_escape").decode())
def test_every_command_writes_no_escape_sequence(hostile, command):
    args = [a.format(decks=hostile["decks"], base=hostile["base"]) for a in command]
    proc = run_cli(hostile["home"], *args)
    assert b"Traceback" not in proc.stderr, proc.stderr.decode(errors="replace")
    assert_terminal_safe(proc.stdout, f"{' '.join(command)} stdout")
    assert_terminal_safe(proc.stderr, f"{' '.join(command)} stderr")
    if "--json" in command or command[:3] == ("export", "-o", "-"):
        json.loads(proc.stdout)  # still valid JSON


@pytest.mark.slow
def test_json_output_keeps_the_data_exactly(hostile):
    out = json.loads(run_cli(hostile["home"], "due", "--json").stdout)
    titles = [d["title"] for d in out["decks"]]
    assert any(t.startswith("Evil \x1b]52;c;Q0xJUFBXTg==\x07") and "\u202eRTL" in t for t in titles)
    data = json.loads(run_cli(hostile["home"], "export", "-o", "-").stdout)
    assert any("\x9b2J" in row[6] for row in data["cards"]["rows"])  # the C1 control, as data


@pytest.mark.slow
def test_listings_show_what_the_hostile_export_holds_escaped(hostile):
    proc = run_cli(hostile["home"], "import-progress", "--dry-run", str(hostile["base"] / "evil-export.json"))
    out = proc.stdout.decode()
    assert proc.returncode == 0, proc.stderr
    assert "uidx\\x1b]52;c;RVhQUFdO\\x07\\x1b]2;EXPPWN\\x07\\u202e\\x9b" in out  # readable, inert
    proc = run_cli(hostile["home"], "import-progress", str(hostile["base"] / "bad-export.json"))
    assert proc.returncode == 1 and b"reviewed_at" in proc.stderr


@pytest.mark.slow
def test_anki_tsv_to_a_terminal_is_cleaned_but_piped_is_exact(hostile):
    piped = run_cli(hostile["home"], "export", "-f", "anki-tsv", "-o", "-")
    assert piped.returncode == 0
    assert b"\x1b]52;c;RlJPTlRQV04=\x07" in piped.stdout  # data into a pipe or file: exact
    main, child = pty.openpty()
    env = {**os.environ, "STUDYLLM_HOME": str(hostile["home"])}
    proc = subprocess.Popen([sys.executable, "-m", "studyllm", "export", "-f", "anki-tsv", "-o", "-"],
                            stdout=child, stderr=subprocess.PIPE, env=env)
    os.close(child)
    chunks = []
    while True:
        try:
            chunk = os.read(main, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(main)
    assert proc.wait(timeout=60) == 0, proc.stderr.read() if proc.stderr else ""
    shown = b"".join(chunks).replace(b"\r\n", b"\n")  # the terminal's own newline translation
    assert b"VISIBLE-FRONT" in shown
    assert_terminal_safe(shown, "export -f anki-tsv -o - on a terminal")


# ------------------------------------------------------------------ the TUI, in a real terminal
HOME = "s Study all"  # home's key bar: no other screen shows it


@pytest.mark.slow
@pytest.mark.skipif(TMUX is None, reason="tmux is not installed")
def test_every_screen_writes_no_escape_sequence_from_the_data(hostile, tmp_path):
    """Home, study (front, back, session bar, title), browse (list, detail, tag filter), stats,
    import (file tree, preview report), settings (deck folders) and a notification quoting the
    hostile file name, with every byte the app wrote captured by ``tmux pipe-pane``."""
    session = f"safety-{uuid.uuid4().hex[:8]}"
    capture = tmp_path / "pane.bin"
    editor = tmp_path / "editor.sh"
    editor.write_text("#!/bin/sh\nexit 0\n")
    editor.chmod(0o755)
    cmd = (f"sleep 1; cd '{tmp_path}' && exec env TERM=xterm-256color EDITOR='{editor}' "
           f"{sys.executable} -m studyllm --home '{hostile['home']}'")
    os.symlink(hostile["decks"], tmp_path / "hostile-decks")
    try:
        tmux_cmd("new-session", "-d", "-s", session, "-x", "120", "-y", "60", cmd)
        tmux_cmd("pipe-pane", "-o", "-t", session, f"cat >> '{capture}'")
        tmux_wait(session, "VISIBLE-TITLE")
        tmux_wait(session, "answered")
        keys = [
            ("s", "Second"), ("Space", "Second answer"), ("e", "unchanged"),  # edit: a toast names the file
            ("Escape", HOME),
            ("b", "VISIBLE-FRONT"), ("Down", "VISIBLE"), ("Escape", HOME),
            ("t", "Last 365 days"), ("Escape", HOME),
            ("i", "Files"),
        ]
        for key, expect in keys:
            tmux_cmd("send-keys", "-t", session, key)
            tmux_wait(session, expect)
        tmux_cmd("send-keys", "-t", session, "-l", "hostile-decks")
        tmux_cmd("send-keys", "-t", session, "Enter")
        tmux_wait(session, "Dry run")
        tmux_cmd("send-keys", "-t", session, "Escape")
        tmux_wait(session, HOME)
        tmux_cmd("send-keys", "-t", session, ",")
        tmux_wait(session, "Deck folders")
        time.sleep(0.5)
        tmux_cmd("send-keys", "-t", session, "Escape")
        tmux_wait(session, HOME)
        tmux_cmd("send-keys", "-t", session, "q")
        time.sleep(1.0)
    finally:
        tmux_kill(session)
    data = capture.read_bytes()
    assert len(data) > 10_000, "pipe-pane captured too little"
    text = data.decode("utf-8", errors="replace")
    # before the app starts, the start-up scan's warnings name the files with their escapes
    # shown as text (\\x1b); from the app's alternate screen on, sequences are removed whole
    before, switch, app_output = text.partition("\x1b[?1049h")
    assert switch, "the app never started"
    for marker in (*SEQUENCE_MARKERS, "DIRPWN", "FNAMEPWN"):
        assert marker not in app_output, f"{marker} reached the terminal"
        assert not re.search(f"(\x1b\\]|\x9d)[^\x07\x1b\x9c]*{marker}", text), f"{marker} in a live sequence"
    for seq in ("\x1b]52", "\x1b]2;", "\x1b]0;", "\x1b[8;12;34t"):
        assert seq not in text, f"{seq!r} reached the terminal"
    c1_or_bidi = sorted({f"U+{ord(ch):04X}" for ch in text
                         if 0x80 <= ord(ch) <= 0x9F or 0x202A <= ord(ch) <= 0x202E or 0x2066 <= ord(ch) <= 0x2069})
    assert not c1_or_bidi, c1_or_bidi
