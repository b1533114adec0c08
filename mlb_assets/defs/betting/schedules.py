"""Picks through the day, in America/New_York; the cron string is configurable."""

import os

import dagster as dg

from mlb_assets.defs.jobs import daily_picks_job
from mlb_assets.lib.settings import GAME_TIMEZONE

# Hourly from 10:00 to 22:00 local: every game's decision time (an hour before first
# pitch) is followed by a run that prices it with what was known then.
PICKS_CRON = os.environ.get("MLB_ASSETS_PICKS_CRON") or "5 10-22 * * *"


@dg.schedule(
    job=daily_picks_job,
    cron_schedule=PICKS_CRON,
    execution_timezone=GAME_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Features, predictions and picks for today, hourly through the game day.",
)
def daily_picks_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(partition_key=context.scheduled_execution_time.date().isoformat())


SCHEDULES = [daily_picks_schedule]
