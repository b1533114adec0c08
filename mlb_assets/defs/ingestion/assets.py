"""Ingestion: source payloads landed verbatim, and the reconciled game schedule."""

from datetime import date

import dagster as dg
import pandas as pd

from mlb_assets.defs.automation import API_CREDITS_POOL
from mlb_assets.defs.catalog import rows_written, table_metadata
from mlb_assets.defs.partitions import (
    date_label,
    game_date_partitions,
    markdown_preview,
    partition_dates,
    single_run_backfill,
)
from mlb_assets.lib.archives.season import in_dates
from mlb_assets.lib.warehouse.load import replace_dates, replace_keys
from mlb_assets.lib.warehouse.schema import games as games_table
from mlb_assets.lib.warehouse.store import write_quarantine
from mlb_assets.resources.archive import ArchiveResource
from mlb_assets.resources.live import IngestionResource, MlbStatsResource, OddsApiResource
from mlb_assets.resources.sources import market_source
from mlb_assets.resources.warehouse import WarehouseResource

GAME_COLUMNS = [c.name for c in games_table.columns]
SOURCE_ROWS_CHECK = "every_source_row_accounted"


@dg.asset(
    metadata=table_metadata("raw_odds_payloads"),
    pool=API_CREDITS_POOL,
    group_name="ingestion",
    kinds={"python", "sql"},
    partitions_def=game_date_partitions,
    backfill_policy=single_run_backfill,
    description=(
        "Source payloads stored verbatim with their sha256 before any parsing. Archive "
        "source: the files (Pinnacle line changes, season workbooks, Retrosheet game logs) "
        "covering the partition's dates. Odds API source: today's partition polls the live "
        "odds endpoint, past partitions walk the historical endpoint; each response is "
        "stored with its request parameters (never the key). Idempotent per content hash."
    ),
)
def raw_odds_payloads(
    context: dg.AssetExecutionContext,
    archive: ArchiveResource,
    warehouse: WarehouseResource,
    ingestion: IngestionResource,
    odds_api: OddsApiResource,
    mlb_stats: MlbStatsResource,
) -> dg.MaterializeResult:
    start, end = partition_dates(context)
    source = market_source(ingestion, archive, odds_api, mlb_stats, warehouse, context.log)
    figures = source.land(start, end)
    counts = {k: v for k, v in figures.items() if not isinstance(v, pd.DataFrame)}
    context.log.info(f"{source.name} payloads for {date_label(start, end)}: {counts}")
    metadata = {
        key: markdown_preview(value, rows=10) if isinstance(value, pd.DataFrame) else value
        for key, value in figures.items()
    }
    return dg.MaterializeResult(metadata={"source": source.name, **metadata})


@dg.asset(
    metadata=table_metadata("games"),
    group_name="ingestion",
    kinds={"python", "sql"},
    partitions_def=game_date_partitions,
    backfill_policy=single_run_backfill,
    deps=[raw_odds_payloads],
    description=(
        "One row per game (doubleheaders keep their game number): schedule, start time, "
        "starting pitchers, final score and status, reconciled across the Retrosheet game "
        "logs, Pinnacle's archive and the season workbooks (archive source), or read from "
        "the MLB Stats API schedule (odds API source). Unparseable source rows land in "
        "quarantine; games known to only some sources are reported in the metadata."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            SOURCE_ROWS_CHECK,
            asset="games",
            description=(
                "Every row of the seasons' source files is loaded or quarantined with its "
                "reason: rows read = rows loaded + rows quarantined, per file"
            ),
        )
    ],
)
def games(
    context: dg.AssetExecutionContext,
    archive: ArchiveResource,
    warehouse: WarehouseResource,
    ingestion: IngestionResource,
    odds_api: OddsApiResource,
    mlb_stats: MlbStatsResource,
) -> dg.MaterializeResult:
    start, end = partition_dates(context)
    source = market_source(ingestion, archive, odds_api, mlb_stats, warehouse, context.log)
    schedule = source.schedule(start, end)
    frame, unmatched = schedule.games, schedule.unmatched
    bad_rows, source_rows = schedule.quarantine, schedule.source_rows
    frame = frame.reindex(columns=GAME_COLUMNS) if not frame.empty else frame
    if not frame.empty:
        # Sources that cannot tell a neutral site (the MLB Stats schedule) leave it unset.
        frame["neutral_site"] = frame["neutral_site"].astype("boolean").fillna(False).astype(bool)
    frame, elsewhere = _split_by_date(frame, start, end)
    with warehouse.begin() as connection:
        written = replace_dates(connection, games_table, frame, start, end)
        # A suspended game resumed today is listed under its original date: that row is
        # updated where it lives, and today's partition holds today's games only.
        updated = replace_keys(connection, games_table, elsewhere, "game_id")
        quarantined = write_quarantine(connection, "games", bad_rows, start, end)
    context.log.info(
        f"games {date_label(start, end)}: {written} games, {quarantined} quarantined rows, "
        f"{len(unmatched)} source games without a match"
        + (f", {updated} games of other dates updated (resumed)" if updated else "")
    )
    status_counts = frame["status"].value_counts().to_dict() if written else {}
    return dg.MaterializeResult(
        metadata={
            **rows_written(written, context),
            "quarantined": quarantined,
            "unmatched_source_games": len(unmatched),
            "other_dates_updated": updated,
            "status_counts": dg.MetadataValue.json(status_counts),
            "preview": markdown_preview(frame),
            "unmatched_preview": markdown_preview(unmatched, rows=10),
            "source_rows": markdown_preview(source_rows, rows=20),
        },
        check_results=[_source_rows_check(context, source_rows)],
    )


def _source_rows_check(
    context: dg.AssetExecutionContext, source_rows: pd.DataFrame
) -> dg.AssetCheckResult:
    """Whole-file figures of each season the run touched (a file is parsed whole)."""
    unaccounted = int(source_rows["unaccounted"].abs().sum()) if not source_rows.empty else 0
    if unaccounted:
        context.log.error(f"{unaccounted} source rows neither loaded nor quarantined")
    figures = {
        column: int(source_rows[column].sum()) if not source_rows.empty else 0
        for column in ("rows_read", "rows_loaded", "rows_quarantined")
    }
    return dg.AssetCheckResult(
        check_name=SOURCE_ROWS_CHECK,
        passed=unaccounted == 0,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata={**figures, "unaccounted": unaccounted, "files": len(source_rows)},
    )


def _split_by_date(
    frame: pd.DataFrame, start: date, end: date
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(rows dated in [start, end], rows listed now but dated elsewhere)."""
    if frame.empty:
        return frame, frame
    inside = in_dates(frame, start, end)
    return frame[inside], frame[~inside]
