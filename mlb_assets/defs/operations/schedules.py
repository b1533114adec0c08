"""The unattended day, in America/New_York; every cron string is configurable.

With the ingestion and betting schedules this makes the whole cycle: odds polled every 10
minutes (odds_polling_schedule), the morning schedule refresh (morning_schedule_refresh),
features, predictions and picks hourly before first pitches (daily_picks_schedule), and
here: odds freshness checked every 10 minutes, last night's settlement with the ledger and
reporting refresh, the nightly backup and the weekly retraining. Cron strings come from the
configuration (``mlb_assets.config``).
"""

from datetime import date, timedelta

import dagster as dg

from mlb_assets.config import current
from mlb_assets.defs.jobs import KIND_TAG, models_job, settlement_job
from mlb_assets.defs.operations.backups import backup_job
from mlb_assets.defs.operations.checks import odds_fresh
from mlb_assets.defs.operations.retention import run_retention_job
from mlb_assets.defs.partitions import model_target_partitions, today_partition
from mlb_assets.lib.settings import GAME_TIMEZONE
from mlb_assets.resources.live import IngestionResource

#: Schedule name -> the configuration field holding its cron string.
SCHEDULE_CRONS = {
    "odds_freshness_schedule": "freshness_cron",
    "nightly_settlement_schedule": "settlement_cron",
    "nightly_backup_schedule": "backup_cron",
    "weekly_retraining_schedule": "retrain_cron",
    "nightly_run_retention_schedule": "run_retention_cron",
}


def cron(name: str) -> str:
    return getattr(current(), SCHEDULE_CRONS[name])


odds_freshness_job = dg.define_asset_job(
    name="odds_freshness",
    selection=dg.AssetSelection.checks(odds_fresh),
    tags={KIND_TAG: "checks"},
    description="Only the odds freshness check: is today's newest quote recent enough?",
)


@dg.schedule(
    job=odds_freshness_job,
    cron_schedule=cron("odds_freshness_schedule"),
    execution_timezone=GAME_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="Every 10 minutes through game hours: the odds freshness check.",
)
def odds_freshness_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest()


@dg.schedule(
    job=settlement_job,
    cron_schedule=cron("nightly_settlement_schedule"),
    execution_timezone=GAME_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description=(
        "At 02:00: settle yesterday (final scores, bet ledger, ROI rollups, reporting views). "
        "A backstop for settlement_sensor, which settles as soon as a date's games are over."
    ),
)
def nightly_settlement_schedule(
    context: dg.ScheduleEvaluationContext, ingestion: IngestionResource
) -> dg.RunRequest:
    today = date.fromisoformat(today_partition(context, ingestion))
    return dg.RunRequest(partition_key=(today - timedelta(days=1)).isoformat())


@dg.schedule(
    job=backup_job,
    cron_schedule=cron("nightly_backup_schedule"),
    execution_timezone=GAME_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="At 03:30, after settlement: back up, verify, apply retention.",
)
def nightly_backup_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest()


@dg.schedule(
    job=models_job,
    cron_schedule=cron("weekly_retraining_schedule"),
    execution_timezone=GAME_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description=(
        "Mondays at 05:00: for each training target (one run each), retrain both AutoML "
        "engines on every game so far, re-evaluate walk-forward and promote the champion."
    ),
)
def weekly_retraining_schedule(context: dg.ScheduleEvaluationContext) -> list[dg.RunRequest]:
    # A schedule's run keys are unique within its tick: one run per target each Monday.
    return [
        dg.RunRequest(run_key=target, partition_key=target)
        for target in model_target_partitions.get_partition_keys()
    ]


@dg.schedule(
    job=run_retention_job,
    cron_schedule=cron("nightly_run_retention_schedule"),
    execution_timezone=GAME_TIMEZONE,
    default_status=dg.DefaultScheduleStatus.STOPPED,
    description="At 04:00: delete finished runs older than MLB_ASSETS_RUN_RETENTION_DAYS.",
)
def nightly_run_retention_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    return dg.RunRequest()
