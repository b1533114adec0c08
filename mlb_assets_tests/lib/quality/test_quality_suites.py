"""The quality suites on hand-built frames: a valid frame of each table passes, and each
corruption fails exactly its rule, with the right count and the offending value sampled."""

from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.quality.validate import SUITE_TABLES, QualityRules, validate_table
from mlb_assets_tests.lib.quality.frames import (
    CAPTURED,
    DECISION,
    FIRST_PITCH,
    FRAMES,
    GAME,
    RULES,
    bet_ledger,
    line_movements,
    odds_snapshots,
    picks,
)


def _iso(stamp: pd.Timestamp) -> str:
    return stamp.isoformat()


# --- valid frames ------------------------------------------------------------------------


@pytest.mark.parametrize("table", SUITE_TABLES)
def test_valid_frame_passes(table: str) -> None:
    frame = FRAMES[table]()
    report = validate_table(table, frame, RULES)
    assert report.failed == (), report.summary()
    assert report.success
    assert report.rows == len(frame)
    assert report.evaluated >= 4


@pytest.mark.parametrize("table", SUITE_TABLES)
def test_empty_frame_with_columns_passes(table: str) -> None:
    report = validate_table(table, FRAMES[table]().iloc[:0], RULES)
    assert report.success
    assert report.rows == 0
    assert report.evaluated >= 4


def test_empty_frame_without_columns_passes() -> None:
    """A day without games may produce a frame without a schema; that is no failure."""
    report = validate_table("games", pd.DataFrame(), RULES)
    assert (report.success, report.rows, report.evaluated, report.failed) == (True, 0, 0, ())


# --- one corruption, one failed expectation ----------------------------------------------


@dataclass(frozen=True)
class Corruption:
    table: str
    changes: dict[int, dict[str, object]]  # row -> column -> new value
    expectation: str
    column: str
    count: int
    offending: object  # must be in the failure's sample

    def apply(self, frame: pd.DataFrame) -> pd.DataFrame:
        """The changes on a copy; plain columns turn object so any value fits unconverted."""
        changed = {column for values in self.changes.values() for column in values}
        plain = [c for c in changed if not isinstance(frame[c].dtype, pd.DatetimeTZDtype)]
        frame = frame.astype(dict.fromkeys(plain, object))
        for row, values in self.changes.items():
            for column, value in values.items():
                frame.at[row, column] = value
        return frame


NULL = "expect_column_values_to_be_null"
NOT_NULL = "expect_column_values_to_not_be_null"
IN_SET = "expect_column_values_to_be_in_set"
BETWEEN = "expect_column_values_to_be_between"
UNIQUE = "expect_column_values_to_be_unique"
COMPOUND = "expect_compound_columns_to_be_unique"
ORDER = "expect_column_pair_values_a_to_be_greater_than_b"
REGEX = "expect_column_values_to_match_regex"
NOT_IN_SET = "expect_column_values_to_not_be_in_set"
LATE = FIRST_PITCH + pd.Timedelta(hours=1)

