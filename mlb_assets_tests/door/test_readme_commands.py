"""Every command in the README's code blocks is run by a test, or excused with the reason.

The README is the user's door: a command written there that no test runs is a command that can
break unseen. ``COMMANDS`` maps each README line (a regular expression over the normalized
line) to the test that runs it, or to why it cannot run on a machine without Docker,
Kubernetes or the internet. A new README command fails
``test_every_readme_command_is_run_or_excused`` until it is listed here.

The commands no other test runs are run below, as the README writes them, in fresh processes
configured only by the environment.
"""

from __future__ import annotations

import importlib
import re
import signal
import subprocess
import time
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from mlb_assets_tests.door.conftest import (
    BIN,
    MLB_ASSETS,
    REPO,
    Door,
    free_port,
    table_counts,
)

README = REPO / "README.md"
NO_DOCKER = "needs a Docker engine (none on the test machines: only the client is installed)"
TESTS = "mlb_assets_tests"
HERE = "door/test_readme_commands.py::"
DAEMON = "door/test_daemon.py::"
ARCHIVE = "door/test_archive.py::"

#: README line (regex on the normalized line) -> "module::test" that runs it, or "excused: ...".
COMMANDS: dict[str, str] = {
    # Quick start and tests
    r"^\./scripts/quickstart\.sh": HERE + "test_quickstart_runs_the_main_job",
    r"^\./scripts/test\.sh( -m \"not slow\")?$": "excused: it is this test suite (CI runs it)",
    r"^export MLB_ASSETS_ARCHIVE_DIR=": "excused: an export, used by every archive test",
    r"^export MLB_ASSETS_TEST_DATABASE_URL=": "excused: an export, used by every Postgres test",
    r"^export MLB_ASSETS_ARCHIVE_DIR=/path/to/mirror DAGSTER_HOME=": (
        "door/test_archive.py::test_archive_day_on_the_embedded_warehouse"
    ),
    r"^mkdir -p \$DAGSTER_HOME$": ARCHIVE + "test_archive_day_on_the_embedded_warehouse",
    # Models
    r"^mlflow ui --backend-store-uri": HERE + "test_mlflow_ui_serves_the_store",
    # Live odds
    r"^mlb-assets replay-server --port 8765": (
        "door/test_live.py::test_a_past_date_is_walked_through_the_historical_endpoint"
    ),
    r"^export MLB_ASSETS_ODDS_SOURCE=odds_api ODDS_API_KEY=": (
        "door/test_live.py::test_today_is_polled_live"
    ),
    r"^export ODDS_API_BASE_URL=": "door/test_live.py::test_today_is_polled_live",
    r"^export MLB_ASSETS_NOW=": "door/test_live.py::test_today_is_polled_live",
    r"^mlb-assets doctor": (
        "door/test_configuration.py::test_doctor_checks_the_key_against_the_replay_server"
    ),
    r"^mlb-assets ui( \[--port 3000\])?$": HERE + "test_ui_serves_the_graph",
    # Dagster's own commands
    r"^dagster asset materialize -m mlb_assets\.definitions --select '\*line_movements'": (
        "door/test_archive.py::test_archive_day_on_the_embedded_warehouse"
    ),
    r"^dagster schedule start ": DAEMON + "test_the_daemon_plays_a_replayed_day",
    r"^dagster sensor start ": DAEMON + "test_the_daemon_plays_a_replayed_day",
    r"^dagster-daemon run -m mlb_assets\.definitions": (
        DAEMON + "test_the_daemon_plays_a_replayed_day"
    ),
    r"^# same as: DAGSTER_HOME=\S+ dagster dev -m mlb_assets\.definitions$": (
        HERE + "test_ui_serves_the_graph"
    ),
    r"^DAGSTER_HOME=\S+ dg (check|list) defs$": (
        "door/test_dg_project.py::test_dg_check_and_list_defs"
    ),
    # Reporting, operations
    r"^MLB_ASSETS_BI_PASSWORD=\.\.\. mlb-assets bi-user grafana$": (
        HERE + "test_bi_user_reads_reporting_only"
    ),
    r"^mlb-assets backup( --list)?$": (ARCHIVE + "test_archive_day_on_the_embedded_warehouse"),
    # Configuration
    r"^mlb-assets config( --json)?$": (
        "door/test_configuration.py::test_config_lists_each_variable_with_its_origin"
    ),
    # Postgres
    r"^export MLB_ASSETS_DATABASE_URL=postgresql": (HERE + "test_demo_on_a_new_postgres_database"),
    r"^createdb -h 127\.0\.0\.1 -U postgres mlb$": (HERE + "test_demo_on_a_new_postgres_database"),
    r"^mlb-assets migrate$": HERE + "test_demo_on_a_new_postgres_database",
    r"^mlb-assets demo$": HERE + "test_demo_on_a_new_postgres_database",
    # Benchmarks
    r"^python benchmarks/run\.py --only scale$": (HERE + "test_a_benchmark_prints_its_figures"),
    r"^python benchmarks/run\.py$": (
        "excused: all six benchmarks take over an hour on two cores; "
        "test_a_benchmark_prints_its_figures runs one through the same runner"
    ),
    # The command-line reference: each synopsis line
    r"^mlb-assets demo \[--season": HERE + "test_quickstart_runs_the_main_job",
    r"^\[--no-models\] \[--database-url URL\]": (HERE + "test_demo_on_a_new_postgres_database"),
    r"^mlb-assets config \[--json\|--markdown\]": (
        "test_config.py::test_readme_tables_are_the_declaration"
    ),
    r"^mlb-assets migrate \[--database-url URL\]": (
        ARCHIVE + "test_archive_day_on_the_embedded_warehouse"
    ),
    r"^mlb-assets summary \[--database-url URL\]": (
        ARCHIVE + "test_archive_day_on_the_embedded_warehouse"
    ),
    r"^mlb-assets seasons \[--archive-dir DIR\]": (
        ARCHIVE + "test_archive_day_on_the_embedded_warehouse"
    ),
    r"^mlb-assets replay-server \[--port 8765\]": DAEMON + "test_the_daemon_plays_a_replayed_day",
    r"^mlb-assets bi-user NAME": HERE + "test_bi_user_reads_reporting_only",
    r"^mlb-assets backup \[--list\] \[--backup-dir DIR\]": (
        ARCHIVE + "test_archive_day_on_the_embedded_warehouse"
    ),
    r"^mlb-assets restore latest\|STAMP\|MANIFEST": (
        ARCHIVE + "test_archive_day_on_the_embedded_warehouse"
    ),
    # Production: Docker Compose and Kubernetes
    r"^cp \.env\.example \.env && chmod 600 \.env": (
        "deploy/test_compose.py::test_every_variable_is_documented_in_env_example_and_none_is_stale"
    ),
    r"^sed -i \"s/\^DOCKER_GID=": f"excused: reads the Docker socket's group; {NO_DOCKER}",
    r"^docker ": f"excused: {NO_DOCKER}",
    r"^git pull$": "excused: fetches from the project's remote (no network here)",
}


