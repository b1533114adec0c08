"""Structural checks of the production stack: docker-compose.yml, dagster.yaml,
workspace.yaml, .env.example and the Dockerfiles agree with each other and with the code.

No Docker engine runs here, so these tests read the files: every service, port, volume,
network and variable a file refers to must be defined where it is looked up.
"""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from mlb_assets_tests.deploy import files
from mlb_assets_tests.deploy.files import ROOT, compose, dagster_yaml, workspace_yaml

SERVICES = compose()["services"]
ONE_SHOT = {name for name, spec in SERVICES.items() if spec.get("restart") == "no"}
LONG_RUNNING = set(SERVICES) - ONE_SHOT
EXPECTED_SERVICES = {
    "postgres",
    "migrate",
    "user_code",
    "webserver",
    "daemon",
    "mlflow",
    "prometheus",
    "pushgateway",
    "alertmanager",
    "grafana",
    "trainer",
}
SECRET_NAME = re.compile(r"PASSWORD|TOKEN|SECRET|API_KEY|WEBHOOK_URL", re.IGNORECASE)
# user:password@ in a URL, where the password is written out instead of interpolated.
LITERAL_URL_PASSWORD = re.compile(r"://[^:/@\s]+:(?!\$\{)[^@\s]+@")
DOCKERFILES = sorted(files.DOCKER_DIR.glob("Dockerfile.*"))


def test_every_service_of_the_stack_is_defined() -> None:
    assert set(SERVICES) == EXPECTED_SERVICES
    assert {"migrate", "trainer"} == ONE_SHOT


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_image_pinned_to_a_version(name: str) -> None:
    image = SERVICES[name].get("image")
    assert image, f"{name}: no image (a built service must still be tagged)"
    repository, _, tag = image.rpartition(":")
    assert repository and tag and tag != "latest", f"{name}: {image} is not pinned"
    assert re.search(r"\d+\.\d+", tag), f"{name}: tag {tag!r} is not a version"


@pytest.mark.parametrize("name", sorted(LONG_RUNNING))
def test_long_running_services_restart_and_report_health(name: str) -> None:
    spec = SERVICES[name]
    assert spec.get("restart") == "unless-stopped"
    test = spec.get("healthcheck", {}).get("test")
    assert test and test[0] in {"CMD", "CMD-SHELL"}, f"{name}: no healthcheck"
    assert spec.get("networks") == ["mlb_assets"]
    assert "logging" in spec, f"{name}: logs would grow without bound"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_depends_on_conditions_can_be_met(name: str) -> None:
    for target, rule in (SERVICES[name].get("depends_on") or {}).items():
        assert target in SERVICES, f"{name} depends on undefined {target}"
        condition = rule["condition"]
        if condition == "service_healthy":
            assert "healthcheck" in SERVICES[target], f"{target} has no healthcheck"
        elif condition == "service_completed_successfully":
            assert target in ONE_SHOT, f"{target} never completes"
        else:
            assert condition == "service_started"


def test_code_waits_for_migrations_and_database() -> None:
    for name in ("user_code", "grafana"):
        assert SERVICES[name]["depends_on"]["migrate"]["condition"] == (
            "service_completed_successfully"
        )
    assert SERVICES["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in ("webserver", "daemon"):
        assert SERVICES[name]["depends_on"]["user_code"]["condition"] == "service_healthy"


@pytest.mark.parametrize("name", sorted(SERVICES))
def test_volumes_are_declared_or_exist_in_the_repository(name: str) -> None:
    declared = set(compose()["volumes"])
    for source, target in files.mounts(name):
        assert target.startswith("/"), f"{name}: {target} is not an absolute container path"
        if source.startswith(("./", "/")):
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name}: bind mount {source} is missing"
            continue
        assert source in declared, f"{name}: volume {source} is not declared"


def test_every_declared_volume_is_used() -> None:
    used = {source for name in SERVICES for source, _ in files.mounts(name)}
    assert set(compose()["volumes"]) <= used


def test_networks_are_declared() -> None:
    declared = set(compose()["networks"])
    for name, spec in SERVICES.items():
        assert set(spec.get("networks", [])) <= declared, name


def _published(name: str) -> list[tuple[str, str]]:
    """(host part, container port) of each published port."""
    result = []
    for item in SERVICES[name].get("ports", []):
        host, _, container = str(item).rpartition(":")
        result.append((host, container))
    return result