CORRUPTIONS: dict[str, Corruption] = {
    # odds_snapshots
    "price_below_100": Corruption(
        "odds_snapshots", {1: {"price_american": 95}}, NULL, "price_american", 1, 95
    ),
    "price_fractional": Corruption(
        "odds_snapshots", {2: {"price_american": -110.5}}, NULL, "price_american", 1, -110.5
    ),
    "unknown_market": Corruption(
        "odds_snapshots", {0: {"market": "moneyline"}}, IN_SET, "market", 1, "moneyline"
    ),
    "h2h_side_over": Corruption("odds_snapshots", {0: {"side": "over"}}, IN_SET, "side", 1, "over"),
    "totals_side_home": Corruption(
        "odds_snapshots", {2: {"side": "home"}}, IN_SET, "side", 1, "home"
    ),
    "h2h_with_point": Corruption("odds_snapshots", {0: {"point": 1.5}}, NULL, "point", 1, 1.5),
    "totals_without_point": Corruption(
        "odds_snapshots", {2: {"point": None}}, NOT_NULL, "point", 1, 13
    ),
    "totals_off_grid": Corruption("odds_snapshots", {2: {"point": 8.3}}, IN_SET, "point", 1, 8.3),
    "spreads_out_of_range": Corruption(
        "odds_snapshots", {3: {"point": -12.5}}, IN_SET, "point", 1, -12.5
    ),
    "duplicate_snapshot_id": Corruption(
        "odds_snapshots", {1: {"snapshot_id": 11}}, UNIQUE, "snapshot_id", 2, 11
    ),
    "duplicate_quote_key": Corruption(
        "odds_snapshots",
        {1: {"side": "home"}},
        COMPOUND,
        "game_id, book, market, side, captured_at",
        2,
        (GAME, "pinnacle", "h2h", "home", _iso(CAPTURED)),
    ),
    "unknown_book": Corruption(
        "odds_snapshots", {5: {"book": "shadybook"}}, IN_SET, "book", 1, "shadybook"
    ),
    "captured_after_first_pitch": Corruption(
        "odds_snapshots",
        {0: {"captured_at": LATE}},
        ORDER,
        "captured_at, start_time_utc",
        1,
        (_iso(LATE), _iso(FIRST_PITCH)),
    ),
    "malformed_game_id": Corruption(
        "odds_snapshots", {0: {"game_id": "NYA2016040"}}, REGEX, "game_id", 1, "NYA2016040"
    ),
    "missing_game_id": Corruption(
        "odds_snapshots", {0: {"game_id": None}}, NOT_NULL, "game_id", 1, 11
    ),
    # games
    "duplicate_game_id": Corruption(
        "games", {2: {"game_id": "TOR201604051"}}, UNIQUE, "game_id", 2, "TOR201604051"
    ),
    "unknown_home_team": Corruption(
        "games", {0: {"home_team": "XXX"}}, IN_SET, "home_team", 1, "XXX"
    ),
    "team_plays_itself": Corruption(
        "games",
        {0: {"away_team": "NYA"}},
        "expect_select_column_values_to_be_unique_within_record",
        "home_team, away_team",
        1,
        ("NYA", "NYA"),
    ),
    "negative_score": Corruption("games", {0: {"home_score": -1}}, BETWEEN, "home_score", 1, -1),
    "final_without_score": Corruption(
        "games", {0: {"away_score": None}}, NOT_NULL, "away_score", 1, GAME
    ),
    "unknown_status": Corruption("games", {1: {"status": "done"}}, IN_SET, "status", 1, "done"),
    "game_number_3": Corruption("games", {0: {"game_number": 3}}, IN_SET, "game_number", 1, 3),
    # line_movements
    "duplicate_movement_key": Corruption(
        "line_movements",
        {1: {"side": "home"}},
        COMPOUND,
        "game_id, book, market, side",
        2,
        (GAME, "pinnacle", "h2h", "home"),
    ),
    "open_price_invalid": Corruption(
        "line_movements", {0: {"open_price": 50}}, NULL, "open_price", 1, 50
    ),
    "open_price_missing": Corruption(
        "line_movements",
        {0: {"open_price": None}},
        NOT_NULL,
        "open_price",
        1,
        (GAME, "pinnacle", "h2h", "home"),
    ),
    "decision_price_invalid": Corruption(
        "line_movements", {1: {"decision_price": -99}}, NULL, "decision_price", 1, -99
    ),
    "prob_above_one": Corruption(
        "line_movements", {0: {"decision_prob_novig": 1.2}}, BETWEEN, "decision_prob_novig", 1, 1.2
    ),
    "negative_moves": Corruption("line_movements", {0: {"n_moves": -1}}, BETWEEN, "n_moves", 1, -1),
    "decision_price_before_open": Corruption(
        "line_movements",
        {0: {"open_at": DECISION + pd.Timedelta(minutes=10)}},
        ORDER,
        "open_at, decision_at",
        1,
        (_iso(DECISION + pd.Timedelta(minutes=10)), _iso(DECISION)),
    ),
    # game_features
    "duplicate_feature": Corruption(
        "game_features",
        {1: {"name": "open_prob_home"}},
        COMPOUND,
        "game_id, feature_set, name",
        2,
        (GAME, "market", "open_prob_home"),
    ),
    "feature_inf": Corruption(
        "game_features", {0: {"value": np.inf}}, NOT_IN_SET, "value", 1, "inf"
    ),
    "feature_game_id_lowercase": Corruption(
        "game_features", {0: {"game_id": GAME.lower()}}, REGEX, "game_id", 1, GAME.lower()
    ),
    # picks
    "duplicate_pick_id": Corruption("picks", {1: {"pick_id": 101}}, UNIQUE, "pick_id", 2, 101),
    "model_prob_above_one": Corruption(
        "picks", {0: {"model_prob": 1.2}}, BETWEEN, "model_prob", 1, 1.2
    ),
    "market_prob_negative": Corruption(
        "picks", {1: {"market_prob": -0.1}}, BETWEEN, "market_prob", 1, -0.1
    ),
    "stake_above_cap": Corruption(
        "picks", {0: {"stake_fraction": 0.06}}, BETWEEN, "stake_fraction", 1, 0.06
    ),
    "bet_without_stake": Corruption(
        "picks", {0: {"stake_fraction": 0.0}}, BETWEEN, "stake_fraction", 1, 0.0
    ),
    "stake_without_bet": Corruption(
        "picks", {1: {"stake_fraction": 0.01}}, IN_SET, "is_bet", 1, False
    ),
    "pick_price_invalid": Corruption(
        "picks", {1: {"price_american": 99}}, NULL, "price_american", 1, 99
    ),
    "quoted_after_decision": Corruption(
        "picks",
        {0: {"quoted_at": DECISION + pd.Timedelta(minutes=1)}},
        ORDER,
        "quoted_at, decision_at",
        1,
        (_iso(DECISION + pd.Timedelta(minutes=1)), _iso(DECISION)),
    ),
    "unknown_tier": Corruption("picks", {0: {"tier": "D"}}, IN_SET, "tier", 1, "D"),
    # bet_ledger
    "duplicate_bet_id": Corruption("bet_ledger", {1: {"bet_id": 201}}, UNIQUE, "bet_id", 2, 201),
    "negative_stake": Corruption(
        "bet_ledger", {0: {"stake": -10.0, "profit": -13.0}}, BETWEEN, "stake", 1, -10.0
    ),
    "unknown_result": Corruption("bet_ledger", {1: {"result": "won"}}, IN_SET, "result", 1, "won"),
    "win_profit_wrong": Corruption("bet_ledger", {0: {"profit": 12.0}}, NULL, "profit", 1, 12.0),
    "open_bet_with_profit": Corruption("bet_ledger", {3: {"profit": 5.0}}, NULL, "profit", 1, 5.0),
    "settled_without_profit": Corruption(
        "bet_ledger", {0: {"profit": None}}, NOT_NULL, "profit", 1, 201
    ),
    "ledger_price_invalid": Corruption(
        "bet_ledger", {3: {"price_american": 50}}, NULL, "price_american", 1, 50
    ),
}


