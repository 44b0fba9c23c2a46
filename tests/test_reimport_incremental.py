"""Edited re-imports that re-read only the changed segments (issue #23) give exactly what a
full re-import gives.

Two homes get the same sequence of files: one imports them as studyllm does (an edited file
re-reads only its changed segments when it can), the other always parses and matches the
whole file. After every step the two databases hold the same decks, cards (ids, uids, text,
lines, positions, archived or not), card states and links, and the two reports say the same.
Hypothesis drives random edit sequences: answers and questions edited, cards inserted,
deleted, moved and copied, headings renamed, added and removed, the front matter changed, a
code fence toggled (the file leaves the simple shape and comes back), answers run over two
paragraphs, blank lines added; and a few answers given between the steps.
"""

from __future__ import annotations

import random
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from studyllm.decks import segments
from studyllm.decks.parser import parse_deck
from studyllm.store import importer
from studyllm.store.importer import import_paths

OPS = ("edit_a", "edit_q", "insert", "delete", "move", "rename", "heading", "front", "fence", "copy", "para",
       "inline", "blank", "h1", "unheading", "tag", "rule", "none")


def _words(rng: random.Random, n: int) -> str:
    letters = "bcdfghjklmnpqrstvwxz"
    return " ".join("".join(rng.choice(letters) + rng.choice("aeiou") for _ in range(rng.randint(2, 4)))
                    for _ in range(n))


class Deck:
    """A deck file as a list of blocks, rendered with blank lines between them."""

    def __init__(self, rng: random.Random, n: int) -> None:
        self.rng = rng
        self.front: list[str] = ["id: prop-deck"]
        self.fence = False
        self.blocks: list[list] = [["h", 1, "Deck"]]
        for k in range(n):
            if k % 4 == 0:
                self.blocks.append(["h", rng.choice((2, 2, 3)), _words(rng, 2).title()])
            self.blocks.append(self.card())

    def card(self) -> list:
        rng = self.rng
        if rng.random() < 0.2:
            return ["inline", _words(rng, 3), _words(rng, 3)]
        return ["qa", _words(rng, 4) + "?", _words(rng, 5) + ".", ""]

    def cards(self) -> list[int]:
        return [i for i, b in enumerate(self.blocks) if b[0] in ("qa", "inline")]

    def apply(self, op: str) -> None:
        rng, blocks = self.rng, self.blocks
        cards = self.cards()
        pick = rng.choice(cards) if cards else None
        heads = [i for i, b in enumerate(blocks) if b[0] == "h"]
        if op == "edit_a" and pick is not None:
            blocks[pick][2] = _words(rng, 5) + "."
        elif op == "edit_q" and pick is not None:
            blocks[pick][1] = _words(rng, 4) + ("?" if blocks[pick][0] == "qa" else "")
        elif op == "insert":
            blocks.insert(rng.randint(1, len(blocks)), self.card())
        elif op == "delete" and pick is not None:
            del blocks[pick]
        elif op == "move" and pick is not None:
            b = blocks.pop(pick)
            blocks.insert(rng.randint(1, len(blocks)), b)
        elif op == "rename" and heads:
            blocks[rng.choice(heads)][2] = _words(rng, 2).title()
        elif op == "heading":
            blocks.insert(rng.randint(1, len(blocks)), ["h", rng.choice((1, 2, 3)), _words(rng, 2).title()])
        elif op == "unheading" and len(heads) > 1:
            del blocks[rng.choice(heads[1:])]
        elif op == "front":
            if len(self.front) > 1:
                self.front.pop()
            else:
                self.front.append(rng.choice(("tags: [x, y]", "title: Some Title", "new_per_day: 7")))
        elif op == "fence":
            self.fence = not self.fence
        elif op == "copy" and pick is not None:
            blocks.insert(rng.randint(1, len(blocks)), list(blocks[pick]))
        elif op == "para" and pick is not None and blocks[pick][0] == "qa":
            blocks[pick][3] = "" if blocks[pick][3] else _words(rng, 6) + "."
        elif op == "inline":
            blocks.insert(rng.randint(1, len(blocks)), ["inline", _words(rng, 3), _words(rng, 3)])
        elif op == "blank":
            blocks.insert(rng.randint(1, len(blocks)), ["blank"])
        elif op == "h1" and heads:
            i = heads[0]
            blocks[i][2] = _words(rng, 2).title()
        elif op == "tag":
            blocks.insert(rng.randint(1, len(blocks)), ["text", "#" + _words(rng, 1).replace(" ", "")])
        elif op == "rule":
            blocks.insert(rng.randint(1, len(blocks)), ["text", rng.choice(("---", "***", "___"))])
        elif op == "none":
            blocks.insert(rng.randint(1, len(blocks)), ["text", "Some notes: " + _words(rng, 4) + "."])

    def render(self) -> str:
        out = ["---", *self.front, "---", ""] if self.front else []
        for k, b in enumerate(self.blocks):
            kind = b[0]
            if kind == "h":
                out.append("#" * b[1] + " " + b[2])
                if k % 3 == 0:
                    continue  # a card right under its heading, no blank line
            elif kind == "qa":
                out.append(f"Q: {b[1]}\nA: {b[2]}")
                if b[3]:
                    out.append("")
                    out.append(b[3])
            elif kind == "inline":
                out.append(f"{b[1]} :: {b[2]}")
            elif kind == "text":
                out.append(b[1])
            if self.fence and k == len(self.blocks) // 2:
                out.append("")
                out.append("```\ncode\n\nQ: not a card\n```")
            out.append("")
        return "\n".join(out)