@pytest.mark.parametrize("name", sorted(n for n in SERVICES if SERVICES[n].get("ports")))
def test_published_ports_are_ports_the_service_listens_on(name: str) -> None:
    spec = SERVICES[name]
    listening = " ".join(
        str(part) for part in [*spec.get("command", []), *spec["healthcheck"]["test"]]
    )
    for host, container in _published(name):
        assert re.search(rf"(?<!\d){container}(?!\d)", listening), (
            f"{name} publishes {container}, which neither its command nor its healthcheck uses"
        )
        # Bound to an address from .env (127.0.0.1 by default), never to every interface.
        assert host.startswith("${BIND_ADDRESS}:"), f"{name}: {host}"


def test_host_ports_are_distinct() -> None:
    hosts = [host for name in SERVICES for host, _ in _published(name)]
    assert len(hosts) == len(set(hosts))


def test_every_variable_is_documented_in_env_example_and_none_is_stale() -> None:
    referenced = files.interpolated_variables(files.COMPOSE.read_text())
    documented = set(files.env_example())
    assert referenced - documented == set(), "used in compose, missing from .env.example"
    assert documented - referenced == set(), "documented in .env.example, used nowhere"


def test_env_example_holds_no_real_secret() -> None:
    for name, value in files.env_example().items():
        if SECRET_NAME.search(name):
            assert value in {"", "change-me"}, f".env.example {name} must be a placeholder"


def _environment_values() -> list[tuple[str, str, str]]:
    anchors = compose().get("x-mlb-assets-env", {})
    rows = [("x-mlb-assets-env", key, str(value)) for key, value in anchors.items()]
    for name in SERVICES:
        rows += [(name, key, value) for key, value in files.service_environment(name).items()]
    return rows


def test_no_secret_inline() -> None:
    for where, key, value in _environment_values():
        if SECRET_NAME.search(key):
            assert re.fullmatch(r"\$\{\w+\}", value), f"{where}.{key} must come from .env"
        assert not LITERAL_URL_PASSWORD.search(value), f"{where}.{key} has a literal password"
    text = files.COMPOSE.read_text()
    assert "change-me" not in text


def test_slack_webhook_reaches_alertmanager_as_the_file_it_reads() -> None:
    secret = compose()["secrets"]["slack_webhook_url"]
    assert secret == {"environment": "SLACK_WEBHOOK_URL"}
    (mounted,) = SERVICES["alertmanager"]["secrets"]
    config = files.load_yaml(ROOT / "deploy" / "alertmanager" / "alertmanager.yml")
    urls = {c["api_url_file"] for r in config["receivers"] for c in r.get("slack_configs", [])}
    assert urls == {mounted["target"]}


def test_postgres_init_script_creates_the_databases_the_services_use() -> None:
    postgres = files.service_environment("postgres")
    assert postgres["WAREHOUSE_DB"] == "${WAREHOUSE_DB}"
    assert postgres["MLFLOW_DB"] == "${MLFLOW_DB}"
    anchors = compose()["x-mlb-assets-env"]
    assert anchors["MLB_ASSETS_DATABASE_URL"].endswith("@postgres:5432/${WAREHOUSE_DB}")
    assert anchors["MLB_ASSETS_MLFLOW_BACKEND_URL"].endswith("@postgres:5432/${MLFLOW_DB}")
    mlflow = files.service_environment("mlflow")["MLFLOW_BACKEND_STORE_URI"]
    assert mlflow == anchors["MLB_ASSETS_MLFLOW_BACKEND_URL"]
    init = [t for s, t in files.mounts("postgres") if s.endswith("init-databases.sh")]
    assert init and init[0].startswith("/docker-entrypoint-initdb.d/")


# --- dagster.yaml and workspace.yaml --------------------------------------------------------


