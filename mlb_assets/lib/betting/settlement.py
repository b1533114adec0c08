"""Settling bets at American odds against final scores, and closing-line value.

Suspended games follow the rule sportsbooks apply to baseball: a game MLB declares
official is graded on its official score, whenever that score arrives. The MLB Stats API
keeps a suspended game's ``gamePk`` and official date when it resumes on a later day, so
the game keeps its ``game_id`` and its status turns ``final`` once the resumption ends
(the schedule lists "Completed Early" games, official after five innings or four and a
half with the home team ahead, as final too). Until then bets on it stay open. A game
still suspended :data:`SUSPENDED_VOID_DAYS` days after its game date is void (stakes
returned): MLB resumes a suspended game the next day or later in the same series, and a
series lasts at most four days, so a game unfinished by then will not be completed
before the books settle it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlb_assets.lib.odds import american_to_decimal, american_to_implied
from mlb_assets.lib.settings import GAME_TIMEZONE

#: Days after its game date a still-suspended game's bets are void.
SUSPENDED_VOID_DAYS = 4
#: The status :func:`resolve_suspended` gives a suspended game past the horizon.
SUSPENDED_VOID = "suspended_void"
VOID_STATUSES = frozenset({"postponed", "cancelled", SUSPENDED_VOID})


def resolve_suspended(games: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """``games`` with each suspended game's settling status (see the module docstring).

    A suspended game listed again as final under another ``game_id`` with the same
    ``mlb_game_pk`` (a source that dated the resumption by its own day) takes that
    listing's status and scores. One still suspended more than
    :data:`SUSPENDED_VOID_DAYS` days or more after its ``game_date`` (local) at ``now`` gets
    :data:`SUSPENDED_VOID`. Needs game_id, status, home_score, away_score, game_date;
    ``mlb_game_pk`` is optional.
    """
    suspended = games["status"].eq("suspended")
    if not suspended.any():
        return games
    out = games.copy()
    if "mlb_game_pk" in out.columns:
        finals = out[out["status"].eq("final") & out["mlb_game_pk"].notna()]
        finals = finals.drop_duplicates("mlb_game_pk").set_index("mlb_game_pk")
        twin = suspended & out["mlb_game_pk"].isin(finals.index)
        pk = out.loc[twin, "mlb_game_pk"]
        for column in ("status", "home_score", "away_score"):
            out.loc[twin, column] = finals.loc[pk, column].to_numpy()
    today = now.tz_convert(GAME_TIMEZONE).date()
    age = pd.Series(
        [(today - day).days if day is not None else 0 for day in _dates(out["game_date"])],
        index=out.index,
    )
    expired = out["status"].eq("suspended") & (age >= SUSPENDED_VOID_DAYS)
    out.loc[expired, "status"] = SUSPENDED_VOID
    return out


def _dates(values: pd.Series) -> list:
    return [None if pd.isna(v) else pd.Timestamp(v).date() for v in values]


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
    away_score. A postponed or cancelled game voids the bet (stake returned), as does a
    suspended game past its horizon (status :data:`SUSPENDED_VOID`, see
    :func:`resolve_suspended`); a game not yet over, or suspended and still resumable,
    leaves the bet unsettled (result None).
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
