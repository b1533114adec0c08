"""Run jobs in this process against the local Dagster instance (used by the CLI and tests)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
from dagster._core.storage.tags import ASSET_PARTITION_RANGE_END_TAG, ASSET_PARTITION_RANGE_START_TAG


def run_season_backfill(
    start: date, end: date, *, dagster_home: Path | None = None, quiet: bool = False
) -> dg.ExecuteInProcessResult:
    """Materialize the archive graph for game dates [start, end] as a single run."""
    from mlb_assets.definitions import defs

    job = defs.resolve_job_def("season_backfill")
    tags = {
        ASSET_PARTITION_RANGE_START_TAG: start.isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: end.isoformat(),
    }
    run_config = {"loggers": {"console": {"config": {"log_level": "WARNING" if quiet else "INFO"}}}}
    if dagster_home is None:
        with dg.DagsterInstance.ephemeral() as instance:
            return job.execute_in_process(instance=instance, tags=tags, run_config=run_config)
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        return job.execute_in_process(instance=instance, tags=tags, run_config=run_config)
