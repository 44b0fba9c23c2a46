"""Anki packages come in with their history: both layouts, the states and the revlog, re-import
changes nothing, and bad packages change nothing. The interop tests build the collection with
Anki's own backend (pip ``anki``) and skip without it."""

from __future__ import annotations

import json
import sqlite3
import time
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest

from studyllm.store import Store
from studyllm.store.anki_import import AnkiImportError, import_package


def _anki_collection(tmp: Path) -> tuple[Path, Path, dict]:
    anki_collection = pytest.importorskip("anki.collection")
    from anki.decks import DeckId

    col = anki_collection.Collection(str(tmp / "c.anki2"))
    did = col.decks.id("Lang::French")
    basic, rev, cloze = (col.models.by_name(n) for n in ("Basic", "Basic (and reversed card)", "Cloze"))
    n = col.new_note(basic)
    # a field of many lines: the notes after it must still be found on their own lines
    n["Front"] = "<b>chat</b> <script>alert(1)</script>"
    n["Back"] = "cat<br>feline<br>a<br>b<br>c<br>d<br>e<br>f<br>g <img src='x.png'>"
    col.add_note(n, DeckId(did))
    n = col.new_note(rev)
    n["Front"], n["Back"] = "chien", "dog [sound:a b.mp3]"
    col.add_note(n, DeckId(did))
    n = col.new_note(cloze)
    n["Text"] = "{{c1::Paris}} is in {{c2::France}}"
    col.add_note(n, DeckId(col.decks.id("Geo")))
    (tmp / "x.png").write_bytes(b"\x89PNG not really")
    col.media.add_file(str(tmp / "x.png"))
    (tmp / "a b.mp3").write_bytes(b"ID3 not really")
    col.media.add_file(str(tmp / "a b.mp3"))
    ids = col.db.list("select id from cards order by id")
    today = col.sched.today
    for k, cid in enumerate(ids[:4]):
        col.db.execute("update cards set type=2, queue=2, due=?, ivl=?, factor=?, reps=3, lapses=? where id=?",
                       today + k + 2, 5 + k, 2300 + 100 * k, k % 2, cid)
        for j in range(3):
            rid = int((time.time() - 86400 * (10 - 3 * j)) * 1000) + k
            col.db.execute("insert into revlog (id,cid,usn,ease,ivl,lastIvl,factor,time,type)"
                           " values (?,?,?,?,?,?,?,?,?)",
                           rid, cid, -1, 3 if j else 1, j + 1, j, 2500, 4000 + j, 1 if j else 0)
    col.sched.suspend_cards([ids[1]])
    col.sched.bury_cards([ids[2]])
    opts = anki_collection.ExportAnkiPackageOptions
    legacy, current = tmp / "legacy.apkg", tmp / "current.apkg"
    col.export_anki_package(out_path=str(legacy), options=opts(with_scheduling=True, with_media=True, legacy=True),
                            limit=None)
    col.export_anki_package(out_path=str(current), options=opts(with_scheduling=True, with_media=True, legacy=False),
                            limit=None)
    expect = {}
    for cid, nid, ord_, queue, due, ivl, factor, lapses in col.db.all(
            "select c.id, c.nid, c.ord, c.queue, c.due, c.ivl, c.factor, c.lapses from cards c"):
        guid = col.db.scalar("select guid from notes where id = ?", nid)
        revs = col.db.scalar("select count(*) from revlog where cid = ?", cid)
        expect[(guid, ord_)] = {"queue": queue, "due_in": due - today, "ivl": ivl, "ef": factor // 10 or 250,
                                "lapses": lapses, "revlog": revs}
    col.close()
    return legacy, current, expect


