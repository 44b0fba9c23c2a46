"""`studyllm import` and per-card errors, --strict, --mode and the separators setting (#15)."""

from __future__ import annotations

import json

import pytest

from studyllm.cli import main


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDYLLM_HOME", str(tmp_path / "home"))
    return tmp_path


def run(capsys, *argv):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out


def test_a_skipped_card_is_reported_and_exits_1(home, capsys):
    deck = home / "d.md"
    deck.write_text("Good :: fine\n\nQ: Unfinished\n\nQ: Other?\nA: yes\n")
    code, out = run(capsys, "import", str(deck))
    assert code == 1
    assert "2 new" in out and f"skipped: {deck}:3:1: question has no answer" in out
    assert "1 card(s) skipped" in out


def test_an_unchanged_file_with_a_skipped_card_reports_it_on_every_import(home, capsys):
    deck = home / "d.md"
    deck.write_text("Good :: fine\n\nQ: Unfinished\n\nQ: Other?\nA: yes\n")
    for _ in range(3):  # the file is unchanged after the first import: the skip must still be reported
        code, out = run(capsys, "import", str(deck))
        assert code == 1
        assert out.count(f"skipped: {deck}:3:1: question has no answer") == 1
        assert "1 card(s) skipped" in out
    code, out = run(capsys, "import", "--json", str(deck))
    report = json.loads(out)
    assert code == 1 and report["totals"]["card_errors"] == 1 and report["totals"]["unchanged"] == 2
    assert report["decks"][0]["card_errors"] == [f"{deck}:3:1: question has no answer (hint: add an 'A:' line "
                                                 "after the question)"]
    # fixed: the next import takes the shortcut again once the file is clean
    deck.write_text("Good :: fine\n\nQ: Unfinished\nA: now done\n\nQ: Other?\nA: yes\n")
    assert run(capsys, "import", str(deck))[0] == 0
    code, out = run(capsys, "import", str(deck))
    assert code == 0 and "unchanged file (3 cards)" in out


def test_strict_imports_nothing_from_a_file_with_a_card_error(home, capsys):
    deck = home / "d.md"
    deck.write_text("Good :: fine\n\nQ: Unfinished\n")
    code, out = run(capsys, "import", "--strict", "--json", str(deck))
    report = json.loads(out)
    assert code == 1 and report["totals"]["new"] == 0
    assert report["decks"][0]["errors"] == [f"{deck}:3:1: question has no answer (hint: add an 'A:' line after "
                                            "the question)"]


def test_mode_flag_reads_an_mdanki_deck_and_the_hint_names_it(home, capsys):
    deck = home / "net.md"
    deck.write_text("# Net\n\n## What does TCP add?\n\nOrdering.\n\n## UDP?\n\nNo ordering.\n")
    code, out = run(capsys, "import", str(deck))
    assert code == 0 and "0 new" in out and "in headings mode 2" in out and "--mode headings" in out
    code, out = run(capsys, "import", "--mode", "headings", str(deck))
    assert code == 0 and "2 new" in out


def test_outline_flag_is_an_alias(home, capsys):
    deck = home / "n.md"
    deck.write_text("- Epoch: one pass over the data\n")
    code, out = run(capsys, "import", "--outline", str(deck))
    assert code == 0 and "1 new" in out


def test_separators_setting_applies_to_decks_without_their_own(home, capsys):
    deck = home / "de.md"
    deck.write_text("Hund ;; dog\nKatze ;; cat\n")
    assert run(capsys, "settings", "separators", "inline=;;")[0] == 0
    code, out = run(capsys, "import", str(deck))
    assert code == 0 and "2 new" in out
    assert run(capsys, "settings", "separators", "inline=")[0] != 0  # an empty separator is refused
