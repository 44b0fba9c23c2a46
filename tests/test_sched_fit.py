"""FSRS fitted to the learner's log (the ``fsrs-fit`` extra): scored by ``sched evaluate`` when
installed, with a time-series split; said to be unavailable, cleanly, without it."""

from __future__ import annotations

import json
import math

import pytest
from test_sched_evaluate import _histories

from studyllm import schedule
from studyllm.schedule import FITTED_NAME, evaluate, fit_available, predictions


def test_without_the_extra_the_command_says_how_to_get_it(tmp_path, capsys, monkeypatch):
    from studyllm.cli import main

    monkeypatch.setattr(schedule, "fit_available", lambda: False)
    monkeypatch.setattr(schedule, "predictions", lambda h, o=None: [])  # no history needed for the message
    assert main(["--home", str(tmp_path / "h"), "sched", "evaluate"]) == 0
    assert "not enough history" in capsys.readouterr().out


def test_the_fitted_row_is_left_out_unless_asked_for():
    result = evaluate(_histories(200))
    assert not isinstance(result, int)
    assert [e.name for e in result] == ["sm2", "fsrs (default parameters)"]


@pytest.mark.skipif(fit_available(), reason="the fsrs-fit extra is installed here")
def test_fitting_without_the_extra_is_an_import_error():
    with pytest.raises(ImportError):
        schedule.fit_parameters(_histories(5))


@pytest.mark.skipif(not fit_available(), reason="needs the fsrs-fit extra (fsrs[optimizer], torch)")
def test_fitted_fsrs_is_scored_on_the_later_folds():
    hist = _histories(300)  # enough that py-fsrs's optimizer fits (it keeps its defaults below 512 reviews)
    result = evaluate(hist, folds=1, fitted=True)  # one fit: the first half, scored on the second
    assert not isinstance(result, int)
    by_name = {e.name: e for e in result}
    fitted = by_name[FITTED_NAME]
    n = len(predictions(hist))
    assert fitted.reviews == by_name["sm2"].reviews == n - n // 2
    assert math.isfinite(fitted.log_loss) and 0 < fitted.log_loss < 5 and 0 <= fitted.rmse_bins <= 1
    assert fitted.log_loss != by_name["fsrs (default parameters)"].log_loss  # the fitted parameters were used
    params = schedule.fit_parameters(hist, before=min(ev[0][0] for ev in hist.values()))
    assert params == list(schedule.FsrsScheduler()._impl.parameters)  # nothing to fit on: the defaults


@pytest.mark.slow
@pytest.mark.skipif(not fit_available(), reason="needs the fsrs-fit extra (fsrs[optimizer], torch)")
def test_the_command_reports_the_fitted_row(tmp_path, capsys, monkeypatch):
    from studyllm.cli import main

    hist = _histories(150)
    monkeypatch.setattr("studyllm.store.stats.review_histories",
                        lambda store: {cid: [(at.isoformat(), g) for at, g in ev] for cid, ev in hist.items()})
    assert main(["--home", str(tmp_path / "h"), "sched", "evaluate", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert FITTED_NAME in [s["name"] for s in doc["schedulers"]]
