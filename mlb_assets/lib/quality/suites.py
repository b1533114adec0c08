"""The expectation suites of the warehouse tables and the pandas steps that prepare them.

Each table has a builder returning a ``gx.ExpectationSuite`` and a ``prepare_<table>``
step that derives the columns some rules read. An expectation on a derived column names
the real column it judges in ``meta["column"]``, so reports speak of the table's columns.

* Violation columns hold what Great Expectations cannot compute (whether a price is a
  valid American price, whether a ledger profit follows from price and result): the
  offending value where the rule is broken, null where it holds, checked by
  ``expect_column_values_to_be_null``.
* Subset columns hold a column's values on the rows a rule applies to and null elsewhere
  (``totals_point``: the point of totals quotes); GX skips nulls, so a plain expectation on
  them is the conditional rule. They replace GX row conditions, each of which filters the
  whole frame with ``DataFrame.query`` several times per rule, which made the suites about
  twice as slow. Only "present on a subset" rules keep a row condition: a subset column
  cannot tell a missing value from a row outside the subset.

The rest is plain GX: compound keys ``expect_compound_columns_to_be_unique``, time
orderings ``expect_column_pair_values_a_to_be_greater_than_b`` (the prepare step makes
times UTC-aware first) and spread/total points an in-set check against every half-run
value in range, which states the grid and the range in one rule.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import great_expectations as gx
import numpy as np
import pandas as pd
from great_expectations.expectations import Expectation
from great_expectations.expectations.row_conditions import Column

from mlb_assets.lib.mlb_stats.schedule import STATUSES
from mlb_assets.lib.odds import american_to_decimal, is_valid_american
from mlb_assets.lib.quality.rules import QualityRules
from mlb_assets.lib.snapshots import MARKET_SIDES, QUOTE_COLUMNS

E = gx.expectations

#: Home team's Retrosheet code, the game's date and its number (0 single, 1/2 doubleheader).
GAME_ID_PATTERN = r"^[A-Z]{3}\d{8}[0-2]$"
MARKETS = tuple(MARKET_SIDES)
TWO_TEAM_MARKETS = ("h2h", "spreads")
RESULTS = ("win", "loss", "push", "void")
TIERS = ("A", "B", "C")
# Lines outside these ranges are typos or another sport's board: MLB run lines are +-1.5
# (alternate lines a few runs more) and totals mostly 6.5-12.
SPREAD_RANGE = (-10.0, 10.0)
TOTAL_RANGE = (3.0, 20.0)
# Snapshots keep the few quotes captured after first pitch (mostly delayed games; 0.2% of
# 2016's Pinnacle lines, at most 1.6% of a day's), which point-in-time consumers filter
# out. A larger share means a clock or time-zone error in captured_at or the start times.
MAX_LATE_QUOTE_SHARE = 0.05
# Comparisons of money allow for float noise on top of the configured tolerance.
_FLOAT_SLACK = 1e-9


@dataclass(frozen=True)
class TableSuite:
    """How one table is checked.

    ``columns``: what the frame must carry; ``key``: the columns that name a row in failure
    samples; ``prepare`` derives the violation and subset columns; ``build`` makes the suite;
    ``optional``: columns used when the frame has them.
    """

    columns: tuple[str, ...]
    key: tuple[str, ...]
    prepare: Callable[[pd.DataFrame, QualityRules], pd.DataFrame]
    build: Callable[[QualityRules], gx.ExpectationSuite]
    optional: tuple[str, ...] = ()

    def used_columns(self, frame: pd.DataFrame) -> list[str]:
        """The columns of ``frame`` the suite reads, in the order it lists them."""
        return [c for c in (*self.columns, *self.optional) if c in frame.columns]


# --- derived columns ---------------------------------------------------------------------


def _violations(values: pd.Series, broken: pd.Series) -> pd.Series:
    """``values`` where ``broken``, None elsewhere; object dtype keeps integers integral."""
    return values.astype(object).where(broken.to_numpy(dtype=bool), None)


def _on_rows(values: pd.Series, rows: pd.Series) -> pd.Series:
    """A subset column: ``values`` on ``rows``, null elsewhere (GX skips nulls)."""
    return values.where(rows.to_numpy(dtype=bool))


def _is_true(values: pd.Series) -> pd.Series:
    """True where a flag is set; a missing flag is not set."""
    return values.eq(True).fillna(False).astype(bool)


def invalid_prices(prices: pd.Series) -> pd.Series:
    """The prices that are present but not whole American prices; null where fine or absent.

    Stored prices are whole: normalization quarantines half cents before storage, so one
    here means a row bypassed it. Absent prices are left to a separate not-null
    expectation where the column requires one.
    """
    numbers = pd.to_numeric(prices, errors="coerce")
    valid = pd.Series(is_valid_american(prices), index=prices.index).astype(bool)
    valid &= (numbers % 1 == 0).fillna(False).astype(bool)
    return _violations(prices, ~valid & prices.notna())


def expected_profits(frame: pd.DataFrame) -> pd.Series:
    """A ledger row's profit implied by its result, stake and price; NaN while open.

    Win: ``stake * (decimal - 1)``; loss: ``-stake``; push and void: 0.
    """
    stake = pd.to_numeric(frame["stake"], errors="coerce").astype(float)
    decimal = pd.Series(american_to_decimal(frame["price_american"]), index=frame.index)
    result = frame["result"]
    values = np.select(
        [result.eq("win"), result.eq("loss"), result.isin(["push", "void"])],
        [stake * (decimal - 1.0), -stake, 0.0],
        default=np.nan,
    )
    return pd.Series(values, index=frame.index, dtype=float)


def inconsistent_profits(frame: pd.DataFrame, tolerance: float) -> pd.Series:
    """Profits further than ``tolerance`` from :func:`expected_profits`; null elsewhere.

    Rows without a comparable expectation (open bets, unknown results, invalid prices) and
    missing profits are left to their own expectations rather than counted twice here.
    """
    profit = pd.to_numeric(frame["profit"], errors="coerce").astype(float)
    off = (profit - expected_profits(frame)).abs() > tolerance + _FLOAT_SLACK
    return _violations(frame["profit"], off)


def _utc(times: pd.Series) -> pd.Series:
    """Times as UTC-aware datetimes, so that columns from different sources compare.

    Naive values are read as UTC, the warehouse's storage convention; an all-null column
    (a join that found no start times) gets a datetime dtype; unparseable values become null.
    """
    if isinstance(times.dtype, pd.DatetimeTZDtype):
        return times.dt.tz_convert("UTC")
    return pd.to_datetime(times, utc=True, errors="coerce", format="mixed")


def _with_utc_times(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    return frame.assign(**{column: _utc(frame[column]) for column in columns})


def _with_invalid_prices(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """``frame`` plus an ``invalid_<column>`` violation column per price column."""
    derived = {f"invalid_{column}": invalid_prices(frame[column]) for column in columns}
    return frame.assign(**derived)


def prepare_odds_snapshots(frame: pd.DataFrame, rules: QualityRules) -> pd.DataFrame:
    """Price violations, sides and points per market; UTC times, with null start times
    when the caller joined none."""
    if "start_time_utc" not in frame.columns:
        frame = frame.assign(start_time_utc=pd.NaT)
    frame = _with_utc_times(frame, ["captured_at", "start_time_utc"])
    market, side, point = frame["market"], frame["side"], frame["point"]
    frame = frame.assign(
        two_team_side=_on_rows(side, market.isin(TWO_TEAM_MARKETS)),
        totals_side=_on_rows(side, market.eq("totals")),
        h2h_point=_on_rows(point, market.eq("h2h")),
        spreads_point=_on_rows(point, market.eq("spreads")),
        totals_point=_on_rows(point, market.eq("totals")),
    )
    return _with_invalid_prices(frame, ["price_american"])


def prepare_games(frame: pd.DataFrame, rules: QualityRules) -> pd.DataFrame:
    """Games need no derived column: every rule is a plain GX expectation."""
    return frame


def prepare_line_movements(frame: pd.DataFrame, rules: QualityRules) -> pd.DataFrame:
    """Price violations of the open, decision and close prices; UTC times; the decision
    time of rows with a decision price."""
    frame = _with_utc_times(frame, ["open_at", "decision_at"])
    priced = _on_rows(frame["decision_at"], frame["decision_price"].notna())
    frame = frame.assign(priced_decision_at=priced)
    return _with_invalid_prices(frame, ["open_price", "decision_price", "close_price"])


def prepare_game_features(frame: pd.DataFrame, rules: QualityRules) -> pd.DataFrame:
    """Features need no derived column: every rule is a plain GX expectation."""
    return frame


def prepare_picks(frame: pd.DataFrame, rules: QualityRules) -> pd.DataFrame:
    """Price violations; UTC times; the stakes of bets and the flags of staked picks."""
    frame = _with_utc_times(frame, ["quoted_at", "decision_at"])
    stake = pd.to_numeric(frame["stake_fraction"], errors="coerce")
    frame = frame.assign(
        money_stake_fraction=_money_stake_fraction(frame),
        bet_stake_fraction=_on_rows(frame["stake_fraction"], _is_true(frame["is_bet"])),
        staked_is_bet=_on_rows(frame["is_bet"], stake.gt(0)),
    )
    return _with_invalid_prices(frame, ["price_american"])


def prepare_bet_ledger(frame: pd.DataFrame, rules: QualityRules) -> pd.DataFrame:
    """Price violations, profits that do not follow from stake, price and result, and the
    profits of open bets."""
    frame = _with_invalid_prices(frame, ["price_american"])
    return frame.assign(
        money_stake_fraction=_money_stake_fraction(frame),
        inconsistent_profit=inconsistent_profits(frame, rules.profit_tolerance),
        open_bet_profit=_on_rows(frame["profit"], frame["result"].isna()),
    )


# --- expectation helpers -----------------------------------------------------------------


def _present(column: str) -> Expectation:
    return E.ExpectColumnValuesToNotBeNull(column=column, description=f"{column} is present")


def _unique(column: str) -> Expectation:
    return E.ExpectColumnValuesToBeUnique(column=column, description=f"{column} is unique")


def _game_id() -> list[Expectation]:
    """Every table joins on game_id: present and in the one id format."""
    return [
        _present("game_id"),
        E.ExpectColumnValuesToMatchRegex(
            column="game_id",
            regex=GAME_ID_PATTERN,
            description="game_id is HOME + YYYYMMDD + game number (e.g. NYA201604050)",
        ),
    ]


def _subset(kind: type[Expectation], derived: str, column: str, **kwargs: object) -> Expectation:
    """Expectation ``kind`` on the subset column ``derived`` of ``column``."""
    return kind(column=derived, meta={"column": column}, **kwargs)


def _valid_price(column: str) -> Expectation:
    """Null check on the ``invalid_<column>`` violation column of the prepare step."""
    return E.ExpectColumnValuesToBeNull(
        column=f"invalid_{column}",
        description=f"{column} is a valid American price (integral, |price| >= 100)",
        meta={"column": column},
    )


def _between(column: str, low: float | None, high: float | None, what: str) -> Expectation:
    return E.ExpectColumnValuesToBeBetween(
        column=column, min_value=low, max_value=high, description=f"{column} {what}"
    )


def _probability(column: str) -> Expectation:
    return _between(column, 0.0, 1.0, "is a probability in [0, 1]")


def _not_negative(column: str) -> Expectation:
    return _between(column, 0, None, "is not negative")


def _not_after(
    earlier: str, later: str, why: str, *, later_is: str | None = None, **options: object
) -> Expectation:
    """``earlier <= later`` on rows where both are present (GX orders the pair as A >= B).

    ``later_is``: the real column when ``later`` is a subset column. ``options`` go to GX
    as they are (``mostly``).
    """
    shown = later_is or later
    return E.ExpectColumnPairValuesAToBeGreaterThanB(
        column_A=later,
        column_B=earlier,
        or_equal=True,
        ignore_row_if="either_value_is_missing",
        description=f"{earlier} <= {shown}: {why}",
        meta={"column": f"{earlier}, {shown}"},
        **options,
    )


def _half_points(low: float, high: float) -> list[float]:
    """Every multiple of 0.5 from ``low`` to ``high``: the grid lines are quoted on."""
    return [float(x) / 2 for x in range(int(low * 2), int(high * 2) + 1)]


def _stake_fraction(rules: QualityRules) -> Expectation:
    cap = rules.max_stake_fraction
    return _subset(
        E.ExpectColumnValuesToBeBetween,
        "money_stake_fraction",
        "stake_fraction",
        min_value=0.0,
        max_value=cap,
        description=f"stake_fraction of a money pick is within [0, {cap:g}] of the bankroll",
    )


def _money_stake_fraction(frame: pd.DataFrame) -> pd.Series:
    """The stake share of money rows: a paper pick's one unit is not drawn on the bankroll,
    so the bankroll cap does not apply to it."""
    paper = _is_true(frame["paper"]) if "paper" in frame else pd.Series(False, index=frame.index)
    return _on_rows(frame["stake_fraction"], ~paper)


def _suite(table: str, expectations: list[Expectation]) -> gx.ExpectationSuite:
    return gx.ExpectationSuite(name=f"{table}_quality", expectations=expectations)


# --- suites ------------------------------------------------------------------------------


def _book(rules: QualityRules) -> Expectation:
    if rules.known_books is None:
        return E.ExpectColumnValuesToMatchRegex(
            column="book", regex=r"\S", description="book is not blank"
        )
    return E.ExpectColumnValuesToBeInSet(
        column="book", value_set=sorted(rules.known_books), description="book is a known book"
    )


def _snapshot_sides() -> list[Expectation]:
    return [
        E.ExpectColumnValuesToBeInSet(
            column="market", value_set=list(MARKETS), description="market is h2h, spreads or totals"
        ),
        _subset(
            E.ExpectColumnValuesToBeInSet,
            "two_team_side",
            "side",
            value_set=list(MARKET_SIDES["h2h"]),
            description="h2h and spreads quotes are for home or away",
        ),
        _subset(
            E.ExpectColumnValuesToBeInSet,
            "totals_side",
            "side",
            value_set=list(MARKET_SIDES["totals"]),
            description="totals quotes are for over or under",
        ),
    ]


def _snapshot_points() -> list[Expectation]:
    spreads, totals = _half_points(*SPREAD_RANGE), _half_points(*TOTAL_RANGE)
    return [
        _subset(
            E.ExpectColumnValuesToBeNull,
            "h2h_point",
            "point",
            description="h2h quotes carry no point",
        ),
        E.ExpectColumnValuesToNotBeNull(
            column="point",
            row_condition=Column("market").is_in(["spreads", "totals"]),
            description="spreads and totals quotes carry a point",
        ),
        _subset(
            E.ExpectColumnValuesToBeInSet,
            "spreads_point",
            "point",
            value_set=spreads,
            description="spreads points are multiples of 0.5 within -10..10",
        ),
        _subset(
            E.ExpectColumnValuesToBeInSet,
            "totals_point",
            "point",
            value_set=totals,
            description="totals points are multiples of 0.5 within 3..20",
        ),
    ]


def build_odds_snapshots_suite(rules: QualityRules) -> gx.ExpectationSuite:
    """Quotes: ids, keys, books, market/side/point consistency, prices, pre-game capture."""
    return _suite(
        "odds_snapshots",
        [
            _unique("snapshot_id"),
            *_game_id(),
            _present("book"),
            _book(rules),
            *_snapshot_sides(),
            *_snapshot_points(),
            _present("price_american"),
            _valid_price("price_american"),
            E.ExpectCompoundColumnsToBeUnique(
                column_list=["game_id", "book", "market", "side", "captured_at"],
                description="one quote per game_id, book, market, side and captured_at",
            ),
            _not_after(
                "captured_at",
                "start_time_utc",
                f"at least {1 - MAX_LATE_QUOTE_SHARE:.0%} of quotes precede first pitch",
                mostly=1 - MAX_LATE_QUOTE_SHARE,
            ),
        ],
    )


def _scores() -> list[Expectation]:
    final = Column("status") == "final"
    return [
        _not_negative("home_score"),
        _not_negative("away_score"),
        E.ExpectColumnValuesToNotBeNull(
            column="home_score", row_condition=final, description="final games have a home_score"
        ),
        E.ExpectColumnValuesToNotBeNull(
            column="away_score", row_condition=final, description="final games have an away_score"
        ),
    ]


def build_games_suite(rules: QualityRules) -> gx.ExpectationSuite:
    """Schedule and results: ids, known and distinct teams, scores, status, game number."""
    teams = sorted(rules.known_teams)
    return _suite(
        "games",
        [
            _unique("game_id"),
            *_game_id(),
            E.ExpectColumnValuesToBeInSet(
                column="home_team", value_set=teams, description="home_team is a known team code"
            ),
            E.ExpectColumnValuesToBeInSet(
                column="away_team", value_set=teams, description="away_team is a known team code"
            ),
            E.ExpectSelectColumnValuesToBeUniqueWithinRecord(
                column_list=["home_team", "away_team"],
                description="home_team and away_team differ",
            ),
            *_scores(),
            E.ExpectColumnValuesToBeInSet(
                column="status",
                value_set=list(STATUSES),
                description=f"status is one of {', '.join(STATUSES)}",
            ),
            E.ExpectColumnValuesToBeInSet(
                column="game_number",
                value_set=[0, 1, 2],
                description="game_number is 0 (single game), 1 or 2 (doubleheader)",
            ),
        ],
    )


def build_line_movements_suite(rules: QualityRules) -> gx.ExpectationSuite:
    """Per-side line summaries: keys, prices, probabilities, move counts, point in time."""
    return _suite(
        "line_movements",
        [
            E.ExpectCompoundColumnsToBeUnique(
                column_list=["game_id", "book", "market", "side"],
                description="one row per game_id, book, market and side",
            ),
            *_game_id(),
            _present("open_price"),
            _valid_price("open_price"),
            _valid_price("decision_price"),
            _valid_price("close_price"),
            _probability("open_prob_novig"),
            _probability("decision_prob_novig"),
            _probability("close_prob_novig"),
            _not_negative("n_moves"),
            _not_negative("moves_last_1h"),
            _not_negative("moves_last_3h"),
            # A market may open after the decision time; it then has no decision price.
            _not_after(
                "open_at",
                "priced_decision_at",
                "a decision price was quoted by the decision time",
                later_is="decision_at",
            ),
        ],
    )


def build_game_features_suite(rules: QualityRules) -> gx.ExpectationSuite:
    """Long-format features: one value per game, feature set and name; finite values."""
    return _suite(
        "game_features",
        [
            E.ExpectCompoundColumnsToBeUnique(
                column_list=["game_id", "feature_set", "name"],
                description="one value per game_id, feature_set and name",
            ),
            *_game_id(),
            E.ExpectColumnValuesToNotBeInSet(
                column="value",
                value_set=[float("inf"), float("-inf")],
                description="value is finite (null allowed, no +/-inf)",
            ),
        ],
    )


def _pick_staking(rules: QualityRules) -> list[Expectation]:
    return [
        _stake_fraction(rules),
        _subset(
            E.ExpectColumnValuesToBeBetween,
            "bet_stake_fraction",
            "stake_fraction",
            min_value=0.0,
            strict_min=True,
            description="a pick that is a bet has a positive stake_fraction",
        ),
        _subset(
            E.ExpectColumnValuesToBeInSet,
            "staked_is_bet",
            "is_bet",
            value_set=[True],
            description="a pick with a positive stake_fraction is a bet",
        ),
        E.ExpectColumnValuesToBeInSet(
            column="tier", value_set=list(TIERS), description="tier is A, B, C or null"
        ),
    ]


def build_picks_suite(rules: QualityRules) -> gx.ExpectationSuite:
    """Picks: ids, probabilities, staking, prices and the decision-time price rule."""
    return _suite(
        "picks",
        [
            _unique("pick_id"),
            *_game_id(),
            _probability("model_prob"),
            _probability("market_prob"),
            *_pick_staking(rules),
            _present("price_american"),
            _valid_price("price_american"),
            _not_after("quoted_at", "decision_at", "a pick never uses a later price"),
        ],
    )


def _settlement(rules: QualityRules) -> list[Expectation]:
    return [
        E.ExpectColumnValuesToBeInSet(
            column="result",
            value_set=list(RESULTS),
            description="result is win, loss, push, void or null (open)",
        ),
        _subset(
            E.ExpectColumnValuesToBeNull,
            "open_bet_profit",
            "profit",
            description="open bets (null result) have no profit",
        ),
        E.ExpectColumnValuesToNotBeNull(
            column="profit",
            row_condition=Column("result").is_not_null(),
            description="settled bets have a profit",
        ),
        E.ExpectColumnValuesToBeNull(
            column="inconsistent_profit",
            description=(
                "profit follows from stake, price and result (win: stake x (decimal - 1), "
                f"loss: -stake, push/void: 0) within {rules.profit_tolerance:g}"
            ),
            meta={"column": "profit"},
        ),
    ]


def build_bet_ledger_suite(rules: QualityRules) -> gx.ExpectationSuite:
    """Ledger: ids, stakes, prices, results and profits consistent with them."""
    return _suite(
        "bet_ledger",
        [
            _unique("bet_id"),
            *_game_id(),
            _not_negative("stake"),
            _stake_fraction(rules),
            _present("price_american"),
            _valid_price("price_american"),
            *_settlement(rules),
        ],
    )


TABLE_SUITES: dict[str, TableSuite] = {
    "odds_snapshots": TableSuite(
        columns=("snapshot_id", *QUOTE_COLUMNS),
        key=("snapshot_id",),
        prepare=prepare_odds_snapshots,
        build=build_odds_snapshots_suite,
        optional=("start_time_utc",),  # joined from games by the caller
    ),
    "games": TableSuite(
        columns=(
            "game_id",
            "game_number",
            "away_team",
            "home_team",
            "away_score",
            "home_score",
            "status",
        ),
        key=("game_id",),
        prepare=prepare_games,
        build=build_games_suite,
    ),
    "line_movements": TableSuite(
        columns=(
            "game_id",
            "book",
            "market",
            "side",
            "open_at",
            "open_price",
            "decision_at",
            "decision_price",
            "close_price",
            "n_moves",
            "open_prob_novig",
            "decision_prob_novig",
            "close_prob_novig",
            "moves_last_1h",
            "moves_last_3h",
        ),
        key=("game_id", "book", "market", "side"),
        prepare=prepare_line_movements,
        build=build_line_movements_suite,
    ),
    "game_features": TableSuite(
        columns=("game_id", "feature_set", "name", "value"),
        key=("game_id", "feature_set", "name"),
        prepare=prepare_game_features,
        build=build_game_features_suite,
    ),
    "picks": TableSuite(
        columns=(
            "pick_id",
            "game_id",
            "model_prob",
            "market_prob",
            "stake_fraction",
            "tier",
            "is_bet",
            "price_american",
            "quoted_at",
            "decision_at",
        ),
        key=("pick_id",),
        prepare=prepare_picks,
        build=build_picks_suite,
        optional=("paper",),  # from revision 0008: paper picks are outside the bankroll cap
    ),
    "bet_ledger": TableSuite(
        columns=(
            "bet_id",
            "game_id",
            "stake",
            "stake_fraction",
            "price_american",
            "result",
            "profit",
        ),
        key=("bet_id",),
        prepare=prepare_bet_ledger,
        build=build_bet_ledger_suite,
        optional=("paper",),
    ),
}
