"""Betting splits sources and reverse line movement.

Rows stand in for market_consensus output: ``decision_move_prob`` is the side's no-vig
probability move from open to decision, ``decision_at`` the decision time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.consensus import market_consensus
from mlb_assets.lib.snapshots import normalize_quotes
from mlb_assets.lib.splits import (
    RLM_COLUMNS,
    SPLITS_COLUMNS,
    BettingSplitsSource,
    NoSplitsSource,
    reverse_line_movement,
    splits_source_from_config,
)

DECISION = pd.Timestamp("2016-04-03 16:05", tz="UTC")


class FixedSplitsSource:
    """Test double: serves a fixed table of splits, point in time."""

    def __init__(self, rows: list[tuple]) -> None:
        self.table = pd.DataFrame(rows, columns=SPLITS_COLUMNS)

    def fetch(self, game_ids: Sequence[str], as_of: datetime) -> pd.DataFrame:
        wanted = self.table["game_id"].isin(list(game_ids))
        return self.table[wanted & (self.table["captured_at"] <= as_of)].reset_index(drop=True)


def before(minutes: int) -> pd.Timestamp:
    return DECISION - pd.Timedelta(minutes=minutes)


def flag(value: object) -> bool | None:
    """A boolean-or-NA cell as True, False or None (NA)."""
    return None if value is pd.NA else bool(value)


def sides(game: str, home_move: float, market: str = "h2h") -> list[dict]:
    """Both sides of a market whose home side moved ``home_move`` open -> decision."""
    return [
        {
            "game_id": game,
            "market": market,
            "side": side,
            "decision_at": DECISION,
            "decision_move_prob": move,
        }
        for side, move in (("home", home_move), ("away", -home_move))
    ]


CONSENSUS = pd.DataFrame(
    [
        *sides("FALLS", -0.02),  # the public (home) side's probability fell: RLM
        *sides("RISES", 0.03),  # it rose with the public: no RLM
        *sides("EVEN", -0.02),  # no side holds a majority of bets
        *sides("UNKNOWN", np.nan),  # the move is unknown (no decision-time line)
        *sides("NOSPLITS", -0.02),  # no splits at all
        *sides("LATE", -0.02),  # the only home-majority split comes after the decision
    ]
)
SOURCE = FixedSplitsSource(
    [
        ("FALLS", "h2h", "home", 70.0, 55.0, before(30)),
        ("FALLS", "h2h", "away", 30.0, 45.0, before(30)),
        ("RISES", "h2h", "home", 65.0, 80.0, before(30)),
        ("RISES", "h2h", "away", 35.0, 20.0, before(30)),
        ("EVEN", "h2h", "home", 50.0, 40.0, before(30)),
        ("EVEN", "h2h", "away", 50.0, 60.0, before(30)),
        ("UNKNOWN", "h2h", "home", 80.0, 80.0, before(30)),
        ("UNKNOWN", "h2h", "away", 20.0, 20.0, before(30)),
        ("LATE", "h2h", "home", 40.0, 50.0, before(90)),
        ("LATE", "h2h", "away", 60.0, 50.0, before(90)),
        ("LATE", "h2h", "home", 85.0, 90.0, DECISION + pd.Timedelta(minutes=5)),
        ("LATE", "h2h", "away", 15.0, 10.0, DECISION + pd.Timedelta(minutes=5)),
    ]
)


def rlm_rows() -> pd.DataFrame:
    splits = SOURCE.fetch(CONSENSUS["game_id"].unique(), DECISION + pd.Timedelta(hours=1))
    return reverse_line_movement(CONSENSUS, splits).set_index(["game_id", "side"])


def test_rlm_when_the_public_side_falls() -> None:
    result = rlm_rows()
    assert list(result.columns[-4:]) == RLM_COLUMNS
    home, away = result.loc[("FALLS", "home")], result.loc[("FALLS", "away")]
    assert (home["public_bets_pct"], home["public_money_pct"]) == (70.0, 55.0)
    assert (away["public_bets_pct"], away["public_money_pct"]) == (30.0, 45.0)
    assert flag(home["rlm"]) is True and flag(away["rlm"]) is True  # a fact of the market
    assert home["rlm_strength"] == pytest.approx(0.02) == away["rlm_strength"]


def test_no_rlm_when_the_public_side_rises() -> None:
    home = rlm_rows().loc[("RISES", "home")]
    assert flag(home["rlm"]) is False
    assert home["rlm_strength"] == pytest.approx(-0.03)


def test_no_majority_means_no_rlm_and_no_strength() -> None:
    home = rlm_rows().loc[("EVEN", "home")]
    assert flag(home["rlm"]) is False
    assert home["rlm_strength"] is pd.NA
    assert home["public_bets_pct"] == 50.0


def test_unknown_move_or_missing_splits_give_na() -> None:
    result = rlm_rows()
    unknown = result.loc[("UNKNOWN", "home")]
    assert unknown["public_bets_pct"] == 80.0
    assert unknown["rlm"] is pd.NA and unknown["rlm_strength"] is pd.NA
    for column in RLM_COLUMNS:
        assert result.loc[("NOSPLITS", "home"), column] is pd.NA


def test_splits_captured_after_the_decision_are_ignored() -> None:
    late = rlm_rows().loc[("LATE", "away")]
    assert late["public_bets_pct"] == 60.0  # not the later 15%
    # away (the public side before the decision) rose by 0.02: moved with the public
    assert flag(late["rlm"]) is False
    assert late["rlm_strength"] == pytest.approx(-0.02)


def test_the_source_answers_point_in_time() -> None:
    early = SOURCE.fetch(["LATE"], DECISION)
    assert (early["captured_at"] <= DECISION).all() and len(early) == 2


def test_per_book_movements_get_rlm_per_book() -> None:
    movements = pd.DataFrame(
        [
            {**r, "book": book, "decision_move_prob": r["decision_move_prob"] * sign}
            for book, sign in (("alpha", 1), ("beta", -1))
            for r in sides("FALLS", -0.02)
        ]
    )
    result = reverse_line_movement(movements, SOURCE.fetch(["FALLS"], DECISION))
    assert result["rlm"].tolist() == [True, True, False, False]
    assert result["public_bets_pct"].tolist() == [70.0, 30.0, 70.0, 30.0]


def test_no_splits_source_gives_nulls_everywhere() -> None:
    source = NoSplitsSource()
    splits = source.fetch(["FALLS"], DECISION)
    assert list(splits.columns) == SPLITS_COLUMNS and splits.empty
    result = reverse_line_movement(CONSENSUS, splits)
    assert len(result) == len(CONSENSUS)
    assert result[RLM_COLUMNS].isna().all().all()
    assert result["rlm"].dtype == "boolean"
    assert (
        result[["public_bets_pct", "public_money_pct", "rlm_strength"]].dtypes == "Float64"
    ).all()


def test_no_splits_on_real_consensus_output() -> None:
    start = DECISION + pd.Timedelta(hours=1)
    quotes = pd.DataFrame(
        [
            ("G1", "alpha", "h2h", side, np.nan, price, start - pd.Timedelta(hours=hours))
            for hours, home, away in ((5, -110, -110), (2, -130, 110))
            for side, price in (("home", home), ("away", away))
        ],
        columns=["game_id", "book", "market", "side", "point", "price_american", "captured_at"],
    )
    snapshots = normalize_quotes(quotes, source="test").snapshots
    games = pd.DataFrame({"game_id": ["G1"], "start_time_utc": [start]})
    consensus = market_consensus(snapshots, games)
    result = reverse_line_movement(consensus, NoSplitsSource().fetch(["G1"], DECISION))
    assert result[RLM_COLUMNS].isna().all().all()
    with_public = FixedSplitsSource(
        [
            ("G1", "h2h", "away", 75.0, 60.0, before(10)),
            ("G1", "h2h", "home", 25.0, 40.0, before(10)),
        ]
    )
    flagged = reverse_line_movement(consensus, with_public.fetch(["G1"], DECISION))
    assert flagged["rlm"].tolist() == [True, True]  # home shortened while the public took away


def test_sources_from_configuration() -> None:
    for name in (None, "none", " None "):
        assert isinstance(splits_source_from_config(name), NoSplitsSource)
    assert isinstance(NoSplitsSource(), BettingSplitsSource)
    assert isinstance(FixedSplitsSource([]), BettingSplitsSource)
    with pytest.raises(ValueError, match=r"unknown betting splits source 'vsin'; options: none"):
        splits_source_from_config("vsin")


def test_bad_inputs_fail_clearly() -> None:
    splits = SOURCE.fetch(["FALLS"], DECISION)
    with pytest.raises(ValueError, match="decision_move_prob"):
        reverse_line_movement(CONSENSUS.drop(columns="decision_move_prob"), splits)
    with pytest.raises(ValueError, match="timezone-aware"):
        naive = splits.assign(captured_at=splits["captured_at"].dt.tz_localize(None))
        reverse_line_movement(CONSENSUS, naive)
    with pytest.raises(ValueError, match="between 0 and 100"):
        reverse_line_movement(CONSENSUS, splits.assign(bets_pct=170.0))
