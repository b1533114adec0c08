"""Kelly stakes, caps, thresholds and tiers on hand-computed bets."""

from __future__ import annotations

import pandas as pd
import pytest

from mlb_assets.lib.betting.staking import StakingParams, expected_value, kelly_fraction, stakes


def _s(*values: float) -> pd.Series:
    return pd.Series(values, dtype=float)


def test_kelly_and_ev_by_hand() -> None:
    # +150: b = 1.5; p = 0.45 -> (1.5*0.45 - 0.55) / 1.5 = 0.083333...
    assert kelly_fraction(_s(0.45), _s(150)).iloc[0] == pytest.approx(0.125 / 1.5)
    # -110: b = 100/110; p = 0.55 -> (0.90909*0.55 - 0.45) / 0.90909 = 0.055
    assert kelly_fraction(_s(0.55), _s(-110)).iloc[0] == pytest.approx(0.055)
    assert expected_value(_s(0.45), _s(150)).iloc[0] == pytest.approx(0.45 * 2.5 - 1)


def test_fraction_cap_threshold_and_tier() -> None:
    frame = stakes(
        model_prob=_s(0.45, 0.70, 0.52, 0.56),
        market_prob=_s(0.40, 0.60, 0.51, 0.50),
        price_american=_s(150, -120, -105, 105),
        bankroll=10_000,
    )
    # 0.45 at +150: quarter Kelly of 0.083333 = 2.0833% -> capped at 2% = 200.00
    assert frame.loc[0, "stake"] == 200.0 and frame.loc[0, "tier"] is None  # p < 0.55
    # 0.70 at -120: b = 0.8333, full = (0.5833-0.3)/0.8333 = 0.34; quarter = 8.5% -> cap 2%
    assert frame.loc[1, "stake"] == 200.0 and frame.loc[1, "tier"] == "A"
    # edge 0.01 < 3 points: no bet, no tier
    assert frame.loc[2, "stake"] == 0.0 and frame.loc[2, "tier"] is None
    # 0.56 at +105: b = 1.05, full = (0.588-0.44)/1.05 = 0.140952; quarter = 3.52% -> cap
    assert frame.loc[3, "stake"] == 200.0 and frame.loc[3, "tier"] == "C"


def test_small_kelly_is_not_capped() -> None:
    frame = stakes(_s(0.53), _s(0.50), _s(100), bankroll=1_000)
    # b = 1, full = 0.06, quarter = 1.5% of 1,000 = 15.00
    assert frame.loc[0, "stake"] == 15.0


def test_parameters_are_checked() -> None:
    with pytest.raises(ValueError, match="kelly_fraction"):
        StakingParams(kelly_fraction=0)
    with pytest.raises(ValueError, match="bankroll"):
        stakes(_s(0.6), _s(0.5), _s(100), bankroll=0)
