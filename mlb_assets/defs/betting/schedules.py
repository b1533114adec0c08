"""Picks through the day, in America/New_York; the cron string comes from the configuration.

By default hourly from 10:05 to 22:05 local: every game's decision time (an hour before first
pitch) is followed by a run that prices it with what was known then.
"""

import dagster as dg

from mlb_assets.config import current
from mlb_assets.defs.jobs import daily_picks_job
from mlb_assets.defs.partitions import today_partition
from mlb_assets.lib.settings import GAME_TIMEZONE
from mlb_assets.resources.live import IngestionResource


@dg.schedule(
    job=daily_picks_job,
    cron_schedule=current().picks_cron,
    execution_timezone=GAME_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Features, predictions and picks for today, hourly through the game day.",
)
def daily_picks_schedule(
    context: dg.ScheduleEvaluationContext, ingestion: IngestionResource
) -> dg.RunRequest:
    return dg.RunRequest(partition_key=today_partition(context, ingestion))
