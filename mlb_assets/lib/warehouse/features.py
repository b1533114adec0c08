"""Reading the warehouse tables that features and the training set are built from."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from mlb_assets.lib.warehouse.load import read_frame
from mlb_assets.lib.warehouse.odds import read_observations
from mlb_assets.lib.warehouse.schema import (
    games,
    market_consensus,
    odds_snapshots,
    opening_closing_lines,
)


def read_feature_inputs(
    connection: sa.Connection, start: date | None, end: date | None, history_from: date | None
) -> dict[str, pd.DataFrame]:
    """The tables the features read: games from ``history_from``, the rest from ``start``;
    ``None`` bounds read everything. ``observations`` are the polls of the same dates as the
    snapshots (none for the archives: observed continuously)."""

    def between(table: sa.Table, low: date | None) -> sa.Select:
        query = sa.select(table)
        if low is not None:
            query = query.where(table.c.game_date >= low)
        if end is not None:
            query = query.where(table.c.game_date <= end)
        return query

    return {
        "games": read_frame(connection, between(games, history_from)),
        "snapshots": read_frame(connection, between(odds_snapshots, start)),
        "open_close": read_frame(connection, between(opening_closing_lines, start)),
        "consensus": read_frame(connection, between(market_consensus, start)),
        "observations": read_observations(connection, start, end),
    }
