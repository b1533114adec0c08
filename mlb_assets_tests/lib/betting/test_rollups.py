"""ROI by day and scope, bankroll curve, drawdown and the bootstrap interval by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlb_assets.defs.betting.assets import describe_headline
from mlb_assets.lib.betting import rollups
from mlb_assets.lib.betting.rollups import (
    bankroll_curve,
    bootstrap_mean_ci,
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


# The same bets on paper (one unit = 10 here): a ledger of their own, never money.
PAPER = LEDGER.assign(
    paper=True,
    stake=10.0,
    stake_units=1.0,
    profit=[9.0, -10.0, 0.0, 0.0, np.nan, -10.0],
    clv_value=[0.04, -0.02, np.nan, 0.9, np.nan, 0.06],
)
BOTH = pd.concat(
    [LEDGER.assign(paper=False, stake_units=LEDGER["stake"] / 10, clv_value=0.01), PAPER],
    ignore_index=True,
)


def test_money_figures_leave_paper_bets_out() -> None:
    pd.testing.assert_frame_equal(roi_daily(BOTH), roi_daily(LEDGER))
    pd.testing.assert_frame_equal(bankroll_curve(BOTH, 1_000.0), bankroll_curve(LEDGER, 1_000.0))
    assert roi_daily(PAPER).empty and bankroll_curve(PAPER, 1_000.0).empty


def test_summary_has_each_ledger_complete_with_clv_intervals() -> None:
    summary = roi_summary(BOTH, n_boot=300, starting_bankroll=1_000.0)
    money = summary[summary["ledger"].eq("money")].set_index(["scope", "key"])
    paper = summary[summary["ledger"].eq("paper")].set_index(["scope", "key"])
    assert list(money.index) == list(paper.index)  # every scope of both
    assert money.loc[("all", "all"), "roi"] == pytest.approx(-60 / 290)
    assert paper.loc[("all", "all"), "staked"] == 40.0
    assert paper.loc[("all", "all"), "roi"] == pytest.approx(-11 / 40)
    row = paper.loc[("all", "all")]
    assert row["clv_ci_low"] <= row["clv_mean"] <= row["clv_ci_high"]
    # CLV as price value: over the settled bets that have one (the void's 0.9 is not settled)
    assert row["clv_value_mean"] == pytest.approx((0.04 - 0.02 + 0.06) / 3)
    assert row["clv_value_ci_low"] <= row["clv_value_mean"] <= row["clv_value_ci_high"]
    # Bankroll figures belong to the money ledger's overall row only.
    assert money.loc[("all", "all"), "bankroll_return"] == pytest.approx(940 / 1_000 - 1)
    assert money.loc[("all", "all"), "max_drawdown"] == pytest.approx(-100 / 1040)
    assert summary["bankroll_return"].notna().sum() == 1
    assert list(summary.columns) == rollups.SUMMARY_COLUMNS


def test_bootstrap_mean_interval() -> None:
    assert bootstrap_mean_ci(np.array([0.02, 0.02, np.nan])) == pytest.approx((0.02, 0.02))
    low, high = bootstrap_mean_ci(np.array([-0.01, 0.0, 0.01, 0.03]), n_boot=500)
    assert low < 0.0075 < high


def test_headline_reports_money_and_paper_apart() -> None:
    summary = roi_summary(BOTH, n_boot=200)
    figures = headline(BOTH, summary, bankroll_curve(BOTH, 1_000.0))
    assert figures["bets"] == 6 and figures["paper_bets"] == 6
    assert figures["profit"] == -60.0 and figures["final_bankroll"] == 940.0
    assert figures["bankroll_return"] == pytest.approx(-0.06)
    assert figures["paper_staked"] == 4.0 and figures["paper_profit"] == -1.1  # units
    assert figures["paper_roi"] == pytest.approx(-11 / 40)
    text = describe_headline(figures)
    money, paper = text.split("; paper (")
    assert money.startswith("money: 4 settled bets") and "95% CI" in money
    assert "bankroll 940.00 (return -6.00%)" in money
    assert "ROI -27.50% (95% CI" in paper and "CLV as price value" in paper


def test_without_money_bets_the_headline_says_no_proven_edge() -> None:
    summary = roi_summary(PAPER, n_boot=200)
    figures = headline(PAPER, summary, bankroll_curve(PAPER, 1_000.0))
    assert figures["bets"] == 0 and figures["staked"] == 0.0
    text = describe_headline(figures)
    assert text.startswith("no proven edge: no money staked; paper (one unit each")
    assert text.count("95% CI") == 3  # ROI, CLV in points, CLV as price value
    assert describe_headline(headline(LEDGER.iloc[0:0], summary.iloc[0:0], PAPER.iloc[0:0]))


def test_clv_means_use_same_point_closes_only() -> None:
    # The totals loss closed at 9 against a bet at 8.5: its (stale) CLV must not count.
    ledger = LEDGER.assign(
        clv_point_diff=[0.0, 0.5, np.nan, 0.0, np.nan, 0.0],
        clv_value=[0.04, 0.5, np.nan, 0.9, np.nan, 0.06],
    )
    everything = roi_summary(ledger, n_boot=200).set_index(["scope", "key"]).loc[("all", "all")]
    assert everything["clv_mean"] == pytest.approx((0.02 + 0.03) / 2)
    assert everything["clv_value_mean"] == pytest.approx((0.04 + 0.06) / 2)
    assert everything["bets"] == 4  # ROI still counts every settled bet
