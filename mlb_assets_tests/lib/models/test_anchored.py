"""The market anchor, the blend, the evidence and the skew report, on simulated games.

The simulations are made up for these tests (not market truth): a "market" logit drawn
per game, outcomes drawn from it plus, where a test says so, a signal the market misses.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.features.skew import empty_in_training, skew_report
from mlb_assets.lib.models.anchored import (
    Blend,
    engine_features,
    fit_blend,
    offered_features,
)
from mlb_assets.lib.models.evidence import (
    calibration,
    evidence_weight,
    paired_evidence,
    per_game_log_loss,
)
from mlb_assets.lib.models.logistic import fit_logistic, logit, sigmoid

N = 6000


def simulated(seed: int, signal: float) -> dict[str, np.ndarray]:
    """Market logit m; hidden signal s the market ignores; y ~ Bernoulli(m + signal * s)."""
    rng = np.random.default_rng(seed)
    m = rng.normal(0.1, 0.35, N)
    s = rng.normal(0.0, 1.0, N)
    y = (rng.uniform(size=N) < sigmoid(m + signal * s)).astype(float)
    return {"m": m, "s": s, "y": y, "market": sigmoid(m)}


def test_logistic_with_offset_recovers_its_coefficients() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20000, 2))
    offset = rng.normal(0, 0.5, 20000)
    y = (rng.uniform(size=20000) < sigmoid(offset + x @ np.array([0.7, -0.4]))).astype(float)
    fit = fit_logistic(x, y, offset)
    assert fit.coef == pytest.approx([0.7, -0.4], abs=0.05)
    assert (fit.std_err > 0).all() and fit.n == 20000
    # the penalty pulls toward zero, and harder with more of it
    ridge = fit_logistic(x, y, offset, l2=20000.0)
    assert np.all(np.abs(ridge.coef) < np.abs(fit.coef))


def test_a_noise_engine_leaves_the_market_as_it_is() -> None:
    game = simulated(2, signal=0.0)
    noise = sigmoid(game["m"] + np.random.default_rng(3).normal(0, 0.5, N))
    blend = fit_blend(noise, game["market"], game["y"], anchor="a")
    assert abs(blend.gamma) < 0.05 and abs(blend.gamma) < 2 * blend.gamma_std_err + 0.01
    blended = blend.apply(noise, game["market"])
    assert np.max(np.abs(blended - game["market"])) < 0.03


def test_the_engines_level_bias_is_not_taken_for_information() -> None:
    """An engine that says "home" 5 points more often than the market, and nothing else,
    leaves the market's level as it is."""
    game = simulated(10, signal=0.0)
    biased = sigmoid(game["m"] + 0.2)
    blend = fit_blend(biased, game["market"], game["y"], anchor="a")
    assert blend.center == pytest.approx(0.2)
    gap = blend.apply(biased, game["market"]) - game["market"]
    assert abs(gap.mean()) < 1e-3


def test_an_engine_that_knows_more_moves_the_market_and_scores_better() -> None:
    fit_rows, test_rows = simulated(4, signal=0.4), simulated(5, signal=0.4)

    def engine(game: dict[str, np.ndarray]) -> np.ndarray:  # knows the signal, not the price
        return sigmoid(0.1 + 0.4 * game["s"])

    blend = fit_blend(engine(fit_rows), fit_rows["market"], fit_rows["y"], anchor="a")
    assert 0.5 < blend.gamma <= 1.2
    blended = blend.apply(engine(test_rows), test_rows["market"])
    model = per_game_log_loss(test_rows["y"], blended).mean()
    market = per_game_log_loss(test_rows["y"], test_rows["market"]).mean()
    assert model < market - 0.01


def test_the_blend_refuses_few_anchored_rows_and_gives_nan_without_an_anchor() -> None:
    game = simulated(6, signal=0.0)
    anchor = game["market"].copy()
    anchor[29:] = np.nan  # 29 anchored rows: one short of the minimum
    with pytest.raises(ValueError, match="too few"):
        fit_blend(game["market"], anchor[:40], game["y"][:40], anchor="a")
    blend = Blend("a", gamma=0.5, center=0.1, gamma_std_err=0.01, n_fit=100, l2=20.0)
    out = blend.apply(np.array([0.6, 0.6]), np.array([0.5, np.nan]))
    assert out[0] == pytest.approx(sigmoid(0.5 * (logit(np.array(0.6)) - 0.1)))
    assert 0.5 < out[0] < 0.6 and np.isnan(out[1])
    assert Blend.from_dict(blend.as_dict()) == blend


