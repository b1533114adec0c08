"""Polling schedules, in America/New_York; cron strings come from the configuration.

By default odds are polled every 10 minutes from 09:00 to 23:50 local (lines move all day and
close at first pitch) and the schedule is refreshed each morning at 08:00, before lines firm
up. "Today" is the ingestion clock's date, so a replay polls the replayed day.
"""

import dagster as dg

from mlb_assets.config import current
from mlb_assets.defs.jobs import odds_poll_job, schedule_refresh_job
from mlb_assets.defs.partitions import today_partition
from mlb_assets.lib.settings import GAME_TIMEZONE
from mlb_assets.resources.live import IngestionResource


@dg.schedule(
    job=odds_poll_job,
    cron_schedule=current().odds_poll_cron,
    execution_timezone=GAME_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Polls today's odds (MLB_ASSETS_ODDS_SOURCE=odds_api) every 10 minutes.",
)
def odds_polling_schedule(
    context: dg.ScheduleEvaluationContext, ingestion: IngestionResource
) -> dg.RunRequest:
    return dg.RunRequest(partition_key=today_partition(context, ingestion))


@dg.schedule(
    job=schedule_refresh_job,
    cron_schedule=current().schedule_refresh_cron,
    execution_timezone=GAME_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Refreshes today's schedule and probable pitchers each morning.",
)
def morning_schedule_refresh(
    context: dg.ScheduleEvaluationContext, ingestion: IngestionResource
) -> dg.RunRequest:
    return dg.RunRequest(partition_key=today_partition(context, ingestion))