@pytest.mark.parametrize("layout", ["legacy", "current"])
def test_an_anki_export_arrives_with_every_review_and_state(tmp_path, layout):
    started = time.monotonic()
    legacy, current, expect = _anki_collection(tmp_path)
    package = legacy if layout == "legacy" else current
    decks = tmp_path / "decks"
    store = Store.open(tmp_path / "home")
    try:
        report = import_package(store, package, into=decks)
        assert report.cards == report.cards_matched == len(expect) == 5
        assert report.reviews_imported == sum(e["revlog"] for e in expect.values()) == 12
        assert (decks / "Lang" / "French.md").is_file() and (decks / "Geo.md").is_file()
        assert (decks / "Lang" / "media" / "x.png").read_bytes() == b"\x89PNG not really"
        text = (decks / "Lang" / "French.md").read_text()
        assert "<script>" not in text and "alert(1)" in text and "](media/x.png)" in text
        assert "[a b.mp3](media/a%20b.mp3)" in text and (decks / "Lang" / "media" / "a b.mp3").is_file()
        today = store.today()
        con = sqlite3.connect(tmp_path / "home" / "studyllm.db")
        rows = con.execute(
            "SELECT a.guid, a.ord, s.queue, s.due_day, s.interval, s.ef_centi, s.lapses, s.suspended, s.buried_until,"
            " (SELECT count(*) FROM review_log r WHERE r.card_id = s.card_id AND r.uid LIKE 'anki:%')"
            " FROM anki_card a JOIN card_state s ON s.card_id = a.card_id").fetchall()
        assert len(rows) == 5
        mismatches = 0
        for guid, ord_, queue, due_day, ivl, ef, lapses, suspended, buried, revs in rows:
            e = expect[(guid, ord_)]
            if e["queue"] == 0:
                mismatches += queue != 0
                continue
            from datetime import date

            mismatches += (date.fromisoformat(due_day) - today).days != e["due_in"]
            mismatches += (ivl, ef, lapses, revs) != (e["ivl"], e["ef"], e["lapses"], e["revlog"])
            mismatches += bool(suspended) != (e["queue"] == -1)
            mismatches += (buried is not None) != (e["queue"] in (-2, -3))
        assert mismatches == 0
        grades = {g for (g,) in con.execute("SELECT grade FROM review_log")}
        assert grades == {2, 4}  # Anki's ease 1 and 3
        con.close()
        again = import_package(store, package, into=decks)
        assert again.reviews_imported == 0 and again.reviews_known == 12
        con = sqlite3.connect(tmp_path / "home" / "studyllm.db")
        assert con.execute("SELECT count(*) FROM card WHERE archived = 0").fetchone()[0] == 5
        assert con.execute("SELECT count(*) FROM review_log").fetchone()[0] == 12
        con.close()
    finally:
        store.close()
    assert time.monotonic() - started < timedelta(seconds=60).total_seconds()


def _package(tmp: Path, members: dict[str, bytes]) -> Path:
    p = tmp / "bad.apkg"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return p


def _legacy_collection(ver: int = 11) -> bytes:
    buf = Path(__import__("tempfile").mkdtemp()) / "c.db"
    con = sqlite3.connect(buf)
    con.executescript(
        "CREATE TABLE col (id, crt, mod, scm, ver, dty, usn, ls, conf, models, decks, dconf, tags);"
        "CREATE TABLE notes (id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data);"
        "CREATE TABLE cards (id, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps, lapses, left, odue,"
        " odid, flags, data);"
        "CREATE TABLE revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type);")
    con.execute("INSERT INTO col VALUES (1, 0, 0, 0, ?, 0, 0, 0, '{}', '{}', '{}', '{}', '{}')", (ver,))
    con.commit()
    con.close()
    return buf.read_bytes()


def _unchanged(tmp: Path, package: Path, match: str) -> None:
    store = Store.open(tmp / "home")
    try:
        with pytest.raises(AnkiImportError, match=match):
            import_package(store, package, into=tmp / "decks")
    finally:
        store.close()
    assert not (tmp / "decks").exists()


def test_a_truncated_package_is_refused(tmp_path):
    good = _package(tmp_path, {"collection.anki2": _legacy_collection(), "media": b"{}"})
    cut = tmp_path / "cut.apkg"
    cut.write_bytes(good.read_bytes()[:200])
    _unchanged(tmp_path, cut, "truncated or not a zip")


def test_a_newer_anki_schema_is_refused(tmp_path):
    _unchanged(tmp_path, _package(tmp_path, {"collection.anki2": _legacy_collection(ver=99)}), "newer")
    _unchanged(tmp_path, _package(tmp_path, {"meta": b"\x08\x09", "collection.anki2": _legacy_collection()}),
               "newer Anki")


def test_a_media_name_with_dot_dot_is_refused(tmp_path):
    p = _package(tmp_path, {"collection.anki2": _legacy_collection(), "media": json.dumps({"0": "../evil"}).encode(),
                            "0": b"x"})
    _unchanged(tmp_path, p, "not a plain file name")