@pytest.mark.parametrize("name", list(CORRUPTIONS))
def test_corruption_fails_its_expectation(name: str) -> None:
    case = CORRUPTIONS[name]
    report = validate_table(case.table, case.apply(FRAMES[case.table]()), RULES)
    assert not report.success
    assert len(report.failed) == 1, report.summary()
    failure = report.failed[0]
    assert (failure.expectation, failure.column) == (case.expectation, case.column)
    assert failure.unexpected_count == case.count
    assert case.offending in failure.sample, failure.sample
    assert failure.description
    json.dumps(failure.sample)


def test_every_table_has_corruption_cases() -> None:
    assert {case.table for case in CORRUPTIONS.values()} == set(SUITE_TABLES)


# --- rules and optional inputs -----------------------------------------------------------


def test_any_book_accepted_without_a_book_list() -> None:
    rules = QualityRules(known_teams=RULES.known_teams, known_books=None, max_stake_fraction=0.05)
    frame = odds_snapshots()
    frame.loc[5, "book"] = "shadybook"
    assert validate_table("odds_snapshots", frame, rules).success
    frame.loc[5, "book"] = "  "
    (failure,) = validate_table("odds_snapshots", frame, rules).failed
    assert (failure.expectation, failure.column, failure.sample) == (REGEX, "book", ["  "])


