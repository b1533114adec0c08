"""Operations end to end on a real day of 2016: a corrupted partition fails its blocking
check and stops the downstream assets; the failure reaches a local webhook receiver once;
metrics land in a local Pushgateway-compatible receiver; the backup job verifies its copies
and a failed verification alerts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import dagster as dg
import pytest
import sqlalchemy as sa
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)
from prometheus_client.parser import text_string_to_metric_families

from mlb_assets.definitions import build_definitions
from mlb_assets.defs.operations.sensors import (
    check_failure_alert_sensor,
    metrics_sensor,
    run_failure_alert_sensor,
)
from mlb_assets.lib.warehouse import migrate
from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.resources.operations import OperationsResource
from mlb_assets_tests.defs.conftest import make_resources
from mlb_assets_tests.http_receiver import Receiver, http_receiver

pytestmark = pytest.mark.archive

DAY = date(2016, 4, 4)
# A faulty writer: every 25th odds row lands with an impossible American price.
CORRUPT_TRIGGER = """
CREATE TRIGGER corrupt_odds AFTER INSERT ON odds_snapshots
WHEN NEW.rowid % 25 = 0
BEGIN
    UPDATE odds_snapshots SET price_american = 50 WHERE rowid = NEW.rowid;
END
"""
DOWNSTREAM = {"line_movements", "market_consensus", "sharp_action_features"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with http_receiver() as server:
        yield server


def _operations(home: Path, receiver: Receiver, **fields: object) -> OperationsResource:
    return OperationsResource(
        home=str(home),
        alert_sink="webhook",
        alert_webhook_url=f"{receiver.base_url}/alerts",
        pushgateway_url=f"{receiver.base_url}/push",
        dagster_url="http://dagster.example:3000",
        **fields,
    )


def _backfill(
    definitions: dg.Definitions, instance: dg.DagsterInstance
) -> dg.ExecuteInProcessResult:
    tags = {
        ASSET_PARTITION_RANGE_START_TAG: DAY.isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: DAY.isoformat(),
    }
    job = definitions.resolve_job_def("season_backfill")
    return job.execute_in_process(instance=instance, tags=tags, raise_on_error=False)


def _materialized(result: dg.ExecuteInProcessResult) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.get_asset_materialization_events()}


def _check_evaluations(result: dg.ExecuteInProcessResult) -> dict[str, object]:
    out = {}
    for event in result.all_events:
        if event.event_type_value == "ASSET_CHECK_EVALUATION":
            evaluation = event.event_specific_data
            out[f"{evaluation.asset_key.to_user_string()}:{evaluation.check_name}"] = evaluation
    return out


def _tick(sensor, instance, definitions, resources, cursor):  # type: ignore[no-untyped-def]
    context = dg.build_sensor_context(
        instance=instance, cursor=cursor, resources=resources, definitions=definitions
    )
    sensor(context)
    return context.cursor


def _alerts(receiver: Receiver, kind: str) -> list[dict[str, object]]:
    bodies = [r.json() for r in receiver.requests if r.path == "/alerts"]
    return [body for body in bodies if body["kind"] == kind]


def test_corrupt_partition_blocks_downstream_and_alerts_once(
    archive_dir: Path, state_home: Path, tmp_path: Path, receiver: Receiver
) -> None:
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    engine = create_warehouse_engine(url)
    migrate.ensure_schema(engine)
    with engine.begin() as connection:
        connection.exec_driver_sql(CORRUPT_TRIGGER)
    operations = _operations(tmp_path / "home", receiver)
    resources = make_resources(url, archive_dir, state_home, operations=operations)
    definitions = build_definitions(resources)

    with dg.DagsterInstance.ephemeral() as instance:
        failed = _backfill(definitions, instance)
        assert not failed.success
        checks = _check_evaluations(failed)
        quality = checks["odds_snapshots:quality"]
        assert not quality.passed
        assert "price_american" in quality.description
        assert checks["games:quality"].passed
        materialized = _materialized(failed)
        assert "odds_snapshots" in materialized
        assert not DOWNSTREAM & materialized, f"blocked assets materialized: {materialized}"

        # Three ticks and a second failing run: one alert for the failing check, and one
        # run-failure alert per failed run.
        cursor = None
        for _ in range(3):
            cursor = _tick(check_failure_alert_sensor, instance, definitions, resources, cursor)
        assert not _backfill(definitions, instance).success
        cursor = _tick(check_failure_alert_sensor, instance, definitions, resources, cursor)
        run_cursor = None
        for _ in range(2):
            run_cursor = _tick(
                run_failure_alert_sensor, instance, definitions, resources, run_cursor
            )
        check_alerts = _alerts(receiver, "check_failure")
        assert len(check_alerts) == 1, check_alerts
        alert = check_alerts[0]
        assert (alert["asset"], alert["check"], alert["job"]) == (
            "odds_snapshots",
            "quality",
            "season_backfill",
        )
        assert alert["run_url"] == f"http://dagster.example:3000/runs/{failed.run_id}"
        assert "price_american" in alert["reason"]
        assert len(_alerts(receiver, "run_failure")) == 2

        # The writer is fixed: the check passes, which closes the alert; a new corruption
        # alerts again.
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP TRIGGER corrupt_odds")
        fixed = _backfill(definitions, instance)
        assert fixed.success and _materialized(fixed) >= DOWNSTREAM
        cursor = _tick(check_failure_alert_sensor, instance, definitions, resources, cursor)
        assert len(_alerts(receiver, "check_failure")) == 1
        with engine.begin() as connection:
            connection.exec_driver_sql(CORRUPT_TRIGGER)
        assert not _backfill(definitions, instance).success
        _tick(check_failure_alert_sensor, instance, definitions, resources, cursor)
        assert len(_alerts(receiver, "check_failure")) == 2

        # Metrics: a real push to the receiver, with the warehouse's and the instance's state.
        _tick(metrics_sensor, instance, definitions, resources, None)
    engine.dispose()
    pushes = [r for r in receiver.requests if r.path.startswith("/push/metrics/job/")]
    assert pushes and pushes[-1].method == "PUT"
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(pushes[-1].text)
        for s in family.samples
    }
    with create_warehouse_engine(url).connect() as connection:
        odds_rows = connection.execute(sa.text("SELECT count(*) FROM odds_snapshots")).scalar()
    assert samples[("mlb_assets_rows", (("table", "odds_snapshots"),))] == odds_rows
    failing = ("mlb_assets_check_failures", (("asset", "odds_snapshots"), ("check", "quality")))
    assert samples[failing] == 1
    assert samples[("mlb_assets_run_failures", (("dagster_job", "season_backfill"),))] == 3


def test_backup_job_verifies_and_a_failed_verification_alerts(
    tmp_path: Path, receiver: Receiver, postgres_url: str
) -> None:
    from sqlalchemy.engine import make_url

    home = tmp_path / "home"
    url = f"sqlite:///{tmp_path / 'warehouse.sqlite'}"
    resources = make_resources(url, None, home, operations=_operations(home, receiver))
    with dg.DagsterInstance.ephemeral() as instance:
        result = (
            build_definitions(resources)
            .resolve_job_def("backup_job")
            .execute_in_process(instance=instance)
        )
    assert result.success
    metadata = result.get_asset_materialization_events()[0].materialization.metadata
    assert metadata["verified"].value is True
    assert (home / "backups" / metadata["manifest"].value).is_file()

    # A backup login that may dump but not create the scratch database to restore into: the
    # copy is taken, its verification cannot be, and that must alert and fail the run.
    role = "mlb_assets_test_nocreatedb"
    admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        connection.exec_driver_sql(f'CREATE ROLE "{role}" LOGIN NOCREATEDB')
        connection.exec_driver_sql("CREATE TABLE runs (run_id text PRIMARY KEY)")
        connection.exec_driver_sql(f'GRANT SELECT ON runs TO "{role}"')
    backend = make_url(postgres_url).set(username=role).render_as_string(hide_password=False)
    operations = _operations(home, receiver, mlflow_backend_url=backend)
    resources = make_resources(url, None, home, operations=operations)
    try:
        with dg.DagsterInstance.ephemeral() as instance:
            job = build_definitions(resources).resolve_job_def("backup_job")
            failed = job.execute_in_process(instance=instance, raise_on_error=False)
        assert not failed.success
        backup_alerts = _alerts(receiver, "backup_failure")
        assert len(backup_alerts) == 1
        assert "mlflow" in backup_alerts[0]["reason"]
        assert "restore failed" in backup_alerts[0]["reason"]
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql("DROP TABLE runs")
            connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{role}"')
        admin.dispose()
