"""The training set: one row per game with point-in-time features, targets and the close.

Which market features a game gets depends on what its season's archives hold:

* games with a timestamped snapshot at or before their decision time (Pinnacle 2016,
  live feeds) use :func:`~mlb_assets.lib.features.market.market_features`;
* the others (the workbook seasons, whose games have no start time and so no decision
  time) use :func:`~mlb_assets.lib.features.market.workbook_market_features`, which
  knows the opening line only and leaves decision-time and movement columns NaN.

Where both exist for a game the snapshots win, whole rows at a time. Team and pitcher
form use games on earlier dates only (see :mod:`mlb_assets.lib.features.form`).

``frame`` also carries columns that are NOT features and must never be: the targets,
the closing line (evaluation and closing-line value only), the decision prices and
snapshot ids (what a pick made at decision time records) and identifiers.
``feature_columns`` lists exactly the columns a model may see.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mlb_assets.lib.features.form import (
    CONTEXT_COLUMNS,
    context_features,
    pitcher_form,
    team_form,
    team_form_columns,
)
from mlb_assets.lib.features.market import (
    CLOSE_COLUMNS,
    CROSS_BOOK_COLUMNS,
    DECISION_PRICE_COLUMNS,
    LINEAGE_COLUMNS,
    MARKET_FEATURE_COLUMNS,
    closing_probabilities,
    cross_book_features,
    decision_times,
    market_features,
    workbook_market_features,
)

TARGET_COLUMNS = ["home_win", "total_over"]
#: The market's no-vig probability at decision time of each target's side (home, over):
#: the decision-time line where the game has one, else the opening line (the workbook
#: seasons know no other before first pitch). Not features: the starting point of a
#: market-anchored model (see :mod:`mlb_assets.lib.models.anchored`) and its baseline.
ANCHOR_COLUMNS = ["market_home_prob_anchor", "market_over_prob_anchor"]
ID_COLUMNS = ["game_id", "game_date", "season", "home_team", "away_team"]
TEAM_WINDOWS = (10, 30)
PITCHER_WINDOWS = (3, 5)


@dataclass(frozen=True)
class TrainingSet:
    """A training frame and the roles of its columns.

    ``frame`` has one row per game (sorted by date, game), ``feature_columns`` the
    point-in-time features only, ``target_columns`` the labels (NA where unknown).
    """

    frame: pd.DataFrame
    feature_columns: list[str]
    target_columns: list[str]

    @property
    def input_columns(self) -> list[str]:
        """What a model may read at decision time: the features and the market anchors."""
        return [*self.feature_columns, *ANCHOR_COLUMNS]

    def fingerprint(self) -> str:
        """sha256 of the game ids, features and targets: what a model was trained on."""
        return fingerprint(self.frame[["game_id", *self.feature_columns, *self.target_columns]])


def targets(games: pd.DataFrame, market: pd.DataFrame) -> pd.DataFrame:
    """Labels per game: ``home_win`` and ``total_over`` (nullable ``Int64``), and the line.

    ``home_win`` is 1 when the home team outscored the away team, 0 when it was
    outscored, NA for a tie or a game without a final score. ``total_over`` is 1 when
    total runs exceed the total line, 0 when they fall short and NA on a push or when
    the line or the score is unknown. The line (``total_target_line``) is the one a bet
    at decision time would face: ``total_decision_line`` where the market had one, else
    ``total_open_line`` (the workbook seasons know no decision-time line; their opening
    total is the best point-in-time stand-in, never the close).
    """
    home = pd.to_numeric(games["home_score"], errors="coerce").to_numpy(dtype=float)
    away = pd.to_numeric(games["away_score"], errors="coerce").to_numpy(dtype=float)
    final = (games["status"].astype(str).str.lower() == "final").to_numpy()
    home, away = np.where(final, home, np.nan), np.where(final, away, np.nan)
    lines = market.set_index("game_id").reindex(games["game_id"])
    line = lines["total_decision_line"].fillna(lines["total_open_line"]).to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "game_id": games["game_id"].to_numpy(),
            "home_win": _binary(home > away, home == away, home + away),
            "total_over": _binary(home + away > line, home + away == line, home + away + line),
            "total_target_line": line,
        }
    )


def _binary(yes: np.ndarray, push: np.ndarray, known: np.ndarray) -> pd.Series:
    """1/0 as nullable integers; NA on a push or where ``known`` is NaN."""
    values = pd.Series(yes.astype(np.int64), dtype="Int64")
    return values.mask(push | np.isnan(known))


def build_training_set(
    games: pd.DataFrame,
    snapshots: pd.DataFrame,
    open_close: pd.DataFrame,
    consensus: pd.DataFrame | None = None,
    *,
    decision_minutes_before: int = 60,
    observations: pd.DataFrame | None = None,
) -> TrainingSet:
    """Every game of ``games`` with its features, targets and closing line.

    Args:
        games: the games table (all seasons wanted; the previous season's games warm up
            the early-season form windows).
        snapshots: odds snapshots (may be empty); only Pinnacle's are used, and only
            those captured at or before each game's decision time.
        open_close: opening/closing lines of archives without timestamps (may be empty).
        consensus: optional ``market_consensus`` rows; its decision time must not be
            later than this one's (a later one would leak), else ``ValueError``.
        decision_minutes_before: the decision time, minutes before first pitch.
        observations: the polls that read each (game, book) line (``odds_observations``);
            only those at or before each game's decision time place a move in time (see
            :func:`~mlb_assets.lib.features.market.visible_observations`). None, or a
            (game, book) absent from them, means observed continuously (the archives).

    Returns:
        A :class:`TrainingSet`. ``market_home_prob_anchor`` is the market's no-vig home
        probability at decision time (the snapshot book's, else the workbook's OPENING
        line, as ``market_anchor_source`` says): the baseline a model must beat and the
        starting point of an anchored one, never a feature. ``close_home_prob_mult`` is
        the close, for evaluation only.
    """
    if games["game_id"].duplicated().any():
        raise ValueError("games has duplicate game_id values")
    games = games.sort_values(["game_date", "game_id"], kind="stable").reset_index(drop=True)
    market = _market(games, snapshots, open_close, decision_minutes_before, observations)
    parts = [
        games[ID_COLUMNS].assign(decision_at=_decision_at(games, decision_minutes_before)),
        market,
        team_form(games, windows=TEAM_WINDOWS, decision_minutes_before=decision_minutes_before),
        pitcher_form(games, windows=PITCHER_WINDOWS),
        context_features(games),
        _cross_book(games, consensus, decision_minutes_before),
        closing_probabilities(snapshots, open_close, games),
        targets(games, market),
    ]
    frame = parts[0]
    for part in parts[1:]:
        frame = frame.merge(part, on="game_id", how="left", validate="one_to_one")
    frame["season"] = frame["season"].astype(np.int64)
    columns = feature_columns(with_cross_book=consensus is not None and not consensus.empty)
    return TrainingSet(frame[_ordered(frame, columns)], columns, list(TARGET_COLUMNS))


def feature_columns(*, with_cross_book: bool = False) -> list[str]:
    """The point-in-time feature columns of :func:`build_training_set`, in order.

    The cross-book columns join only when consensus data were given: without it they
    are NaN everywhere and would teach a model nothing.
    """
    pitcher = [f"{side}_sp_{name}" for side in ("home", "away") for name in _pitcher_names()]
    pitcher += [f"diff_sp_ra_{n}" for n in PITCHER_WINDOWS]
    return [
        *MARKET_FEATURE_COLUMNS,
        *(CROSS_BOOK_COLUMNS if with_cross_book else []),
        *team_form_columns(TEAM_WINDOWS),
        *pitcher,
        *CONTEXT_COLUMNS,
    ]


def _decision_at(games: pd.DataFrame, minutes: int) -> pd.Series:
    """Decision times aligned with ``games``' rows (UTC, NaT without a start time)."""
    return decision_times(games, minutes).reset_index(drop=True).set_axis(games.index)


