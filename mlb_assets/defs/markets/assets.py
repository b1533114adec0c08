"""Markets: normalized odds snapshots, opening/closing lines and line movements."""

from datetime import date

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from mlb_assets.defs.automation import ODDS_FRESHNESS
from mlb_assets.defs.catalog import rows_written, table_metadata
from mlb_assets.defs.partitions import (
    date_label,
    game_date_partitions,
    markdown_preview,
    partition_dates,
    single_run_backfill,
)
from mlb_assets.lib.archives.season import concat
from mlb_assets.lib.line_movements import MovementParams, compute_line_movements
from mlb_assets.lib.snapshots import normalize_by_source
from mlb_assets.lib.warehouse.load import read_frame, replace_dates
from mlb_assets.lib.warehouse.odds import read_observations, write_odds_snapshots
from mlb_assets.lib.warehouse.schema import games as games_table
from mlb_assets.lib.warehouse.schema import line_movements as line_movements_table
from mlb_assets.lib.warehouse.schema import odds_snapshots as odds_snapshots_table
from mlb_assets.lib.warehouse.schema import opening_closing_lines as open_close_table
from mlb_assets.resources.archive import ArchiveResource
from mlb_assets.resources.live import IngestionResource, MlbStatsResource, OddsApiResource
from mlb_assets.resources.sources import market_source
from mlb_assets.resources.warehouse import WarehouseResource


@dg.asset(
    metadata=table_metadata("odds_snapshots"),
    freshness_policy=ODDS_FRESHNESS,
    group_name="markets",
    kinds={"python", "sql"},
    partitions_def=game_date_partitions,
    backfill_policy=single_run_backfill,
    deps=["raw_odds_payloads", "games"],
    description=(
        "Every price change as received (American odds): one row per book x market x side x "
        "change with its captured_at (UTC). Unchanged re-quotes collapse; rows with invalid "
        "prices or points land in quarantine. A live feed's polls (which game's line each "
        "poll read at each book) go to odds_observations with the rows; the archives, "
        "observed continuously, have none. Re-materializing a date changes nothing."
    ),
)
def odds_snapshots(
    context: dg.AssetExecutionContext,
    archive: ArchiveResource,
    warehouse: WarehouseResource,
    ingestion: IngestionResource,
    odds_api: OddsApiResource,
    mlb_stats: MlbStatsResource,
) -> dg.MaterializeResult:
    start, end = partition_dates(context)
    source = market_source(ingestion, archive, odds_api, mlb_stats, warehouse, context.log)
    read = source.quotes(start, end)
    quotes, payload_bad, observations = read.quotes, read.quarantine, read.observations
    snapshots, bad = normalize_by_source(quotes)
    result = write_odds_snapshots(
        warehouse.engine(), snapshots, concat([payload_bad, bad]), start, end, observations
    )
    if result.partitions_created:
        context.log.info(f"created partitions {', '.join(result.partitions_created)}")
    written, quarantined = result.written, result.quarantined
    context.log.info(
        f"odds_snapshots {date_label(start, end)}: {len(quotes)} quotes -> {written} changes, "
        f"{quarantined} quarantined, {result.observations} observations"
    )
    return dg.MaterializeResult(
        metadata={
            **rows_written(written, context),
            "quotes_read": len(quotes),
            "quarantined": quarantined,
            "observations": result.observations,
            "games": int(snapshots["game_id"].nunique()) if written else 0,
            "books": dg.MetadataValue.json(
                sorted(snapshots["book"].unique().tolist()) if written else []
            ),
            "preview": markdown_preview(snapshots),
        }
    )


@dg.asset(
    metadata=table_metadata("opening_closing_lines"),
    group_name="markets",
    kinds={"python", "sql"},
    partitions_def=game_date_partitions,
    backfill_policy=single_run_backfill,
    deps=["raw_odds_payloads", "games"],
    description=(
        "Opening and closing lines of archives that carry no timestamps (the season "
        "workbooks). The close comes after any decision time: point-in-time features may "
        "use the opening line only; the close serves as a target proxy and for CLV."
    ),
)
def opening_closing_lines(
    context: dg.AssetExecutionContext,
    archive: ArchiveResource,
    warehouse: WarehouseResource,
    ingestion: IngestionResource,
    odds_api: OddsApiResource,
    mlb_stats: MlbStatsResource,
) -> dg.MaterializeResult:
    start, end = partition_dates(context)
    source = market_source(ingestion, archive, odds_api, mlb_stats, warehouse, context.log)
    frame = source.open_close(start, end)
    columns = [c.name for c in open_close_table.columns]
    frame = frame.reindex(columns=columns) if not frame.empty else frame
    with warehouse.begin() as connection:
        written = replace_dates(connection, open_close_table, frame, start, end)
    context.log.info(f"opening_closing_lines {date_label(start, end)}: {written} rows")
    return dg.MaterializeResult(
        metadata={**rows_written(written, context), "preview": markdown_preview(frame)}
    )


