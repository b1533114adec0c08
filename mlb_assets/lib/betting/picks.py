"""Picks: both sides of every predicted market, priced at decision time and sized by Kelly.

A prediction gives the model's probability for one side (home for h2h, over for totals);
the other side gets its complement. Each side is joined to the best price across books
and to the market's no-vig probability at the same line, both at decision time, and
:func:`~mlb_assets.lib.betting.staking.stake_fractions` decides whether and how much to
bet. A side that lacks a price or a market probability cannot be sized; it is reported
in ``dropped`` with the reason rather than vanishing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from mlb_assets.lib.betting.staking import StakingParams, stake_fractions
from mlb_assets.lib.snapshots import MARKET_SIDES
from mlb_assets.lib.warehouse import schema
from mlb_assets.lib.warehouse.store import stable_id

PICK_COLUMNS = [column.name for column in schema.picks.columns]
DROPPED_COLUMNS = ["game_id", "market", "side", "reason"]
NO_PRICE = "no price at decision time"
NO_MARKET_PROB = "no market probability at decision time"
OTHER_POINT = "market line at decision time is at another point"

_SIDE_KEY = ["game_id", "market", "side", "point"]
_BEST_RENAMES = {"snapshot_id": "odds_snapshot_id", "captured_at": "quoted_at"}
_OPPOSITE = {
    side: sides[1 - slot] for sides in MARKET_SIDES.values() for slot, side in enumerate(sides)
}


@dataclass(frozen=True)
class PicksBuilt:
    """``frame``: the picks table's rows; ``dropped``: sides that could not be priced."""

    frame: pd.DataFrame
    dropped: pd.DataFrame


def build_picks(
    predictions: pd.DataFrame,
    best: pd.DataFrame,
    market: pd.DataFrame,
    params: StakingParams = StakingParams(),  # noqa: B008 - frozen, a shared default is safe
    novig_method: Literal["mult", "shin"] = "mult",
) -> PicksBuilt:
    """Both sides of each prediction with price, market probability, edge and stake.

    ``best`` comes from :func:`~mlb_assets.lib.betting.prices.best_prices` and ``market``
    from :func:`~mlb_assets.lib.betting.prices.market_probabilities`. For totals and
    spreads only quotes at the prediction's point count: the price and the market
    probability of another line are a different bet. ``market_prob`` is the
    ``market_prob_<novig_method>`` column, the one the edge is measured against.
    """
    if novig_method not in ("mult", "shin"):
        raise ValueError(f"novig_method must be 'mult' or 'shin', not {novig_method!r}")
    sides = _both_sides(predictions)
    priced = sides.merge(
        _at_line(best).rename(columns=_BEST_RENAMES), on=_SIDE_KEY, how="left", validate="m:1"
    )
    market_columns = ["market_prob_mult", "market_prob_shin"]
    joined = priced.merge(
        _at_line(market)[[*_SIDE_KEY, *market_columns]], on=_SIDE_KEY, how="left", validate="m:1"
    )
    joined["market_prob"] = joined[f"market_prob_{novig_method}"]
    reason = _drop_reason(joined, market)
    kept = joined[reason.isna()].reset_index(drop=True)
    dropped = joined.loc[reason.notna(), DROPPED_COLUMNS[:3]].assign(reason=reason.dropna())
    return PicksBuilt(frame=_sized(kept, params), dropped=_sorted(dropped, DROPPED_COLUMNS))


def _both_sides(predictions: pd.DataFrame) -> pd.DataFrame:
    """The predicted side with ``prob`` and the opposite side with ``1 - prob``."""
    carried = ["game_id", "game_date", "market", "decision_at", "model_name", "model_version"]
    point = _line_point(predictions["market"], predictions["point"])
    predicted = predictions[carried].assign(
        side=predictions["side"], point=point, model_prob=predictions["prob"].astype(float)
    )
    opposite_point = point.where(predictions["market"].ne("spreads"), -point)
    opposite = predictions[carried].assign(
        side=predictions["side"].map(_OPPOSITE),
        point=opposite_point,
        model_prob=1.0 - predictions["prob"].astype(float),
    )
    return pd.concat([predicted, opposite], ignore_index=True)


def _line_point(market_names: pd.Series, point: pd.Series) -> pd.Series:
    """The point as a float; NaN for h2h, which has no line (so NaN keys join with NaN)."""
    return point.astype(float).where(market_names.ne("h2h"))


def _at_line(market: pd.DataFrame) -> pd.DataFrame:
    """``market`` with its point normalised like the predictions' so the keys join."""
    return market.assign(point=_line_point(market["market"], market["point"]))


def _drop_reason(joined: pd.DataFrame, market: pd.DataFrame) -> pd.Series:
    """Why a side cannot be sized (None when it can), first missing input first."""
    quoted_sides = market.set_index(["game_id", "market", "side"]).index
    side_quoted = joined.set_index(["game_id", "market", "side"]).index.isin(quoted_sides)
    reasons = np.select(
        [
            joined["price_american"].isna(),
            joined["market_prob"].isna() & side_quoted & joined["market_prob_mult"].isna(),
            joined["market_prob"].isna(),
        ],
        [NO_PRICE, OTHER_POINT, NO_MARKET_PROB],
        default="",
    )
    return pd.Series(np.where(reasons == "", None, reasons), index=joined.index, dtype=object)


def _sized(kept: pd.DataFrame, params: StakingParams) -> pd.DataFrame:
    """Stake fractions, bet flag and stable pick id in the picks table's column order."""
    price = kept["price_american"].astype(float)
    sizing = stake_fractions(kept["model_prob"], kept["market_prob"], price, params)
    frame = pd.concat([kept, sizing], axis=1)
    frame["is_bet"] = frame["stake_fraction"].gt(0)
    ids = zip(frame["game_id"], frame["market"], frame["side"], strict=True)
    frame["pick_id"] = pd.Series([stable_id(*key) for key in ids], index=frame.index, dtype="int64")
    frame = frame.astype({"price_american": "int64", "odds_snapshot_id": "int64"})
    return _sorted(frame, PICK_COLUMNS, by=["game_date", "game_id", "market", "side"])


def _sorted(frame: pd.DataFrame, columns: list[str], by: list[str] | None = None) -> pd.DataFrame:
    ordered = frame.sort_values(by or ["game_id", "market", "side"], kind="stable")
    return ordered[columns].reset_index(drop=True)