def test_features_empty_or_sparse_in_training_are_not_offered() -> None:
    train = pd.DataFrame({"a": [1.0] * 20, "empty": [np.nan] * 20, "sparse": [1.0] + [np.nan] * 19})
    assert offered_features(train, ["a", "empty", "sparse"]) == ["a"]
    assert offered_features(train, ["a", "sparse"], min_coverage=0.05) == ["a", "sparse"]
    withheld = engine_features("home_win", ["ml_open_home_prob_mult", "home_rd_10"])
    assert withheld == ["home_rd_10"]
    assert "total_over_prob_open" not in engine_features("total_over", ["total_over_prob_open"])


def test_the_skew_report_flags_a_column_only_the_scored_season_fills() -> None:
    train = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "late": [np.nan] * 4})
    score = pd.DataFrame({"x": [3.0, 4.0, 5.0, 6.0], "late": [0.1, 0.2, np.nan, 0.3]})
    report = skew_report(train, score, ["x", "late"]).set_index("feature")
    assert empty_in_training(report.reset_index()) == ["late"]
    assert report.loc["late", "score_null_rate"] == 0.25
    assert report.loc["x", "std_mean_shift"] == pytest.approx(2 / np.std([1, 2, 3, 4]))


def test_the_market_against_itself_shows_no_edge() -> None:
    game = simulated(7, signal=0.0)
    evidence = paired_evidence(game["y"], game["market"], game["market"], n_boot=200)
    assert evidence.diff_mean == 0 and not evidence.shows_edge
    assert evidence_weight(evidence) == 0.0


def test_a_model_that_knows_more_shows_an_edge_with_an_interval() -> None:
    game = simulated(8, signal=0.5)
    model = sigmoid(game["m"] + 0.5 * game["s"])
    evidence = paired_evidence(game["y"], model, game["market"], n_boot=500, seed=1)
    assert evidence.diff_ci_low < evidence.diff_mean < evidence.diff_ci_high < 0
    assert evidence.shows_edge and evidence.edge_probability == 1.0
    assert evidence.n_games == N and 0.8 < evidence.calibration_slope < 1.2
    assert 0.5 < evidence_weight(evidence) <= 1.0
    assert "95% CI" in evidence.describe()


def test_an_overconfident_model_is_worse_and_its_slope_says_so() -> None:
    game = simulated(9, signal=0.0)
    loud = sigmoid(2.5 * game["m"])
    slope, _intercept = calibration(game["y"], loud)
    assert slope < 0.6
    evidence = paired_evidence(game["y"], loud, game["market"], n_boot=300)
    assert evidence.diff_ci_low > 0 and not evidence.shows_edge
    assert evidence_weight(evidence) == 0.0
    assert evidence.mean_gap == pytest.approx(float(np.mean(loud - game["market"])))


def test_too_few_games_are_no_evidence() -> None:
    with pytest.raises(ValueError, match="only 10 games"):
        paired_evidence(np.ones(10), np.full(10, 0.6), np.full(10, 0.5))


def test_logit_is_finite_at_the_edges() -> None:
    assert np.isfinite(logit(np.array([0.0, 1.0]))).all()


def test_the_training_set_reports_the_last_training_season_against_the_scored_one() -> None:
    from mlb_assets.defs.models.assets import season_skew

    frame = pd.DataFrame(
        {
            "season": [2014] * 3 + [2015] * 3 + [2016] * 3,
            "form": [0.1, 0.2, 0.3, 0.2, 0.3, 0.4, 0.3, 0.4, 0.5],
            "moves": [np.nan] * 6 + [1.0, 2.0, 3.0],
        }
    )
    skew = season_skew(frame, ["form", "moves"])
    assert (skew.train_season, skew.score_season, skew.flagged) == (2015, 2016, ["moves"])
    meta = skew.metadata()
    assert meta["skew_seasons"] == "2015 (training) vs 2016 (scored)"
    assert "moves" in meta["skew_report"].value
    assert season_skew(frame[frame["season"] == 2016], ["form"]).flagged == []
