"""Deck listings line up when a title holds wide characters (a real deck: "🎓 机器学习面试
Hashcards"); before, each CJK character or emoji pushed its row's counts one column right."""

from __future__ import annotations

from studyllm.cli_common import pad, text_width


def test_text_width_counts_terminal_columns():
    assert text_width("Linear Algebra") == 14
    assert text_width("机器学习") == 8
    assert text_width("🎓 ML") == 5
    assert text_width("e\u0301") == 1  # a combining accent takes no column


def test_pad_fills_and_cuts_by_columns():
    assert pad("机器", 6) == "机器  "
    assert text_width(pad("🎓 机器学习面试 Hashcards", 30)) == 30
    assert pad("机器学习", 5) == "机器 "  # a wide character never straddles the edge
    assert pad("abc", 3) == "abc"
