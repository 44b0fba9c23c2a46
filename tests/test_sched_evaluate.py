"""`studyllm sched evaluate`: scores on a real store's log, and "not enough history" below the threshold."""

import json
import math
import random
from datetime import UTC, datetime, timedelta

from studyllm.schedule import MIN_EVAL_REVIEWS, _log_loss, _rmse_bins, evaluate, predictions


def _histories(n_cards: int, seed: int = 3):
    """A simulated learner (exponential forgetting, not FSRS's curve) answering on SM-2's due days."""
    from studyllm.sm2 import Sm2State, review

    rng = random.Random(seed)
    start = datetime(2026, 1, 1, 9, tzinfo=UTC)
    out = {}
    for cid in range(n_cards):
        strength = rng.uniform(1.0, 6.0)
        state, at, events, last = Sm2State(), start + timedelta(hours=rng.random()), [], None
        for _ in range(8):
            if last is None:
                grade = 3
            else:
                p = math.exp(-((at - last).total_seconds() / 86400) / strength)
                grade = 4 if rng.random() < p else 1
                strength *= 2.0 if grade >= 3 else 0.7
            events.append((at, grade))
            state = review(state, grade)
            last, at = at, at + timedelta(days=state.interval, minutes=rng.randint(0, 60))
        out[cid] = events
    return out


def test_not_enough_history_says_how_many():
    missing = evaluate(_histories(2))
    assert isinstance(missing, int) and 0 < missing <= MIN_EVAL_REVIEWS


def test_scores_are_computed_on_the_later_folds():
    hist = _histories(200)
    result = evaluate(hist)
    assert not isinstance(result, int)
    preds = predictions(hist)
    test = preds[len(preds) // 6:]
    sm2 = [(p, y) for _, p, _, y in test]
    assert result[0].name == "sm2" and result[0].reviews == len(test)
    assert math.isclose(result[0].log_loss, _log_loss(sm2))
    assert all(0 < e.log_loss < 5 and 0 <= e.rmse_bins <= 1 for e in result)
    assert result[0].log_loss != result[1].log_loss


def test_metrics_by_hand():
    pairs = [(0.9, 1), (0.9, 0), (0.2, 0)]
    expected = -(math.log(0.9) + math.log(0.1) + math.log(0.8)) / 3
    assert math.isclose(_log_loss(pairs), expected)
    # bins: {0.9: observed 0.5 (n=2)}, {0.2: observed 0 (n=1)}
    assert math.isclose(_rmse_bins(pairs), math.sqrt((2 * 0.4 ** 2 + 0.2 ** 2) / 3))


def test_cli_on_a_store(tmp_path, monkeypatch, capsys):
    from studyllm.cli import main
    from studyllm.store import Store

    monkeypatch.setenv("STUDYLLM_HOME", str(tmp_path))
    Store.open(tmp_path).close()
    assert main(["sched", "evaluate", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["enough_history"] is False and out["needed_reviews"] == MIN_EVAL_REVIEWS
    assert main(["sched", "evaluate"]) == 0
    assert "not enough history" in capsys.readouterr().out


def test_cli_scores_a_store_with_real_answers(tmp_path, capsys):
    """Answers given through the store over 90 simulated days, then `sched evaluate --json --no-fit`."""
    from conftest import add_deck

    from studyllm.cli import main
    from studyllm.clock import FrozenClock
    from studyllm.store import Store

    home = tmp_path / "h"
    clock = FrozenClock(datetime(2026, 1, 1, 9, tzinfo=UTC), "UTC")
    rng = random.Random(5)
    with Store.open(home, clock=clock) as store:
        store.set_setting("new_per_day", 10)
        add_deck(store, "d", 40)
        for _day in range(90):
            while (card := store.next_card()) is not None:
                store.answer(card.id, 4 if rng.random() < 0.8 else 2, shown=card)
                clock.advance(minutes=11)
            clock.set(clock.now().replace(hour=9, minute=0) + timedelta(days=1))
    assert main(["--home", str(home), "sched", "evaluate", "--json", "--no-fit"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["enough_history"] is True
    names = [s["name"] for s in doc["schedulers"]]
    assert names == ["sm2", "fsrs (default parameters)"]
    assert all(s["reviews"] >= 100 and 0 < s["log_loss"] < 5 for s in doc["schedulers"])
    assert doc["fitted_fsrs"] == "not run (--no-fit)"
