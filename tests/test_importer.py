"""Import sync: progress kept across edits, archive and restore, one transaction per file."""

import importlib
from dataclasses import replace

from studyllm.decks.model import DeckError, ParsedCard, ParsedDeck
from studyllm.store.importer import import_parsed

CARDS = [
    ParsedCard("basic", "What does top-k sampling keep?", "The k most likely tokens.", ("Sampling",), line=3),
    ParsedCard("basic", "What does temperature divide?", "The logits, before the softmax.", ("Sampling",), line=6),
    ParsedCard("basic", "How many bytes does one fp32 parameter take?", "4 bytes.", ("Memory",), line=10),
    ParsedCard("basic", "Which model family is BERT?", "Encoder-only (autoencoding).", ("Types",), line=14),
]


def deck(cards, key="course", h="h1"):
    return ParsedDeck(path="course.md", key=key, title="Course", cards=list(cards), content_hash=h)


def sync(store, cards, **kw):
    r = import_parsed(store, deck(cards, **kw), source_path="/nonexistent/course.md")
    assert r.ok, r.errors
    return r


def studied(store):
    """Answer every new card once; return {front: card id}."""
    ids = {}
    while (c := store.next_card()) is not None:
        store.answer(c.id, 5)
        ids[c.front] = c.id
    return ids


def card_ids(store):
    with store.database.connect() as conn:
        return {r[0]: (r[1], r[2]) for r in conn.execute("SELECT front, id, archived FROM card")}


def test_first_import_and_unchanged(store):
    r = sync(store, CARDS)
    assert (r.new, r.unchanged, r.updated, r.archived) == (4, 0, 0, 0)
    r = sync(store, CARDS)
    assert (r.new, r.unchanged, r.updated, r.archived) == (0, 4, 0, 0)


def test_typo_fix_keeps_progress(store):
    sync(store, CARDS)
    ids = studied(store)
    edited = list(CARDS)
    edited[0] = replace(CARDS[0], front="what does Top-K sampling keep")  # case + punctuation only
    r = sync(store, edited, h="h2")
    assert (r.new, r.updated, r.archived) == (0, 1, 0)
    view = store.card(ids[CARDS[0].front])
    assert view.front == "what does Top-K sampling keep"
    assert view.reviews == 1


def test_rewording_keeps_progress(store):
    sync(store, CARDS)
    ids = studied(store)
    edited = list(CARDS)
    edited[1] = replace(CARDS[1], front="What does the temperature divide?",
                        back="The logits, just before the softmax.")
    r = sync(store, edited, h="h2")
    assert (r.new, r.updated, r.archived) == (0, 1, 0)
    assert store.card(ids[CARDS[1].front]).reviews == 1


def test_different_question_is_a_new_card(store):
    sync(store, CARDS)
    studied(store)
    edited = list(CARDS)
    edited[2] = replace(CARDS[2], front="What is the context window of a model?", back="The tokens it can attend to.")
    r = sync(store, edited, h="h2")
    assert (r.new, r.updated, r.archived) == (1, 0, 1)


def test_moving_under_another_heading_keeps_identity(store):
    sync(store, CARDS)
    ids = studied(store)
    moved = [CARDS[0], CARDS[1], CARDS[2], replace(CARDS[3], heading_path=("Model types", "Encoders"), line=40)]
    r = sync(store, moved, h="h2")
    assert (r.new, r.moved, r.archived) == (0, 1, 0)
    view = store.card(ids[CARDS[3].front])
    assert view.heading_path == ("Model types", "Encoders") and view.reviews == 1 and view.line == 40


def test_delete_then_restore_brings_history_back(store, clock):
    sync(store, CARDS)
    ids = studied(store)
    r = sync(store, CARDS[1:], h="h2")
    assert r.archived == 1
    gone = ids[CARDS[0].front]
    assert store.card(gone).state_name == "archived"
    clock.advance(days=30)
    assert gone not in [store.next_card().id]
    r = sync(store, CARDS, h="h3")
    assert (r.new, r.restored) == (0, 1)
    view = store.card(gone)
    assert view.state_name != "archived" and view.reviews == 1
    assert len(store.history(gone)) == 1


def test_uids_are_stable_across_machines(store, clock):
    from studyllm.store import Store

    sync(store, CARDS)
    other = Store.memory(clock=clock)
    import_parsed(other, deck(CARDS), source_path="/elsewhere/course.md")
    def uids(s: Store) -> list[str]:
        return sorted(r[0] for r in s.database.connect().execute("SELECT uid FROM card"))
    assert uids(store) == uids(other)
    other.close()


def test_duplicate_cards_get_distinct_identities(store):
    r = sync(store, [CARDS[0], CARDS[0]])
    assert r.new == 2
    r = sync(store, [CARDS[0], CARDS[0]], h="h2")
    assert (r.new, r.unchanged) == (0, 2)


def test_file_with_errors_changes_nothing(store):
    sync(store, CARDS)
    broken = deck(CARDS[:1], h="h2")
    broken.errors.append(DeckError("Q: without A:", path="course.md", line=3))
    r = import_parsed(store, broken, source_path="/nonexistent/course.md")
    assert not r.ok and r.archived == 0
    assert len(card_ids(store)) == 4 and all(not a for _, a in card_ids(store).values())


def test_dry_run_changes_nothing(store):
    r = import_parsed(store, deck(CARDS), source_path="/x/course.md", dry_run=True)
    assert r.new == 4
    assert card_ids(store) == {}
    assert store.decks() == []


