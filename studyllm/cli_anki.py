"""``studyllm import deck.apkg``: Anki packages with their history (:mod:`studyllm.store.anki_import`)."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from studyllm.cli_common import echo, echo_json, shown
from studyllm.paths import expand_user
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
                r = import_package(store, p, into=expand_user(args.into) if args.into else None,
                                   dry_run=args.dry_run)
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
                 f"({r.reviews_known} already there), {r.states_taken} schedule(s) taken over"
                 + (f", {r.fsrs_states} with their FSRS memory state" if r.fsrs_states else ""))
    finally:
        store.close()
    if args.json:
        echo_json([r.as_dict() for r in reports])
    return 1 if failed else 0


# -- hashcards folders (studyllm/store/hashcards.py) -------------------------------------------------


def read_hashcards(store: Store, roots: list[Path]) -> list[Any] | None:
    """Read and check each folder's ``hashcards.db`` before anything is imported; on an error,
    say so, close the store and return None (nothing was changed)."""
    from studyllm.store.hashcards import HashcardsError, read_collection

    plans = []
    for root in roots:
        try:
            plans.append(read_collection(root))
        except HashcardsError as exc:
            echo(f"studyllm import: error: {shown(str(exc))}", err=True)
            store.close()
            return None
    return plans


def take_hashcards(store: Store, plans: list[Any], args: argparse.Namespace) -> list[dict[str, Any]]:
    """After the deck files were imported: each folder's hashcards history (its report as a dict)."""
    from studyllm.store.hashcards import take_history

    if args.dry_run:
        return [{"root": str(hc.root), "cards_in_db": len(hc.reviews), "reviews_in_db": hc.review_count,
                 "warnings": hc.warnings} for hc in plans]
    return [take_history(store, hc).as_dict() for hc in plans]


def echo_hashcards(taken: list[dict[str, Any]], args: argparse.Namespace) -> None:
    for r in taken:
        root = shown(str(r["root"]))
        if args.dry_run:
            echo(f"{root}: hashcards.db holds {r['reviews_in_db']} review(s) of {r['cards_in_db']} card(s); "
                 "the import takes them over")
        else:
            echo(f"{root}: hashcards history: {r['cards_matched']} card(s) matched, {r['reviews_imported']} "
                 f"review(s) imported ({r['reviews_known']} already there), {r['states_taken']} schedule(s) "
                 "taken over" + (f", {r['fsrs_states']} with their FSRS state" if r["fsrs_states"] else "")
                 + (f"; {r['not_found']} reviewed card(s) of hashcards.db are in no deck file"
                                 if r["not_found"] else ""))
        for w in r["warnings"]:
            echo(f"  warning: {shown(str(w))}")
