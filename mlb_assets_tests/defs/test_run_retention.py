"""Run retention: finished runs older than the window go with their event logs; runs still
queued or in progress, and recent ones, stay."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import dagster as dg
import pytest

from mlb_assets.config import ConfigError, load_config
from mlb_assets.defs.operations.retention import purge_finished_runs, run_retention_job
from mlb_assets.lib.ops.retention import RunRetention
from mlb_assets.resources import build_resources


@dg.op
def _noop() -> int:
    return 1


@dg.job
def _tiny_job() -> None:
    _noop()


def test_old_finished_runs_are_purged_with_their_logs() -> None:
    with dg.instance_for_test() as instance:
        finished = [_tiny_job.execute_in_process(instance=instance).run_id for _ in range(3)]
        running = instance.create_run_for_job(_tiny_job, status=dg.DagsterRunStatus.STARTED)
        assert instance.all_logs(finished[0])

        # Nothing is older than a day yet.
        assert purge_finished_runs(instance, datetime.now(UTC) - timedelta(days=1)) == 0
        assert len(instance.get_runs()) == 4

        # A cutoff in the future makes every finished run old; batches smaller than the count
        # must still reach them all.
        messages: list[str] = []
        later = datetime.now(UTC) + timedelta(minutes=1)
        assert purge_finished_runs(instance, later, log=messages.append, batch=2) == 3
        assert [run.run_id for run in instance.get_runs()] == [running.run_id]
        assert all(not instance.all_logs(run_id) for run_id in finished)
        assert messages and "3 runs" in messages[-1]


def test_retention_job_keeps_recent_runs(tmp_path) -> None:  # type: ignore[no-untyped-def]
    config = load_config({"MLB_ASSETS_RUN_RETENTION_DAYS": "30", "MLB_ASSETS_HOME": str(tmp_path)})
    operations = build_resources(config)["operations"]
    assert operations.run_retention() == RunRetention(30)  # type: ignore[attr-defined]
    with dg.instance_for_test() as instance:
        earlier = _tiny_job.execute_in_process(instance=instance).run_id
        result = run_retention_job.execute_in_process(
            instance=instance, resources={"operations": operations}
        )
        assert result.success
        assert result.output_for_node("purge_old_runs") == 0
        assert instance.has_run(earlier)


def test_retention_window_from_the_environment() -> None:
    assert load_config({}).run_retention_days == 90
    assert load_config({"MLB_ASSETS_RUN_RETENTION_DAYS": " 14 "}).run_retention_days == 14
    now = datetime(2026, 6, 1, tzinfo=UTC)
    assert RunRetention(30).cutoff(now) == datetime(2026, 5, 2, tzinfo=UTC)
    with pytest.raises(ConfigError, match="whole number"):
        load_config({"MLB_ASSETS_RUN_RETENTION_DAYS": "ninety"})
    with pytest.raises(ConfigError, match=">= 7"):
        load_config({"MLB_ASSETS_RUN_RETENTION_DAYS": "3"})
    with pytest.raises(ValueError, match="at least 7 days"):
        RunRetention(1)
    with pytest.raises(ValueError, match="timezone-aware"):
        RunRetention(30).cutoff(datetime(2026, 6, 1))
