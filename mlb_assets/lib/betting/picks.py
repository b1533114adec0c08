"""Picks: both sides of every predicted market, priced at decision time and sized by Kelly.

A prediction gives the model's probability for one side (home for h2h, over for totals);
the other side gets its complement. Each side is joined to the best price across books
and to the market's no-vig probability at the same line, both at decision time, and
:func:`~mlb_assets.lib.betting.staking.stake_fractions` decides whether and how much to
bet. A side that lacks a price or a market probability cannot be sized; it is reported
in ``dropped`` with the reason rather than vanishing.

The betting gate (:mod:`~mlb_assets.lib.betting.gate`) decides what a prediction's model
version may do. Open: Kelly and the minimum edge see ``kelly_prob``, the market's
probability moved towards the model's by the evidence weight, since the model is trusted
only as far as its evidence goes. Closed: the pick is a paper pick, decided on the model's
own probability by the same rule and staked one unit on paper, so its record shows what
the model would have done without risking money on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from mlb_assets.lib.betting.gate import GateDecision, ModelKey
from mlb_assets.lib.betting.staking import UNIT_SHARE, StakingParams, stake_fractions, tier
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
    *,
    gates: Mapping[ModelKey, GateDecision],
) -> PicksBuilt:
    """Both sides of each prediction with price, market probability, edge and stake.

    ``best`` comes from :func:`~mlb_assets.lib.betting.prices.best_prices` and ``market``
    from :func:`~mlb_assets.lib.betting.prices.market_probabilities`. For totals and
    spreads only quotes at the prediction's point count: the price and the market
    probability of another line are a different bet. ``market_prob`` is the
    ``market_prob_<novig_method>`` column, the one the edge is measured against.
    ``gates`` holds the decision per (model_name, model_version); a version without one
    is treated as closed (paper picks).
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
    gated = _with_gates(kept, gates)
    return PicksBuilt(frame=_sized(gated, params), dropped=_sorted(dropped, DROPPED_COLUMNS))


def _with_gates(kept: pd.DataFrame, gates: Mapping[ModelKey, GateDecision]) -> pd.DataFrame:
    """``paper``, ``evidence_weight`` and ``kelly_prob`` per side from its model's gate."""
    weights = {key: gate.weight for key, gate in gates.items() if gate.is_open}
    keys = zip(kept["model_name"], kept["model_version"].astype(str), strict=True)
    weight = pd.Series([weights.get(key) for key in keys], index=kept.index, dtype=float)
    paper = weight.isna()
    trusted = kept["market_prob"] + weight * (kept["model_prob"] - kept["market_prob"])
    return kept.assign(
        paper=paper, evidence_weight=weight, kelly_prob=trusted.where(~paper, kept["model_prob"])
    )


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
    """Stake fractions, bet flag and stable pick id in the picks table's column order.

    ``edge`` stays the model's own (model − market) and the tier follows the model's
    probability; whether and how much to bet follow ``kelly_prob``. A paper bet's
    stake_fraction is one unit's share of the starting bankroll.
    """
    price = kept["price_american"].astype(float)
    sizing = stake_fractions(kept["kelly_prob"], kept["market_prob"], price, params)
    bet = sizing["stake_fraction"].gt(0)
    sizing["edge"] = kept["model_prob"] - kept["market_prob"]
    sizing["tier"] = tier(kept["model_prob"], params).where(bet, None)
    sizing["stake_fraction"] = sizing["stake_fraction"].where(~(kept["paper"] & bet), UNIT_SHARE)
    frame = pd.concat([kept, sizing], axis=1)
    frame["is_bet"] = bet
    ids = zip(frame["game_id"], frame["market"], frame["side"], strict=True)
    frame["pick_id"] = pd.Series([stable_id(*key) for key in ids], index=frame.index, dtype="int64")
    frame = frame.astype({"price_american": "int64", "odds_snapshot_id": "int64"})
    return _sorted(frame, PICK_COLUMNS, by=["game_date", "game_id", "market", "side"])


def _sorted(frame: pd.DataFrame, columns: list[str], by: list[str] | None = None) -> pd.DataFrame:
    ordered = frame.sort_values(by or ["game_id", "market", "side"], kind="stable")
    return ordered[columns].reset_index(drop=True)