def read_snapshots_and_schedule(
    warehouse: WarehouseResource, start: date, end: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The stored snapshots of [start, end] and those dates' games (id, date, first pitch)."""
    with warehouse.connect() as connection:
        snapshots = read_frame(
            connection,
            sa.select(odds_snapshots_table).where(
                odds_snapshots_table.c.game_date.between(start, end)
            ),
        )
        schedule = read_frame(
            connection,
            sa.select(
                games_table.c.game_id, games_table.c.game_date, games_table.c.start_time_utc
            ).where(games_table.c.game_date.between(start, end)),
        )
    return snapshots, schedule


class LineMovementConfig(dg.Config):
    """When a bettor decides, and what counts as steam (a fast, large move)."""

    decision_minutes_before: int = MovementParams.decision_minutes_before
    steam_window_minutes: int = MovementParams.steam_window_minutes
    steam_min_move_prob: float = MovementParams.steam_min_move_prob

    def params(self) -> MovementParams:
        return MovementParams(
            decision_minutes_before=self.decision_minutes_before,
            steam_window_minutes=self.steam_window_minutes,
            steam_min_move_prob=self.steam_min_move_prob,
        )


@dg.asset(
    metadata=table_metadata("line_movements"),
    group_name="markets",
    kinds={"python", "sql"},
    partitions_def=game_date_partitions,
    backfill_policy=single_run_backfill,
    deps=[odds_snapshots, "games"],
    description=(
        "Per game x book x market x side: opening line and time, the line in effect at "
        "decision time, the closing line (last before first pitch), number of moves, largest "
        "single move and net move in no-vig probability points, moves in the 1h/3h before "
        "decision time, and a steam flag for a fast large move, claimed only when the polls "
        "that saw the line before and after each move lie within the steam window "
        "(steam_gap_minutes)."
    ),
)
def line_movements(
    context: dg.AssetExecutionContext, config: LineMovementConfig, warehouse: WarehouseResource
) -> dg.MaterializeResult:
    start, end = partition_dates(context)
    snapshots, schedule = read_snapshots_and_schedule(warehouse, start, end)
    with warehouse.connect() as connection:
        observations = read_observations(connection, start, end)
    movements = _movements(snapshots, schedule, config.params(), observations)
    with warehouse.begin() as connection:
        written = replace_dates(connection, line_movements_table, movements, start, end)
    steam = int(movements["steam"].sum()) if written else 0
    # Sides whose rise reached the threshold only across a gap wider than the window.
    unbracketed = (
        int((~movements["steam"] & movements["steam_gap_minutes"].notna()).sum()) if written else 0
    )
    context.log.info(
        f"line_movements {date_label(start, end)}: {written} rows, {steam} steam, "
        f"{unbracketed} not claimed (observation gap wider than the window)"
    )
    return dg.MaterializeResult(
        metadata={
            **rows_written(written, context),
            "steam_moves": steam,
            "steam_not_claimed_observation_gap": unbracketed,
            "games_without_start_time": int(schedule["start_time_utc"].isna().sum()),
            "preview": markdown_preview(movements),
        }
    )


def _movements(
    snapshots: pd.DataFrame,
    schedule: pd.DataFrame,
    params: MovementParams,
    observations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    timed = schedule.dropna(subset=["start_time_utc"])
    if snapshots.empty or timed.empty:
        return pd.DataFrame()
    movements = compute_line_movements(
        snapshots, timed[["game_id", "start_time_utc"]], params, observations
    )
    movements = movements.assign(
        game_date=movements["game_id"].map(timed.set_index("game_id")["game_date"])
    )
    return movements.reindex(columns=[c.name for c in line_movements_table.columns])
