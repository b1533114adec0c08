"""Sensors: settle a date once all its games are over; flag and re-poll stale odds."""

from datetime import date, timedelta

import dagster as dg

from mlb_assets.config import current
from mlb_assets.defs.jobs import odds_poll_job, schedule_refresh_job, settlement_job
from mlb_assets.lib.ingest.live import local_date
from mlb_assets.lib.ingest.monitoring import date_to_refresh, dates_ready_to_settle
from mlb_assets.lib.names import STALE_ODDS_MINUTES
from mlb_assets.lib.warehouse.freshness import games_between, todays_staleness
from mlb_assets.resources.live import IngestionResource
from mlb_assets.resources.warehouse import WarehouseResource

# Without a cursor the sensor looks this far back: it settles the recent season, not
# every archived date a backfill ever loaded.
SETTLEMENT_LOOKBACK_DAYS = 7
# A past date whose games the warehouse still shows unfinished is read again this often.
REFRESH_EVERY_MINUTES = 30


@dg.sensor(
    jobs=[settlement_job, schedule_refresh_job],
    minimum_interval_seconds=current().settlement_sensor_seconds,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Starts settlement of a game date once every game of it is final, postponed or "
        "cancelled; the cursor holds the last settled date, so each date settles once. A past "
        "date whose games still show in play is refreshed (schedule_refresh) first, at most "
        f"every {REFRESH_EVERY_MINUTES} minutes."
    ),
)
def settlement_sensor(
    context: dg.SensorEvaluationContext,
    warehouse: WarehouseResource,
    ingestion: IngestionResource,
) -> dg.SensorResult:
    now = ingestion.now()
    today = local_date(now)
    after = date.fromisoformat(context.cursor) if context.cursor else None
    start = (after + timedelta(days=1)) if after else today - timedelta(SETTLEMENT_LOOKBACK_DAYS)
    with warehouse.connect() as connection:
        known = games_between(connection, start, today)
    ready = dates_ready_to_settle(known, after=after, today=today)
    if ready:
        return dg.SensorResult(
            run_requests=[
                dg.RunRequest(
                    job_name=settlement_job.name,
                    partition_key=d.isoformat(),
                    run_key=f"settlement-{d}",
                )
                for d in ready
            ],
            cursor=ready[-1].isoformat(),
        )
    stale = date_to_refresh(known, after=after, today=today)
    if stale is None:
        return dg.SensorResult(skip_reason=f"no finished game date after {after or start}")
    # One refresh per date and time bucket (of the ingestion clock, so replays work too).
    bucket = int(now.timestamp() // (REFRESH_EVERY_MINUTES * 60))
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(
                job_name=schedule_refresh_job.name,
                partition_key=stale.isoformat(),
                run_key=f"refresh-{stale}-{bucket}",
            )
        ]
    )


@dg.sensor(
    job=odds_poll_job,
    minimum_interval_seconds=current().stale_odds_sensor_seconds,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        f"On game days, flags odds older than {STALE_ODDS_MINUTES} minutes while games are "
        "still to come (an observation on odds_snapshots) and requests a fresh poll."
    ),
)
def stale_odds_sensor(
    context: dg.SensorEvaluationContext,
    warehouse: WarehouseResource,
    ingestion: IngestionResource,
) -> dg.SensorResult:
    now = ingestion.now()
    today = local_date(now)
    with warehouse.connect() as connection:
        staleness = todays_staleness(connection, now)
    if not staleness.stale:
        return dg.SensorResult(skip_reason=staleness.reason)
    context.log.warning(f"stale odds on {today}: {staleness.reason}")
    bucket = int(now.timestamp() // (STALE_ODDS_MINUTES * 60))
    observation = dg.AssetObservation(
        asset_key="odds_snapshots",
        partition=today.isoformat(),
        metadata={
            "stale": True,
            "reason": staleness.reason,
            "age_minutes": staleness.age_minutes,
        },
    )
    return dg.SensorResult(
        run_requests=[
            dg.RunRequest(partition_key=today.isoformat(), run_key=f"stale-{today}-{bucket}")
        ],
        asset_events=[observation],
    )
