"""The catalog a BI user reads in the UI: each warehouse asset's table and column schema.

The schema comes from the one schema source (``lib/warehouse/schema.py``): column names,
their Postgres types, nullability, keys and comments. :func:`table_metadata` is each asset
definition's (``dagster/column_schema``, ``dagster/table_name``), and
:func:`rows_written` gives materializations their row count under Dagster's own key when the
count is the partition's own.
"""

from __future__ import annotations

import dagster as dg
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from mlb_assets.lib.warehouse import schema

# Asset key -> the table it writes (feature sets share game_features, one row per value).
ASSET_TABLES: dict[str, sa.Table] = {
    "raw_odds_payloads": schema.raw_payloads,
    "games": schema.games,
    "odds_snapshots": schema.odds_snapshots,
    "opening_closing_lines": schema.opening_closing_lines,
    "line_movements": schema.line_movements,
    "market_consensus": schema.market_consensus,
    "steam_events": schema.steam_events,
    "sharp_action_features": schema.game_features,
    "team_form": schema.game_features,
    "pitcher_form": schema.game_features,
    "model_evaluation": schema.model_evaluation,
    "predictions": schema.predictions,
    "picks": schema.picks,
    "bet_ledger": schema.bet_ledger,
    "roi_rollups": schema.roi_summary,
}

_POSTGRES = postgresql.dialect()


def column_type(column: sa.Column) -> str:
    """The column's type as Postgres names it (the production warehouse)."""
    try:
        return column.type.compile(dialect=_POSTGRES).lower()
    except sa.exc.CompileError:
        return type(column.type).__name__.lower()


def column_schema(table: sa.Table) -> dg.TableSchema:
    key = {column.name for column in table.primary_key.columns}
    return dg.TableSchema(
        columns=[
            dg.TableColumn(
                name=column.name,
                type=column_type(column),
                description=column.comment,
                constraints=dg.TableColumnConstraints(
                    nullable=bool(column.nullable) and column.name not in key,
                    other=["primary key"] if column.name in key else None,
                ),
            )
            for column in table.columns
        ]
    )


def table_metadata(asset: str) -> dict[str, object]:
    """Definition metadata of an asset that writes a warehouse table (:data:`ASSET_TABLES`)."""
    table = ASSET_TABLES[asset]
    return {
        "dagster/column_schema": column_schema(table),
        "dagster/table_name": table.name,
    }


ROWS_IN_RUN = "rows_in_run"
PARTITIONS_IN_RUN = "partitions_in_run"


def _partitions_covered(context: dg.AssetExecutionContext | None) -> int:
    if context is None or not context.has_partition_key_range:
        return 1
    return len(context.partition_keys)


def rows_written(count: int, context: dg.AssetExecutionContext | None = None) -> dict[str, object]:
    """Metadata for the rows a materialization wrote.

    Dagster records a range run's metadata once for every partition of the range, the same
    values each time: a run's total under ``dagster/row_count`` would read as each day's rows
    (a season's 342,136 snapshots shown on a day that holds 446). A run of one partition, or of
    an unpartitioned asset, claims ``dagster/row_count``; a range run reports its total as
    ``rows_in_run`` beside ``partitions_in_run``.
    """
    covered = _partitions_covered(context)
    if covered <= 1:
        return {"dagster/row_count": int(count)}
    return {ROWS_IN_RUN: int(count), PARTITIONS_IN_RUN: covered}
