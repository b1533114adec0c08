"""Purge finished runs older than the retention window, with their event logs."""

from collections.abc import Callable
from datetime import UTC, datetime

import dagster as dg

from mlb_assets.defs.jobs import KIND_TAG
from mlb_assets.resources.operations import OperationsResource

FINISHED_STATUSES = [
    dg.DagsterRunStatus.SUCCESS,
    dg.DagsterRunStatus.FAILURE,
    dg.DagsterRunStatus.CANCELED,
]
BATCH = 200


def purge_finished_runs(
    instance: dg.DagsterInstance,
    before: datetime,
    *,
    log: Callable[[str], None] | None = None,
    batch: int = BATCH,
) -> int:
    """Delete every finished run created before ``before``; returns how many were deleted.

    Runs still queued or in progress are never touched, whatever their age.
    """
    deleted = 0
    filters = dg.RunsFilter(statuses=FINISHED_STATUSES, created_before=before)
    while records := instance.get_run_records(filters=filters, limit=batch):
        for record in records:
            instance.delete_run(record.dagster_run.run_id)
        deleted += len(records)
        if log is not None:
            log(f"deleted {deleted} runs created before {before.isoformat()}")
    return deleted


@dg.op(
    description="Deletes finished runs (and their event logs) older than "
    "MLB_ASSETS_RUN_RETENTION_DAYS (default 90).",
)
def purge_old_runs(
    context: dg.OpExecutionContext, operations: OperationsResource
) -> dg.Output[int]:
    retention = operations.run_retention()
    before = retention.cutoff(datetime.now(UTC))
    deleted = purge_finished_runs(context.instance, before, log=context.log.info)
    context.log.info(f"run retention: {deleted} runs older than {retention.keep_days} days")
    return dg.Output(deleted, metadata={"deleted_runs": deleted, "cutoff": before.isoformat()})


@dg.job(
    name="run_retention",
    tags={KIND_TAG: "maintenance"},
    description="Purge finished runs older than the retention window (Dagster OSS keeps "
    "every run otherwise).",
)
def run_retention_job() -> None:
    purge_old_runs()