def test_deck_id_clash_between_two_existing_files(store, tmp_path):
    a, b = tmp_path / "a.md", tmp_path / "b.md"
    a.write_text("x")
    b.write_text("y")
    assert import_parsed(store, deck(CARDS), source_path=str(a)).ok
    r = import_parsed(store, deck(CARDS[:1]), source_path=str(b))
    assert not r.ok and "already used" in str(r.errors[0])
    assert len(card_ids(store)) == 4


def test_moved_file_takes_over_its_deck(store, tmp_path):
    assert import_parsed(store, deck(CARDS), source_path=str(tmp_path / "gone.md")).ok
    r = import_parsed(store, deck(CARDS, h="h2"), source_path=str(tmp_path / "new.md"))
    assert r.ok and r.unchanged == 4


# ---------------------------------------------------------------- real files through the parser

def test_import_files_and_skip_unchanged(store, tmp_path):
    importlib.import_module("studyllm.decks.parser")
    from studyllm.store.importer import import_paths

    f = tmp_path / "deck.md"
    f.write_text("---\ntitle: Demo\nid: demo\n---\n\n## Terms\n\n"
                 "Q: What is a prompt?\nA: The text given to the model.\n\n"
                 "Q: What is a completion?\nA: The text the model produces.\n", encoding="utf-8")
    r = import_paths(store, [tmp_path])
    assert r.ok and r.totals()["new"] == 2
    r = import_paths(store, [f])
    assert r.decks[0].skipped and r.decks[0].unchanged == 2
    f.write_text(f.read_text().replace("produces", "writes back"), encoding="utf-8")
    r = import_paths(store, [f])
    assert not r.decks[0].skipped and r.totals()["updated"] == 1 and r.totals()["new"] == 0


def test_missing_path_is_an_error(store, tmp_path):
    from studyllm.store.importer import import_paths

    r = import_paths(store, [tmp_path / "nope.md"])
    assert not r.ok and "no such file" in str(r.errors[0])


def test_anki_text_export_imports_as_a_deck(store, tmp_path):
    from studyllm.store.importer import import_paths

    f = tmp_path / "Sampling.txt"
    f.write_text("#separator:tab\n#html:true\n#guid column:3\n"
                 "What is top-p?\tSampling from the smallest set of tokens whose probability adds up to p.\tg1\n"
                 "What is BERT?\tAn <b>encoder-only</b> model.\tg2\n", encoding="utf-8")
    r = import_paths(store, [f])
    assert r.ok and r.totals()["new"] == 2
    card = store.next_card()
    assert card.front == "What is top-p?"
    r = import_paths(store, [f])
    assert r.decks[0].skipped


def test_oversize_file_is_refused_before_reading(store, tmp_path):
    from studyllm.store.importer import import_paths

    store.set_setting("max_deck_mb", 1)
    f = tmp_path / "big.md"
    f.write_bytes(b"Q: x\nA: y\n\n" * 200_000)  # 2.2 MB
    r = import_paths(store, [f])
    assert not r.ok and "byte limit" in str(r.errors[0]) and "big.md" in str(r.errors[0])
    assert store.decks() == []


def _cache_size(store):
    with store.database.connect() as conn:
        return conn.execute("PRAGMA cache_size").fetchone()[0]


def test_bulk_import_grows_the_page_cache_only_for_its_transaction(store, monkeypatch):
    """A big import lets the connection's page cache hold the card indexes while it writes
    (see db.grow_page_cache), and the pooled connection gets its usual size back after the
    commit, and after a rollback."""
    from studyllm.store import db, importer

    default = _cache_size(store)
    seen = []
    real_grow = db.grow_page_cache

    def spy(conn, cards):
        real_grow(conn, cards)
        seen.append((cards, conn.execute("PRAGMA cache_size").fetchone()[0]))

    monkeypatch.setattr(importer, "grow_page_cache", spy)
    many = [ParsedCard("basic", f"question {i}?", f"answer {i}.", ("Bulk",), line=i + 1) for i in range(1500)]
    r = sync(store, many)
    assert r.new == 1500
    assert seen and seen[0][1] < 0 and -seen[0][1] > abs(default) * (4 if default > 0 else 1)
    assert _cache_size(store) == default
    # a file with errors rolls back: the size is put back too
    # (other cards: a deck holding the same cards as one whose file is gone would take it over)
    bad = deck([replace(c, front=c.front + " (other deck)") for c in many], key="other", h="h9")

    def failing_write(conn, store_, plan):
        real_write(conn, store_, plan)
        raise RuntimeError("boom")

    real_write = importer._write
    monkeypatch.setattr(importer, "_write", failing_write)
    try:
        import_parsed(store, bad, source_path="/nonexistent/other.md")
    except RuntimeError:
        pass
    assert len(seen) == 2
    assert _cache_size(store) == default
    with store.database.connect() as conn:
        assert conn.execute("SELECT count(*) FROM card").fetchone()[0] == 1500


def test_grow_page_cache_never_shrinks_and_is_capped(store):
    from studyllm.store.db import BULK_CACHE_MAX_KIB, grow_page_cache, write_tx

    with write_tx(store.database) as conn:
        grow_page_cache(conn, 10_000_000)
        assert conn.execute("PRAGMA cache_size").fetchone()[0] == -BULK_CACHE_MAX_KIB
        grow_page_cache(conn, 10)  # smaller: left as is
        assert conn.execute("PRAGMA cache_size").fetchone()[0] == -BULK_CACHE_MAX_KIB
    assert _cache_size(store) == -2000
