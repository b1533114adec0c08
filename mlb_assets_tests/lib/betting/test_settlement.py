"""American-odds settlement of wins, losses, pushes and voids on hand-computed bets."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.betting.settlement import (
    SUSPENDED_VOID,
    SUSPENDED_VOID_DAYS,
    clv_prob,
    resolve_suspended,
    settle,
)

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


def _suspended_games() -> pd.DataFrame:
    # game_id, status, home_score, away_score, game_date, mlb_game_pk
    return pd.DataFrame(
        [
            ("S1", "suspended", 2, 2, date(2024, 5, 1), 11),  # resumed: final listing below
            ("S1X", "final", 3, 2, date(2024, 5, 2), 11),
            ("S2", "suspended", 1, 0, date(2024, 5, 1), 12),  # never resumed
            ("S3", "suspended", 0, 0, date(2024, 5, 4), 13),  # resumable still
            ("S4", "final", 4, 1, date(2024, 5, 1), 14),  # "Completed Early": official
        ],
        columns=["game_id", "status", "home_score", "away_score", "game_date", "mlb_game_pk"],
    )


def test_suspended_games_settle_on_the_final_score_or_void_after_the_horizon() -> None:
    now = pd.Timestamp("2024-05-06T03:00:00Z")  # 2024-05-05 in New York
    resolved = resolve_suspended(_suspended_games(), now).set_index("game_id")
    assert resolved.loc["S1", ["status", "home_score", "away_score"]].tolist() == ["final", 3, 2]
    assert resolved.loc["S2", "status"] == SUSPENDED_VOID  # 4 days on: past the horizon
    assert resolved.loc["S3", "status"] == "suspended"
    assert resolved.loc["S4", "status"] == "final"
    bets = resolved.reset_index().assign(
        market="h2h", side="home", point=np.nan, price_american=100, stake=10.0
    )
    assert settle(bets)["result"].tolist() == ["win", "win", "void", None, "win"]
    # one day earlier S2 was still open: the horizon is SUSPENDED_VOID_DAYS after its date
    day_before = resolve_suspended(_suspended_games(), now - pd.Timedelta(days=1))
    assert day_before.set_index("game_id").loc["S2", "status"] == "suspended"
    assert SUSPENDED_VOID_DAYS == 4
