"""Writing a partition of odds snapshots: the rows, their per-day counts, the polls that
observed them and the quarantine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa

from mlb_assets.lib.line_movements import OBSERVATION_COLUMNS
from mlb_assets.lib.warehouse.load import read_frame, replace_dates
from mlb_assets.lib.warehouse.partitions import ensure_partitions, months_of
from mlb_assets.lib.warehouse.schema import odds_observations, odds_snapshot_days, odds_snapshots
from mlb_assets.lib.warehouse.store import write_quarantine

ASSET = "odds_snapshots"


@dataclass(frozen=True)
class SnapshotWrite:
    """What one write of [start, end] did."""

    written: int
    quarantined: int
    partitions_created: list[str]
    observations: int = 0


def snapshot_days(snapshots: pd.DataFrame) -> pd.DataFrame:
    """Rows and newest ``captured_at`` per game date of ``snapshots``."""
    if snapshots.empty:
        return pd.DataFrame(columns=["game_date", "row_count", "newest_captured_at"])
    grouped = snapshots.groupby("game_date", sort=True)["captured_at"]
    days = grouped.agg(row_count="size", newest_captured_at="max").reset_index()
    return days.astype({"row_count": "int64"})


def write_odds_snapshots(
    engine: sa.Engine,
    snapshots: pd.DataFrame,
    quarantine_rows: pd.DataFrame,
    start: date,
    end: date,
    observations: pd.DataFrame | None = None,
) -> SnapshotWrite:
    """Replace the snapshots, day counts, observations and quarantined quotes of game dates
    [start, end].

    ``observations`` are the polls that read each game's line at each book (columns of
    ``odds_observations``); None or empty for sources observed continuously (the
    archives), whose dates then hold none. The months the rows fall in get their
    partitions first, in a transaction of their own (see ``partitions``); everything else
    commits together or not at all, so a crash leaves the dates as they were and a rerun
    writes them once.
    """
    months = months_of(snapshots["captured_at"]) if not snapshots.empty else []
    created = ensure_partitions(engine, months)
    with engine.begin() as connection:
        written = replace_dates(connection, odds_snapshots, snapshots, start, end)
        replace_dates(connection, odds_snapshot_days, snapshot_days(snapshots), start, end)
        observed = replace_dates(
            connection, odds_observations, _observation_rows(observations), start, end
        )
        quarantined = write_quarantine(connection, ASSET, quarantine_rows, start, end)
    return SnapshotWrite(written, quarantined, created, observed)


def _observation_rows(observations: pd.DataFrame | None) -> pd.DataFrame:
    """One row per (game, book, moment): the first payload that observed it keeps it."""
    columns = [c.name for c in odds_observations.columns]
    if observations is None or observations.empty:
        return pd.DataFrame(columns=columns)
    rows = observations.assign(observed_at=pd.to_datetime(observations["observed_at"], utc=True))
    rows = rows.reindex(columns=columns).sort_values(OBSERVATION_COLUMNS, kind="stable")
    return rows.drop_duplicates(OBSERVATION_COLUMNS, ignore_index=True)


def read_observations(
    connection: sa.Connection, start: date | None = None, end: date | None = None
) -> pd.DataFrame:
    """The stored polls of game dates [start, end] (None: unbounded), as
    :data:`~mlb_assets.lib.line_movements.OBSERVATION_COLUMNS`.

    The one reader of ``odds_observations``: line movements, consensus and features all
    see the same polls. A (game, book) without rows was observed continuously (the
    archives, whose dates hold none), so an empty frame means every line was.
    """
    table = odds_observations
    query = sa.select(*(table.c[name] for name in OBSERVATION_COLUMNS))
    if start is not None:
        query = query.where(table.c.game_date >= start)
    if end is not None:
        query = query.where(table.c.game_date <= end)
    return read_frame(connection, query.order_by(*(table.c[n] for n in OBSERVATION_COLUMNS)))
