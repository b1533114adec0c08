"""Writing a partition of odds snapshots: the rows, their per-day counts and the quarantine."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa

from mlb_assets.lib.warehouse.load import replace_dates
from mlb_assets.lib.warehouse.partitions import ensure_partitions, months_of
from mlb_assets.lib.warehouse.schema import odds_snapshot_days, odds_snapshots
from mlb_assets.lib.warehouse.store import write_quarantine

ASSET = "odds_snapshots"


@dataclass(frozen=True)
class SnapshotWrite:
    """What one write of [start, end] did."""

    written: int
    quarantined: int
    partitions_created: list[str]


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
) -> SnapshotWrite:
    """Replace the snapshots, day counts and quarantined quotes of game dates [start, end].

    The months the rows fall in get their partitions first, in a transaction of their own
    (see ``partitions``); everything else commits together or not at all, so a crash
    leaves the dates as they were and a rerun writes them once.
    """
    months = months_of(snapshots["captured_at"]) if not snapshots.empty else []
    created = ensure_partitions(engine, months)
    with engine.begin() as connection:
        written = replace_dates(connection, odds_snapshots, snapshots, start, end)
        replace_dates(connection, odds_snapshot_days, snapshot_days(snapshots), start, end)
        quarantined = write_quarantine(connection, ASSET, quarantine_rows, start, end)
    return SnapshotWrite(written, quarantined, created)
