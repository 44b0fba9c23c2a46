"""Issue #16's edit table: every ordinary edit of an answered card keeps its history.

Each case writes a real deck file, imports it, answers every card, applies one edit to the
file(s), re-imports, and checks that the card holding the new text is active and carries the
review log of the card it was.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from studyllm.store.importer import import_paths

BASE = """\
---
id: net
title: Networks
---

# Networks

## Transport

Q: Why can UDP be faster than TCP for live video?
A: UDP sends without waiting for lost packets to be retransmitted, so a late frame never blocks the next one.

Q: What does TCP's three-way handshake establish?
A: Both sides agree on initial sequence numbers before any data flows.

## Naming

Q: What does DNS do?
A: Host names into IP addresses, using a hierarchy of name servers.

## Ports

What port does HTTPS use by default? :: Port 443, over TLS.
"""

UDP_Q = "Why can UDP be faster than TCP for live video?"


def _edit(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


# (name, edit of the main file, the front the card has afterwards, the answer marker afterwards)
EDITS = [
    ("typo in the question", lambda t: _edit(t, "live video?", "live vdeo?"),
     "Why can UDP be faster than TCP for live vdeo?"),
    ("typo in the answer", lambda t: _edit(t, "retransmitted", "retransmited"), UDP_Q),
    ("question reworded", lambda t: _edit(t, UDP_Q, "For live video, why is UDP often quicker than TCP?"),
     "For live video, why is UDP often quicker than TCP?"),
    ("answer rewritten", lambda t: _edit(
        t, "UDP sends without waiting for lost packets to be retransmitted, so a late frame never blocks the next one.",
        "There is no head-of-line blocking: a lost datagram is simply skipped and playback moves on."), UDP_Q),
    ("answer shortened to a few words", lambda t: _edit(
        t, "UDP sends without waiting for lost packets to be retransmitted, so a late frame never blocks the next one.",
        "No retransmission waits."), UDP_Q),
    ("card moved under another heading", lambda t: _edit(
        _edit(t, "Q: " + UDP_Q + "\nA: UDP sends without waiting for lost packets to be retransmitted, so a late "
              "frame never blocks the next one.\n\n", ""),
        "## Naming\n", "## Naming\n\nQ: " + UDP_Q + "\nA: UDP sends without waiting for lost packets to be "
        "retransmitted, so a late frame never blocks the next one.\n"), UDP_Q),
    ("cards reordered", lambda t: _edit(
        _edit(t, "Q: " + UDP_Q + "\nA: UDP sends without waiting for lost packets to be retransmitted, so a late "
              "frame never blocks the next one.\n\n", ""),
        "Both sides agree on initial sequence numbers before any data flows.\n",
        "Both sides agree on initial sequence numbers before any data flows.\n\nQ: " + UDP_Q + "\nA: UDP sends "
        "without waiting for lost packets to be retransmitted, so a late frame never blocks the next one.\n"), UDP_Q),
    ("case and punctuation only", lambda t: _edit(t, UDP_Q, "why can udp be faster than tcp, for live video"),
     "why can udp be faster than tcp, for live video"),
    ("syntax changed (:: to Q:/A:)", lambda t: _edit(
        t, "What port does HTTPS use by default? :: Port 443, over TLS.",
        "Q: What port does HTTPS use by default?\nA: Port 443, over TLS.\n"), "What port does HTTPS use by default?"),
    ("both sides lightly edited", lambda t: _edit(
        _edit(t, UDP_Q, "Why can UDP be faster than TCP for live video streams?"),
        "so a late frame never blocks", "so one late frame never blocks"),
     "Why can UDP be faster than TCP for live video streams?"),
    ("DNS answer shortened", lambda t: _edit(t, "Host names into IP addresses, using a hierarchy of name servers.",
                                             "Names to addresses."), "What does DNS do?"),
]


def _fronts_logs(store) -> dict[str, tuple[int, bool, int]]:
    with store.database.connect() as conn:
        return {
            r[0]: (r[1], bool(r[2]), r[3])
            for r in conn.execute(
                "SELECT c.front, c.id, c.archived, (SELECT count(*) FROM review_log l WHERE l.card_id = c.id)"
                " FROM card c")
        }


def _answer_all(store) -> dict[str, int]:
    seen = {}
    while (c := store.next_card()) is not None:
        store.answer(c.id, 5)
        seen[c.front] = c.id
    return seen


def _import(store, *paths: Path):
    report = import_paths(store, list(paths))
    assert report.ok, report.errors
    return report


@pytest.fixture
def deckdir(tmp_path: Path) -> Path:
    d = tmp_path / "decks"
    d.mkdir()
    (d / "net.md").write_text(BASE, encoding="utf-8")
    return d


@pytest.mark.parametrize("name,edit,front", EDITS, ids=[e[0] for e in EDITS])
def test_edit_keeps_history(store, deckdir, name, edit, front):
    path = deckdir / "net.md"
    _import(store, deckdir)
    answered = _answer_all(store)
    assert len(answered) == 4
    before = _fronts_logs(store)
    target = {"What does DNS do?"} if "DNS" in name else {UDP_Q}
    if "syntax" in name:
        target = {"What port does HTTPS use by default?"}
    old_id = before[next(iter(target))][0]
    path.write_text(edit(BASE), encoding="utf-8")
    report = _import(store, deckdir)
    d = report.decks[0]
    assert d.new == 0 and d.archived == 0, (name, d.summary(), [c.as_dict() for c in d.cards])
    after = _fronts_logs(store)
    card_id, archived, logs = after[front]
    assert card_id == old_id and not archived and logs == 1, name
    # nothing else moved: every card still has its one answer
    assert sum(n for _, _, n in after.values()) == 4


def test_moved_to_another_file_of_the_same_folder(store, deckdir):
    _import(store, deckdir)
    _answer_all(store)
    old_id = _fronts_logs(store)[UDP_Q][0]
    block = ("Q: " + UDP_Q + "\nA: UDP sends without waiting for lost packets to be retransmitted, so a late frame "
             "never blocks the next one.\n\n")
    (deckdir / "net.md").write_text(_edit(BASE, block, ""), encoding="utf-8")
    (deckdir / "video.md").write_text("# Video\n\n" + block, encoding="utf-8")
    report = _import(store, deckdir)
    after = _fronts_logs(store)
    card_id, archived, logs = after[UDP_Q]
    assert (card_id, archived, logs) == (old_id, False, 1), [c.as_dict() for d in report.decks for c in d.cards]
    assert len([f for f in after if f == UDP_Q]) == 1
    with store.database.connect() as conn:
        deck = conn.execute(
            "SELECT d.key FROM card c JOIN deck d ON d.id = c.deck_id WHERE c.id = ?", (card_id,)).fetchone()[0]
        state_deck = conn.execute(
            "SELECT s.deck_id = c.deck_id FROM card_state s JOIN card c ON c.id = s.card_id WHERE c.id = ?",
            (card_id,)).fetchone()[0]
    assert deck == "video" and state_deck == 1


@pytest.mark.parametrize("order", ["new file first", "old file first"])
def test_move_between_files_in_either_import_order(store, deckdir, order):
    _import(store, deckdir)
    _answer_all(store)
    old_id = _fronts_logs(store)[UDP_Q][0]
    block = ("Q: " + UDP_Q + "\nA: UDP sends without waiting for lost packets to be retransmitted, so a late frame "
             "never blocks the next one.\n\n")
    other = deckdir / "video.md"
    other.write_text("# Video\n\n" + block, encoding="utf-8")
    net = deckdir / "net.md"
    net.write_text(_edit(BASE, block, ""), encoding="utf-8")
    files = [other, net] if order == "new file first" else [net, other]
    for f in files:  # two separate imports
        _import(store, f)
    card_id, archived, logs = _fronts_logs(store)[UDP_Q]
    assert (card_id, archived, logs) == (old_id, False, 1)


def test_deleted_then_restored(store, deckdir):
    path = deckdir / "net.md"
    _import(store, deckdir)
    _answer_all(store)
    old_id = _fronts_logs(store)["What does DNS do?"][0]
    block = "Q: What does DNS do?\nA: Host names into IP addresses, using a hierarchy of name servers.\n\n"
    path.write_text(_edit(BASE, block, ""), encoding="utf-8")
    r = _import(store, deckdir)
    assert r.decks[0].archived == 1
    assert [c.action for c in r.decks[0].cards] == ["archived"]
    path.write_text(BASE, encoding="utf-8")
    r = _import(store, deckdir)
    assert r.decks[0].restored == 1 and r.decks[0].new == 0
    assert _fronts_logs(store)["What does DNS do?"] == (old_id, False, 1)


def test_identical_questions_never_steal_history(store, tmp_path):
    text = ("# Dup\n\nQ: What is it?\nA: The first answer about attention heads.\n\n"
            "Q: What is it?\nA: A second answer about layer norms.\n")
    p = tmp_path / "dup.md"
    p.write_text(text, encoding="utf-8")
    _import(store, p)
    c = store.next_card()
    assert c is not None and "first" in c.back
    store.answer(c.id, 5)  # only the first one is answered
    first = c.id
    # the answered card's answer is replaced entirely: the same question is not unique, so
    # neither card may take the other's history on that ground
    p.write_text(text.replace("The first answer about attention heads.", "Something else entirely, 42."),
                 encoding="utf-8")
    r = _import(store, p)
    with store.database.connect() as conn:
        rows = {b: (cid, arch, n) for cid, b, arch, n in conn.execute(
            "SELECT c.id, c.back, c.archived, (SELECT count(*) FROM review_log l WHERE l.card_id = c.id) FROM card c")}
    second = rows["A second answer about layer norms."]
    assert second[2] == 0 and not second[1], "the unanswered twin must not get the history"
    assert rows["The first answer about attention heads."] == (first, 1, 1)  # archived with its history
    assert rows["Something else entirely, 42."][2] == 0
    # and it is offered as a possible rewrite for the learner to confirm
    assert [(rw.old_id, rw.new_back) for rw in r.decks[0].rewrites] == [(first, "Something else entirely, 42.")]


def test_unrelated_new_question_is_a_new_card(store, tmp_path):
    p = tmp_path / "t.md"
    p.write_text("# T\n\nQ: Is TCP reliable?\nA: Yes\n", encoding="utf-8")
    _import(store, p)
    _answer_all(store)
    p.write_text("# T\n\nQ: Does UDP have congestion control?\nA: Yes\n", encoding="utf-8")
    r = _import(store, p)
    assert (r.decks[0].new, r.decks[0].archived) == (1, 1)  # a short shared answer is not an identity


def test_report_lists_each_card_with_file_and_line(store, deckdir):
    _import(store, deckdir)
    _answer_all(store)
    text = _edit(BASE, "Port 443, over TLS.", "Port 443 (TLS).")
    text += "\nQ: What is a socket?\nA: An endpoint: an address and a port.\n"
    text = _edit(text, "Q: What does TCP's three-way handshake establish?\nA: Both sides agree on initial sequence "
                 "numbers before any data flows.\n\n", "")
    (deckdir / "net.md").write_text(text, encoding="utf-8")
    r = _import(store, deckdir)
    got = sorted((c.action, c.line, c.front) for c in r.decks[0].cards)
    path = r.decks[0].path
    assert all(c.path == path for c in r.decks[0].cards)
    assert got == [
        ("archived", 13, "What does TCP's three-way handshake establish?"),
        ("new", 22, "What is a socket?"),
        ("updated", 20, "What port does HTTPS use by default?"),
    ]