def _dump(store, folder: Path) -> dict:
    root = str(folder.resolve())
    with store.database.connect() as conn:
        decks = conn.execute("SELECT id, key, title, replace(source_path, ?, ''), content_hash, tags, options, mode,"
                             " position, archived FROM deck ORDER BY id", (root,)).fetchall()
        cards = conn.execute(
            "SELECT c.id, c.uid, c.deck_id, c.kind, c.variant, c.front, c.back, c.extra, c.heading_path, c.tags,"
            " c.line, c.position, c.content_hash, c.norm_hash, c.archived, c.created_at, c.updated_at, s.position,"
            " s.queue, s.reviews, s.repetitions, s.interval, s.due_day, s.suspended"
            " FROM card c JOIN card_state s ON s.card_id = c.id ORDER BY c.id").fetchall()
        logs = conn.execute("SELECT card_id, card_uid, grade, reviewed_at FROM review_log ORDER BY id").fetchall()
        links = conn.execute("SELECT new_card_id, old_card_id FROM card_link ORDER BY new_card_id").fetchall()
    return {"decks": decks, "cards": cards, "logs": logs, "links": links}


def _report(report, folder: Path) -> list:
    root = str(folder.resolve())
    out = []
    for d in report.decks:
        out.append((d.key, d.title, d.new, d.unchanged, d.updated, d.moved, d.archived, d.restored, d.linked,
                    [str(e).replace(root, "") for e in d.errors], [str(e).replace(root, "") for e in d.warnings],
                    [str(e).replace(root, "") for e in d.card_errors],
                    [{**c.as_dict(), "path": c.path.replace(root, "")} for c in d.cards],
                    [{**r.as_dict(), "path": r.path.replace(root, "")} for r in d.rewrites]))
    return out


@contextmanager
def _whole_file_only():
    with mock.patch.object(importer, "_reimport_segments", lambda *a, **k: None):
        yield


class _Counting:
    def __init__(self) -> None:
        self.real = importer._reimport_segments
        self.taken = 0

    def __call__(self, *a, **k):
        out = self.real(*a, **k)
        self.taken += out is not None
        return out


