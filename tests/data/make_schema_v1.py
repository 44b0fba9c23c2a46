"""Build ``tests/data/schema_v1.db``: a database written by schema version 1 of studyllm.

Run once per released schema version (keep the old files): the upgrade test opens a copy
of each with the current code and checks every row survives.

    /work/venv/bin/python tests/data/make_schema_v1.py

It uses a frozen clock and fixed seeds, so the content is deterministic apart from the
random log uids. The result is a single self-contained file (journal_mode=DELETE).
"""

from __future__ import annotations

import random
import shutil
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1]))

from studyllm.clock import FrozenClock  # noqa: E402
from studyllm.decks.model import ParsedCard, ParsedDeck  # noqa: E402
from studyllm.store import Store  # noqa: E402
from studyllm.store.importer import import_parsed  # noqa: E402
from studyllm.store.models import SCHEMA_VERSION  # noqa: E402

OUT = HERE / f"schema_v{SCHEMA_VERSION}.db"


def decks() -> list[ParsedDeck]:
    basics = [
        ParsedCard("basic", f"What does layer {i} of a transformer do?", f"Mixes tokens ({i}).",
                   heading_path=("Architecture", "Layers"), line=4 + 2 * i, tags=("arch",))
        for i in range(12)
    ]
    basics.append(ParsedCard("basic", "自编码模型 means?", "An autoencoding model (BERT).", heading_path=("中文",),
                             line=40))
    basics.append(ParsedCard("basic", "BERT is encoder-only?", "Yes.", variant="reverse", heading_path=("Types",),
                             line=42))
    cloze = [
        ParsedCard("cloze", "GPT-3 has {{c1::...}} parameters", "GPT-3 has **175B** parameters",
                   heading_path=("Scale",), line=3, variant="c1", extra={"index": "1", "answers": ["175B"]}),
        ParsedCard("mcq", "Which are decoder-only?", "GPT, LLaMA", heading_path=("Types",), line=8,
                   extra={"choices": [{"text": "GPT", "correct": True}, {"text": "BERT", "correct": False},
                                      {"text": "LLaMA", "correct": True}]}),
        ParsedCard("ordered", "Order the lifecycle stages", "1. scope 2. select 3. adapt 4. deploy",
                   heading_path=("Lifecycle",), line=14, extra={"items": ["scope", "select", "adapt", "deploy"]}),
        ParsedCard("calc", "Memory to train 7B?", "112 GB", heading_path=("Memory",), line=20,
                   extra={"body": "model: 7B\nask: training_memory", "body_line": 21}),
    ]
    gone = [ParsedCard("basic", "A card later removed from its file", "Archived with history.", line=2)]
    return [
        ParsedDeck(path="arch.md", key="arch", title="Architecture", tags=("week1",), cards=basics,
                   options={"new_per_day": 8}, content_hash="v1-arch"),
        ParsedDeck(path="mixed.md", key="mixed", title="Mixed kinds", cards=cloze, content_hash="v1-mixed"),
        ParsedDeck(path="old.md", key="old", title="Old deck", cards=gone, content_hash="v1-old"),
    ]


def build(target: Path) -> None:
    rng = random.Random(1)
    clock = FrozenClock(datetime(2026, 1, 5, 18, 0, tzinfo=UTC), "Europe/Berlin")
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        with Store.open(home, clock=clock) as store:
            for deck in decks():
                assert import_parsed(store, deck, source_path=f"/decks/{deck.path}").ok
            store.set_setting("new_per_day", 15)
            store.set_setting("grading_mode", "four")
            store.set_setting("deck_folders", ["~/notes/decks", "/srv/decks"])
            store.set_setting("rollover_hour", 5)
            # three weeks of study
            for _day in range(21):
                for _ in range(rng.randrange(3, 9)):
                    card = store.next_card()
                    if card is None:
                        break
                    store.answer(card.id, rng.choice((2, 3, 4, 5, 5)), duration_ms=rng.randrange(800, 9000))
                clock.advance(days=1)
            store.undo()
            some = store.next_card()
            store.bury(some.id)
            store.suspend(_first_card(store, "mixed"))
            # the old deck's only card disappears from its file: archived, history kept
            old = decks()[2]
            old.cards = [ParsedCard("basic", "A different card", "New.", line=2)]
            old.content_hash = "v1-old-2"
            assert import_parsed(store, old, source_path="/decks/old.md").ok
        conn = sqlite3.connect(home / "studyllm.db")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode = DELETE")
        conn.execute("VACUUM")
        conn.close()
        shutil.copyfile(home / "studyllm.db", target)


def _first_card(store: Store, key: str) -> int:
    with store.database.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT c.id FROM card c JOIN deck d ON d.id = c.deck_id WHERE d.key = ? ORDER BY c.position LIMIT 1",
            (key,),
        ).scalar_one()


if __name__ == "__main__":
    build(OUT)
    conn = sqlite3.connect(OUT)
    for table in ("deck", "card", "card_state", "review_log", "setting", "meta"):
        print(table, conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    conn.close()
    print(f"wrote {OUT}")
