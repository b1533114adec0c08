"""The code location loads, validates, and wires its configuration through dg.EnvVar."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from mlb_assets.cli import main
from mlb_assets.config import load_config
from mlb_assets.definitions import build_definitions
from mlb_assets.defs.partitions import model_target_partitions
from mlb_assets.lib.names import MODEL_NAMES
from mlb_assets.resources import build_resources

REPO = Path(__file__).resolve().parents[1]
EXPECTED_ASSETS = {
    "raw_odds_payloads",
    "games",
    "odds_snapshots",
    "opening_closing_lines",
    "line_movements",
    "market_consensus",
    "steam_events",
    "sharp_action_features",
    "team_form",
    "pitcher_form",
    "training_set",
    "h2o_model",
    "autogluon_model",
    "champion",
    "model_evaluation",
    "predictions",
    "picks",
    "bet_ledger",
    "roi_rollups",
    "reporting_views",
    "warehouse_backup",
}
UNPARTITIONED_GROUPS = {"operations"}
# Rebuilt whole from every partition of their inputs (the bankroll compounds across dates);
# the training set holds every game before a cut-off.
UNPARTITIONED_ASSETS = {"bet_ledger", "roi_rollups", "reporting_views", "training_set"}
# One partition per training target (lib/names.MODEL_NAMES): engines, champion, evaluation.
TARGET_PARTITIONED_ASSETS = {"h2o_model", "autogluon_model", "champion", "model_evaluation"}


def test_assets_groups_and_partitions() -> None:
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert keys >= EXPECTED_ASSETS
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        assert node.group_name in {
            "ingestion",
            "markets",
            "features",
            "models",
            "betting",
            "operations",
        }
        assert node.description
        if node.group_name in UNPARTITIONED_GROUPS or key.to_user_string() in UNPARTITIONED_ASSETS:
            assert node.partitions_def is None
            continue
        if key.to_user_string() in TARGET_PARTITIONED_ASSETS:
            assert node.partitions_def == model_target_partitions
            assert set(node.partitions_def.get_partition_keys()) == set(MODEL_NAMES)
            continue
        assert node.partitions_def is not None
        assert node.backfill_policy == dg.BackfillPolicy.single_run()


def test_dagster_definitions_validate(tmp_path: Path) -> None:
    # DAGSTER_HOME set, as for every local command: without it Dagster would pick up the
    # repository's production dagster.yaml (Postgres storage) from the working directory.
    dagster = Path(sys.executable).with_name("dagster")
    completed = subprocess.run(
        [str(dagster), "definitions", "validate", "-m", "mlb_assets.definitions"],
        cwd=REPO,
        env={**os.environ, "DAGSTER_HOME": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr


def test_settings_come_from_environment_variables() -> None:
    env = {
        "MLB_ASSETS_DATABASE_URL": "postgresql+psycopg://u:secret@h/db",
        "MLB_ASSETS_ARCHIVE_DIR": "/mirror",
        "MLB_ASSETS_ODDS_SOURCE": "odds_api",
    }
    resources = build_resources(load_config(env))
    # Secrets stay environment references, resolved in the run; plain values are typed.
    assert resources["warehouse"].database_url == dg.EnvVar("MLB_ASSETS_DATABASE_URL")
    assert resources["archive"].archive_dir == "/mirror"
    assert resources["ingestion"].odds_source == "odds_api"
    assert resources["warehouse"].home == str(Path("~/.mlb_assets").expanduser().resolve())


def test_h2o_heap_reaches_the_training_jvm() -> None:
    assert build_resources(load_config({"MLB_ASSETS_H2O_MAX_MEM": "6G"}))["h2o"].max_mem == "6G"
    assert build_resources(load_config({}))["h2o"].max_mem == "2G"


def test_embedded_default_without_environment(tmp_path: Path) -> None:
    warehouse = build_resources(load_config({"MLB_ASSETS_HOME": str(tmp_path)}))["warehouse"]
    assert warehouse.database_url is None
    # the resource resolves the home through the environment when Dagster hands it over
    from mlb_assets.resources.warehouse import WarehouseResource

    assert WarehouseResource(home=str(tmp_path)).url == f"sqlite:///{tmp_path}/warehouse.sqlite"


@pytest.mark.parametrize(
    "command",
    ["demo", "migrate", "seasons", "summary", "ui", "replay-server", "bi-user", "config", "doctor"],
)
def test_every_subcommand_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    assert "usage: mlb-assets" in capsys.readouterr().out


QUALITY_CHECKED = {
    "games",
    "odds_snapshots",
    "line_movements",
    "sharp_action_features",
    "team_form",
    "pitcher_form",
    "picks",
    "bet_ledger",
}


def test_quality_checks_are_blocking_and_automation_is_in_new_york() -> None:
    defs = build_definitions()
    graph = defs.resolve_asset_graph()
    checks = {
        (key.asset_key.to_user_string(), key.name): graph.get_check_spec(key)
        for key in graph.asset_check_keys
    }
    assert {asset for asset, name in checks if name == "quality"} == QUALITY_CHECKED
    assert all(spec.blocking for (_, name), spec in checks.items() if name == "quality")
    assert not checks[("odds_snapshots", "odds_fresh")].blocking
    for schedule in defs.schedules:
        assert schedule.execution_timezone == "America/New_York", schedule.name
        assert schedule.default_status == dg.DefaultScheduleStatus.STOPPED, schedule.name
    names = {schedule.name for schedule in defs.schedules}
    assert {
        "nightly_settlement_schedule",
        "nightly_backup_schedule",
        "weekly_retraining_schedule",
        "odds_freshness_schedule",
        "daily_picks_schedule",
    } <= names
    retraining = defs.resolve_schedule_def("weekly_retraining_schedule")
    context = dg.build_schedule_context(repository_def=defs.get_repository_def())
    requests = retraining.evaluate_tick(context).run_requests
    assert sorted(r.partition_key for r in requests) == sorted(MODEL_NAMES)
    sensors = {sensor.name for sensor in defs.sensors}
    assert {"run_failure_alert_sensor", "check_failure_alert_sensor", "metrics_sensor"} <= sensors
