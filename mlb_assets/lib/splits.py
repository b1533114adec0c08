"""Public betting splits (share of bets and of money per side) and reverse line movement.

Splits come from a pluggable :class:`BettingSplitsSource`. The project has no splits
feed, so the default :class:`NoSplitsSource` returns no rows and every derived column
is null (pandas NA): a missing figure is reported as missing, never invented or filled
with a neutral-looking 50%. A real feed plugs in by implementing ``fetch`` and being
added to :data:`SPLITS_SOURCES`.

Reverse line movement (RLM): the side most bets are on (the public side, more than 50%
of bets) saw its no-vig probability *fall* between the open and the decision time, so
the price moved against the public, which books do when the money they respect is on
the other side.

Units: ``bets_pct`` and ``money_pct`` are percentages from 0 to 100, as the public
trackers publish them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Protocol, runtime_checkable

import numpy as np
import pandas as pd

SPLITS_COLUMNS = ["game_id", "market", "side", "bets_pct", "money_pct", "captured_at"]
RLM_COLUMNS = ["public_bets_pct", "public_money_pct", "rlm", "rlm_strength"]
_SIDE_KEY = ["game_id", "market", "side"]


@runtime_checkable
class BettingSplitsSource(Protocol):
    """A provider of betting splits, read point in time."""

    def fetch(self, game_ids: Sequence[str], as_of: datetime) -> pd.DataFrame:
        """Splits of the given games as known at ``as_of``.

        Returns:
            Columns :data:`SPLITS_COLUMNS`, one row per (game, market, side) capture,
            every ``captured_at`` (UTC-aware) at or before ``as_of``; may be empty.
        """
        ...


def empty_splits() -> pd.DataFrame:
    """A splits frame with the contract's columns and dtypes and no rows."""
    return pd.DataFrame(
        {
            "game_id": pd.Series(dtype=object),
            "market": pd.Series(dtype=object),
            "side": pd.Series(dtype=object),
            "bets_pct": pd.Series(dtype=float),
            "money_pct": pd.Series(dtype=float),
            "captured_at": pd.Series(dtype="datetime64[ns, UTC]"),
        }
    )


class NoSplitsSource:
    """The default source: there is no splits data, so it never returns any."""

    def fetch(self, game_ids: Sequence[str], as_of: datetime) -> pd.DataFrame:
        """An empty splits frame, whatever the games and time."""
        return empty_splits()


#: Source names accepted by :func:`splits_source_from_config` and their factories.
SPLITS_SOURCES: Mapping[str, Callable[[], BettingSplitsSource]] = {"none": NoSplitsSource}


def splits_source_from_config(name: str | None) -> BettingSplitsSource:
    """The splits source a configuration names (None or "none": :class:`NoSplitsSource`).

    Raises:
        ValueError: for a name that is not in :data:`SPLITS_SOURCES`, listing the options,
            so a typo in configuration fails loudly instead of silently meaning "none".
    """
    key = "none" if name is None else name.strip().lower()
    if key not in SPLITS_SOURCES:
        options = ", ".join(sorted(SPLITS_SOURCES))
        raise ValueError(f"unknown betting splits source {name!r}; options: {options}")
    return SPLITS_SOURCES[key]()


def reverse_line_movement(
    consensus_or_movements: pd.DataFrame, splits: pd.DataFrame
) -> pd.DataFrame:
    """Add the public's splits and the reverse-line-movement flag to each row.

    Args:
        consensus_or_movements: rows keyed by ``game_id``, ``market``, ``side`` (and
            ``book`` for per-book movements) with ``decision_move_prob``, the side's
            no-vig probability move from open to decision, as produced by
            :func:`mlb_assets.lib.consensus.market_consensus` or
            :func:`mlb_assets.lib.line_movements.compute_line_movements`. With a
            ``decision_at`` column, splits captured after a row's decision time are
            ignored, so the result stays point in time.
        splits: columns :data:`SPLITS_COLUMNS`; the latest capture of each side counts.

    Returns:
        The input with :data:`RLM_COLUMNS` added (input order kept).
        ``public_bets_pct``/``public_money_pct`` are the row's side's shares (Float64).
        ``rlm`` (boolean) is a fact of the market, repeated on each side's row: True
        when the side with more than 50% of the bets saw its no-vig probability fall
        (per book for per-book rows), False when it did not or no side has a majority.
        ``rlm_strength`` (Float64) is how far the public side's probability fell
        (positive: against the public, negative: with it). Every one of them is NA
        where the market has no splits (always, with :class:`NoSplitsSource`); ``rlm``
        and ``rlm_strength`` are NA too where the public side's move is unknown.
    """
    frame = consensus_or_movements.reset_index(drop=True)
    _require(frame, [*_SIDE_KEY, "decision_move_prob"], "consensus_or_movements")
    _require(splits, SPLITS_COLUMNS, "splits")
    _check_shares(splits)
    shares = _latest_shares(frame, splits)
    group = [c for c in ("game_id", "book", "market") if c in frame.columns]
    public_move, has_splits, has_majority = _public_side_move(frame, shares, group)
    fall = -public_move
    known = has_splits & (~has_majority | ~np.isnan(fall))
    out = frame.copy()
    out["public_bets_pct"] = _nullable_float(shares["bets_pct"].to_numpy())
    out["public_money_pct"] = _nullable_float(shares["money_pct"].to_numpy())
    out["rlm"] = pd.arrays.BooleanArray(fall > 0, mask=~known)
    out["rlm_strength"] = _nullable_float(np.where(has_splits, fall, np.nan))
    return out


