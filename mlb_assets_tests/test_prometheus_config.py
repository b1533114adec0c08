"""The Prometheus and Alertmanager configuration under deploy/.

The structural tests always run. The promtool/amtool tests run where the tools are installed
(Debian/Ubuntu packages ``prometheus`` and ``prometheus-alertmanager``) and skip elsewhere.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from mlb_assets.lib.ops.metrics import registry_for
from mlb_assets_tests.lib.ops.test_metrics import full_snapshot

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
PROMETHEUS_YML = DEPLOY / "prometheus" / "prometheus.yml"
RULES_YML = DEPLOY / "prometheus" / "rules" / "mlb_assets.rules.yml"
RULES_TEST_YML = DEPLOY / "prometheus" / "rules" / "mlb_assets.rules.test.yml"
ALERTMANAGER_YML = DEPLOY / "alertmanager" / "alertmanager.yml"

EXPECTED_ALERTS = {
    "OddsStale",
    "AssetCheckFailing",
    "BackupTooOld",
    "DrawdownBeyondThreshold",
    "OddsApiQuotaLow",
    "MetricsNotPushed",
    "RunFailures",
}
# Labels every pushed series has besides its own: the Pushgateway's grouping labels.
TARGET_LABELS = {"job", "instance"}
SECRET_PATTERNS = [
    re.compile(r"hooks\.slack\.com/services/", re.IGNORECASE),
    re.compile(r"xox[abprs]-[0-9A-Za-z-]+"),
    re.compile(r"bearer\s+\S{8,}", re.IGNORECASE),
    re.compile(r"https?://[^/\s:@]+:[^/\s@]+@"),  # credentials in a URL
]
SECRET_KEYS = {"api_url", "password", "auth_password", "bearer_token", "api_key", "routing_key"}


def _load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def _rules() -> list[dict[str, Any]]:
    return [rule for group in _load(RULES_YML)["groups"] for rule in group["rules"]]


def _exported() -> dict[str, set[str]]:
    """Every gauge metrics.py exports, with its label names, from a fully populated snapshot."""
    snapshot = full_snapshot()
    unset = [
        f.name for f in dataclasses.fields(snapshot) if getattr(snapshot, f.name) in (None, {})
    ]
    assert unset == [], "full_snapshot() must set every field"
    return {
        family.name: {label for sample in family.samples for label in sample.labels}
        for family in registry_for(snapshot).collect()
    }


def _metric_names(expr: str) -> set[str]:
    return set(re.findall(r"\bmlb_assets_[a-z0-9_]+\b", expr))


# --- structure: always runs ---------------------------------------------------------------


def test_every_rule_is_complete() -> None:
    rules = _rules()
    assert {rule["alert"] for rule in rules} == EXPECTED_ALERTS
    for rule in rules:
        assert rule["expr"].strip(), rule["alert"]
        assert rule["labels"]["severity"] in {"critical", "warning"}, rule["alert"]
        assert rule["annotations"]["summary"].strip(), rule["alert"]
        assert rule["annotations"]["description"].strip(), rule["alert"]


def test_rules_use_only_metrics_and_labels_that_are_exported() -> None:
    exported = _exported()
    for rule in _rules():
        used = _metric_names(rule["expr"])
        assert used, f"{rule['alert']} uses no mlb_assets metric"
        assert used <= set(exported), f"{rule['alert']} uses unexported {used - set(exported)}"
        labels = set().union(*(exported[name] for name in used)) | TARGET_LABELS
        templates = " ".join(rule["annotations"].values())
        referenced = set(re.findall(r"\$labels\.([a-zA-Z_][a-zA-Z0-9_]*)", templates))
        assert referenced <= labels, f"{rule['alert']} annotates with {referenced - labels}"


def test_every_alert_has_a_promtool_unit_test() -> None:
    unit_tests = _load(RULES_TEST_YML)
    assert unit_tests["rule_files"] == [RULES_YML.name]
    tested = {
        case["alertname"]
        for test in unit_tests["tests"]
        for case in test.get("alert_rule_test", [])
        if case.get("exp_alerts")
    }
    assert tested == EXPECTED_ALERTS


def test_prometheus_loads_the_rules_but_not_their_tests_and_scrapes_the_pushgateway() -> None:
    config = _load(PROMETHEUS_YML)
    rule_dir = PROMETHEUS_YML.parent
    matched = {
        path
        for pattern in config["rule_files"]
        for path in rule_dir.glob(pattern)
        if fnmatch.fnmatch(path.name, Path(pattern).name)
    }
    assert matched == {RULES_YML}
    assert config["global"]["scrape_interval"] and config["global"]["evaluation_interval"]
    [alertmanagers] = config["alerting"]["alertmanagers"]
    assert alertmanagers["static_configs"][0]["targets"] == ["alertmanager:9093"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == {"prometheus", "pushgateway"}
    assert jobs["pushgateway"]["honor_labels"] is True
    assert jobs["pushgateway"]["static_configs"][0]["targets"] == ["pushgateway:9091"]
    targets = [t for job in jobs.values() for c in job["static_configs"] for t in c["targets"]]
    assert not [t for t in targets if "dagster" in t]  # the webserver exports no metrics


def _routes(route: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield route
    for child in route.get("routes", []):
        yield from _routes(child)


def test_alertmanager_routes_reach_existing_receivers_and_slack_reads_its_url_from_a_file() -> None:
    config = _load(ALERTMANAGER_YML)
    receivers = {receiver["name"]: receiver for receiver in config["receivers"]}
    for route in _routes(config["route"]):
        assert route.get("receiver", config["route"]["receiver"]) in receivers
    assert config["route"]["group_by"] == ["alertname"]
    [slack] = receivers["slack"]["slack_configs"]
    assert slack["api_url_file"] == "/etc/alertmanager/secrets/slack_webhook_url"
    assert slack["channel"].startswith("#")
    for rule in config.get("inhibit_rules", []):
        names = re.findall(r"[A-Z][A-Za-z]+", " ".join(rule["target_matchers"]))
        assert set(names) <= EXPECTED_ALERTS


def _keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield str(key)
            yield from _keys(value)
    elif isinstance(node, list):
        for item in node:
            yield from _keys(item)


@pytest.mark.parametrize("path", [PROMETHEUS_YML, RULES_YML, ALERTMANAGER_YML])
def test_no_secret_is_written_inline(path: Path) -> None:
    text = path.read_text()
    for pattern in SECRET_PATTERNS:
        assert not pattern.search(text), f"{path.name} matches {pattern.pattern}"
    assert not SECRET_KEYS & set(_keys(_load(path))), f"{path.name} has an inline secret key"


# --- the real tools: run where installed ---------------------------------------------------


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} is not installed (Debian package: see module docstring)")
    return path


def _run(*args: str) -> None:
    result = subprocess.run(args, capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_accepts_the_config_and_its_rule_files() -> None:
    _run(_tool("promtool"), "check", "config", str(PROMETHEUS_YML))


def test_promtool_accepts_the_rules() -> None:
    _run(_tool("promtool"), "check", "rules", str(RULES_YML))


def test_promtool_unit_tests_of_the_rules_pass() -> None:
    _run(_tool("promtool"), "test", "rules", str(RULES_TEST_YML))


def test_amtool_accepts_the_alertmanager_config() -> None:
    _run(_tool("amtool"), "check-config", str(ALERTMANAGER_YML))
