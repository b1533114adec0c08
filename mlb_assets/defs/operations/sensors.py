"""Alerting and metrics sensors.

The two alert sensors read the instance's event log after their cursor: failed runs, and
asset-check evaluations. Each cursor also holds the alert ledger (JSON), which makes an
alert go out once per failing run, and once per failing check and partition until that
check passes again; a rate limit caps a burst. The metrics sensor exports the state of
the warehouse, the runs, the checks and the backups to a Pushgateway or a text file.
"""

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import dagster as dg
from dagster import DagsterEventType, EventRecordsFilter

from mlb_assets.lib.ingest.live import local_date
from mlb_assets.lib.ops import alerts
from mlb_assets.lib.ops.backup_set import last_good_backup
from mlb_assets.lib.ops.collect import warehouse_metrics
from mlb_assets.lib.ops.metrics import MetricsSnapshot, publish
from mlb_assets.resources.live import IngestionResource
from mlb_assets.resources.operations import OperationsResource
from mlb_assets.resources.warehouse import WarehouseResource

ALERT_BATCH = 200
RUN_LOOKBACK = timedelta(hours=24)


@dataclass
class AlertCursor:
    after: int | None
    ledger: alerts.AlertLedger

    @classmethod
    def parse(cls, raw: str | None) -> "AlertCursor":
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = {}
        after = body.get("after") if isinstance(body, dict) else None
        ledger = alerts.AlertLedger.from_json(
            body.get("ledger") if isinstance(body, dict) else None
        )
        return cls(after=int(after) if after is not None else None, ledger=ledger)

    def dump(self) -> str:
        return json.dumps({"after": self.after, "ledger": self.ledger.to_json()})


def _records(instance: dg.DagsterInstance, event_type: DagsterEventType, after: int | None):  # type: ignore[no-untyped-def]
    records_filter = EventRecordsFilter(event_type=event_type, after_cursor=after)
    return instance.get_event_records(records_filter, limit=ALERT_BATCH, ascending=True)


def _job_name(instance: dg.DagsterInstance, run_id: str) -> str | None:
    run = instance.get_run_by_id(run_id)
    return run.job_name if run else None


Item = tuple[int, alerts.Alert | None, str | None]  # storage id, alert to send, key resolved


def _process(
    context: dg.SensorEvaluationContext,
    operations: OperationsResource,
    cursor: AlertCursor,
    items: list[Item],
) -> dg.SkipReason:
    """Dispatch the events in log order: a check that fails then passes in one batch ends
    closed. At the first alert that fails or is rate-limited the sensor stops, and the
    cursor stays before it, so the next tick retries it; nothing is lost."""
    sink = operations.sink(context.log)
    sent = duplicates = 0
    held = None
    for storage_id, alert, resolved in items:
        outcome = alerts.dispatch(
            [alert] if alert else [],
            resolved=[resolved] if resolved else [],
            ledger=cursor.ledger,
            sink=sink,
            now=time.time(),
        )
        if outcome.failed or outcome.rate_limited:
            held = outcome.failed[0][1] if outcome.failed else "rate limit reached"
            break
        cursor.after = storage_id
        sent, duplicates = sent + len(outcome.sent), duplicates + len(outcome.duplicates)
    context.update_cursor(cursor.dump())
    if held:
        context.log.error(f"alerting paused until the next tick: {held}")
    return dg.SkipReason(f"{sent} alerts sent, {duplicates} already open, held: {held or 'none'}")


def _check_alert(record, operations: OperationsResource, instance) -> alerts.Alert:  # type: ignore[no-untyped-def]
    entry = record.event_log_entry
    evaluation = entry.dagster_event.event_specific_data
    asset = evaluation.asset_key.to_user_string()
    severity = "warning" if evaluation.severity == dg.AssetCheckSeverity.WARN else "error"
    return alerts.Alert(
        kind="check_failure",
        title=f"Check {asset}:{evaluation.check_name} failed",
        reason=evaluation.description or "the check did not pass",
        asset=asset,
        partition=evaluation.partition,
        check=evaluation.check_name,
        job=_job_name(instance, entry.run_id),
        run_id=entry.run_id,
        run_url=operations.run_url(entry.run_id),
        severity=severity,
    )


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Alerts on failed asset checks through the configured sink (MLB_ASSETS_ALERT_SINK), "
        "once per check and partition until the check passes again; rate-limited."
    ),
)
def check_failure_alert_sensor(
    context: dg.SensorEvaluationContext, operations: OperationsResource
) -> dg.SkipReason:
    cursor = AlertCursor.parse(context.cursor)
    records = _records(context.instance, DagsterEventType.ASSET_CHECK_EVALUATION, cursor.after)
    items: list[Item] = []
    for record in records:
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        if evaluation.passed:
            key = alerts.check_failure_key(
                evaluation.asset_key.to_user_string(), evaluation.check_name, evaluation.partition
            )
            items.append((record.storage_id, None, key))
        else:
            items.append(
                (record.storage_id, _check_alert(record, operations, context.instance), None)
            )
    return _process(context, operations, cursor, items)