def _nullable_float(values: np.ndarray) -> pd.arrays.FloatingArray:
    """Float64 with NA (not NaN) where a value is missing."""
    missing = np.isnan(values)
    return pd.arrays.FloatingArray(np.where(missing, 0.0, values), mask=missing)


def _check_shares(splits: pd.DataFrame) -> None:
    """Percentages within [0, 100] and UTC-aware capture times, or a clear error.

    A share outside the range means the source broke the contract, and a naive time
    cannot be compared with the decision time; either would give a wrong flag quietly.
    """
    if not isinstance(splits["captured_at"].dtype, pd.DatetimeTZDtype):
        raise ValueError("splits captured_at must be timezone-aware (UTC)")
    for column in ("bets_pct", "money_pct"):
        values = pd.to_numeric(splits[column], errors="coerce").to_numpy(dtype=float)
        if ((values < 0) | (values > 100)).any():
            raise ValueError(f"splits {column} must be percentages between 0 and 100")


def _require(frame: pd.DataFrame, columns: list[str], name: str) -> None:
    """Fail with the missing column names rather than a KeyError deep inside."""
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks the columns {missing}")


def _latest_shares(frame: pd.DataFrame, splits: pd.DataFrame) -> pd.DataFrame:
    """Per input row, its side's latest bets and money shares (NaN where none).

    Only captures at or before the row's ``decision_at`` count when the input has one.
    """
    timed = "decision_at" in frame.columns
    keys = [*_SIDE_KEY, "decision_at"] if timed else _SIDE_KEY
    wanted = frame[keys].drop_duplicates()
    candidates = wanted.merge(splits[SPLITS_COLUMNS], on=_SIDE_KEY, how="inner")
    if timed:
        candidates = candidates[candidates["captured_at"] <= candidates["decision_at"]]
    latest = candidates.sort_values("captured_at", kind="stable").drop_duplicates(keys, keep="last")
    columns = [*keys, "bets_pct", "money_pct"]
    shares = frame[keys].merge(latest[columns], on=keys, how="left")
    return shares[["bets_pct", "money_pct"]].astype(float)


def _public_side_move(
    frame: pd.DataFrame, shares: pd.DataFrame, group: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per row: its market's public-side move, whether the market has splits, and
    whether a side of it holds a majority of the bets.

    The public side is the side with the highest bets share when that share exceeds
    50%; all rows of the market get its move (NaN without a public side).
    """
    codes = frame.groupby(group, sort=False, dropna=False).ngroup().to_numpy()
    n_groups = int(codes.max()) + 1 if len(codes) else 0
    bets = shares["bets_pct"].to_numpy()
    has_splits = np.bincount(codes, weights=~np.isnan(bets), minlength=n_groups)[codes] > 0
    order = np.lexsort([-np.nan_to_num(bets, nan=-np.inf), codes])  # highest share first
    top = order[_starts_run(codes[order])]
    leader = top[bets[top] > 50]
    public_row = np.full(n_groups, -1, dtype=np.int64)
    public_row[codes[leader]] = leader
    move = frame["decision_move_prob"].to_numpy(dtype=float)
    row = public_row[codes]
    public_move = np.full(len(codes), np.nan)
    public_move[row >= 0] = move[row[row >= 0]]
    return public_move, has_splits, row >= 0


def _starts_run(values: np.ndarray) -> np.ndarray:
    """True for the first element and wherever an element differs from its predecessor."""
    starts = np.ones(len(values), dtype=bool)
    starts[1:] = values[1:] != values[:-1]
    return starts
