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
