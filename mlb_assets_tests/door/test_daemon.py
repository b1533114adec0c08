"""The daemon plays a replayed game day unattended, configured only by the environment.

``mlb-assets replay-server`` serves 2016-04-04 as The Odds API and the MLB Stats API; the
odds-polling and picks schedules and the settlement sensor are switched on with `dagster
schedule start` / `dagster sensor start` and their crons and interval shortened through the
configuration; `dagster-daemon run` launches every run. The replay clock waits at 11:00 in New
York until the morning's odds and picks are in, then runs fast to 04:00 the next morning, and
stops while the day settles. The champion is a small model registered beforehand on
synthetic data that leans to home teams, with evidence recorded for it that opens its
betting gate, so that it stakes money: a plumbing test, not a claim about any edge.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import dagster as dg
import httpx
import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from mlb_assets.cli import LOCAL_INSTANCE_YAML
from mlb_assets_tests.door.conftest import BIN, Replay, base_environment

pytestmark = [pytest.mark.archive, pytest.mark.slow]

DAY = date(2016, 4, 4)
MORNING = "2016-04-04T15:00:00Z"  # 11:00 in New York: before the first decision time
NEXT_MORNING = datetime(2016, 4, 5, 8, 0, tzinfo=UTC)  # 04:00 in New York: the day is over
FAST = 900  # simulated seconds per wall second while the day plays
FEATURES = ["ml_decision_home_prob_mult", "ml_open_home_prob_mult"]
KEY = "door-test-key"
SCHEDULES = ("odds_polling_schedule", "daily_picks_schedule")
SENSORS = ("settlement_sensor",)


def _wait(what: str, ready: Callable[[], object], seconds: float, every: float = 2.0) -> object:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = ready()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {seconds:.0f}s waiting for {what}")


def _environment(home: Path, dagster_home: Path, replay: str, archive: Path) -> dict[str, str]:
    """Exactly what a user exports: nothing else of this process's environment."""
    return {
        **base_environment(),
        "MLB_ASSETS_HOME": str(home),
        "DAGSTER_HOME": str(dagster_home),
        "MLB_ASSETS_ARCHIVE_DIR": str(archive),
        "MLB_ASSETS_ODDS_SOURCE": "odds_api",
        "ODDS_API_KEY": KEY,
        "ODDS_API_BASE_URL": replay,
        "MLB_STATS_BASE_URL": replay,
        "MLB_ASSETS_CLOCK_URL": f"{replay}/_replay/clock",
        "MLB_ASSETS_ODDS_POLL_CRON": "*/2 * * * *",
        "MLB_ASSETS_PICKS_CRON": "1-59/2 * * * *",
        "MLB_ASSETS_SETTLEMENT_SENSOR_SECONDS": "10",
    }


def _register_champion(home: Path) -> str:
    """A small AutoGluon model on the market's own features, registered as the champion of
    ``mlb_home_win`` in the embedded MLflow store the runs will read."""
    from mlb_assets.lib.models.autogluon_engine import train_autogluon
    from mlb_assets.lib.models.registry import train_run
    from mlb_assets.lib.models.tracking import embedded

    rng = np.random.default_rng(11)
    market = rng.uniform(0.3, 0.7, 600)
    frame = pd.DataFrame({FEATURES[0]: market, FEATURES[1]: market + rng.normal(0, 0.02, 600)})
    # Home teams win 12 points more often than this synthetic market says.
    # Trained on games "before 2016", so the replayed day is out of its sample.
    frame["home_win"] = (rng.uniform(size=600) < np.clip(market + 0.12, 0, 1)).astype(int)
    trained = train_autogluon(
        frame.iloc[:480],
        frame.iloc[480:],
        FEATURES,
        "home_win",
        time_limit=20,
        seed=7,
        device="cpu",
        work_dir=home / "door-training",
        hyperparameters={"LR": {}},
    )
    registered = train_run(
        trained,
        settings=embedded(home),
        experiment="mlb_assets",
        model_name="mlb_home_win",
        params={"engine": "autogluon", "train_last_date": "2015-12-31"},
        data_fingerprint="synthetic-door-test",
    )
    assert registered.promoted
    return registered.version


def _record_evidence(warehouse: str, version: str) -> None:
    """Evidence for the champion's version that opens its betting gate (made up, like its
    data: the gate is under test elsewhere)."""
    from mlb_assets.lib.warehouse import migrate
    from mlb_assets.lib.warehouse.engine import create_warehouse_engine
    from mlb_assets.lib.warehouse.load import bulk_insert
    from mlb_assets.lib.warehouse.schema import model_evidence

    engine = create_warehouse_engine(warehouse)
    migrate.upgrade(engine)
    numbers = {"diff_mean": -0.05, "diff_ci_low": -0.06, "diff_ci_high": -0.04}
    row = {
        "evaluation_id": "door-test",
        "model_name": "mlb_home_win",
        "model_version": version,
        "target": "home_win",
        "season": 2016,
        "n_games": 120,
        "model_log_loss": 0.63,
        "market_log_loss": 0.68,
        **numbers,
        "edge_probability": 1.0,
        "calibration_slope": 1.0,
        "calibration_intercept": 0.0,
        "mean_gap": 0.1,
        "created_at": datetime.now(UTC),
    }
    try:
        with engine.begin() as connection:
            bulk_insert(connection, model_evidence, pd.DataFrame([row]))
    finally:
        engine.dispose()