def _run(tmp_path_factory, clock, seed: int, steps: list[list[str]], group: int) -> int:
    from studyllm.store import Store

    rng = random.Random(seed)
    deck = Deck(rng, rng.randint(3, 14))
    fa, fb = tmp_path_factory.mktemp("inc"), tmp_path_factory.mktemp("full")
    a, b = Store.open(fa / "home", clock=clock), Store.open(fb / "home", clock=clock)
    counting = _Counting()
    try:
        with mock.patch.object(segments, "GROUP", group), \
                mock.patch.object(importer, "_reimport_segments", counting):
            for ops in [[], *steps]:
                for op in ops:
                    deck.apply(op)
                text = deck.render()
                (fa / "deck.md").write_text(text, encoding="utf-8")
                (fb / "deck.md").write_text(text, encoding="utf-8")
                link = "all" if rng.random() < 0.3 else None  # confirm the possible rewrites, or not
                ra = import_paths(a, [fa / "deck.md"], link=link)
                with _whole_file_only():
                    rb = import_paths(b, [fb / "deck.md"], link=link)
                assert _report(ra, fa) == _report(rb, fb), text
                assert _dump(a, fa) == _dump(b, fb), text
                for _ in range(rng.randint(0, 2)):  # answer a card or two, the same in both homes
                    c = a.next_card()
                    if c is None:
                        break
                    grade = rng.choice([2, 4, 5])
                    a.answer(c.id, grade)
                    b.answer(c.id, grade)
                clock.advance(days=rng.randint(0, 2))
    finally:
        a.close()
        b.close()
    return counting.taken


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                   HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 2**32 - 1), group=st.sampled_from([1, segments.GROUP]),
       steps=st.lists(st.lists(st.sampled_from(OPS), min_size=1, max_size=3), min_size=1, max_size=6))
def test_edited_reimport_equals_a_full_reimport(tmp_path_factory, clock, seed, group, steps):
    _run(tmp_path_factory, clock, seed, steps, group)


def test_the_segment_path_is_taken_for_ordinary_edits(tmp_path_factory, clock):
    """Not a test that cannot fail: the ordinary edits of the property test do take the
    segment path (and still equal a full import)."""
    steps = [["edit_a"], ["edit_q"], ["insert"], ["move"], ["rename"], ["para"], ["delete"], ["blank"]]
    assert _run(tmp_path_factory, clock, 7, steps, 1) >= 6


@pytest.mark.parametrize("group", [1, segments.GROUP])
def test_segments_parsed_alone_equal_the_whole_file(group, monkeypatch):
    """Every eligible deck of the repository read segment by segment (each segment blanked
    out of the file in turn) gives the cards the whole file gives, in the same places."""
    monkeypatch.setattr(segments, "GROUP", group)
    root = Path(__file__).resolve().parent.parent
    files = sorted([*root.glob("tests/data/**/*.md"), *root.glob("decks/*.md"), *root.glob("docs/*.md")])
    seen = 0
    for f in files:
        data = f.read_bytes()
        split = segments.split(data, str(f))
        if split is None:
            continue
        whole = parse_deck(data.decode("utf-8-sig"), str(f))
        if whole.errors or whole.warnings or whole.skipped:
            continue
        seen += 1
        got = []
        for i in range(len(split.segments)):
            made = segments.synthetic(data, split, {i})
            assert made is not None
            text, line_map = made
            part = parse_deck(text, str(f))
            assert (part.key, part.title, part.tags, part.options, part.mode) == \
                (whole.key, whole.title, whole.tags, whole.options, whole.mode), f
            got.extend(replace(c, line=segments.file_line(line_map, c.line)) for c in part.cards)
        assert got == whole.cards, f
    assert seen >= 2  # the shipped glossary and reading list at least


def test_refused_shapes():
    for text in ("- a list\n", "Q: a\nA: b\n\n```\ncode\n```\n", "> quote\n", "Q: a\nA: b\n\t\n", "#tag\n",
                 "Q: a\nA: b <!--SR:!2026-01-01,3,250-->\n", "START\nBasic\nx\nEND\n", "a\n===\n", "    code\n",
                 "1. one\n", "<div>\n", "| a | b |\n", "---\nnot: closed\n"):
        assert segments.split(text.encode(), "d.md") is None, text
    ok = segments.split(b"---\nid: x\n---\n\n# T\n\nQ: a\nA: b\n\nQ: c\nA: d\n", "d.md")
    assert ok is not None and len(ok.segments) >= 2