def readme_commands() -> list[str]:
    """Every line of the README's ``bash`` blocks, continuation lines joined, the
    ``.venv/bin/`` prefix and trailing comments and ``&`` removed."""
    lines: list[str] = []
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(), re.S):
        pending = ""
        for raw in block.splitlines():
            line = pending + raw.strip()
            if line.endswith("\\"):
                pending = line[:-1].strip() + " "
                continue
            pending = ""
            lines.append(_normalize(line))
    return [line for line in lines if line]


def _normalize(line: str) -> str:
    if line.startswith("#") and not line.startswith("# same as:"):
        return ""  # a comment continuing the line above
    if not line.startswith("#"):
        line = re.sub(r"\s+#.*$", "", line)
    line = line.replace(".venv/bin/", "").rstrip("&").strip()
    return re.sub(r"\s+", " ", line)


def _covering(line: str) -> str | None:
    for pattern, where in COMMANDS.items():
        if re.search(pattern, line):
            return where
    return None


def test_every_readme_command_is_run_or_excused() -> None:
    commands = readme_commands()
    assert len(commands) > 40
    unlisted = [line for line in commands if _covering(line) is None]
    assert unlisted == [], "README commands no test runs: add them to COMMANDS with their test"


def test_every_listed_test_exists() -> None:
    for where in set(COMMANDS.values()):
        if where.startswith("excused: "):
            assert len(where) > len("excused: ") + 10, where
            continue
        path, name = where.split("::")
        module = importlib.import_module(f"{TESTS}.{path.removesuffix('.py').replace('/', '.')}")
        assert callable(getattr(module, name, None)), f"{where} does not exist"


