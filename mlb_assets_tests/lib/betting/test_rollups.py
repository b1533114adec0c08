"""ROI by day and scope, bankroll curve, drawdown and the bootstrap interval by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.betting import rollups
from mlb_assets.lib.betting.rollups import (
    bankroll_curve,
    bootstrap_roi_ci,
    headline,
    max_drawdown,
    roi_daily,
    roi_summary,
)
from mlb_assets.lib.warehouse.reporting import REPORTING_VIEWS

LEDGER = pd.DataFrame(
    [
        # game_date, result, stake, profit, tier, market, clv_prob
        ("2024-04-01", "win", 100.0, 90.0, "A", "h2h", 0.02),
        ("2024-04-01", "loss", 50.0, -50.0, "B", "totals", -0.01),
        ("2024-04-02", "push", 40.0, 0.0, "A", "h2h", np.nan),
        ("2024-04-02", "void", 30.0, 0.0, "A", "h2h", 0.5),  # excluded everywhere
        ("2024-04-02", None, 20.0, np.nan, None, "h2h", np.nan),  # pending
        ("2024-05-01", "loss", 100.0, -100.0, None, "totals", 0.03),
    ],
    columns=["game_date", "result", "stake", "profit", "tier", "market", "clv_prob"],
).assign(
    month=lambda frame: frame["game_date"].str[:7],
    season=2024,
    game_date=lambda frame: pd.to_datetime(frame["game_date"]).dt.date,
)


def test_roi_daily_by_hand() -> None:
    daily = roi_daily(LEDGER)
    assert list(daily.columns) == list(REPORTING_VIEWS["roi_daily"].columns)
    first, second, third = (daily.iloc[i] for i in range(3))
    assert first[["bets", "settled", "wins", "losses"]].tolist() == [2, 2, 1, 1]
    assert first["staked"] == 150.0 and first["profit"] == 40.0
    assert first["roi"] == pytest.approx(40 / 150)
    counts = ["bets", "settled", "wins", "losses", "pushes", "voids", "pending"]
    assert second[counts].tolist() == [3, 1, 0, 0, 1, 1, 1]
    assert second["staked"] == 40.0 and second["roi"] == 0.0  # the void's 30 is not staked
    assert third["roi"] == -1.0


def test_bankroll_curve_and_drawdown_by_hand() -> None:
    curve = bankroll_curve(LEDGER, 1_000.0)
    assert curve["bankroll_start"].tolist() == [1_000.0, 1_040.0, 1_040.0]
    assert curve["bankroll_end"].tolist() == [1_040.0, 1_040.0, 940.0]
    assert curve["peak"].tolist() == [1_040.0, 1_040.0, 1_040.0]
    assert curve["drawdown"].tolist() == pytest.approx([0.0, 0.0, 940 / 1040 - 1])
    assert max_drawdown(curve) == pytest.approx(-100 / 1040)


def test_the_peak_includes_the_starting_bankroll() -> None:
    curve = bankroll_curve(LEDGER.iloc[[1]], 1_000.0)  # a loss of 50 on the first day
    assert curve["peak"].tolist() == [1_000.0]
    assert max_drawdown(curve) == pytest.approx(-0.05)
    assert max_drawdown(bankroll_curve(LEDGER.iloc[0:0], 1_000.0)) == 0.0


def test_roi_summary_by_hand() -> None:
    summary = roi_summary(LEDGER, n_boot=200).set_index(["scope", "key"])
    everything = summary.loc[("all", "all")]
    # settled: win 100/+90, loss 50/-50, push 40/0, loss 100/-100
    assert everything["bets"] == 4
    assert everything["staked"] == 290.0 and everything["profit"] == -60.0
    assert everything["roi"] == pytest.approx(-60 / 290)
    assert everything["win_rate"] == pytest.approx(1 / 3)  # the push is not a decision
    assert everything["clv_mean"] == pytest.approx((0.02 - 0.01 + 0.03) / 3)
    assert everything["clv_positive_share"] == pytest.approx(2 / 3)
    assert summary.loc[("tier", "A"), "roi"] == pytest.approx(90 / 140)
    assert summary.loc[("tier", "A"), "win_rate"] == 1.0
    assert summary.loc[("tier", "untiered"), "profit"] == -100.0
    assert summary.loc[("market", "totals"), "roi"] == pytest.approx(-150 / 150)
    assert summary.loc[("month", "2024-04"), "roi"] == pytest.approx(40 / 190)
    assert summary.loc[("season", "2024"), "staked"] == 290.0
    assert np.isnan(summary.loc[("month", "2024-05"), "roi_ci_low"])  # one bet: no interval
    assert set(summary.index.get_level_values("scope")) == {
        "all",
        "tier",
        "market",
        "month",
        "season",
    }


def test_bootstrap_of_identical_bets_is_a_point() -> None:
    low, high = bootstrap_roi_ci(np.array([10.0, 10.0]), np.array([100.0, 100.0]))
    assert (low, high) == pytest.approx((0.1, 0.1))
    assert all(np.isnan(bootstrap_roi_ci(np.array([10.0]), np.array([100.0]))))


def _coin_flips(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Even-money bets of 1 that win 55% of the time."""
    wins = np.random.default_rng(seed).random(n) < 0.55
    return np.where(wins, 1.0, -1.0), np.ones(n)


def test_bootstrap_contains_the_roi_and_narrows_with_more_bets() -> None:
    few_profit, few_stake = _coin_flips(50, seed=1)
    many_profit, many_stake = _coin_flips(5_000, seed=1)
    few = bootstrap_roi_ci(few_profit, few_stake)
    many = bootstrap_roi_ci(many_profit, many_stake)
    cases = [(few, few_profit, few_stake), (many, many_profit, many_stake)]
    for (low, high), profit, stake in cases:
        assert low < profit.sum() / stake.sum() < high
    # the width shrinks like 1/sqrt(n): 100x the bets, about a tenth of the width
    assert (many[1] - many[0]) < 0.2 * (few[1] - few[0])


def test_bootstrap_is_deterministic_and_chunking_does_not_matter(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    profit, stake = _coin_flips(300, seed=2)
    first = bootstrap_roi_ci(profit, stake, seed=5)
    assert bootstrap_roi_ci(profit, stake, seed=5) == first
    assert bootstrap_roi_ci(profit, stake, seed=6) != first
    monkeypatch.setattr(rollups, "_BOOT_CHUNK_ELEMENTS", 700)  # two resamples per chunk
    assert bootstrap_roi_ci(profit, stake, seed=5) == first


def test_headline() -> None:
    curve = bankroll_curve(LEDGER, 1_000.0)
    summary = roi_summary(LEDGER, n_boot=200)
    figures = headline(LEDGER, summary, curve)
    assert figures["bets"] == 6 and figures["settled"] == 4
    assert figures["staked"] == 290.0 and figures["profit"] == -60.0
    assert figures["roi"] == pytest.approx(-60 / 290)
    assert figures["roi_ci_low"] <= figures["roi"] <= figures["roi_ci_high"]
    assert figures["clv_positive_share"] == pytest.approx(2 / 3)
    assert figures["final_bankroll"] == 940.0
    assert figures["max_drawdown"] == pytest.approx(-100 / 1040)