def _pitcher_names() -> list[str]:
    return [*(f"ra_{n}" for n in PITCHER_WINDOWS), "rest_days", "starts"]


def _market(
    games: pd.DataFrame,
    snapshots: pd.DataFrame,
    open_close: pd.DataFrame,
    minutes: int,
    observations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Snapshot market features where a game has any visible snapshot, else the workbook's.

    The anchors (see :data:`ANCHOR_COLUMNS`) take the decision-time probability where the
    game has one, else the opening one, and ``market_anchor_source`` says which.
    """
    timed = market_features(
        snapshots, games, decision_minutes_before=minutes, observations=observations
    )
    timed = timed.set_index("game_id")
    workbook = workbook_market_features(open_close, games).set_index("game_id")
    use_timed = timed["market_source"].notna().to_numpy()
    market = workbook.copy()
    market.loc[use_timed] = timed.loc[use_timed]
    decision = market["ml_decision_home_prob_mult"]
    market["market_home_prob_anchor"] = decision.fillna(market["ml_open_home_prob_mult"])
    source = np.where(decision.notna(), "decision", "open")
    anchored = market["market_home_prob_anchor"].notna()
    market["market_anchor_source"] = pd.Series(source, index=market.index).where(anchored)
    # The over probability at the line the target is settled against (targets()).
    at_decision = market["total_decision_line"].notna()
    market["market_over_prob_anchor"] = market["total_over_prob_decision"].where(
        at_decision, market["total_over_prob_open"]
    )
    return market.drop(columns="decision_at").reset_index()


def _cross_book(games: pd.DataFrame, consensus: pd.DataFrame | None, minutes: int) -> pd.DataFrame:
    """Cross-book features, refused when computed for a later decision time than ours."""
    if consensus is not None and not consensus.empty and "decision_at" in consensus:
        ours = decision_times(games, minutes)
        theirs = pd.to_datetime(consensus["decision_at"], utc=True)
        later = theirs.to_numpy() > ours.reindex(consensus["game_id"]).to_numpy()
        if later.any():
            raise ValueError(
                f"consensus has {int(later.sum())} rows decided after this decision time "
                f"({minutes} minutes before first pitch): their features would leak"
            )
    return cross_book_features(consensus)


def _ordered(frame: pd.DataFrame, features: list[str]) -> list[str]:
    """Identifiers, features, targets, then everything else (lineage, prices, close)."""
    tail = [
        "total_target_line",
        *DECISION_PRICE_COLUMNS,
        *LINEAGE_COLUMNS,
        *CLOSE_COLUMNS[1:],
    ]
    anchors = [*ANCHOR_COLUMNS, "market_anchor_source"]
    leading = list(dict.fromkeys([*ID_COLUMNS, *features, *anchors, *TARGET_COLUMNS, *tail]))
    rest = [c for c in frame.columns if c not in leading]
    return [c for c in leading if c in frame.columns] + rest


def fingerprint(frame: pd.DataFrame, columns: list[str] | None = None) -> str:
    """A stable sha256 of ``frame``'s data (for MLflow): same data, same digest.

    Rows are sorted by ``game_id`` when present (else by every column), so row order
    does not matter; column order does not either (columns are hashed by sorted name).
    Numbers are hashed as float64 with one NaN and no negative zero, so an ``Int64``
    column and the same values as floats agree; everything else as text.
    """
    selected = frame[sorted(columns or frame.columns)]
    by = ["game_id"] if "game_id" in selected else list(selected.columns)
    ordered = selected.sort_values(by, kind="stable").reset_index(drop=True)
    digest = hashlib.sha256()
    digest.update(str(len(ordered)).encode())
    for column in ordered.columns:
        digest.update(f"\x1e{column}\x1f".encode())
        digest.update(_canonical_bytes(ordered[column]))
    return digest.hexdigest()


def _canonical_bytes(values: pd.Series) -> bytes:
    """Bytes of a column that depend on its values only, not on dtype quirks."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        numbers = pd.to_numeric(values, errors="coerce").astype("Float64")
        array = numbers.to_numpy(dtype=float, na_value=np.nan) + 0.0  # -0.0 becomes 0.0
        array[np.isnan(array)] = np.nan  # one NaN bit pattern
        return array.astype("<f8").tobytes()
    text = values.astype(object).where(values.notna(), "\x00NA")
    return "\x1d".join(map(str, text.tolist())).encode()


def training_set_path(home: Path) -> Path:
    """Where the training set is saved in ``MLB_ASSETS_HOME`` (its metadata beside it)."""
    path = home / "datasets" / "training_set.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path