def _set_speed(replay: str, speed: float) -> datetime:
    now = httpx.post(f"{replay}/_replay/clock", json={"speed": speed}, timeout=5).json()["now"]
    return datetime.fromisoformat(now.replace("Z", "+00:00"))


def _replay_now(replay: str) -> datetime:
    now = httpx.get(f"{replay}/_replay/clock", timeout=5).json()["now"]
    return datetime.fromisoformat(now.replace("Z", "+00:00"))


def _runs(dagster_home: Path) -> list[dg.DagsterRun]:
    with dg.DagsterInstance.from_config(str(dagster_home)) as instance:
        return list(instance.get_runs())


def _succeeded(runs: list[dg.DagsterRun], job: str, partition: str) -> list[dg.DagsterRun]:
    return [
        run
        for run in runs
        if run.job_name == job
        and run.tags.get("dagster/partition") == partition
        and run.status == dg.DagsterRunStatus.SUCCESS
    ]


def _failed(runs: list[dg.DagsterRun]) -> list[str]:
    return [f"{r.job_name} {r.run_id}" for r in runs if r.status == dg.DagsterRunStatus.FAILURE]


def _in_flight(runs: list[dg.DagsterRun]) -> list[str]:
    return [r.run_id for r in runs if not r.is_finished]


def _dagster(arguments: list[str], env: dict[str, str], cwd: Path) -> None:
    """`dagster ARGUMENTS -m mlb_assets.definitions`, as the README writes it."""
    command = [str(BIN / "dagster"), *arguments, "-m", "mlb_assets.definitions"]
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stdout + done.stderr


def _count(url: str, sql: str) -> int:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(sa.text(sql), {"day": DAY}).scalar() or 0)
    finally:
        engine.dispose()


def test_the_daemon_plays_a_replayed_day(
    archive_dir: Path, replay_server: Callable[..., Replay], tmp_path: Path
) -> None:
    replay = replay_server(MORNING, "--api-key", KEY).url
    home, dagster_home = tmp_path / "home", tmp_path / "dagster"
    home.mkdir(exist_ok=True)
    dagster_home.mkdir(exist_ok=True)
    # The local instance `mlb-assets ui` writes: a queue of at most two runs at once.
    (dagster_home / "dagster.yaml").write_text(LOCAL_INSTANCE_YAML)
    warehouse = f"sqlite:///{home / 'warehouse.sqlite'}"
    _record_evidence(warehouse, _register_champion(home))
    env = _environment(home, dagster_home, replay, archive_dir)
    for kind, names in (("schedule", SCHEDULES), ("sensor", SENSORS)):
        for name in names:
            _dagster([kind, "start", name], env, tmp_path)
    log = (tmp_path / "daemon.log").open("w")
    daemon = subprocess.Popen(
        [str(BIN / "dagster-daemon"), "run", "-m", "mlb_assets.definitions"],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    partition = DAY.isoformat()
    try:
        # The morning: odds polled, then picks made, while the replay clock waits.
        _wait(
            "a successful odds poll",
            lambda: _succeeded(_runs(dagster_home), "odds_poll", partition),
            420,
        )
        staked = (
            "SELECT count(*) FROM picks WHERE game_date = :day AND stake_fraction > 0 AND NOT paper"
        )
        _wait(
            "picks with money stakes",
            lambda: (
                _succeeded(_runs(dagster_home), "daily_picks", partition)
                and _count(warehouse, staked)
            ),
            420,
        )
        # The day plays fast; the clock stops once every game of it is over.
        _set_speed(replay, FAST)
        _wait("the end of the day", lambda: _replay_now(replay) >= NEXT_MORNING, 240, every=1)
        _set_speed(replay, 0)
        _wait(
            "the day settled",
            lambda: _succeeded(_runs(dagster_home), "settlement", partition),
            480,
            every=5,
        )
        # Stop the clocks, let what is in flight finish: the sensor keeps ticking meanwhile,
        # and must not settle the day again.
        for name in SCHEDULES:
            _dagster(["schedule", "stop", name], env, tmp_path)
        _wait("the runs in flight", lambda: not _in_flight(_runs(dagster_home)), 300, every=5)
    finally:
        os.killpg(daemon.pid, signal.SIGTERM)
        daemon.wait(timeout=60)
        log.close()

    runs = _runs(dagster_home)
    assert _failed(runs) == [], (tmp_path / "daemon.log").read_text()[-4000:]
    by_schedule = {run.tags.get("dagster/schedule_name") for run in runs} - {None}
    assert set(SCHEDULES) <= by_schedule
    settlements = [
        run
        for run in runs
        if run.job_name == "settlement" and run.tags.get("dagster/partition") == partition
    ]
    assert len(settlements) == 1, "the day was settled more than once"
    assert settlements[0].tags.get("dagster/sensor_name") == "settlement_sensor"
    assert _count(warehouse, "SELECT count(*) FROM odds_snapshots WHERE game_date = :day") > 0
    assert _count(warehouse, "SELECT count(*) FROM raw_payloads") > 0
    duplicates = (
        "SELECT count(*) FROM (SELECT game_id, market, side FROM bet_ledger "
        "WHERE game_date = :day GROUP BY game_id, market, side HAVING count(*) > 1) AS twice"
    )
    assert _count(warehouse, duplicates) == 0
    settled = (
        "SELECT count(*) FROM bet_ledger WHERE game_date = :day AND result IN ('win', 'loss') "
        "AND NOT paper"
    )
    assert _count(warehouse, settled) > 0
    pending = "SELECT count(*) FROM bet_ledger WHERE game_date = :day AND result IS NULL"
    assert _count(warehouse, pending) == 0