def test_no_listed_command_is_stale() -> None:
    commands = readme_commands()
    stale = [p for p in COMMANDS if not any(re.search(p, line) for line in commands)]
    assert stale == [], "COMMANDS lists lines the README no longer has"


# --- the commands no other test runs -----------------------------------------------------


@pytest.mark.postgres
def test_bi_user_reads_reporting_only(door: Door, postgres_url: str) -> None:
    login = f"grafana_{uuid.uuid4().hex[:8]}"
    env = door.env(MLB_ASSETS_DATABASE_URL=postgres_url, MLB_ASSETS_BI_PASSWORD="s3cret-bi")
    made = door.run([MLB_ASSETS, "bi-user", login], env)
    try:
        assert made.returncode == 0, made.tail()
        assert "s3cret-bi" not in made.output
        as_login = make_url(postgres_url).set(username=login, password="s3cret-bi")
        engine = sa.create_engine(as_login)
        with engine.connect() as connection:
            connection.execute(sa.text("SELECT * FROM reporting.roi_daily"))
        with (
            pytest.raises(sa.exc.ProgrammingError, match="permission denied"),
            engine.connect() as c,
        ):
            c.execute(sa.text("SELECT * FROM odds_snapshots"))
        engine.dispose()
    finally:
        admin = sa.create_engine(postgres_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP ROLE IF EXISTS "{login}"'))
        admin.dispose()


def _serve(command: list[str], env: dict[str, str], cwd: Path, ready, seconds: float = 180):  # type: ignore[no-untyped-def]
    """Start a server process, wait until ``ready()`` is true, stop it; returns what
    ``ready`` returned."""
    log = (cwd / f"server-{time.monotonic_ns()}.log").open("w")
    process = subprocess.Popen(
        command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            assert process.poll() is None, f"{command[0]} exited with {process.returncode}"
            try:
                answer = ready()
            except (httpx.HTTPError, KeyError, TypeError, ValueError):
                answer = None
            if answer:
                return answer
            time.sleep(1)
        raise AssertionError(f"{' '.join(command)} did not answer in {seconds:.0f}s")
    finally:
        import os

        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
        log.close()


@pytest.mark.slow
def test_ui_serves_the_graph(door: Door) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/graphql"
    query = {"query": "{ assetNodes { assetKey { path } } }"}

    def assets() -> set[str]:
        nodes = httpx.post(url, json=query, timeout=5).json()["data"]["assetNodes"]
        return {"/".join(node["assetKey"]["path"]) for node in nodes}

    env = door.env()
    env.pop("DAGSTER_HOME")  # `mlb-assets ui` makes its own instance in MLB_ASSETS_HOME
    found = _serve([str(MLB_ASSETS), "ui", "--port", str(port)], env, door.root, assets)
    assert {"odds_snapshots", "line_movements", "picks", "bet_ledger"} <= found
    assert (door.home / "dagster" / "dagster.yaml").is_file()


@pytest.mark.slow
def test_mlflow_ui_serves_the_store(door: Door) -> None:
    """The README's `mlflow ui` line on the embedded store's default place ($HOME)."""
    from mlb_assets.lib.models.tracking import configure, embedded

    user_home = door.root / "user"
    store = user_home / ".mlb_assets"
    client = configure(embedded(store))
    client.create_experiment("readme-check")
    port = free_port()
    uri = f"sqlite:///{store / 'mlflow' / 'mlflow.db'}"
    command = [str(BIN / "mlflow"), "ui", "--backend-store-uri", uri, "--port", str(port)]
    env = {**door.env(), "HOME": str(user_home)}

    def experiments() -> list[str]:
        answer = httpx.get(
            f"http://127.0.0.1:{port}/api/2.0/mlflow/experiments/search",
            params={"max_results": 10},
            timeout=5,
        ).json()
        return [item["name"] for item in answer.get("experiments", [])]

    assert "readme-check" in _serve(command, env, door.root, experiments)


@pytest.mark.slow
@pytest.mark.archive
@pytest.mark.postgres
def test_demo_on_a_new_postgres_database(
    door: Door, archive_dir: Path, postgres_admin_url: str
) -> None:
    """README, Postgres: createdb, migrate, demo (here the 2016 backfill without models)."""
    name = f"mlb_readme_{uuid.uuid4().hex[:8]}"
    server = make_url(postgres_admin_url)
    url = server.set(database=name).render_as_string(hide_password=False)
    env = door.env(MLB_ASSETS_ARCHIVE_DIR=str(archive_dir), MLB_ASSETS_DATABASE_URL=url)
    created = door.run(
        ["createdb", "-h", server.host or "127.0.0.1", "-U", server.username or "postgres", name],
        env,
    )
    assert created.returncode == 0, created.tail()
    try:
        migrated = door.run([MLB_ASSETS, "migrate"], env)
        assert migrated.returncode == 0, migrated.tail()
        demo = door.run([MLB_ASSETS, "demo", "--history-from", "2016", "--no-models"], env, 1200)
        assert demo.returncode == 0, demo.tail()
        assert "backfill done" in demo.stdout
        counts = table_counts(url)
        assert counts["games"] > 2400 and counts["odds_snapshots"] > 300_000
    finally:
        admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.mark.slow
@pytest.mark.archive
def test_quickstart_runs_the_main_job(door: Door, archive_dir: Path) -> None:
    """The README's first command, with short budgets and one history season so that it
    fits the test run: install (already done: a no-op), backfill, train, evaluate, bet."""
    env = door.env(MLB_ASSETS_ARCHIVE_DIR=str(archive_dir))
    arguments = ["--history-from", "2015", "--train-seconds", "10", "--eval-seconds", "5"]
    ran = door.run([REPO / "scripts" / "quickstart.sh", *arguments, "--quiet"], env, 3000)
    assert ran.returncode == 0, ran.tail()
    for line in (
        "backfill done",
        "champion",
        "walk-forward evaluation",
        "betting gate mlb_home_win",
        "2016 ledger",
        "95% CI",
        "demo done",
    ):
        assert line in ran.stdout, ran.tail()
    counts = table_counts(door.sqlite_url)
    assert counts["bet_ledger"] > 0 and counts["predictions"] > 2000


@pytest.mark.slow
@pytest.mark.archive
@pytest.mark.postgres
def test_a_benchmark_prints_its_figures(
    door: Door, archive_dir: Path, postgres_admin_url: str
) -> None:
    """`benchmarks/run.py --only scale` on one book and two days: the runner, the scratch
    database and the figures it prints (the full run is for people, not CI)."""
    env = door.env(
        MLB_ASSETS_ARCHIVE_DIR=str(archive_dir),
        MLB_ASSETS_BENCH_DATABASE_URL=postgres_admin_url,
        MLB_ASSETS_BENCH_SCALES="1",
        MLB_ASSETS_BENCH_SCALE_START="2016-05-01",
        MLB_ASSETS_BENCH_SCALE_END="2016-05-02",
    )
    python = str(BIN / "python")
    ran = door.run([python, REPO / "benchmarks" / "run.py", "--only", "scale"], env, 1200)
    assert ran.returncode == 0, ran.tail()
    assert re.search(r"^scale_1x_wall: [0-9.]+ s", ran.stdout, re.M), ran.tail()
