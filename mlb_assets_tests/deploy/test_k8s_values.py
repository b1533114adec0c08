"""The Kubernetes deployment under deploy/k8s, checked without Helm or a cluster.

``values.yaml`` (Dagster's Helm chart) is parsed as YAML and compared with the Compose stack it
mirrors: the user-code image in ``docker-compose.yml``, the gRPC command of
``deploy/docker/Dockerfile.user_code`` and the run queue of the top-level ``dagster.yaml``. The
secret variables must reach the pods through the Secret only, ``secrets.example.yaml`` must name
every one of them, no value may look like a secret, and the chart version pinned at the top of
``values.yaml`` must be the one the README installs.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
import yaml
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from mlb_assets_tests.deploy import files

ROOT = files.ROOT
K8S = ROOT / "deploy" / "k8s"
VALUES_YAML = K8S / "values.yaml"
SECRETS_YAML = K8S / "secrets.example.yaml"
K8S_README = K8S / "README.md"
DOCKERFILE = ROOT / "deploy" / "docker" / "Dockerfile.user_code"
CONSTRAINTS = ROOT / "deploy" / "docker" / "constraints.txt"
PYPROJECT = ROOT / "pyproject.toml"
PACKAGE = ROOT / "mlb_assets"

DEPLOYMENT_NAME = "mlb-assets"
APP_SECRET = "mlb-assets-secrets"
PG_SECRET = "dagster-postgresql-secret"
PG_SECRET_KEY = "postgresql-password"
PLACEHOLDER = "change-me"

# Variables the project reads whose values are secrets (passwords inside URLs included).
SECRET_VARS = frozenset(
    {
        "MLB_ASSETS_DATABASE_URL",
        "ODDS_API_KEY",
        "SLACK_WEBHOOK_URL",
        "MLB_ASSETS_ALERT_WEBHOOK_URL",
        "MLB_ASSETS_ALERT_WEBHOOK_TOKEN",
        "MLB_ASSETS_MLFLOW_BACKEND_URL",
    }
)
# Secret keys read by a library rather than by the project's own code.
LIBRARY_SECRET_VARS = frozenset({"MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD"})

SENSITIVE_KEY = re.compile(r"password|passwd|secret|token|api_?key|credential", re.IGNORECASE)
# Keys that name a Secret rather than hold one.
REFERENCE_KEY = re.compile(r"(secretName|SecretName|existingSecret)$")
SECRET_VALUE_PATTERNS = [
    re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.IGNORECASE),  # URL credentials
    re.compile(r"hooks\.slack\.com/services/", re.IGNORECASE),
    re.compile(r"xox[abprs]-[0-9A-Za-z-]+"),
    re.compile(r"bearer\s+\S{8,}", re.IGNORECASE),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
]
CHART_COMMENT = re.compile(r"^#\s*chart:\s*dagster\s+(\S+)\s*$", re.MULTILINE)
MODULE_FLAGS = ("-m", "--module-name")
PORT_FLAGS = ("-p", "--port")


@cache
def _values() -> dict[str, Any]:
    values = files.load_yaml(VALUES_YAML)
    assert isinstance(values, dict), f"{VALUES_YAML} is not a mapping"
    return values


def _deployment() -> dict[str, Any]:
    deployments = _values()["dagster-user-deployments"]["deployments"]
    matching = [d for d in deployments if d.get("name") == DEPLOYMENT_NAME]
    assert len(matching) == 1, f"expected one user deployment named {DEPLOYMENT_NAME!r}"
    return matching[0]


def _launcher() -> dict[str, Any]:
    return _values()["runLauncher"]["config"]["k8sRunLauncher"]


def _split_image(image: str) -> tuple[str, str]:
    """``registry:5000/repo/name:tag`` -> (``registry:5000/repo/name``, ``tag``)."""
    name, _, tag = image.rpartition(":")
    if not name or "/" in tag:
        return image, "latest"
    return name, tag


def _compose_service(name: str) -> dict[str, Any]:
    return files.compose()["services"][name]


def _compose_image_tags() -> set[str]:
    """The user-code tag and the GPU variant's (service trainer)."""
    return {_split_image(_compose_service(n)["image"])[1] for n in ("user_code", "trainer")}


