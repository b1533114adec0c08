"""The production instance and the processes the containers run, without Docker.

``dagster.yaml`` is loaded as a DagsterInstance against the local Postgres. Then the three
commands of the compose services (the user-code gRPC server from the Dockerfile's CMD,
dagster-webserver and dagster-daemon from docker-compose.yml) run as local processes on that
Postgres storage. The only overrides: runs are launched as processes instead of containers,
and the compute-log and artifact folders move from the container volume into a temporary
directory. A run submitted through the webserver's GraphQL API must be queued, dequeued by the
daemon, launched through the gRPC server and succeed, writing the warehouse.
"""

from __future__ import annotations

import copy
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.engine import make_url

from mlb_assets.lib.ops.postgres import scratch_database
from mlb_assets_tests.deploy import files

pytestmark = pytest.mark.postgres

PARTITION = "2016-04-04"  # the 2016 Retrosheet game log has 10 games that day
JOB = "schedule_refresh"
STARTUP_SECONDS = 180
RUN_SECONDS = 300
BIN = Path(sys.executable).parent


def _storage_env(url: str) -> dict[str, str]:
    parsed = make_url(url)
    return {
        "DAGSTER_POSTGRES_HOST": parsed.host or "127.0.0.1",
        "DAGSTER_POSTGRES_PORT": str(parsed.port or 5432),
        "DAGSTER_POSTGRES_USER": parsed.username or "postgres",
        # Trust authentication ignores it; dagster.yaml requires the variable all the same.
        "DAGSTER_POSTGRES_PASSWORD": parsed.password or "unused",
        "DAGSTER_POSTGRES_DB": parsed.database or "",
    }


@pytest.fixture
def second_database(postgres_admin_url: str) -> Iterator[str]:
    """A second empty database: Dagster's storage and the warehouse each need their own (both
    keep an alembic_version table)."""
    with scratch_database(postgres_admin_url, "stack") as url:
        yield url.render_as_string(hide_password=False)


def test_production_instance_loads_against_postgres(
    postgres_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster import DagsterInstance
    from dagster_docker import DockerRunLauncher
    from dagster_postgres import (
        PostgresEventLogStorage,
        PostgresRunStorage,
        PostgresScheduleStorage,
    )

    for name, value in _storage_env(postgres_url).items():
        monkeypatch.setenv(name, value)
    shutil.copy(files.DAGSTER_YAML, tmp_path / "dagster.yaml")
    instance = DagsterInstance.from_config(str(tmp_path))
    try:
        assert isinstance(instance.run_storage, PostgresRunStorage)
        assert isinstance(instance.event_log_storage, PostgresEventLogStorage)
        assert isinstance(instance.schedule_storage, PostgresScheduleStorage)
        assert type(instance.run_coordinator).__name__ == "QueuedRunCoordinator"
        # The queue daemon reads its limits from `concurrency` (runs and pools).
        concurrency = instance.get_concurrency_config()
        queue = concurrency.run_queue_config
        assert queue is not None and queue.max_concurrent_runs == 6
        assert {"key": "mlb_assets/kind", "value": "training", "limit": 1} in (
            queue.tag_concurrency_limits
        )
        assert concurrency.pool_config.default_pool_limit == 1  # odds_api, training
        launcher = instance.run_launcher
        assert isinstance(launcher, DockerRunLauncher)
        assert launcher.networks == ["mlb_assets"]
        assert "MLB_ASSETS_DATABASE_URL" in launcher.env_vars
        assert instance.run_monitoring_enabled
        assert instance.run_retries_max_retries == 1
        assert not instance.telemetry_enabled
        # The storage is real: Dagster created its schema in this database.
        assert instance.get_runs() == []
        engine = sa.create_engine(postgres_url)
        with engine.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names())
        engine.dispose()
        assert {"runs", "event_logs", "jobs", "job_ticks"} <= tables
    finally:
        instance.dispose()


def test_production_instance_names_the_missing_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster import DagsterInstance

    monkeypatch.delenv("DAGSTER_POSTGRES_PASSWORD", raising=False)
    shutil.copy(files.DAGSTER_YAML, tmp_path / "dagster.yaml")
    with pytest.raises(Exception, match="DAGSTER_POSTGRES"):
        DagsterInstance.from_config(str(tmp_path))


