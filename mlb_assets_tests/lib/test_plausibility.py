"""Plausibility rules: each rule alone, pairs, and how normalize_quotes applies them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib import plausibility
from mlb_assets.lib.plausibility import PlausibilityRules, pair_reasons, row_reasons
from mlb_assets.lib.quality.suites import SPREAD_RANGE, TOTAL_RANGE
from mlb_assets.lib.snapshots import normalize_quotes

T0 = pd.Timestamp("2016-04-02 12:00", tz="UTC")


def quote(
    market: str = "h2h",
    side: str = "home",
    price: float = -110,
    point: float = np.nan,
    *,
    book: str = "pinnacle",
    minutes: int = 0,
) -> dict:
    return {
        "game_id": "PIT201604030",
        "book": book,
        "market": market,
        "side": side,
        "point": point,
        "price_american": price,
        "captured_at": T0 + pd.Timedelta(minutes=minutes),
    }


def frame(*rows: dict) -> pd.DataFrame:
    return pd.DataFrame(list(rows))


ROW_CASES = [
    (quote(price=-35), "price -35 is not an American price (|price| < 100)"),
    (quote(price=99), "price 99 is not an American price (|price| < 100)"),
    (quote(price=-1100), "price -1100 is beyond +-1000"),
    (quote(price=1500), "price 1500 is beyond +-1000"),
    (
        quote(price=-110.5),
        "price -110.5 is not a whole American price (quarantined, not rounded)",
    ),
    (
        quote("totals", "over", point=0.5),
        "totals point 0.5 is outside the full-game range 4.5..20 "
        "(a first-inning or team total under the full-game key)",
    ),
    (
        quote("totals", "under", point=24.5),
        "totals point 24.5 is outside the full-game range 4.5..20 "
        "(a first-inning or team total under the full-game key)",
    ),
    (quote("totals", "over", point=8.25), "totals point 8.25 is not a multiple of 0.5"),
    (quote("spreads", point=-1.25), "spreads point -1.25 is not a multiple of 0.5"),
    (quote("spreads", point=-7.5), "spreads point -7.5 is outside the run-line range +-5"),
]


@pytest.mark.parametrize(("row", "reason"), ROW_CASES, ids=[r for _, r in ROW_CASES])
def test_row_rule_names_the_rule_and_the_value(row: dict, reason: str) -> None:
    assert row_reasons(frame(row)).tolist() == [reason]


@pytest.mark.parametrize(
    "row",
    [
        quote(price=-100),
        quote(price=100),
        quote(price=-485),
        quote(price=1000),
        quote("totals", "over", point=4.5),
        quote("totals", "over", point=20.0),
        quote("spreads", point=1.5),
        quote("spreads", point=0.0),
        quote(price=np.nan),  # missing values are the structural checks' to report
    ],
)
def test_plausible_values_pass(row: dict) -> None:
    assert row_reasons(frame(row)).tolist() == [""]


def test_several_broken_rules_are_all_named() -> None:
    reasons = row_reasons(frame(quote("totals", "over", price=-50, point=0.25)))
    assert reasons.iloc[0] == (
        "price -50 is not an American price (|price| < 100); "
        "totals point 0.25 is not a multiple of 0.5; "
        "totals point 0.25 is outside the full-game range 4.5..20 "
        "(a first-inning or team total under the full-game key)"
    )


def test_rules_are_configurable() -> None:
    narrow = PlausibilityRules(total_range=(6.0, 12.0))
    assert (
        row_reasons(frame(quote("totals", "over", point=5.5)), narrow)
        .iloc[0]
        .startswith("totals point 5.5 is outside the full-game range 6..12")
    )


def test_overround_of_a_pair() -> None:
    sound = frame(quote(price=-120), quote(side="away", price=110))
    assert pair_reasons(sound).tolist() == ["", ""]
    flipped = frame(quote(price=-150), quote(side="away", price=-140))  # a sign flipped
    expected = "h2h overround 1.183 of prices -150/-140 is outside 0.95..1.15"
    assert pair_reasons(flipped).tolist() == [expected, expected]
    digit = frame(quote(price=-110), quote(side="away", price=1000))  # +100 with a 0 more
    assert pair_reasons(digit).iloc[0].startswith("h2h overround 0.615 of prices -110/1000")


def test_spreads_points_must_be_opposite_and_totals_points_equal() -> None:
    spreads = frame(quote("spreads", point=-1.5), quote("spreads", "away", point=-1.5))
    assert pair_reasons(spreads).iloc[1] == (
        "spreads points -1.5 (home) and -1.5 (away) are not opposite"
    )
    totals = frame(quote("totals", "over", point=8.5), quote("totals", "under", point=9.0))
    assert pair_reasons(totals).iloc[0] == "totals points 8.5 (over) and 9 (under) differ"


def test_pairs_are_per_book_market_and_instant() -> None:
    rows = frame(
        quote(price=-150),
        quote(side="away", price=-140, book="other"),  # another book: no pair
        quote(side="away", price=-140, minutes=5),  # another instant: no pair
        quote("spreads", "away", price=-140, point=1.5),  # another market: no pair
    )
    assert (pair_reasons(rows) == "").all()


def test_the_overround_bounds_hold_the_archive_extremes() -> None:
    # The 2016 Pinnacle archive's pairs sum to 0.974 (totals) .. 1.039 (h2h).
    low, high = plausibility.OVERROUND_RANGE
    assert low < 0.974 and high > 1.039
    assert plausibility.implied_probability(np.array([-110.0, 100.0, 150.0])) == pytest.approx(
        [110 / 210, 0.5, 0.4]
    )


def test_stored_rows_always_satisfy_the_quality_suite() -> None:
    """Normalization is stricter than the blocking check, which stays a backstop."""
    assert TOTAL_RANGE[0] <= plausibility.TOTAL_RANGE[0] <= plausibility.TOTAL_RANGE[1]
    assert plausibility.TOTAL_RANGE[1] <= TOTAL_RANGE[1]
    assert SPREAD_RANGE[0] <= -plausibility.MAX_ABS_SPREAD
    assert SPREAD_RANGE[1] >= plausibility.MAX_ABS_SPREAD


def test_normalization_quarantines_only_the_offending_market() -> None:
    """One book's first-inning total goes to quarantine; its moneyline and run line stay."""
    board = frame(
        quote(price=-120),
        quote(side="away", price=110),
        quote("spreads", price=140, point=-1.5),
        quote("spreads", "away", price=-160, point=1.5),
        quote("totals", "over", price=-105, point=0.5),
        quote("totals", "under", price=-115, point=0.5),
    )
    result = normalize_quotes(board, source="odds_api")
    assert set(result.snapshots["market"]) == {"h2h", "spreads"}
    assert len(result.snapshots) == 4
    assert result.quarantine["source_ref"].tolist() == [
        "PIT201604030/pinnacle/totals/over@2016-04-02T12:00:00Z",
        "PIT201604030/pinnacle/totals/under@2016-04-02T12:00:00Z",
    ]
    assert result.quarantine["reason"].str.startswith("totals point 0.5 is outside").all()


def test_normalization_quarantines_both_sides_of_a_pair_that_does_not_add_up() -> None:
    rows = frame(
        quote(price=-150),
        quote(side="away", price=-140),
        quote(price=-120, minutes=5),
        quote(side="away", price=110, minutes=5),
    )
    result = normalize_quotes(rows, source="test")
    assert result.snapshots["captured_at"].tolist() == [T0 + pd.Timedelta(minutes=5)] * 2
    assert len(result.quarantine) == 2
    assert set(result.quarantine["reason"]) == {
        "h2h overround 1.183 of prices -150/-140 is outside 0.95..1.15"
    }


def test_a_pair_with_one_rejected_side_leaves_the_other_side_alone() -> None:
    result = normalize_quotes(frame(quote(price=-35), quote(side="away", price=110)), source="t")
    assert result.snapshots["side"].tolist() == ["away"]
    assert result.quarantine["reason"].tolist() == [
        "price -35 is not an American price (|price| < 100)"
    ]
