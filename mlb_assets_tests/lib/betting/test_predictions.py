"""Prediction rows: features pivoted as in training, deciles, outcomes, in-sample flags."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.betting.predictions import (
    MARKET_MODELS,
    PREDICTION_COLUMNS,
    build_predictions,
    feature_matrix,
    prediction_outcomes,
    probability_bin,
)

UTC = "UTC"


def _games() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "game_id": ["AAA201605010", "BBB201605010", "CCC201605020", "DDD201605020"],
            "game_date": [date(2016, 5, 1), date(2016, 5, 1), date(2016, 5, 2), date(2016, 5, 2)],
            "status": ["final", "final", "final", "postponed"],
            "home_score": [5, 2, 4, None],
            "away_score": [3, 6, 4, None],
            "decision_at": pd.to_datetime(
                ["2016-05-01 22:05", "2016-05-01 23:10", "2016-05-02 17:05", "2016-05-02 23:05"],
                utc=True,
            ),
        }
    )


def test_feature_matrix_pivots_and_keeps_missing_features_as_nan() -> None:
    long = pd.DataFrame(
        {
            "game_id": ["A", "A", "B"],
            "name": ["x", "y", "x"],
            "value": [1.0, None, 3.0],
        }
    )
    wide = feature_matrix(long, ["y", "x", "z"])
    assert list(wide.columns) == ["y", "x", "z"]
    assert wide.loc["A", "x"] == 1.0 and wide.loc["B", "x"] == 3.0
    assert np.isnan(wide.loc["A", "y"]) and wide["z"].isna().all()
    assert feature_matrix(long.iloc[:0], ["x"]).empty


def test_probability_bins_are_deciles() -> None:
    bins = probability_bin(pd.Series([0.0, 0.099, 0.1, 0.55, 0.999, 1.0]))
    assert bins.tolist() == [0, 0, 1, 5, 9, 9]


def test_outcomes_by_market_and_side() -> None:
    games = _games()
    rows = pd.DataFrame(
        {
            "game_id": ["AAA201605010", "BBB201605010", "CCC201605020", "DDD201605020"] * 2,
            "market": ["h2h"] * 4 + ["totals"] * 4,
            "side": ["home"] * 4 + ["over"] * 4,
            "point": [np.nan] * 4 + [7.5, 8.0, 8.0, 9.0],
        }
    )
    got = prediction_outcomes(rows, games).tolist()
    # h2h home: 5-3 won, 2-6 lost, 4-4 no winner (NA), postponed NA.
    # over: 8 runs > 7.5 won, 8 = 8 push (NA), 8 = 8 push, postponed NA.
    assert got[:2] == [1, 0] and pd.isna(got[2]) and pd.isna(got[3])
    assert got[4] == 1 and all(pd.isna(v) for v in got[5:])


def test_build_predictions_marks_in_sample_games() -> None:
    games = _games()
    features = pd.DataFrame(
        {"total_decision_line": [7.5, 8.0, 8.5]},
        index=pd.Index(["CCC201605020", "AAA201605010", "BBB201605010"], name="game_id"),
    )
    now = pd.Timestamp("2016-05-03 12:00", tz=UTC)
    rows = build_predictions(
        games,
        features,
        np.array([0.61, 0.45, 0.5]),
        MARKET_MODELS["totals"],
        model_version="3",
        model_run_id="run",
        train_last_date="2016-05-01",
        predicted_at=now,
    )
    assert list(rows.columns) == PREDICTION_COLUMNS
    assert rows["game_id"].tolist() == ["CCC201605020", "AAA201605010", "BBB201605010"]
    assert rows["point"].tolist() == [7.5, 8.0, 8.5]
    assert rows["in_sample"].tolist() == [False, True, True]  # through 2016-05-01
    assert rows["prob_bin"].tolist() == [6, 4, 5]
    assert rows["side"].unique().tolist() == ["over"]
    # 4+4 = 8 > 7.5: over won; 5+3 = 8 = 8: push; 2+6 = 8 < 8.5: lost
    assert rows["outcome"].iloc[0] == 1 and pd.isna(rows["outcome"].iloc[1])
    assert rows["outcome"].iloc[2] == 0
    unknown = build_predictions(
        games,
        features,
        np.array([0.5, 0.5, 0.5]),
        MARKET_MODELS["totals"],
        model_version="3",
        model_run_id="run",
        train_last_date=None,
        predicted_at=now,
    )
    assert unknown["in_sample"].all()  # unknown training range: treated as seen
    assert rows["decision_at"].iloc[0] == pd.Timestamp("2016-05-02 17:05", tz=UTC)
    assert rows["prob"].tolist() == pytest.approx([0.61, 0.45, 0.5])
