from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.evaluation import paired_against_market, time_split, verdict, walk_forward


def _frame() -> pd.DataFrame:
    """Synthetic games over two seasons; the 'market' knows the true probability."""
    rng = np.random.default_rng(7)
    dates = pd.date_range("2015-04-01", "2015-09-30").append(
        pd.date_range("2016-04-01", "2016-06-30")
    )
    n = len(dates) * 4
    truth = rng.uniform(0.3, 0.7, n)
    return pd.DataFrame(
        {
            "game_id": [f"G{i:05d}" for i in range(n)],
            "game_date": np.repeat(dates.date, 4),
            "season": np.repeat(dates.year, 4),
            "x": truth + rng.normal(0, 0.05, n),
            "home_win": (rng.uniform(size=n) < truth).astype(int),
            "market_home_prob_anchor": truth,
            "close_home_prob_mult": truth,
        }
    )


def test_time_split_validates_on_the_latest_dates() -> None:
    frame = _frame()
    train, valid = time_split(frame, "home_win", 0.2)
    assert train["game_date"].max() < valid["game_date"].min()
    assert abs(len(valid) / (len(train) + len(valid)) - 0.2) < 0.02


def test_walk_forward_trains_only_on_the_past() -> None:
    frame = _frame()
    seen: list[tuple[date, date]] = []

    def fit_predict(train: pd.DataFrame, test: pd.DataFrame) -> np.ndarray:
        seen.append((max(train["game_date"]), min(test["game_date"])))
        return np.full(len(test), train["home_win"].mean())

    result = walk_forward(frame, "home_win", 2016, {"constant": fit_predict})
    assert [p for p in result.predictions["period"].unique()] == ["2016-04", "2016-05", "2016-06"]
    assert all(last_train < first_test for last_train, first_test in seen)
    overall = result.metrics[result.metrics["period"] == "all"].set_index("predictor")
    # The market here knows the truth; a constant cannot beat it.
    assert overall.loc["market_decision", "log_loss"] < overall.loc["constant", "log_loss"]
    assert overall.loc["constant", "n"] == len(result.predictions)
    assert "no claim of an edge" in verdict(result.metrics, ["constant"])
    evidence = paired_against_market(result.predictions, ["constant"], n_boot=200)
    assert evidence["constant"].diff_ci_low > 0  # reliably worse than the market
    assert "does not beat (no proven edge)" in verdict(result.metrics, ["constant"], evidence)
    assert "paired 95% CI" in verdict(result.metrics, ["constant"], evidence)
    assert set(result.calibration["predictor"]) == {"constant", "market_decision", "market_close"}


def test_time_split_refuses_tiny_frames() -> None:
    with pytest.raises(ValueError, match="too few"):
        time_split(_frame().head(10), "home_win")
