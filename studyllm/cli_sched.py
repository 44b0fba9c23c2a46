"""``studyllm sched evaluate``: how well SM-2 and FSRS predict this learner's recall, on their own log."""

from __future__ import annotations

import argparse
from datetime import datetime
from typing import Any

from studyllm.cli_common import echo, echo_json, open_store, shown

PROG = "studyllm"


def add_parser(subparsers: Any) -> None:
    p = subparsers.add_parser("sched", help="scheduler tools: evaluate SM-2 and FSRS on your review log")
    sub = p.add_subparsers(dest="sched_command", required=True)
    ev = sub.add_parser("evaluate", help="log loss and RMSE(bins) of each scheduler's predicted recall")
    ev.add_argument("--json", action="store_true", help="print the result as JSON")
    ev.add_argument("--no-fit", action="store_true",
                    help="skip FSRS fitted to your log (it runs the fsrs-fit extra's optimizer once per fold)")
    ev.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from studyllm.schedule import FITTED_NAME, MIN_EVAL_REVIEWS, evaluate, fit_available
    from studyllm.store.db import StoreError
    from studyllm.store.stats import review_histories

    try:
        store = open_store(args)
    except StoreError as exc:
        echo(f"{PROG} sched: error: {shown(exc)}", err=True)
        return 1
    try:
        raw = review_histories(store)
    finally:
        store.close()
    histories = {cid: [(datetime.fromisoformat(at), g) for at, g in rows] for cid, rows in raw.items()}
    fit = fit_available() and not args.no_fit
    result = evaluate(histories, fitted=fit)
    if isinstance(result, int):
        message = (f"not enough history (need {MIN_EVAL_REVIEWS} scored reviews on later days after the first "
                   f"sixth of your log; {result} more to go)")
        if args.json:
            echo_json({"enough_history": False, "needed_reviews": MIN_EVAL_REVIEWS, "missing_reviews": result,
                       "message": message})
        else:
            echo(message)
        return 0
    if fit:
        fitted_note = "fitted per fold of the time-series split"
    elif args.no_fit:
        fitted_note = "not run (--no-fit)"
    else:
        fitted_note = "not available: install the fsrs-fit extra (pip install 'studyllm[fsrs-fit]', needs torch)"
    if args.json:
        echo_json({"enough_history": True, "schedulers": [
            {"name": e.name, "reviews": e.reviews, "log_loss": e.log_loss, "rmse_bins": e.rmse_bins} for e in result
        ], "fitted_fsrs": fitted_note})
        return 0
    echo(f"{'scheduler':<28}{'reviews':>8}{'log loss':>10}{'RMSE(bins)':>12}")
    for e in result:
        echo(f"{e.name:<28}{e.reviews:>8}{e.log_loss:>10.4f}{e.rmse_bins:>12.4f}")
    if not any(e.name == FITTED_NAME for e in result):
        echo(f"Lower is better. FSRS fitted to your log: {fitted_note}.")
    else:
        echo("Lower is better.")
    return 0