def test_a_deck_changed_between_plan_and_write_falls_back_to_a_full_import(store, tmp_path, monkeypatch):
    p = tmp_path / "d.md"
    p.write_text("# D\n\nQ: one?\nA: 1\n\nQ: two?\nA: 2\n", encoding="utf-8")
    assert import_paths(store, [p]).ok
    p.write_text("# D\n\nQ: one?\nA: 1, edited\n\nQ: two?\nA: 2\n\nQ: three?\nA: 3\n", encoding="utf-8")
    real, calls = importer._segment_plan, []

    def racing(conn, store_, *args):
        out = real(conn, store_, *args)
        calls.append(out is not None)
        with importer.write_tx(store_.database) as w:  # another import lands before the write
            w.execute("UPDATE deck SET updated_at = 'meanwhile'")
        return out

    monkeypatch.setattr(importer, "_segment_plan", racing)
    r = import_paths(store, [p])
    assert calls == [True] and r.ok and (r.decks[0].new, r.decks[0].updated, r.decks[0].unchanged) == (1, 1, 1)
    assert sum(d.total for d in store.decks()) == 3


def test_the_first_edit_after_a_streamed_first_import_reads_only_its_segments(tmp_path, monkeypatch, clock):
    """A new deck is imported as a stream (its cards are not kept in memory); the segment table
    comes from the stored cards, so the first edit does not parse the whole file again."""
    from studyllm.store import Store

    importer_module = importer

    body = "".join(f"## Topic {i}\n\nQ: What is item {i}?\nA: Answer {i}.\n\nterm {i} :: meaning {i}\n\n"
                   for i in range(40))
    deck = tmp_path / "big.md"
    deck.write_text(body, encoding="utf-8")
    store = Store.open(tmp_path / "home", clock=clock)
    try:
        streamed = []
        real_stream = importer_module._import_new_streamed
        monkeypatch.setattr(importer_module, "_import_new_streamed",
                            lambda *a, **k: streamed.append(out := real_stream(*a, **k)) or out)
        import_paths(store, [deck])
        assert streamed and streamed[0] is not None
        parsed_whole = []
        real_parse = importer_module.import_parsed
        monkeypatch.setattr(importer_module, "import_parsed",
                            lambda *a, **k: parsed_whole.append(1) or real_parse(*a, **k))
        deck.write_text(body.replace("A: Answer 7.", "A: Answer seven."), encoding="utf-8")
        report = import_paths(store, [deck])
        assert report.totals()["new"] == 0 and report.totals()["updated"] == 1
        assert parsed_whole == []
    finally:
        store.close()
def test_the_parsers_limits_hold_on_the_segment_path(store, tmp_path, monkeypatch):
    from studyllm.decks import _limits

    p = tmp_path / "d.md"
    cards = "".join(f"\nQ: question number {k}?\nA: answer {k}\n" for k in range(4))
    p.write_text("# D\n" + cards, encoding="utf-8")
    assert import_paths(store, [p]).ok
    monkeypatch.setattr(_limits, "MAX_CARDS", 4)
    p.write_text("# D\n" + cards + "\nQ: one more?\nA: yes\n", encoding="utf-8")
    r = import_paths(store, [p])
    assert not r.ok and "more than 4 cards" in str(r.errors[0])
    monkeypatch.setattr(_limits, "MAX_CARDS", 50_000)
    monkeypatch.setattr(_limits, "MAX_LINES", 10)
    # 12 lines of text, as the parser counts them
    assert segments.split(p.read_bytes(), str(p), max_bytes=_limits.MAX_FILE_BYTES) is None
    r = import_paths(store, [p])
    assert not r.ok and "lines of text" in str(r.errors[0])