# --- the processes of the stack ----------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _local_instance_yaml(home: Path) -> dict:
    """Production dagster.yaml, launching runs as processes and keeping files under home."""
    config = copy.deepcopy(files.dagster_yaml())  # the parse is cached: never edit it
    config["run_launcher"] = {"module": "dagster.core.launcher", "class": "DefaultRunLauncher"}
    config["compute_logs"]["config"]["base_dir"] = str(home / "compute_logs")
    config["local_artifact_storage"]["config"]["base_dir"] = str(home / "storage")
    return config


def _local_workspace(port: int) -> dict:
    workspace = copy.deepcopy(files.workspace_yaml())
    (location,) = workspace["load_from"]
    location["grpc_server"]["host"] = "127.0.0.1"
    location["grpc_server"]["port"] = port
    return workspace


def _with_option(command: list[str], flags: tuple[str, ...], value: str) -> list[str]:
    """The command with the value after the first of ``flags`` replaced."""
    command = list(command)
    index = next(i for i, part in enumerate(command) if part in flags)
    command[index + 1] = value
    return command


def _executable(command: list[str]) -> list[str]:
    return [str(BIN / command[0]), *command[1:]]


def _grpc_command(port: int) -> list[str]:
    command = files.dockerfile_cmd(files.DOCKER_DIR / "Dockerfile.user_code")
    command = _with_option(command, ("-h", "--host"), "127.0.0.1")
    return _executable(_with_option(command, ("-p", "--port"), str(port)))


def _service_command(service: str, workspace: Path, port: int | None = None) -> list[str]:
    command = files.compose()["services"][service]["command"]
    command = _with_option(command, ("-w", "--workspace"), str(workspace))
    if port is not None:
        command = _with_option(command, ("-h", "--host"), "127.0.0.1")
        command = _with_option(command, ("-p", "--port"), str(port))
    return _executable(command)


class Stack:
    """The three processes, their logs, and a GraphQL client for the webserver."""

    def __init__(self, root: Path, env: dict[str, str], grpc_port: int, web_port: int) -> None:
        self.root = root
        self.env = env
        self.grpc_port = grpc_port
        self.url = f"http://127.0.0.1:{web_port}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.bi_login = ""

    def start(self, name: str, command: list[str]) -> None:
        log = (self.root / f"{name}.log").open("w")
        self.processes[name] = subprocess.Popen(
            command,
            env=self.env,
            cwd=self.root,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AssertionError(f"{name} exited with {process.returncode}:\n{self.log(name)}")

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text()[-6000:]

    def graphql(self, query: str, variables: dict | None = None) -> dict:
        response = httpx.post(
            f"{self.url}/graphql", json={"query": query, "variables": variables or {}}, timeout=60
        )
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def stop(self) -> None:
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 30
        for process in self.processes.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 1))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def stack(
    postgres_url: str, second_database: str, archive_dir: Path, tmp_path: Path
) -> Iterator[Stack]:
    home = tmp_path / "dagster_home"
    home.mkdir()
    grpc_port, web_port = _free_port(), _free_port()
    (home / "dagster.yaml").write_text(yaml.safe_dump(_local_instance_yaml(home)))
    workspace = home / "workspace.yaml"
    workspace.write_text(yaml.safe_dump(_local_workspace(grpc_port)))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DAGSTER_", "MLB_ASSETS_"))},
        **_storage_env(postgres_url),
        "DAGSTER_HOME": str(home),
        "MLB_ASSETS_HOME": str(tmp_path / "mlb_assets_home"),
        "MLB_ASSETS_DATABASE_URL": second_database,
        "MLB_ASSETS_ARCHIVE_DIR": str(archive_dir),
        "PYTHONUNBUFFERED": "1",
    }
    running = Stack(tmp_path, env, grpc_port, web_port)
    bi_login = f"mlb_grafana_test_{uuid.uuid4().hex[:8]}"
    running.bi_login = bi_login
    try:
        _run_migrate_service(env, bi_login)
        running.start("grpc", _grpc_command(grpc_port))
        running.start("webserver", _service_command("webserver", workspace, web_port))
        running.start("daemon", _service_command("daemon", workspace))
        yield running
    finally:
        running.stop()
        engine = sa.create_engine(second_database, isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text(f'DROP ROLE IF EXISTS "{bi_login}"'))
        engine.dispose()


