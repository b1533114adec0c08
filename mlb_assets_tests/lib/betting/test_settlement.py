"""American-odds settlement of wins, losses, pushes and voids on hand-computed bets."""

from __future__ import annotations

import pandas as pd
import pytest

from mlb_assets.lib.betting.settlement import clv_prob, settle

BETS = pd.DataFrame(
    [
        # market, side, point, price, stake, status, home, away -> result, profit
        ("h2h", "home", None, -150, 150.0, "final", 5, 3),  # win 100.00
        ("h2h", "away", None, 130, 100.0, "final", 5, 3),  # loss -100.00
        ("spreads", "away", 1.5, -180, 90.0, "final", 5, 4),  # 4+1.5 > 5: win 50.00
        ("spreads", "home", -1.5, 160, 50.0, "final", 5, 4),  # 1-1.5 < 0: loss -50
        ("totals", "over", 9.0, -110, 110.0, "final", 5, 4),  # 9 = 9: push 0
        ("totals", "under", 8.5, 105, 100.0, "final", 5, 4),  # 9 > 8.5: loss -100
        ("totals", "over", 8.5, 105, 100.0, "final", 5, 4),  # win 105.00
        ("h2h", "home", None, 120, 100.0, "postponed", None, None),  # void 0
        ("h2h", "home", None, 120, 100.0, "scheduled", None, None),  # unsettled
    ],
    columns=[
        "market",
        "side",
        "point",
        "price_american",
        "stake",
        "status",
        "home_score",
        "away_score",
    ],
)


def test_results_and_profits_by_hand() -> None:
    settled = settle(BETS)
    assert settled["result"].tolist() == [
        "win",
        "loss",
        "win",
        "loss",
        "push",
        "loss",
        "win",
        "void",
        None,
    ]
    assert settled["profit"].iloc[:8].tolist() == [
        100.0,
        -100.0,
        50.0,
        -50.0,
        0.0,
        -100.0,
        105.0,
        0.0,
    ]
    assert pd.isna(settled["profit"].iloc[8])


def test_clv_in_probability_points() -> None:
    # Took +110 (implied 0.476190); the side closed at a no-vig 0.50: +2.38 points.
    value = clv_prob(pd.Series([110.0]), pd.Series([0.50])).iloc[0]
    assert value == pytest.approx(0.5 - 100 / 210)
