"""Settling bets at American odds against final scores, and closing-line value."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlb_assets.lib.odds import american_to_decimal, american_to_implied

VOID_STATUSES = frozenset({"postponed", "cancelled"})


def margin(bets: pd.DataFrame) -> pd.Series:
    """How far each bet's side finished ahead of its line (> 0 wins, 0 pushes, < 0 loses).

    ``bets`` needs market, side, point, home_score, away_score. h2h: the side's run
    margin; spreads: the side's margin plus its point; totals: total runs minus the line
    for the over (the reverse for the under).
    """
    home_margin = bets["home_score"].astype(float) - bets["away_score"].astype(float)
    side_margin = np.where(bets["side"] == "home", home_margin, -home_margin)
    total = bets["home_score"].astype(float) + bets["away_score"].astype(float)
    over_margin = total - bets["point"].astype(float)
    point = bets["point"].astype(float).fillna(0.0)
    values = np.select(
        [bets["market"] == "h2h", bets["market"] == "spreads", bets["side"] == "over"],
        [side_margin, side_margin + point, over_margin],
        default=-over_margin,
    )
    return pd.Series(values, index=bets.index)


def settle(bets: pd.DataFrame) -> pd.DataFrame:
    """``result`` (win / loss / push / void) and ``profit`` in money for each bet.

    ``bets`` needs market, side, point, price_american, stake, status, home_score,
    away_score. A postponed or cancelled game voids the bet (stake returned); a game not
    yet over leaves the bet unsettled (result None).
    """
    m = margin(bets)
    void = bets["status"].isin(VOID_STATUSES)
    over = bets["status"].eq("final") & bets["home_score"].notna() & bets["away_score"].notna()
    result = np.select(
        [void, over & (m > 0), over & (m < 0), over & (m == 0)],
        ["void", "win", "loss", "push"],
        default="",
    )
    decimal = pd.Series(american_to_decimal(bets["price_american"]), index=bets.index)
    stake = bets["stake"].astype(float)
    profit = np.select(
        [result == "win", result == "loss"], [stake * (decimal - 1.0), -stake], default=0.0
    )
    out = pd.DataFrame({"result": pd.Series(result, index=bets.index).replace("", None)})
    out["profit"] = pd.Series(profit, index=bets.index).round(2).where(out["result"].notna())
    return out


def clv_prob(price_taken: pd.Series, closing_prob_novig: pd.Series) -> pd.Series:
    """Closing-line value in probability points: the side's closing no-vig probability
    minus the probability implied by the price taken (positive: the bet beat the close)."""
    implied = pd.Series(american_to_implied(price_taken), index=price_taken.index)
    return closing_prob_novig - implied
