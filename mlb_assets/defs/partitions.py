"""Daily partitions on the game date, and the date range a run covers."""

from __future__ import annotations

from datetime import date, timedelta

import dagster as dg
import pandas as pd

from mlb_assets.lib.ingest.live import local_date
from mlb_assets.lib.names import MODEL_NAMES
from mlb_assets.lib.settings import GAME_TIMEZONE
from mlb_assets.resources.live import IngestionResource

# The earliest archived season starts in 2010; the range is not a list of seasons, which are
# discovered from the archive files.
FIRST_PARTITION = "2010-01-01"

game_date_partitions = dg.DailyPartitionsDefinition(
    start_date=FIRST_PARTITION, timezone=GAME_TIMEZONE, end_offset=1
)

# The model assets, one partition per training target (lib/names.MODEL_NAMES).
model_target_partitions = dg.StaticPartitionsDefinition(list(MODEL_NAMES))

# A season backfill is one run over the whole date range, not one run per day.
single_run_backfill = dg.BackfillPolicy.single_run()


def partition_dates(context: dg.AssetExecutionContext) -> tuple[date, date]:
    """The first and last game date (inclusive) of the partitions this run materializes."""
    window = context.partition_time_window
    return window.start.date(), (window.end - timedelta(days=1)).date()


def markdown_preview(frame: pd.DataFrame, rows: int = 5) -> dg.MetadataValue:
    if frame.empty:
        return dg.MetadataValue.md("_no rows_")
    return dg.MetadataValue.md(frame.head(rows).to_markdown(index=False))


def date_label(start: date, end: date) -> str:
    return start.isoformat() if start == end else f"{start.isoformat()}..{end.isoformat()}"


def today_partition(context: dg.ScheduleEvaluationContext, ingestion: IngestionResource) -> str:
    """The game date (America/New_York) of the tick: its scheduled time on the wall clock,
    the replay's "now" when the ingestion clock is a replay's (``MLB_ASSETS_NOW``,
    ``MLB_ASSETS_CLOCK_URL``)."""
    if ingestion.replays_time:
        return local_date(ingestion.now()).isoformat()
    return context.scheduled_execution_time.date().isoformat()
