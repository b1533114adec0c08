"""Run jobs in this process (used by the CLI and the tests)."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import dagster as dg
from dagster import DagsterEventType
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
    PARTITION_NAME_TAG,
)

from mlb_assets.lib.names import DEFAULT_TARGET

SEASON_BACKFILL_JOB = "season_backfill"
BETTING_BACKTEST_JOB = "betting_backtest"

#: Told (steps finished, steps in the run, the step that just finished) as a run goes on.
StepCallback = Callable[[int, int, str], None]
FINISHED_STEP = {DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
POLL_SECONDS = 1.0


def run_season_backfill(
    start: date,
    end: date,
    *,
    dagster_home: Path | None = None,
    resources: Mapping[str, object] | None = None,
    quiet: bool = False,
    on_step: StepCallback | None = None,
) -> dg.ExecuteInProcessResult:
    """Materialize the archive graph for game dates [start, end] as one run."""
    return run_partitioned_job(
        SEASON_BACKFILL_JOB,
        start,
        end,
        dagster_home=dagster_home,
        resources=resources,
        quiet=quiet,
        on_step=on_step,
    )


def run_partitioned_job(
    job_name: str,
    start: date,
    end: date,
    *,
    dagster_home: Path | None = None,
    resources: Mapping[str, object] | None = None,
    quiet: bool = False,
    on_step: StepCallback | None = None,
) -> dg.ExecuteInProcessResult:
    """Run a partitioned job over game dates [start, end] as one run.

    With ``dagster_home`` the run is recorded in that instance (visible in ``mlb-assets
    ui``); otherwise an ephemeral instance is used.
    """

    tags = {
        ASSET_PARTITION_RANGE_START_TAG: start.isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: end.isoformat(),
    }
    return _execute(job_name, resources, dagster_home, _run_config(quiet), tags, on_step)


def _run_config(quiet: bool, ops: Mapping[str, object] | None = None) -> dict[str, object]:
    level = "WARNING" if quiet else "INFO"
    return {"loggers": {"console": {"config": {"log_level": level}}}, "ops": dict(ops or {})}


def _execute(
    job_name: str,
    resources: Mapping[str, object] | None,
    dagster_home: Path | None,
    run_config: Mapping[str, object],
    tags: Mapping[str, str] | None = None,
    on_step: StepCallback | None = None,
) -> dg.ExecuteInProcessResult:
    """Execute a job of the definitions (or of ``resources``' variant) in this process."""
    from mlb_assets.definitions import build_definitions

    job = build_definitions(resources).resolve_job_def(job_name)
    run_id = str(uuid.uuid4())  # known before the run starts, for the step watcher
    if dagster_home is None:
        instance_context = dg.DagsterInstance.ephemeral()
    else:
        instance_context = dg.DagsterInstance.from_config(str(dagster_home))
    with instance_context as instance, _watching(instance, run_id, len(job.nodes), on_step):
        return job.execute_in_process(
            instance=instance, tags=tags, run_config=run_config, run_id=run_id
        )


@contextmanager
def _watching(
    instance: dg.DagsterInstance, run_id: str, steps: int, on_step: StepCallback | None
) -> Iterator[None]:
    """Tell ``on_step`` of each finished step while the run executes in this thread.

    The run stays in the calling thread (engines and signal handlers expect it); a daemon
    thread reads the run's step events from the instance every second, and once more at the
    end so that the last step is told before this returns.
    """
    if on_step is None:
        yield
        return
    stop = threading.Event()
    told = 0

    def tell() -> None:
        nonlocal told
        finished = instance.all_logs(run_id, of_type=FINISHED_STEP)
        if len(finished) > told:
            told = len(finished)
            on_step(told, steps, finished[-1].step_key or "")

    def poll() -> None:
        while not stop.wait(POLL_SECONDS):
            tell()

    watcher = threading.Thread(target=poll, name=f"steps-{run_id[:8]}", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
        tell()


MODELS_JOB = "train_models"


def run_models(
    *,
    dagster_home: Path | None = None,
    resources: Mapping[str, object] | None = None,
    training: Mapping[str, object] | None = None,
    evaluation: Mapping[str, object] | None = None,
    target: str = DEFAULT_TARGET,
    quiet: bool = False,
    on_step: StepCallback | None = None,
) -> dg.ExecuteInProcessResult:
    """Run the models job (training set, both engines, champion, evaluation) in process for
    one training target (a partition of the model assets: lib/names.MODEL_NAMES)."""
    ops: dict[str, object] = {}
    if training:
        ops.update({name: {"config": dict(training)} for name in ("h2o_model", "autogluon_model")})
    if evaluation:
        ops["model_evaluation"] = {"config": dict(evaluation)}
    tags = {PARTITION_NAME_TAG: target}
    return _execute(MODELS_JOB, resources, dagster_home, _run_config(quiet, ops), tags, on_step)


def materialization_metadata(result: dg.ExecuteInProcessResult) -> dict[str, dict[str, object]]:
    """Each materialized asset's metadata values, by asset key (the run's last event per
    asset: a range run emits one per partition, all with the run's metadata)."""
    return {
        e.asset_key.to_user_string(): {k: v.value for k, v in e.materialization.metadata.items()}
        for e in result.get_asset_materialization_events()
    }
