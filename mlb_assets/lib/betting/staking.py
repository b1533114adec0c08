"""Edge, expected value and fractional-Kelly stakes for a side at an American price.

Kelly's stake for win probability ``p`` at net odds ``b`` (decimal price minus one) is the
bankroll share ``(b * p - (1 - p)) / b``; betting a fraction of it (a quarter by default)
trades growth for a much smaller drawdown when ``p`` is overestimated, which a model's
probability always is to some degree. Stakes are capped at a share of the bankroll and
placed only when the edge over the market's no-vig probability clears a minimum.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlb_assets.lib.odds import american_to_decimal

UNIT_SHARE = 0.01  # one unit = 1% of the starting bankroll (a paper bet's stake)


@dataclass(frozen=True)
class StakingParams:
    """Defaults: quarter Kelly, at most 2% of the bankroll, only edges of 3 points or more;
    tiers A/B/C from the model probability (0.65 / 0.60 / 0.55)."""

    kelly_fraction: float = 0.25
    max_bet_share: float = 0.02  # of the bankroll (0.02 = 2%)
    min_edge: float = 0.03
    tier_a: float = 0.65
    tier_b: float = 0.60
    tier_c: float = 0.55

    def __post_init__(self) -> None:
        if not 0 < self.kelly_fraction <= 1:
            raise ValueError("kelly_fraction must be in (0, 1]")
        if not 0 < self.max_bet_share <= 1:
            raise ValueError("max_bet_share must be in (0, 1]")
        if not self.tier_a >= self.tier_b >= self.tier_c:
            raise ValueError("tiers must satisfy tier_a >= tier_b >= tier_c")


def kelly_fraction(p: pd.Series, price_american: pd.Series) -> pd.Series:
    """The full-Kelly bankroll share (negative when the bet has negative expectation)."""
    b = pd.Series(american_to_decimal(price_american), index=p.index) - 1.0
    return (b * p - (1.0 - p)) / b


def expected_value(p: pd.Series, price_american: pd.Series) -> pd.Series:
    """Expected profit per unit staked: p * decimal - 1."""
    return p * pd.Series(american_to_decimal(price_american), index=p.index) - 1.0


def tier(p: pd.Series, params: StakingParams) -> pd.Series:
    """A, B or C by the model probability; None below the lowest tier."""
    conditions = [p >= params.tier_a, p >= params.tier_b, p >= params.tier_c]
    labels = np.select(conditions, ["A", "B", "C"], default="")
    return pd.Series(labels, index=p.index).replace("", None)


def stake_fractions(
    model_prob: pd.Series,
    market_prob: pd.Series,
    price_american: pd.Series,
    params: StakingParams = StakingParams(),  # frozen: a shared default is safe
) -> pd.DataFrame:
    """Per side: edge, EV, full Kelly, the bankroll share to stake and the tier.

    ``stake_fraction`` is left unrounded: the money amount depends on the bankroll on the
    day the bet is placed, which only the ledger knows. It is 0 (and the tier None) when
    the edge is below ``min_edge`` or Kelly advises no bet; a missing market probability
    or an invalid price makes the edge or Kelly NaN, which never bets.
    """
    edge = model_prob - market_prob
    full = kelly_fraction(model_prob, price_american)
    share = (full * params.kelly_fraction).clip(lower=0, upper=params.max_bet_share)
    bet = (edge >= params.min_edge) & (share > 0)
    return pd.DataFrame(
        {
            "edge": edge,
            "expected_value": expected_value(model_prob, price_american),
            "kelly_full": full,
            "stake_fraction": share.where(bet, 0.0),
            "tier": tier(model_prob, params).where(bet, None),
        }
    )


def stakes(
    model_prob: pd.Series,
    market_prob: pd.Series,
    price_american: pd.Series,
    bankroll: float,
    params: StakingParams = StakingParams(),  # frozen: a shared default is safe
) -> pd.DataFrame:
    """Per side: edge, EV, full Kelly, the stake in money (0 when not bet) and the tier."""
    if bankroll <= 0:
        raise ValueError("bankroll must be positive")
    frame = stake_fractions(model_prob, market_prob, price_american, params)
    frame.insert(3, "stake", (frame.pop("stake_fraction") * bankroll).round(2))
    return frame