def test_a_zip_bomb_is_refused_before_inflating(tmp_path):
    p = tmp_path / "bomb.apkg"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("collection.anki2", _legacy_collection())
        z.writestr("0", b"\0" * (64 << 20))  # 64 MiB of zeros deflate ~1000:1
        z.writestr("media", json.dumps({"0": "a.png"}))
    _unchanged(tmp_path, p, "zip bomb")


def test_hostile_zstd_member_is_a_clear_error(tmp_path):
    p = _package(tmp_path, {"meta": b"\x08\x03", "collection.anki21b": b"not zstd at all", "media": b""})
    _unchanged(tmp_path, p, "damaged")


def test_exporting_back_keeps_the_anki_note_guids(tmp_path):
    legacy, _, expect = _anki_collection(tmp_path)
    store = Store.open(tmp_path / "home")
    try:
        import_package(store, legacy, into=tmp_path / "decks")
        from studyllm.store.anki import iter_notes

        guids = {n.guid for n in iter_notes(store)}
    finally:
        store.close()
    first_cards = {g for g, o in expect if o == 0}
    assert first_cards <= guids and len(guids) == len(expect)


def _ours(home: Path, today) -> dict:
    """Each imported card as Anki should show it: GUID -> (due in days, ivl, ease, lapses, reviews, queue)."""
    from datetime import date

    import genanki

    con = sqlite3.connect(home / "studyllm.db")
    ours = {}
    for guid, ord_, due_day, ivl, ef, lapses, reviews, suspended, buried in con.execute(
            "SELECT a.guid, a.ord, s.due_day, s.interval, s.ef_centi, s.lapses,"
            " (SELECT count(*) FROM review_log r WHERE r.card_id = s.card_id), s.suspended, s.buried_until"
            " FROM anki_card a JOIN card_state s ON s.card_id = a.card_id"):
        g = guid if ord_ == 0 else genanki.guid_for(guid, ord_)
        queue = -1 if suspended else ("buried" if buried and buried > today.isoformat() else (2 if reviews else 0))
        ours[g] = (None if due_day is None else (date.fromisoformat(due_day) - today).days, ivl, ef, lapses,
                   reviews, queue)
    con.close()
    return ours