def _run_alert(record, operations: OperationsResource, instance) -> alerts.Alert:  # type: ignore[no-untyped-def]
    entry = record.event_log_entry
    run = instance.get_run_by_id(entry.run_id)
    partition = run.tags.get("dagster/partition") if run else None
    job = run.job_name if run else None
    return alerts.Alert(
        kind="run_failure",
        title=f"Run of {job or 'a job'} failed",
        reason=entry.dagster_event.message or entry.user_message or "run failed",
        partition=partition,
        job=job,
        run_id=entry.run_id,
        run_url=operations.run_url(entry.run_id),
    )


@dg.sensor(
    minimum_interval_seconds=60,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Alerts on every failed run (job, partition, reason, link to the run) through the "
        "configured sink; once per run, rate-limited."
    ),
)
def run_failure_alert_sensor(
    context: dg.SensorEvaluationContext, operations: OperationsResource
) -> dg.SkipReason:
    cursor = AlertCursor.parse(context.cursor)
    records = _records(context.instance, DagsterEventType.RUN_FAILURE, cursor.after)
    items: list[Item] = [
        (record.storage_id, _run_alert(record, operations, context.instance), None)
        for record in records
    ]
    return _process(context, operations, cursor, items)


def _run_metrics(
    instance: dg.DagsterInstance, jobs: list[str]
) -> tuple[dict[str, float], dict[str, int]]:
    """Each job's last finished run duration and its failures in the last 24 hours."""
    finished = [dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE]
    since = time.time() - RUN_LOOKBACK.total_seconds()
    durations, failures = {}, {}
    for job in jobs:
        last = instance.get_run_records(dg.RunsFilter(job_name=job, statuses=finished), limit=1)
        if last and last[0].start_time and last[0].end_time:
            durations[job] = float(last[0].end_time - last[0].start_time)
        failures[job] = instance.get_runs_count(
            dg.RunsFilter(
                job_name=job,
                statuses=[dg.DagsterRunStatus.FAILURE],
                updated_after=datetime.fromtimestamp(since, tz=UTC),
            )
        )
    return durations, failures


def _failing_checks(instance: dg.DagsterInstance) -> dict[tuple[str, str], int]:
    """Partitions whose latest evaluation failed, per (asset, check), from recent events."""
    records = instance.get_event_records(
        EventRecordsFilter(event_type=DagsterEventType.ASSET_CHECK_EVALUATION),
        limit=5000,
        ascending=False,
    )
    latest: dict[tuple[str, str, str | None], bool] = {}
    for record in records:  # newest first: the first seen per key is its current state
        evaluation = record.event_log_entry.dagster_event.event_specific_data
        key = (evaluation.asset_key.to_user_string(), evaluation.check_name, evaluation.partition)
        latest.setdefault(key, evaluation.passed)
    failing: dict[tuple[str, str], int] = {}
    for (asset, check, _), passed in latest.items():
        failing[(asset, check)] = failing.get((asset, check), 0) + (0 if passed else 1)
    return failing


def _quota_remaining(instance: dg.DagsterInstance) -> float | None:
    event = instance.get_latest_materialization_event(dg.AssetKey("raw_odds_payloads"))
    if event is None or event.asset_materialization is None:
        return None
    value = event.asset_materialization.metadata.get("quota_remaining")
    raw = getattr(value, "value", value)
    return float(raw) if isinstance(raw, int | float) else None


def collect_metrics(
    context: dg.SensorEvaluationContext,
    warehouse: WarehouseResource,
    ingestion: IngestionResource,
    operations: OperationsResource,
) -> MetricsSnapshot:
    now = ingestion.now()
    with warehouse.connect() as connection:
        fields = warehouse_metrics(connection, today=local_date(now), now=now)
    jobs = sorted(
        job.name for job in context.repository_def.get_all_jobs() if not job.name.startswith("__")
    )
    durations, failures = _run_metrics(context.instance, jobs)
    backup = last_good_backup(operations.backup_plan(warehouse.url).folder)
    return MetricsSnapshot(
        **fields,
        odds_api_quota_remaining=_quota_remaining(context.instance),
        check_failures=_failing_checks(context.instance),
        run_durations=durations,
        run_failures=failures,
        last_good_backup_timestamp=backup.timestamp() if backup else None,
    )


@dg.sensor(
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.STOPPED,
    description=(
        "Every 5 minutes: rows ingested and quarantined, API quota, failing checks, run "
        "durations and failures, model log-loss, ROI, bankroll, drawdown and the age of the "
        "last good backup, pushed to MLB_ASSETS_PUSHGATEWAY_URL or written to a text file."
    ),
)
def metrics_sensor(
    context: dg.SensorEvaluationContext,
    warehouse: WarehouseResource,
    ingestion: IngestionResource,
    operations: OperationsResource,
) -> dg.SkipReason:
    snapshot = collect_metrics(context, warehouse, ingestion, operations)
    gateway_url, textfile = operations.metrics_destination()
    where = publish(snapshot, gateway_url=gateway_url, textfile=textfile)
    return dg.SkipReason(f"metrics published to {where}")
