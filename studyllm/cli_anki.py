"""``studyllm import deck.apkg``: Anki packages with their history (:mod:`studyllm.store.anki_import`)."""

from __future__ import annotations

import argparse
from pathlib import Path

from studyllm.cli_common import echo, echo_json, shown
from studyllm.store import Store
from studyllm.store.anki_import import ANKI_PACKAGE_SUFFIXES, AnkiImportError, import_package


def import_packages(store: Store, paths: list[Path], args: argparse.Namespace) -> int:
    """Import each Anki package of ``paths`` (other paths are refused: import them apart)."""
    others = [p for p in paths if p.suffix.lower() not in ANKI_PACKAGE_SUFFIXES]
    if others:
        echo(f"studyllm import: error: import Anki packages apart from deck files ({shown(str(others[0]))})", err=True)
        store.close()
        return 2
    failed = 0
    reports = []
    try:
        for p in paths:
            try:
                r = import_package(store, p, dry_run=args.dry_run)
            except AnkiImportError as exc:
                failed += 1
                echo(f"error: {shown(str(exc))}", err=True)
                continue
            reports.append(r)
            if args.json:
                continue
            echo(f"{shown(str(p))}: {r.layout}: {r.notes} note(s), {r.cards} card(s), {len(r.files)} deck file(s), "
                 f"{r.media} media file(s)")
            for f in r.files:
                echo(f"  wrote {shown(f)}")
            for w in r.warnings:
                echo(f"  warning: {shown(w)}")
            if args.dry_run:
                echo("Dry run: nothing was changed.")
                continue
            echo(f"  {r.cards_matched} card(s) matched, {r.reviews_imported} review(s) imported "
                 f"({r.reviews_known} already there), {r.states_taken} schedule(s) taken over")
    finally:
        store.close()
    if args.json:
        echo_json([r.as_dict() for r in reports])
    return 1 if failed else 0
