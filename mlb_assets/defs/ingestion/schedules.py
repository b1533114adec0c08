"""Polling schedules, in America/New_York; cron strings are configurable by environment."""

import os

import dagster as dg

from mlb_assets.defs.jobs import odds_poll_job, schedule_refresh_job
from mlb_assets.lib.settings import GAME_TIMEZONE

# Every 10 minutes from 09:00 to 23:50 local: lines move all day and close at first pitch.
ODDS_POLL_CRON = os.environ.get("MLB_ASSETS_ODDS_POLL_CRON") or "*/10 9-23 * * *"
# Each morning, before lines firm up: probable pitchers and start times of the day.
SCHEDULE_REFRESH_CRON = os.environ.get("MLB_ASSETS_SCHEDULE_REFRESH_CRON") or "0 8 * * *"


def _today_partition(context: dg.ScheduleEvaluationContext) -> str:
    return context.scheduled_execution_time.date().isoformat()


@dg.schedule(
    job=odds_poll_job,
    cron_schedule=ODDS_POLL_CRON,
    execution_timezone=GAME_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Polls today's odds (MLB_ASSETS_ODDS_SOURCE=odds_api) every 10 minutes.",
)
def odds_polling_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(partition_key=_today_partition(context))


@dg.schedule(
    job=schedule_refresh_job,
    cron_schedule=SCHEDULE_REFRESH_CRON,
    execution_timezone=GAME_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Refreshes today's schedule and probable pitchers each morning.",
)
def morning_schedule_refresh(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest(partition_key=_today_partition(context))


SCHEDULES = [odds_polling_schedule, morning_schedule_refresh]