def test_start_times_are_optional() -> None:
    late = odds_snapshots().assign(captured_at=LATE)
    assert not validate_table("odds_snapshots", late, RULES).success
    assert validate_table("odds_snapshots", late.drop(columns="start_time_utc"), RULES).success
    unknown_start = late.assign(start_time_utc=pd.NaT)
    assert validate_table("odds_snapshots", unknown_start, RULES).success


def test_a_few_quotes_after_first_pitch_are_tolerated() -> None:
    """Delayed games get in-play quotes that snapshots keep; only a large share fails."""
    copies = []
    for i in range(20):  # 120 quotes, each copy captured a minute apart
        copy = odds_snapshots()
        copies.append(copy.assign(snapshot_id=copy["snapshot_id"] + 100 * i))
        copies[-1]["captured_at"] = CAPTURED + pd.Timedelta(minutes=i)
    frame = pd.concat(copies, ignore_index=True)
    late = [LATE + pd.Timedelta(seconds=k) for k in range(7)]
    frame.loc[:5, "captured_at"] = late[:6]  # 6 of 120: 5%
    assert validate_table("odds_snapshots", frame, RULES).success
    frame.loc[:6, "captured_at"] = late  # 7 of 120
    (failure,) = validate_table("odds_snapshots", frame, RULES).failed
    assert (failure.expectation, failure.unexpected_count) == (ORDER, 7)


def test_market_opening_after_decision_without_decision_price_passes() -> None:
    """A market may open after the decision time; then it simply has no decision price."""
    frame = line_movements()
    frame.loc[0, "open_at"] = DECISION + pd.Timedelta(minutes=10)
    frame.loc[0, "decision_price"] = pd.NA
    frame.loc[0, "decision_prob_novig"] = np.nan
    assert validate_table("line_movements", frame, RULES).success


def test_profit_within_tolerance_passes() -> None:
    frame = bet_ledger()
    frame.loc[0, "profit"] = 13.004
    assert validate_table("bet_ledger", frame, RULES).success
    strict = QualityRules(
        known_teams=RULES.known_teams,
        known_books=None,
        max_stake_fraction=0.05,
        profit_tolerance=0.001,
    )
    (failure,) = validate_table("bet_ledger", frame, strict).failed
    assert failure.column == "profit" and "0.001" in failure.description


def test_stake_cap_comes_from_the_rules() -> None:
    frame = picks()
    frame.loc[0, "stake_fraction"] = 0.04
    assert validate_table("picks", frame, RULES).success
    tight = QualityRules(known_teams=RULES.known_teams, known_books=None, max_stake_fraction=0.03)
    (failure,) = validate_table("picks", frame, tight).failed
    assert failure.sample == [0.04] and "0.03" in failure.description


def test_the_bankroll_cap_does_not_apply_to_a_paper_pick() -> None:
    """A paper pick stakes one unit (1% of the starting bankroll) on paper, whatever the cap
    on money stakes; the same share on a money pick breaks a cap below it."""
    tight = QualityRules(known_teams=RULES.known_teams, known_books=None, max_stake_fraction=0.005)
    frame = picks()
    frame.loc[0, ["stake_fraction", "paper"]] = [0.01, True]
    assert validate_table("picks", frame, tight).success
    frame.loc[0, "paper"] = False
    (failure,) = validate_table("picks", frame, tight).failed
    assert failure.sample == [0.01] and failure.column == "stake_fraction"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"known_teams": frozenset()}, "known_teams"),
        ({"max_stake_fraction": 0.0}, "max_stake_fraction"),
        ({"profit_tolerance": -0.01}, "profit_tolerance"),
    ],
)
def test_rules_reject_nonsense(changes: dict[str, object], message: str) -> None:
    values = {"known_teams": frozenset({"NYA"}), "known_books": None, "max_stake_fraction": 0.05}
    with pytest.raises(ValueError, match=message):
        QualityRules(**{**values, **changes})