def _flag_values(args: list[str]) -> dict[str, str]:
    flags: dict[str, str] = {}
    for i, arg in enumerate(args):
        if arg.startswith("-") and "=" in arg:
            key, _, value = arg.partition("=")
            flags[key] = value
        elif arg.startswith("-") and i + 1 < len(args) and not args[i + 1].startswith("-"):
            flags[arg] = args[i + 1]
    return flags


def _first(flags: dict[str, str], names: tuple[str, ...]) -> str | None:
    return next((flags[n] for n in names if n in flags), None)


def _walk(node: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Every (path, key, value) of a parsed YAML tree; list items have integer keys."""
    if isinstance(node, dict):
        for key, value in node.items():
            child = f"{path}.{key}" if path else str(key)
            yield child, key, value
            yield from _walk(value, child)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            child = f"{path}[{index}]"
            yield child, index, value
            yield from _walk(value, child)


def _env_entries(node: Any) -> Iterator[tuple[str, str, Any]]:
    """Every environment variable set anywhere in the values: (path, name, literal value or None
    when it comes from a reference such as ``valueFrom``)."""
    for path, key, value in _walk(node):
        if key == "env" and isinstance(value, dict):
            for name, literal in value.items():
                yield f"{path}.{name}", str(name), literal
        elif key == "env" and isinstance(value, list):
            for index, item in enumerate(value):
                if isinstance(item, dict) and "name" in item:
                    yield f"{path}[{index}]", str(item["name"]), item.get("value")
        elif key in ("envVars", "env_vars") and isinstance(value, list):
            for index, item in enumerate(value):
                name, sep, literal = str(item).partition("=")
                yield f"{path}[{index}]", name, literal if sep else None


def _secret_names(env_secrets: Any) -> set[str]:
    return {item["name"] for item in env_secrets or [] if isinstance(item, dict) and "name" in item}


def _project_source() -> str:
    return "\n".join(p.read_text() for p in sorted(PACKAGE.rglob("*.py")))


def _cpu(quantity: Any) -> float:
    text = str(quantity)
    return float(text[:-1]) / 1000 if text.endswith("m") else float(text)


_MEMORY_UNITS = {
    "Ki": 2**10,
    "Mi": 2**20,
    "Gi": 2**30,
    "Ti": 2**40,
    "K": 10**3,
    "M": 10**6,
    "G": 10**9,
    "T": 10**12,
}


def _memory(quantity: Any) -> float:
    text = str(quantity)
    for unit in sorted(_MEMORY_UNITS, key=len, reverse=True):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * _MEMORY_UNITS[unit]
    return float(text)


def _pinned_chart_version() -> str:
    match = CHART_COMMENT.search(VALUES_YAML.read_text())
    assert match, f"{VALUES_YAML.name} must start with a '# chart: dagster <version>' comment"
    return match.group(1)


def _helm_commands(text: str) -> list[str]:
    """Shell commands of a text (continuation lines joined, comment markers dropped)."""
    joined = re.sub(r"\\\s*\n\s*#?\s*", " ", text)
    return [line.strip().lstrip("#").strip() for line in joined.splitlines() if "helm " in line]


# --------------------------------------------------------------------------------------------


def test_values_parse_with_the_expected_sections() -> None:
    values = _values()
    for section in (
        "dagster-user-deployments",
        "runLauncher",
        "dagsterDaemon",
        "dagsterWebserver",
        "postgresql",
        "retention",
        "telemetry",
    ):
        assert section in values, f"values.yaml has no {section!r} section"
    assert values["dagster-user-deployments"]["enabled"] is True
    _deployment()


def test_user_code_image_is_the_compose_image() -> None:
    compose_repository, _ = _split_image(_compose_service("user_code")["image"])
    compose_tags = _compose_image_tags()
    image = _deployment()["image"]
    assert str(image["tag"]) in compose_tags, (
        f"values.yaml pins user-code tag {image['tag']!r}, docker-compose.yml {compose_tags}"
    )
    assert str(image["tag"]) != "latest", "pin a release tag, never latest"
    repository = str(image["repository"])
    assert repository == compose_repository or repository.endswith("/" + compose_repository), (
        f"{repository!r} is not the Compose image {compose_repository!r} (with a registry prefix)"
    )
    assert image["pullPolicy"] in {"IfNotPresent", "Always"}


def test_grpc_server_runs_the_dockerfile_command() -> None:
    cmd = files.dockerfile_cmd(DOCKERFILE)
    assert cmd[:3] == ["dagster", "api", "grpc"], f"unexpected CMD {cmd}"
    docker_flags = _flag_values(cmd[3:])
    deployment = _deployment()
    chart_flags = _flag_values([str(arg) for arg in deployment["dagsterApiGrpcArgs"]])
    assert _first(chart_flags, PORT_FLAGS) is None, "the chart sets the port from `port`"
    assert int(deployment["port"]) == int(_first(docker_flags, PORT_FLAGS) or -1)
    module = _first(docker_flags, MODULE_FLAGS)
    assert module == "mlb_assets.definitions"
    assert _first(chart_flags, MODULE_FLAGS) == module


def test_home_volume_and_user_match_the_image() -> None:
    deployment = _deployment()
    home = files.dockerfile_env(DOCKERFILE, "MLB_ASSETS_HOME")
    env = deployment["env"]
    assert env.get("MLB_ASSETS_HOME") == home
    mounts = {m["mountPath"]: m["name"] for m in deployment.get("volumeMounts") or []}
    volumes = {v["name"] for v in deployment.get("volumes") or []}
    assert home in mounts, f"nothing is mounted at MLB_ASSETS_HOME ({home})"
    assert mounts[home] in volumes
    for name, value in env.items():
        if name.endswith(("_DIR", "_HOME")) and str(value).startswith("/"):
            assert any(
                str(value) == path or str(value).startswith(path.rstrip("/") + "/")
                for path in mounts
            ), f"{name}={value} is not on a mounted volume: it would vanish with the pod"

    uid = re.search(r"useradd\b.*--uid[= ](\d+)", DOCKERFILE.read_text())
    assert uid, "the image creates no user with a fixed uid"
    pod_contexts = [
        deployment["podSecurityContext"],
        _launcher()["runK8sConfig"]["podSpecConfig"]["securityContext"],
    ]
    for context in pod_contexts:
        assert context["runAsNonRoot"] is True
        assert context["runAsUser"] == int(uid.group(1))


def test_paths_match_compose() -> None:
    """Fixed paths (home, backups, MLflow artifacts) are where Compose mounts its volumes."""
    environment = _compose_service("user_code").get("environment")
    if not isinstance(environment, dict):
        pytest.skip("docker-compose.yml gives user_code no environment mapping")
    differing = {
        name: (value, environment[name])
        for name, value in _deployment()["env"].items()
        if isinstance(environment.get(name), str)
        and environment[name].startswith("/")
        and str(value) != environment[name]
    }
    assert not differing, f"paths differ from docker-compose.yml (values, compose): {differing}"


def test_compute_logs_are_on_a_volume_the_webserver_reads() -> None:
    manager = _values()["computeLogManager"]
    if manager["type"] != "CustomComputeLogManager":
        return
    custom = manager["config"]["customComputeLogManager"]
    if custom["class"] != "LocalComputeLogManager":
        return
    base_dir = str(custom["config"]["base_dir"])
    writers = {m["mountPath"]: m["name"] for m in _deployment()["volumeMounts"]}
    readers = {m["mountPath"]: m["name"] for m in _values()["dagsterWebserver"]["volumeMounts"]}

    def under(path: str, mounts: dict[str, str]) -> str | None:
        return next((m for m in mounts if path.startswith(m.rstrip("/") + "/")), None)

    written, read = under(base_dir, writers), under(base_dir, readers)
    assert written, f"runs would write compute logs ({base_dir}) to their own pod's disk"
    assert read == written, "the webserver must mount the volume the runs write logs to"
    deployment_claims = {
        v["name"]: v["persistentVolumeClaim"]["claimName"] for v in _deployment()["volumes"]
    }
    webserver_claims = {
        v["name"]: v["persistentVolumeClaim"]["claimName"]
        for v in _values()["dagsterWebserver"]["volumes"]
    }
    assert webserver_claims[readers[read]] == deployment_claims[writers[written]]


def test_runs_are_kubernetes_jobs_with_the_code_location_config() -> None:
    values = _values()
    assert values["runLauncher"]["type"] == "K8sRunLauncher"
    assert APP_SECRET in _secret_names(_launcher().get("envSecrets"))
    assert _deployment()["includeConfigInLaunchedRuns"]["enabled"] is True


def test_run_queue_and_pools_match_dagster_yaml() -> None:
    expected = files.dagster_yaml()["concurrency"]
    coordinator = _values()["dagsterDaemon"]["runCoordinator"]
    assert coordinator["enabled"] is True
    assert coordinator["type"] == "QueuedRunCoordinator"
    queued = coordinator["config"]["queuedRunCoordinator"]
    # The chart refuses run limits set both there and under `concurrency`.
    assert not {"maxConcurrentRuns", "tagConcurrencyLimits"} & set(queued)
    concurrency = _values()["concurrency"]
    runs = concurrency["runs"]
    assert runs["maxConcurrentRuns"] == expected["runs"]["max_concurrent_runs"]

    def limits(items: list[dict[str, Any]]) -> set[tuple[str, str, int]]:
        return {(i["key"], json.dumps(i.get("value"), sort_keys=True), i["limit"]) for i in items}

    assert limits(runs["tagConcurrencyLimits"]) == limits(
        expected["runs"]["tag_concurrency_limits"]
    )
    assert concurrency["pools"]["defaultLimit"] == expected["pools"]["default_limit"]


def test_run_monitoring_and_retries_are_on() -> None:
    daemon = _values()["dagsterDaemon"]
    assert daemon["runMonitoring"]["enabled"] is True
    assert daemon["runRetries"]["enabled"] is True
    instance = files.dagster_yaml()
    retries = instance.get("run_retries") or {}
    if "max_retries" in retries:
        assert daemon["runRetries"]["maxRetries"] == retries["max_retries"]
    # The chart renders no max_runtime_seconds; the run Job's deadline stands in for it.
    max_runtime = (instance.get("run_monitoring") or {}).get("max_runtime_seconds")
    if max_runtime:
        job_spec = _launcher()["runK8sConfig"].get("jobSpecConfig") or {}
        assert job_spec.get("activeDeadlineSeconds") == max_runtime


def test_secret_variables_arrive_only_through_the_secret() -> None:
    assert APP_SECRET in _secret_names(_deployment().get("envSecrets"))
    plain = {name: path for path, name, _ in _env_entries(_values()) if name in SECRET_VARS}
    assert not plain, f"secret variables set as plain env values in values.yaml: {plain}"


def test_secret_variable_list_is_what_the_project_reads() -> None:
    source = _project_source()
    unread = sorted(name for name in SECRET_VARS if f'"{name}"' not in source)
    assert not unread, f"not read anywhere in mlb_assets/: {unread}"


def test_every_configured_variable_is_read_by_the_project() -> None:
    source = _project_source()
    unknown = sorted(
        name for name in _deployment()["env"] if f'"{name}"' not in source and name not in source
    )
    assert not unknown, f"values.yaml sets variables the project never reads: {unknown}"


def test_no_value_in_values_looks_like_a_secret() -> None:
    problems = []
    for path, key, value in _walk(_values()):
        if not isinstance(value, str):
            continue
        if (
            isinstance(key, str)
            and SENSITIVE_KEY.search(key)
            and not REFERENCE_KEY.search(key)
            and value.strip()
        ):
            problems.append(f"{path}: a literal under a secret-like key")
        for pattern in SECRET_VALUE_PATTERNS:
            if pattern.search(value):
                problems.append(f"{path}: looks like a secret ({pattern.pattern})")
    for path, name, literal in _env_entries(_values()):
        if SENSITIVE_KEY.search(name) and literal not in (None, ""):
            problems.append(f"{path}: {name} has a literal value; use the Secret")
    assert not problems, "\n".join(problems)


def test_postgres_password_comes_from_the_chart_secret() -> None:
    values = _values()
    assert values["generatePostgresqlPasswordSecret"] is False
    assert values["global"]["postgresqlSecretName"] == PG_SECRET
    postgresql = values["postgresql"]
    assert not postgresql.get("postgresqlPassword")
    if postgresql["enabled"] is False:
        assert postgresql["postgresqlHost"], "an external server needs postgresqlHost"
    assert postgresql["postgresqlUsername"]


def test_example_secrets_cover_every_secret_variable() -> None:
    documents = [doc for doc in yaml.safe_load_all(SECRETS_YAML.read_text()) if doc]
    secrets = {doc["metadata"]["name"]: doc for doc in documents if doc.get("kind") == "Secret"}
    assert set(secrets) >= {APP_SECRET, PG_SECRET}

    for name, secret in secrets.items():
        assert "data" not in secret, f"{name}: use stringData with placeholders, not data"
        for key, value in secret["stringData"].items():
            assert value == "" or PLACEHOLDER in str(value), (
                f"{name}.{key} must be a {PLACEHOLDER!r} placeholder"
            )

    keys = set(secrets[APP_SECRET]["stringData"])
    missing = sorted(SECRET_VARS - keys)
    assert not missing, f"{APP_SECRET} in secrets.example.yaml lacks {missing}"
    source = _project_source()
    unknown = sorted(k for k in keys - LIBRARY_SECRET_VARS if f'"{k}"' not in source)
    assert not unknown, f"{APP_SECRET} holds keys nothing reads: {unknown}"
    assert PG_SECRET_KEY in secrets[PG_SECRET]["stringData"]


def test_telemetry_is_disabled() -> None:
    assert _values()["telemetry"]["enabled"] is False


def test_run_pods_are_sized_for_training() -> None:
    deployment_resources = _deployment()["resources"]
    launcher_resources = _launcher()["runK8sConfig"]["containerConfig"]["resources"]
    assert launcher_resources == deployment_resources, (
        "run pods take the code location's resources over runK8sConfig; keep them equal so a "
        "run's size does not depend on which applies"
    )
    requests, limits = deployment_resources["requests"], deployment_resources["limits"]
    assert _cpu(requests["cpu"]) <= _cpu(limits["cpu"])
    assert _memory(requests["memory"]) <= _memory(limits["memory"])
    # H2O's local JVM (2G heap) and AutoGluon train side by side in one run pod.
    assert _memory(requests["memory"]) >= 4 * 2**30


def test_chart_version_is_pinned_consistently() -> None:
    version = _pinned_chart_version()
    spec = re.search(r'"dagster([<>=!~][^"]*)"', PYPROJECT.read_text())
    assert spec, "pyproject.toml pins no dagster version"
    assert Version(version) in SpecifierSet(spec.group(1)), (
        f"chart {version} is outside the project's dagster{spec.group(1)}"
    )
    if CONSTRAINTS.exists():
        image_pin = re.search(r"^dagster==(\S+)\s*$", CONSTRAINTS.read_text(), re.MULTILINE)
        assert image_pin, f"{CONSTRAINTS.name} pins no dagster"
        assert image_pin.group(1) == version, (
            f"chart {version}, but the user-code image installs dagster {image_pin.group(1)}"
        )

    installs = [
        command
        for text in (K8S_README.read_text(), VALUES_YAML.read_text())
        for command in _helm_commands(text)
        if "dagster/dagster" in command
    ]
    assert installs, "the README never installs dagster/dagster"
    for command in installs:
        pinned = re.search(r"--version[= ](\S+)", command)
        assert pinned, f"unpinned: {command}"
        assert pinned.group(1) == version, f"{command} does not pin {version}"

    for component in ("dagsterWebserver", "dagsterDaemon"):
        tag = ((_values().get(component) or {}).get("image") or {}).get("tag")
        assert tag in (None, version), f"{component} image {tag} differs from the chart"
