"""``studyllm sync``: two homes through the real command line."""

from __future__ import annotations

import json

from studyllm.cli import main


def run(*argv, capsys):
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_sync_two_homes_by_the_command_line(tmp_path, capsys):
    from studyllm.store import Store

    folder = tmp_path / "shared"
    a, b = tmp_path / "a", tmp_path / "b"
    code, out, _ = run("--home", str(a), "sync", "--status", capsys=capsys)
    assert code == 0 and "Sync is off" in out
    code, out, err = run("--home", str(a), "sync", "--folder", str(folder), capsys=capsys)
    assert code == 0, err
    with Store.open(a) as store:
        card = store.next_card()
        assert card is not None
        store.answer(card.id, 4, 1200)
    assert run("--home", str(a), "sync", capsys=capsys)[0] == 0
    code, out, err = run("--home", str(b), "sync", "--folder", str(folder), "--json", capsys=capsys)
    assert code == 0, err
    assert json.loads(out)["added"] == 1
    code, out, _ = run("--home", str(b), "sync", "--status", "--json", capsys=capsys)
    st = json.loads(out)
    # b has written no event yet, so only a's journal is seen
    assert st["pending_out"] == 0 and st["pending_in"] == 0 and len(st["devices"]) == 1 and st["last_sync"]


def test_sync_without_a_folder_is_a_clear_error(tmp_path, capsys):
    code, _out, err = run("--home", str(tmp_path / "h"), "sync", capsys=capsys)
    assert code == 1 and "--folder" in err and "Traceback" not in err


def test_a_device_folder_name_with_escapes_and_a_newline_is_shown_escaped(tmp_path, capsys):
    """Device names are folder names in the sync folder: ``devices/evil<ESC>]2;x<BEL><LF>FAKE`` printed
    a forged second line in ``sync --status`` (the sanitiser removed the escapes and kept the newline)."""
    home, folder = tmp_path / "a", tmp_path / "shared"
    assert main(["--home", str(home), "sync", "--folder", str(folder)]) == 0
    evil = folder / "devices" / "evil\x1b]2;x\x07\nFAKE: line\u202e"
    evil.mkdir(parents=True)
    (evil / "2026-01.jsonl").write_text(json.dumps(
        {"t": "answer", "at": "2026-01-01T00:00:00Z", "dev": "evil", "seq": 1, "uid": "u", "day": "2026-01-01",
         "grade": 4, "card": "c", "deck": "d", "hash": "h"}) + "\n", encoding="utf-8")
    capsys.readouterr()
    assert main(["--home", str(home), "sync", "--status"]) == 0
    out = capsys.readouterr().out
    (line,) = [ln for ln in out.splitlines() if ln.startswith("Devices seen")]
    assert "evil\\x1b]2;x\\x07\\nFAKE: line\\u202e" in line
    assert not any(ln.startswith("FAKE") for ln in out.splitlines()) and "\x1b" not in out