def _theirs(col) -> dict:
    theirs = {}
    for guid, ctype, queue, due, ivl, factor, lapses, cid in col.db.all(
            "select n.guid, c.type, c.queue, c.due, c.ivl, c.factor, c.lapses, c.id from cards c"
            " join notes n on n.id = c.nid"):
        revs = col.db.scalar("select count(*) from revlog where cid = ?", cid)
        theirs[guid] = (None if ctype == 0 else due - col.sched.today, ivl if ctype else 0,
                        factor // 10 if ctype else 250, lapses, revs, "buried" if queue in (-2, -3) else queue)
    return theirs


def test_a_studyllm_export_opened_in_anki_shows_the_same_cards_due_on_the_same_days(tmp_path):
    anki_collection = pytest.importorskip("anki.collection")
    from anki.import_export_pb2 import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    from studyllm.store.anki import export_apkg

    legacy, _, _ = _anki_collection(tmp_path)
    store = Store.open(tmp_path / "home")
    try:
        import_package(store, legacy, into=tmp_path / "decks")
        out = tmp_path / "out.apkg"
        export_apkg(store, out)
        ours = _ours(tmp_path / "home", store.today())
    finally:
        store.close()
    col = anki_collection.Collection(str(tmp_path / "fresh.anki2"))
    try:
        col.import_anki_package(ImportAnkiPackageRequest(
            package_path=str(out), options=ImportAnkiPackageOptions(with_scheduling=True)))
        theirs = _theirs(col)
        fields = " ".join(col.db.list("select flds from notes"))
        media = {p.name: p.read_bytes() for p in Path(col.media.dir()).iterdir() if p.is_file()}
    finally:
        col.close()
    # the media come back: the image by its Anki name, the sound as [sound:...]
    assert '<img src="x.png"' in fields and "[sound:a b.mp3]" in fields
    assert media == {"x.png": b"\x89PNG not really", "a b.mp3": b"ID3 not really"}
    assert set(theirs) == set(ours) and len(ours) == 5
    assert sorted(str(q) for *_, q in ours.values()) == ["-1", "0", "2", "2", "buried"]  # suspended and buried too
    mismatches = [g for g in ours if ours[g] != theirs[g]]
    assert mismatches == [], [(ours[g], theirs[g]) for g in mismatches]


def test_a_colpkg_export_is_opened_by_anki_as_the_whole_collection(tmp_path):
    anki_collection = pytest.importorskip("anki.collection")
    from anki._backend import RustBackend

    from studyllm.cli import main

    legacy, _, _ = _anki_collection(tmp_path)
    home = tmp_path / "home"
    store = Store.open(home)
    try:
        import_package(store, legacy, into=tmp_path / "decks")
        (tmp_path / "more.md").write_text("Q: only in studyllm\nA: yes\n")
        from studyllm.store.importer import import_paths

        import_paths(store, [tmp_path / "more.md"])
        ours = _ours(home, store.today())
    finally:
        store.close()
    out = tmp_path / "all.colpkg"
    assert main(["--home", str(home), "export", "--format", "colpkg", "--no-sync", "-o", str(out)]) == 0
    target = tmp_path / "restored" / "collection.anki2"
    target.parent.mkdir()
    (target.parent / "collection.media").mkdir()
    RustBackend().import_collection_package(col_path=str(target), backup_path=str(out),
                                            media_folder=str(target.parent / "collection.media"),
                                            media_db=str(target.parent / "collection.media.db2"))
    col = anki_collection.Collection(str(target))
    try:
        theirs = _theirs(col)
        fronts = col.db.list("select flds from notes")
    finally:
        col.close()
    assert len(theirs) == 6 and set(ours) <= set(theirs)  # the whole collection: the Anki decks and more.md
    assert any("only in studyllm" in f for f in fronts)
    mismatches = [g for g in ours if ours[g] != theirs[g]]
    assert mismatches == [], [(ours[g], theirs[g]) for g in mismatches]


@pytest.mark.parametrize("legacy", [True, False], ids=["legacy", "current"])
def test_an_anki_colpkg_arrives_with_every_review(tmp_path, legacy, capsys):
    anki_collection = pytest.importorskip("anki.collection")
    from studyllm.cli import main

    _, _, expect = _anki_collection(tmp_path)
    col = anki_collection.Collection(str(tmp_path / "c.anki2"))
    out = tmp_path / "all.colpkg"
    col.export_collection_package(str(out), include_media=True, legacy=legacy)  # closes the collection
    decks = tmp_path / "elsewhere"
    assert main(["--home", str(tmp_path / "home"), "import", str(out), "--into", str(decks)]) == 0
    text = capsys.readouterr().out
    assert "5 card(s) matched, 12 review(s) imported" in text
    assert (decks / "Lang" / "French.md").is_file() and (decks / "Geo.md").is_file()
    con = sqlite3.connect(tmp_path / "home" / "studyllm.db")
    assert con.execute("SELECT count(*) FROM review_log WHERE uid LIKE 'anki:%'").fetchone()[0] == 12
    assert con.execute("SELECT count(*) FROM card_state WHERE suspended = 1").fetchone()[0] == 1
    assert con.execute("SELECT count(*) FROM card_state WHERE buried_until IS NOT NULL").fetchone()[0] == 1
    con.close()
    assert sum(e["revlog"] for e in expect.values()) == 12


def test_into_is_only_for_anki_packages(tmp_path, capsys):
    from studyllm.cli import main

    (tmp_path / "d.md").write_text("Q: a\nA: b\n")
    assert main(["--home", str(tmp_path / "home"), "import", str(tmp_path / "d.md"), "--into", str(tmp_path)]) == 2
    assert "--into is for Anki packages" in capsys.readouterr().err


def test_an_apkg_carries_only_media_inside_the_deck_folder(tmp_path):
    pytest.importorskip("genanki")
    from studyllm.store.anki import export_apkg
    from studyllm.store.importer import import_paths

    (tmp_path / "secret.png").write_bytes(b"not for export")
    deck = tmp_path / "decks" / "d.md"
    (deck.parent / "img").mkdir(parents=True)
    (deck.parent / "img" / "cell.png").write_bytes(b"cell")
    deck.write_text("Q: which?\nA: ![](img/cell.png) ![](../secret.png) ![](https://example.com/x.png)"
                    " [song.mp3](img/missing.mp3)\n")
    store = Store.open(tmp_path / "home")
    try:
        import_paths(store, [deck])
        export_apkg(store, tmp_path / "out.apkg")
    finally:
        store.close()
    with zipfile.ZipFile(tmp_path / "out.apkg") as z:
        media = json.loads(z.read("media"))
        assert sorted(media.values()) == ["cell.png"] and z.read(next(iter(media))) == b"cell"
        con_bytes = z.read("collection.anki2")
    db = tmp_path / "c.anki2"
    db.write_bytes(con_bytes)
    con = sqlite3.connect(db)
    (flds,) = con.execute("SELECT flds FROM notes").fetchone()
    con.close()
    assert '<img src="cell.png"' in flds and '<img src="../secret.png"' in flds  # left as it was, not carried
    assert "https://example.com/x.png" in flds and "missing.mp3" in flds and "[sound:" not in flds


def _fsrs_collection(tmp: Path) -> tuple[Path, dict]:
    """A collection with FSRS on, its cards answered through Anki's scheduler."""
    anki_collection = pytest.importorskip("anki.collection")
    from anki.cards import Card
    from anki.decks import DeckId
    from anki.scheduler.v3 import CardAnswer

    col = anki_collection.Collection(str(tmp / "f.anki2"))
    col.set_config("fsrs", True)
    did = col.decks.id("Memory")
    basic = col.models.by_name("Basic")
    for i in range(4):
        n = col.new_note(basic)
        n["Front"], n["Back"] = f"q{i}", f"a{i}"
        col.add_note(n, DeckId(did))
    col.decks.select(DeckId(did))
    ratings = [CardAnswer.GOOD, CardAnswer.EASY, CardAnswer.GOOD, CardAnswer.AGAIN, CardAnswer.GOOD, CardAnswer.GOOD]
    for k in range(30):
        queued = col.sched.get_queued_cards()
        if not queued.cards:
            break
        qc = queued.cards[0]
        card = Card(col, backend_card=qc.card)
        card.start_timer()
        col.sched.answer_card(col.sched.build_answer(card=card, states=qc.states, rating=ratings[k % len(ratings)]))
    out = tmp / "fsrs.apkg"
    col.export_anki_package(out_path=str(out), options=anki_collection.ExportAnkiPackageOptions(
        with_scheduling=True, with_media=False, legacy=False), limit=None)
    expect = {}
    for cid, guid, ctype, due, ivl, data in col.db.all(
            "select c.id, n.guid, c.type, c.due, c.ivl, c.data from cards c join notes n on n.id = c.nid"):
        memory = json.loads(data)
        expect[guid] = {"type": ctype, "due_in": due - col.sched.today if ctype == 2 else None, "ivl": ivl,
                        "s": memory.get("s"), "d": memory.get("d"),
                        "revlog": col.db.scalar("select count() from revlog where cid = ?", cid)}
    col.close()
    return out, expect


def test_an_fsrs_collection_arrives_with_its_schedule(tmp_path):
    package, expect = _fsrs_collection(tmp_path)
    assert all(e["s"] for e in expect.values())  # Anki kept a memory state for every answered card
    store = Store.open(tmp_path / "home")
    try:
        report = import_package(store, package, into=tmp_path / "decks")
        today = store.today()
    finally:
        store.close()
    assert report.cards_matched == 4 and report.reviews_imported == sum(e["revlog"] for e in expect.values())
    con = sqlite3.connect(tmp_path / "home" / "studyllm.db")
    from datetime import date

    for guid, due_day, ivl in con.execute(
            "SELECT a.guid, s.due_day, s.interval FROM anki_card a JOIN card_state s ON s.card_id = a.card_id"):
        e = expect[guid]
        if e["type"] == 2:
            assert ((date.fromisoformat(due_day) - today).days, ivl) == (e["due_in"], e["ivl"])
    # a revlog's factor is FSRS's difficulty there, not an ease: no ease of 130 comes from it
    assert {ef for (ef,) in con.execute("SELECT ef_after FROM review_log")} == {250}
    con.close()


def test_in_fsrs_mode_anki_memory_states_come_along_both_ways(tmp_path):
    anki_collection = pytest.importorskip("anki.collection")
    from anki.import_export_pb2 import ImportAnkiPackageOptions, ImportAnkiPackageRequest

    from studyllm.store.anki import export_apkg

    package, expect = _fsrs_collection(tmp_path)
    store = Store.open(tmp_path / "home")
    try:
        store.set_setting("scheduler", "fsrs")
        report = import_package(store, package, into=tmp_path / "decks")
        assert report.fsrs_states == sum(1 for e in expect.values() if e["s"]) == 4
        con = sqlite3.connect(tmp_path / "home" / "studyllm.db")
        rows = con.execute("SELECT a.guid, s.card_id, s.fsrs_state, s.sm2_saved, s.queue, s.due_day FROM anki_card a"
                           " JOIN card_state s ON s.card_id = a.card_id").fetchall()
        last_after = {cid: after for cid, after in con.execute(
            "SELECT card_id, fsrs_after FROM review_log r WHERE id = (SELECT max(id) FROM review_log q"
            " WHERE q.card_id = r.card_id)")}
        con.close()
        for guid, card_id, raw, saved, queue, due_day in rows:
            fs, e = json.loads(raw), expect[guid]
            assert (fs["stability"], fs["difficulty"]) == (e["s"], e["d"])
            assert fs["phase"] == {1: 1, 3: 3}.get(e["type"], 2) and saved is not None
            assert last_after[card_id] == raw  # the log's last answer carries it
            if e["type"] == 2:
                from datetime import datetime

                from studyllm.clock import study_day

                due_at = datetime.fromisoformat(fs["due"])
                assert queue == 2 and study_day(due_at, store.clock.zone(), store.setting("rollover_hour")
                                                ).isoformat() == due_day
        # FSRS answers a card from that state (answered early here: its stability barely grows)
        guid, card_id, raw, *_ = rows[0]
        store.answer(card_id, 4)
        con = sqlite3.connect(tmp_path / "home" / "studyllm.db")
        (after,) = con.execute("SELECT fsrs_state FROM card_state WHERE card_id = ?", (card_id,)).fetchone()
        con.close()
        assert json.loads(after)["last_review"] != json.loads(raw)["last_review"]
        assert json.loads(after)["stability"] >= json.loads(raw)["stability"]
        out = tmp_path / "back.apkg"
        export_apkg(store, out)
        con = sqlite3.connect(tmp_path / "home" / "studyllm.db")
        ours = {g: json.loads(raw) for g, raw in con.execute(
            "SELECT a.guid, s.fsrs_state FROM anki_card a JOIN card_state s ON s.card_id = a.card_id")}
        con.close()
    finally:
        store.close()
    col = anki_collection.Collection(str(tmp_path / "fresh.anki2"))
    try:
        col.set_config("fsrs", True)
        col.import_anki_package(ImportAnkiPackageRequest(
            package_path=str(out), options=ImportAnkiPackageOptions(with_scheduling=True)))
        theirs = {g: col.get_card(cid).memory_state for g, cid in col.db.all(
            "select n.guid, c.id from cards c join notes n on n.id = c.nid")}
    finally:
        col.close()
    assert set(theirs) == set(ours)
    for g, fs in ours.items():
        m = theirs[g]
        assert m is not None
        assert abs(m.stability - fs["stability"]) < 1e-3 and abs(m.difficulty - fs["difficulty"]) < 1e-2


# -- hostile packages (session 28): every value the import computes with is checked before anything is written --


def _hostile_package(tmp: Path, *, col: dict | None = None, note: dict | None = None, card: dict | None = None,
                     review: dict | None = None, media: dict | None = None, members: dict | None = None) -> Path:
    """A legacy package of one Basic note, one review card and one review, with ``col``/``note``/``card``/
    ``review`` overriding columns of its rows."""
    db = tmp / "hostile.anki2"
    db.unlink(missing_ok=True)
    con = sqlite3.connect(db)
    con.executescript(
        "CREATE TABLE col (id, crt, mod, scm, ver, dty, usn, ls, conf, models, decks, dconf, tags);"
        "CREATE TABLE notes (id, guid, mid, mod, usn, tags, flds, sfld, csum, flags, data);"
        "CREATE TABLE cards (id, nid, did, ord, mod, usn, type, queue, due, ivl, factor, reps, lapses, left, odue,"
        " odid, flags, data);"
        "CREATE TABLE revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type);")
    models = json.dumps({"1": {"name": "Basic", "type": 0, "flds": [{}, {}], "tmpls": [{}]}})
    rows = {
        "col": {"id": 1, "crt": 1_700_000_000, "mod": 0, "scm": 0, "ver": 11, "dty": 0, "usn": 0, "ls": 0,
                "conf": "{}", "models": models, "decks": json.dumps({"2": {"name": "Hostile"}}), "dconf": "{}",
                "tags": "{}", **(col or {})},
        "notes": {"id": 10, "guid": "g10", "mid": 1, "mod": 0, "usn": 0, "tags": "", "flds": "front\x1fback",
                  "sfld": "", "csum": 0, "flags": 0, "data": "", **(note or {})},
        "cards": {"id": 100, "nid": 10, "did": 2, "ord": 0, "mod": 0, "usn": 0, "type": 2, "queue": 2, "due": 5,
                  "ivl": 10, "factor": 2500, "reps": 3, "lapses": 0, "left": 0, "odue": 0, "odid": 0, "flags": 0,
                  "data": "", **(card or {})},
        "revlog": {"id": 1_700_000_001_000, "cid": 100, "usn": 0, "ease": 3, "ivl": 10, "lastIvl": 1,
                   "factor": 2500, "time": 5000, "type": 1, **(review or {})},
    }
    for table, row in rows.items():
        con.execute(f"INSERT INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})", list(row.values()))
    con.commit()
    con.close()
    return _package(tmp, {"collection.anki2": db.read_bytes(), "media": json.dumps(media or {}).encode(),
                          **(members or {})})


HUGE = 2**62
DAMAGED = [
    ("schema NULL", {"col": {"ver": None}}, r"col\.ver"),
    ("schema text", {"col": {"ver": "x"}}, r"col\.ver"),
    ("creation time past 9998", {"col": {"crt": HUGE}}, r"col\.crt"),
    ("creation time NULL", {"col": {"crt": None}}, r"col\.crt"),
    ("note types not JSON", {"col": {"models": "{not json"}}, r"col\.models\) is not JSON"),
    ("note types a list", {"col": {"models": "[1, 2]"}}, "not a JSON object of objects"),
    ("note types nested 100,000 deep", {"col": {"models": "[" * 100_000 + "]" * 100_000}}, "is not JSON"),
    ("deck names not JSON", {"col": {"decks": "{"}}, r"col\.decks\) is not JSON"),
    ("deck name a number", {"col": {"decks": json.dumps({"2": {"name": 5}})}}, "deck 2: its name"),
    ("fields NULL", {"note": {"flds": 7}}, "note 10: its fields"),
    ("GUID NULL", {"note": {"guid": None}}, "note 10: its GUID"),
    ("review id in the year 285 million", {"review": {"id": 9 * 10**18}}, "not an instant of the years 1970 to 9998"),
    ("review id before 1970", {"review": {"id": -62_135_596_800_001}}, "not an instant"),
    ("ease text", {"review": {"ease": "x"}}, "ease is 'x'"),
    ("ease 9 (grade 10)", {"review": {"ease": 9}}, r"ease is '9', outside 0\.\.4"),
    ("review interval 2**62 days", {"review": {"ivl": HUGE}}, "review .*: ivl"),
    ("review interval past the year 9998", {"review": {"id": 253_370_000_000_000, "ivl": 36_000}}, "past the year"),
    ("answer time text", {"review": {"time": "x"}}, "time is 'x'"),
    ("review due 2**62 days on", {"card": {"due": HUGE}}, "card 100 is due on day"),
    ("learning due at 2**62 s", {"card": {"type": 1, "queue": 1, "due": HUGE}}, "card 100 is due at"),
    ("card interval 2**62 days", {"card": {"ivl": HUGE}}, "card 100: ivl"),
    ("ease factor 2**62", {"card": {"factor": HUGE}}, "card 100: factor"),
    ("lapses negative", {"card": {"lapses": -5}}, "card 100: lapses"),
    ("card type text", {"card": {"type": "x"}}, "card 100: type"),
]


@pytest.mark.parametrize("overrides,match", [pytest.param(o, m, id=name) for name, o, m in DAMAGED])
def test_a_damaged_collection_value_is_refused_before_anything_is_written(tmp_path, overrides, match):
    """Each of these was a traceback (TypeError, JSONDecodeError, RecursionError, OverflowError, ValueError),
    most of them after the deck file was written and imported: now a message naming the row, and no file,
    no deck, no answer."""
    package = _hostile_package(tmp_path, **overrides)
    _unchanged(tmp_path, package, match)
    store = Store.open(tmp_path / "home")
    try:
        with store.database.connect() as conn:
            assert conn.execute("SELECT count(*) FROM deck WHERE key LIKE 'anki-%'").fetchone()[0] == 0
            assert conn.execute("SELECT count(*) FROM review_log").fetchone()[0] == 0
    finally:
        store.close()


def test_the_hostile_package_builder_makes_an_importable_package(tmp_path):
    """The package above, unchanged, imports with its review: the refusals are the values, not the builder."""
    store = Store.open(tmp_path / "home")
    try:
        report = import_package(store, _hostile_package(tmp_path), into=tmp_path / "decks")
    finally:
        store.close()
    assert (report.cards_matched, report.reviews_imported, report.states_taken) == (1, 1, 1)


@pytest.mark.parametrize("kind", ["fifo", "dev-zero", "folder", "link-loop"])
def test_a_package_that_is_not_a_regular_file_is_refused_without_reading(tmp_path, kind):
    """A FIFO named .apkg blocked the import forever and a .apkg link to /dev/zero was read until the
    kernel killed the process; now neither is opened for reading."""
    import os

    p = tmp_path / f"{kind}.apkg"
    if kind == "fifo":
        os.mkfifo(p)
    elif kind == "dev-zero":
        p.symlink_to("/dev/zero")
    elif kind == "folder":
        p.mkdir()
    else:
        p.symlink_to(p)
    _unchanged(tmp_path, p, "cannot read: (is a named pipe|is a character device|is a folder|symbolic link loop)")


@pytest.mark.parametrize("name", ["\x1b]52;c;aGk=\x07.png", "a\nb.png", "\u202egnp.exe"])
def test_a_media_name_with_control_characters_is_refused(tmp_path, name):
    package = _hostile_package(tmp_path, note={"flds": f'<img src="{name}">\x1fback'}, media={"0": name},
                               members={"0": b"x"})
    _unchanged(tmp_path, package, "is not a plain file name")


def test_html_nested_fifty_thousand_deep_imports_as_its_text(tmp_path):
    """markdownify recursed once per element (RecursionError): such a field is now taken as its text."""
    package = _hostile_package(tmp_path, note={"flds": "<div>" * 50_000 + "deep front" + "\x1fback"})
    store = Store.open(tmp_path / "home")
    try:
        report = import_package(store, package, into=tmp_path / "decks")
    finally:
        store.close()
    assert report.cards_matched == 1
    assert "deep front" in Path(report.files[0]).read_text(encoding="utf-8")


def test_a_deck_nested_two_thousand_levels_is_written_sixteen_folders_deep(tmp_path):
    """``A::B::...`` 2,000 levels deep made a path the file system refused (ENAMETOOLONG)."""
    package = _hostile_package(tmp_path, col={"decks": json.dumps({"2": {"name": "::".join(["level"] * 2000)}})})
    store = Store.open(tmp_path / "home")
    try:
        report = import_package(store, package, into=tmp_path / "decks")
    finally:
        store.close()
    written = Path(report.files[0]).relative_to(tmp_path / "decks")
    assert len(written.parts) == 16 and report.cards_matched == 1


def test_a_deck_folder_that_cannot_be_written_is_named_and_the_store_is_unchanged(tmp_path, monkeypatch):
    """A full disk under --into was 'studyllm: error: No space left on device' (no file named)."""
    import errno

    package = _hostile_package(tmp_path)

    def full(path, *args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr("studyllm.store.anki_import.atomic_path", full)
    store = Store.open(tmp_path / "home")
    try:
        with pytest.raises(AnkiImportError, match=r"Hostile\.md: cannot write it \(No space left on device\)"):
            import_package(store, package, into=tmp_path / "decks")
        with store.database.connect() as conn:
            assert conn.execute("SELECT count(*) FROM deck WHERE key LIKE 'anki-%'").fetchone()[0] == 0
    finally:
        store.close()