def _run_migrate_service(env: dict[str, str], bi_login: str) -> None:
    """The compose ``migrate`` one-shot, its shell command as written ($$ is compose's $)."""
    command = [
        part.replace("$$", "$") for part in files.compose()["services"]["migrate"]["command"]
    ]
    service_env = {
        **env,
        "PATH": f"{BIN}{os.pathsep}{env.get('PATH', '')}",
        "GRAFANA_DB_USER": bi_login,
        "MLB_ASSETS_BI_PASSWORD": "a-test-password",
    }
    done = subprocess.run(command, env=service_env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr


LOCATIONS = """
{ workspaceOrError { ... on Workspace { locationEntries {
    name
    locationOrLoadError { __typename ... on PythonError { message } }
} } } }
"""

LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId status } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}
"""

RUN = """
query Run($runId: ID!) { runOrError(runId: $runId) { ... on Run { status } } }
"""

DAEMONS = """
{ instance { daemonHealth { allDaemonStatuses { daemonType healthy required } } } }
"""


def _wait(what: str, stack: Stack, ready, timeout: float):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        stack.check_alive()
        try:
            result = ready()
            if result:
                return result
        except (httpx.HTTPError, AssertionError, KeyError, TypeError) as error:
            last_error = error
        time.sleep(2)
    logs = "\n".join(f"--- {n}\n{stack.log(n)}" for n in stack.processes)
    raise AssertionError(f"timed out waiting for {what} ({last_error!r})\n{logs}")


def _location_loaded(stack: Stack) -> bool:
    entries = stack.graphql(LOCATIONS)["workspaceOrError"]["locationEntries"]
    (entry,) = entries
    assert entry["name"] == files.workspace_yaml()["load_from"][0]["grpc_server"]["location_name"]
    kind = entry["locationOrLoadError"]["__typename"]
    if kind == "PythonError":
        raise AssertionError(entry["locationOrLoadError"]["message"])
    return kind == "RepositoryLocation"


def _run_status(stack: Stack, run_id: str) -> str:
    return stack.graphql(RUN, {"runId": run_id})["runOrError"]["status"]


def _finished(stack: Stack, run_id: str) -> str | None:
    status = _run_status(stack, run_id)
    return status if status in {"SUCCESS", "FAILURE", "CANCELED"} else None


@pytest.mark.archive
@pytest.mark.slow
@pytest.mark.timeout(900)
def test_processes_of_the_stack_queue_launch_and_finish_a_run(
    stack: Stack, second_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The webserver's health route, as the compose healthcheck asks it.
    info = _wait(
        "the webserver's health route",
        stack,
        lambda: httpx.get(f"{stack.url}/server_info", timeout=5).json(),
        STARTUP_SECONDS,
    )
    assert "dagster_webserver_version" in info
    _wait("the code location to load over gRPC", stack, lambda: _location_loaded(stack), 120)
    health = subprocess.run(
        [str(BIN / "dagster"), "api", "grpc-health-check", "-p", str(stack.grpc_port)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert health.returncode == 0, health.stdout + health.stderr

    params = {
        "selector": {
            "repositoryLocationName": "mlb_assets",
            "repositoryName": "__repository__",
            "jobName": JOB,
        },
        "runConfigData": {},
        "executionMetadata": {"tags": [{"key": "dagster/partition", "value": PARTITION}]},
    }
    launched = stack.graphql(LAUNCH, {"params": params})["launchRun"]
    assert launched["__typename"] == "LaunchRunSuccess", launched
    run_id = launched["run"]["runId"]
    # The QueuedRunCoordinator only enqueues; the daemon starts it.
    assert launched["run"]["status"] == "QUEUED"

    status = _wait("the run to finish", stack, lambda: _finished(stack, run_id), RUN_SECONDS)
    assert status == "SUCCESS", stack.log("grpc") + stack.log("daemon")

    from dagster import DagsterEventType, DagsterInstance

    for name, value in stack.env.items():
        if name.startswith("DAGSTER_POSTGRES"):
            monkeypatch.setenv(name, value)
    instance = DagsterInstance.from_config(stack.env["DAGSTER_HOME"])
    try:
        events = [
            e.dagster_event.event_type for e in instance.all_logs(run_id) if e.is_dagster_event
        ]
        run = instance.get_run_by_id(run_id)
    finally:
        instance.dispose()
    # Queued by the webserver, then started by the daemon's run queue (nothing else moves a
    # QUEUED run to STARTING), then executed.
    order = [
        DagsterEventType.RUN_ENQUEUED,
        DagsterEventType.RUN_STARTING,
        DagsterEventType.RUN_START,
        DagsterEventType.ASSET_MATERIALIZATION,
        DagsterEventType.RUN_SUCCESS,
    ]
    assert set(order) <= set(events), events
    assert [events.index(kind) for kind in order] == sorted(events.index(k) for k in order)
    assert run is not None and run.tags["mlb_assets/kind"] == "ingestion"

    engine = sa.create_engine(second_database)
    with engine.connect() as connection:
        games = connection.execute(
            sa.text("SELECT count(*) FROM games WHERE game_date = :d"), {"d": PARTITION}
        ).scalar_one()
    engine.dispose()
    assert games == 10

    # Grafana's login, made by the migrate service, reads what the run wrote through the
    # reporting schema (and nothing else).
    bi = sa.create_engine(make_url(second_database).set(username=stack.bi_login, password=None))
    with bi.connect() as connection:
        fresh = connection.execute(
            sa.text("SELECT row_count FROM reporting.data_freshness WHERE table_name = 'games'")
        ).scalar_one()
        with pytest.raises(sa.exc.ProgrammingError, match="permission denied"):
            connection.execute(sa.text("SELECT count(*) FROM games"))
    bi.dispose()
    assert fresh == 10

    # The daemon reports itself healthy, as its compose healthcheck (liveness-check) needs.
    statuses = stack.graphql(DAEMONS)["instance"]["daemonHealth"]["allDaemonStatuses"]
    queued = {s["daemonType"]: s["healthy"] for s in statuses if s["required"]}
    assert queued.get("QUEUED_RUN_COORDINATOR") is True, statuses
    liveness = subprocess.run(
        [str(BIN / "dagster-daemon"), "liveness-check"],
        env=stack.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert liveness.returncode == 0, liveness.stdout + liveness.stderr


def test_postgres_init_script_creates_the_databases_once(postgres_admin_url: str) -> None:
    """deploy/postgres/init-databases.sh, as the postgres image runs it on first start (over a
    socket there, over TCP here), then again: idempotent."""
    parsed = make_url(postgres_admin_url)
    suffix = uuid.uuid4().hex[:8]
    names = {"WAREHOUSE_DB": f"mlb_wh_{suffix}", "MLFLOW_DB": f"mlb_mlflow_{suffix}"}
    env = {
        **os.environ,
        **names,
        "POSTGRES_USER": parsed.username or "postgres",
        "POSTGRES_DB": parsed.database or "postgres",
        "PGHOST": parsed.host or "127.0.0.1",
        "PGPORT": str(parsed.port or 5432),
    }
    if parsed.password:
        env["PGPASSWORD"] = parsed.password
    script = str(files.ROOT / "deploy" / "postgres" / "init-databases.sh")
    admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    try:
        first = subprocess.run([script], env=env, capture_output=True, text=True, timeout=60)
        assert first.returncode == 0, first.stderr
        again = subprocess.run([script], env=env, capture_output=True, text=True, timeout=60)
        assert again.returncode == 0, again.stderr
        assert again.stdout.count("exists") == 2
        with admin.connect() as connection:
            found = connection.execute(
                sa.text("SELECT datname FROM pg_database WHERE datname = ANY(:n)"),
                {"n": list(names.values())},
            ).scalars()
            assert set(found) == set(names.values())
        bad = subprocess.run(
            [script], env={**env, "MLFLOW_DB": "x; DROP"}, capture_output=True, text=True
        )
        assert bad.returncode != 0 and "refusing database name" in bad.stderr
    finally:
        with admin.connect() as connection:
            for name in names.values():
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