def _dagster_env_references(node: object) -> set[str]:
    if isinstance(node, dict):
        if set(node) == {"env"}:
            return {node["env"]}
        return set().union(*(_dagster_env_references(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_dagster_env_references(v) for v in node))
    return set()


def test_instance_variables_are_set_where_the_instance_is_loaded() -> None:
    needed = _dagster_env_references(dagster_yaml())
    assert needed >= {"DAGSTER_POSTGRES_HOST", "DAGSTER_POSTGRES_PASSWORD"}
    for name in ("webserver", "daemon", "trainer"):
        assert needed <= set(files.service_environment(name)), name


def test_storage_run_queue_and_telemetry() -> None:
    config = dagster_yaml()
    assert set(config["storage"]) == {"postgres"}
    coordinator = config["run_coordinator"]
    assert coordinator["class"] == "QueuedRunCoordinator"
    limits = {
        (rule["key"], rule["value"]): rule["limit"]
        for rule in config["concurrency"]["runs"]["tag_concurrency_limits"]
    }
    assert limits[("mlb_assets/kind", "training")] == 1
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["run_monitoring"]["enabled"] is True
    assert config["telemetry"]["enabled"] is False
    assert config["retention"]["schedule"]["purge_after_days"] > 0


def test_concurrency_tags_are_tags_the_jobs_carry() -> None:
    from mlb_assets.definitions import build_definitions

    defs = build_definitions()

    kinds = {job.tags.get("mlb_assets/kind") for job in defs.jobs}
    graph = defs.resolve_asset_graph()
    pools = {pool for key in graph.get_all_asset_keys() for pool in graph.get(key).pools}
    assert pools == {"odds_api", "training"}  # each limited by concurrency.pools
    for rule in dagster_yaml()["concurrency"]["runs"]["tag_concurrency_limits"]:
        assert rule["key"] == "mlb_assets/kind"
        assert rule["value"] in kinds, f"no job is tagged {rule['value']}"


def test_run_launcher_network_volumes_and_variables_exist_in_compose() -> None:
    launcher = dagster_yaml()["run_launcher"]
    assert launcher["class"] == "DockerRunLauncher"
    config = launcher["config"]
    network_names = {spec.get("name", key) for key, spec in compose()["networks"].items()}
    assert config["network"] in network_names
    volume_names = {(spec or {}).get("name"): key for key, spec in compose()["volumes"].items()}
    user_code_mounts = dict(files.mounts("user_code"))
    for mount in config["container_kwargs"]["volumes"]:
        docker_name, target = mount.split(":")[:2]
        assert docker_name in volume_names, f"{docker_name} has no fixed name in compose"
        # Runs see the volume where the user-code service does.
        assert user_code_mounts[volume_names[docker_name]] == target
    daemon_env = set(files.service_environment("daemon"))
    assert set(config["env_vars"]) <= daemon_env, "the daemon cannot forward these"
    # A run needs what the code location has: the variables of the shared block, all of them.
    assert set(config["env_vars"]) == set(compose()["x-mlb-assets-env"])


def test_compute_logs_are_on_the_volume_the_webserver_reads() -> None:
    base = dagster_yaml()["compute_logs"]["config"]["base_dir"]
    targets = [t for s, t in files.mounts("webserver") if s == "mlb_assets_home"]
    assert targets and base.startswith(targets[0] + "/")


def test_workspace_points_at_the_user_code_service() -> None:
    (location,) = workspace_yaml()["load_from"]
    server = location["grpc_server"]
    assert server["host"] in SERVICES
    assert server["host"] == "user_code"
    cmd = files.dockerfile_cmd(files.DOCKER_DIR / "Dockerfile.user_code")
    assert str(server["port"]) == cmd[cmd.index("-p") + 1]
    health = SERVICES["user_code"]["healthcheck"]["test"]
    assert str(server["port"]) == health[health.index("-p") + 1]
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert server["location_name"] == pyproject["tool"]["dagster"]["code_location_name"]
    assert cmd[cmd.index("-m") + 1] == pyproject["tool"]["dagster"]["module_name"]


def test_dagster_yaml_and_workspace_are_mounted_into_dagster_home() -> None:
    for name in ("webserver", "daemon"):
        mounted = dict((t, s) for s, t in files.mounts(name))
        assert mounted["/opt/dagster/dagster_home/dagster.yaml"] == "./dagster.yaml"
        assert mounted["/opt/dagster/dagster_home/workspace.yaml"] == "./workspace.yaml"
    dagster_home = files.dockerfile_env(files.DOCKER_DIR / "Dockerfile.dagster", "DAGSTER_HOME")
    assert dagster_home == "/opt/dagster/dagster_home"


# --- Dockerfiles --------------------------------------------------------------------------------


def test_compose_builds_only_dockerfiles_that_exist() -> None:
    built = {spec["build"]["dockerfile"] for spec in SERVICES.values() if "build" in spec}
    assert built == {str(p.relative_to(ROOT)) for p in DOCKERFILES}


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_is_multi_stage_pinned_and_non_root(path: Path) -> None:
    global_args, stages = files.dockerfile_stages(path)
    assert len(stages) >= 2, "build and runtime stages"
    for stage in stages:
        base = files.resolve(stage.base, global_args)
        named = {s.name for s in stages if s.name}
        if base in named:
            continue
        assert re.search(r":\d+\.\d+\.\d+", base), f"{path.name}: base {base} not pinned"
    users = [rest for kw, rest in stages[-1].instructions if kw == "USER"]
    assert users and users[-1] not in {"root", "0"}, f"{path.name} runs as root"
    assert any(kw == "COPY" and "--from=" in rest for kw, rest in stages[-1].instructions)


@pytest.mark.parametrize("path", DOCKERFILES, ids=lambda p: p.name)
def test_dockerfile_copies_only_what_exists_and_is_not_ignored(path: Path) -> None:
    ignored = [
        line.strip()
        for line in (ROOT / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    _, stages = files.dockerfile_stages(path)
    for stage in stages:
        for keyword, rest in stage.instructions:
            if keyword != "COPY" or "--from=" in rest:
                continue
            *sources, _ = rest.split()
            for source in sources:
                assert (ROOT / source).exists(), f"{path.name}: COPY {source} is missing"
                top = source.split("/")[0]
                assert top not in ignored and source not in ignored, f"{source} is ignored"


def test_user_code_image_has_java_postgres_client_and_the_sql() -> None:
    _, stages = files.dockerfile_stages(files.DOCKER_DIR / "Dockerfile.user_code")
    runtime = " ".join(rest for _, rest in stages[-1].instructions)
    assert "openjdk-17-jre-headless" in runtime
    assert "postgresql-client" in runtime
    sql_dir = files.dockerfile_env(files.DOCKER_DIR / "Dockerfile.user_code", "MLB_ASSETS_SQL_DIR")
    assert sql_dir == "/opt/mlb_assets/sql"
    assert "COPY sql /opt/mlb_assets/sql" in "\n".join(
        f"{kw} {rest}" for kw, rest in stages[-1].instructions
    )


def test_sql_dir_override_points_migrations_at_a_copied_sql_folder(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    copy = tmp_path / "sql"
    copy.mkdir()
    code = (
        "from mlb_assets.config import current, prepare_process; prepare_process(current()); "
        "from mlb_assets.lib.settings import sql_dir; print(sql_dir())"
    )
    env = {**os.environ, "MLB_ASSETS_SQL_DIR": str(copy)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert out.stdout.strip() == str(copy), out.stderr


def _image_tag(service: str) -> str:
    return SERVICES[service]["image"].rpartition(":")[2]


def test_image_versions_match_the_tested_packages() -> None:
    pins = files.constraints()
    _, stages = files.dockerfile_stages(files.DOCKER_DIR / "Dockerfile.dagster")
    build = files.stage_args(stages[0])
    assert build["DAGSTER_VERSION"] == pins["dagster"] == metadata.version("dagster")
    assert build["DAGSTER_LIBRARIES_VERSION"] == pins["dagster-postgres"] == pins["dagster-docker"]
    assert _image_tag("webserver") == _image_tag("daemon") == build["DAGSTER_VERSION"]
    _, stages = files.dockerfile_stages(files.DOCKER_DIR / "Dockerfile.mlflow")
    mlflow_version = files.stage_args(stages[0])["MLFLOW_VERSION"]
    assert mlflow_version == pins["mlflow"] == _image_tag("mlflow")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["version"]
    for name in ("user_code", "migrate"):
        assert _image_tag(name) == project
    assert (
        SERVICES["user_code"]["environment"]["DAGSTER_CURRENT_IMAGE"]
        == (SERVICES["user_code"]["image"])
    )


def test_constraints_satisfy_the_project_dependencies() -> None:
    pins = files.constraints()
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    for raw in pyproject["project"]["dependencies"]:
        requirement = Requirement(raw.split("#")[0].strip())
        name = files.canonical(requirement.name)
        assert name in pins, f"{name} is not pinned in constraints.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} does not satisfy {requirement.specifier}"
        )


def test_gpu_trainer_reserves_an_nvidia_device_in_its_own_profile() -> None:
    trainer = SERVICES["trainer"]
    assert trainer["profiles"] == ["gpu"]
    (device,) = trainer["deploy"]["resources"]["reservations"]["devices"]
    assert device["driver"] == "nvidia" and device["capabilities"] == ["gpu"]
    from mlb_assets.definitions import build_definitions

    defs = build_definitions()

    command = trainer["command"]
    assert defs.resolve_job_def(command[command.index("-j") + 1]).tags["mlb_assets/kind"] == (
        "training"
    )
