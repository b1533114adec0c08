"""Grafana's provisioning and dashboards (deploy/grafana) against the code they display.

Structure: the provisioning files and dashboards parse, every panel points at a provisioned
data source, ids, uids and titles are unique, and the provider reads the folder the compose
stack mounts. SQL panels: each query, with Grafana's macros and template variables expanded
as Grafana would, runs on Postgres as a real login of the read-only BI role against a
migrated warehouse holding a small fixture, reads only ``reporting.<view>`` relations and
returns rows that are not all NULL. Prometheus panels: every metric and label an expression
uses is one that ``mlb_assets.lib.ops.metrics`` exports, and ``promtool`` parses every
expression (written as recording rules).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
import yaml
from sqlalchemy.engine import make_url

from mlb_assets.lib.ops.metrics import METRICS
from mlb_assets.lib.warehouse import migrate
from mlb_assets.lib.warehouse.bi import BI_ROLE, ensure_bi_login
from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.lib.warehouse.reporting import REPORTING_SCHEMA, REPORTING_VIEWS
from mlb_assets_tests.deploy import files
from mlb_assets_tests.lib.warehouse.test_reporting_views import loaded_warehouse

ROOT = files.ROOT
GRAFANA = ROOT / "deploy" / "grafana"
PROVISIONING = GRAFANA / "provisioning"
DATASOURCES_YAML = PROVISIONING / "datasources" / "datasources.yaml"
DASHBOARD_PROVIDERS_YAML = PROVISIONING / "dashboards" / "dashboards.yaml"
DASHBOARD_DIR = GRAFANA / "dashboards"

# Where the compose stack mounts the two folders in the Grafana container.
PROVISIONING_MOUNT = "/etc/grafana/provisioning"
DASHBOARDS_MOUNT = "/var/lib/grafana/dashboards"
DASHBOARD_FOLDER = "mlb_assets"
EXPECTED_DASHBOARDS = {"betting.json", "data_quality.json", "pipeline_health.json"}
# The container's environment the data sources read (Grafana expands $NAME in provisioning).
DATASOURCE_ENV = {"GRAFANA_DB_USER", "GRAFANA_DB_PASSWORD", "WAREHOUSE_DB"}
POSTGRES_TYPE = "grafana-postgresql-datasource"
PROMETHEUS_TYPE = "prometheus"
# Grafana 11's dashboard schema; older versions are migrated on load, newer ones unknown.
SCHEMA_VERSIONS = range(39, 41)
# Labels every pushed series carries besides its own: the Pushgateway's grouping labels.
TARGET_LABELS = {"job", "instance"}
ENV_REFERENCE = re.compile(r"^\$([A-Z_][A-Z0-9_]*)$")

# The time range SQL panels are run with: it covers the fixture's game dates (2016, 2017).
TIME_FROM = "2016-01-01T00:00:00Z"
TIME_TO = "2017-12-31T23:59:59Z"
# Prometheus' interval variables, as Grafana would fill them in for a 1-day range.
PROMETHEUS_INTERVALS = {
    "__rate_interval": "2m",
    "__interval": "1m",
    "__interval_ms": "60000",
    "__range": "1d",
    "__range_s": "86400",
    "__range_ms": "86400000",
}


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _datasources() -> dict[str, dict[str, Any]]:
    return {source["uid"]: source for source in files.load_yaml(DATASOURCES_YAML)["datasources"]}


def _dashboards() -> dict[str, dict[str, Any]]:
    return {path.name: json.loads(path.read_text()) for path in sorted(DASHBOARD_DIR.glob("*"))}


def _panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every panel, those inside collapsed rows included."""
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panel.get("panels", [])


@dataclass(frozen=True)
class Target:
    dashboard: str
    panel_id: int
    panel_title: str
    ref_id: str
    datasource_uid: str
    query: str
    legend: str = ""

    def __str__(self) -> str:
        return f"{self.dashboard} panel {self.panel_id} {self.panel_title!r} ({self.ref_id})"


def _targets(kind: str) -> list[Target]:
    """Every query of one data-source type: ``rawSql`` (Postgres) or ``expr`` (Prometheus)."""
    types = _datasources()
    field = "rawSql" if kind == POSTGRES_TYPE else "expr"
    found = []
    for name, dashboard in _dashboards().items():
        for panel in _panels(dashboard):
            for target in panel.get("targets", []):
                uid = (target.get("datasource") or panel.get("datasource") or {}).get("uid")
                if uid not in types or types[uid]["type"] != kind:
                    continue
                assert target.get(field), f"{name} panel {panel['id']}: no {field}"
                found.append(
                    Target(
                        name,
                        panel["id"],
                        panel.get("title", ""),
                        target["refId"],
                        uid,
                        target[field],
                        target.get("legendFormat", ""),
                    )
                )
    return found


# --- provisioning ---------------------------------------------------------------------------


def test_provisioning_files_parse() -> None:
    for path in (DATASOURCES_YAML, DASHBOARD_PROVIDERS_YAML):
        document = files.load_yaml(path)
        assert document["apiVersion"] == 1, path.name
    assert {path.name for path in DATASOURCES_YAML.parent.iterdir()} == {DATASOURCES_YAML.name}
    assert {path.name for path in DASHBOARD_PROVIDERS_YAML.parent.iterdir()} == {
        DASHBOARD_PROVIDERS_YAML.name
    }


def test_datasources() -> None:
    sources = _datasources()
    assert set(sources) == {"mlb_reporting", "prometheus"}
    assert len(files.load_yaml(DATASOURCES_YAML)["datasources"]) == 2, "uids must be unique"
    assert [uid for uid, source in sources.items() if source.get("isDefault")] == ["prometheus"]

    prometheus = sources["prometheus"]
    assert prometheus["type"] == PROMETHEUS_TYPE
    assert prometheus["url"] == "http://prometheus:9090"
    assert prometheus["access"] == "proxy"

    postgres = sources["mlb_reporting"]
    assert postgres["type"] == POSTGRES_TYPE
    assert postgres["url"] == "postgres:5432"
    assert postgres["user"] == "$GRAFANA_DB_USER"
    assert postgres["jsonData"]["database"] == "$WAREHOUSE_DB"
    assert postgres["jsonData"]["sslmode"] == "disable"
    assert postgres["jsonData"]["postgresVersion"] == 1500
    assert postgres["secureJsonData"] == {"password": "$GRAFANA_DB_PASSWORD"}
    assert "password" not in postgres and "password" not in postgres["jsonData"]


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from _strings(item)
    elif isinstance(node, str):
        yield node


def test_datasources_take_credentials_from_the_environment_only() -> None:
    document = files.load_yaml(DATASOURCES_YAML)
    referenced = set()
    for value in _strings(document):
        if "$" in value:
            match = ENV_REFERENCE.match(value)
            # $NAME alone: ${NAME} would expand a '$' inside the password a second time.
            assert match, f"{value!r}: a value is either literal or exactly one $NAME"
            referenced.add(match.group(1))
    assert referenced == DATASOURCE_ENV
    for source in document["datasources"]:
        for key, value in (source.get("secureJsonData") or {}).items():
            assert ENV_REFERENCE.match(str(value)), f"{source['uid']}: {key} is written inline"


def test_dashboard_provider_reads_the_mounted_folder() -> None:
    [provider] = files.load_yaml(DASHBOARD_PROVIDERS_YAML)["providers"]
    assert provider["type"] == "file"
    assert provider["folder"] == DASHBOARD_FOLDER
    assert provider["options"]["path"] == DASHBOARDS_MOUNT
    assert provider.get("allowUiUpdates") is not True, "the files in git are the source"
    assert {path.name for path in DASHBOARD_DIR.iterdir()} == EXPECTED_DASHBOARDS


def test_compose_mounts_and_environment_match() -> None:
    service = files.compose()["services"]["grafana"]
    mounts = {}
    for item in service.get("volumes") or []:
        if isinstance(item, dict):
            mounts[item["target"]] = item["source"]
        else:
            source, target = item.split(":")[:2]
            mounts[target] = source
    assert (ROOT / mounts[PROVISIONING_MOUNT]).resolve() == PROVISIONING.resolve()
    assert (ROOT / mounts[DASHBOARDS_MOUNT]).resolve() == DASHBOARD_DIR.resolve()
    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.partition("=")[::2] for item in environment)
    assert set(environment) >= DATASOURCE_ENV


# --- dashboards -------------------------------------------------------------------------------


def test_dashboards_have_unique_uids_and_titles() -> None:
    dashboards = _dashboards()
    assert set(dashboards) == EXPECTED_DASHBOARDS
    uids = [dashboard["uid"] for dashboard in dashboards.values()]
    titles = [dashboard["title"] for dashboard in dashboards.values()]
    assert len(set(uids)) == len(uids) and len(set(titles)) == len(titles)
    for name, dashboard in dashboards.items():
        assert re.fullmatch(r"[A-Za-z0-9_-]{1,40}", dashboard["uid"]), name
        assert dashboard["title"].strip(), name
        assert dashboard["schemaVersion"] in SCHEMA_VERSIONS, name
        # A provisioned dashboard gets its database id from Grafana.
        assert dashboard.get("id") is None, name
        assert "mlb_assets" in dashboard["tags"], name


def test_panels_use_provisioned_datasources_and_unique_ids() -> None:
    sources = _datasources()
    for name, dashboard in _dashboards().items():
        ids = [panel["id"] for panel in _panels(dashboard)]
        assert len(ids) == len(set(ids)), f"{name}: duplicate panel ids"
        assert all(isinstance(i, int) for i in ids), name
        for panel in _panels(dashboard):
            where = f"{name} panel {panel['id']} {panel.get('title')!r}"
            grid = panel["gridPos"]
            assert grid["x"] >= 0 and grid["w"] > 0 and grid["x"] + grid["w"] <= 24, where
            if panel["type"] == "row":
                continue
            assert panel.get("title", "").strip(), where
            assert panel.get("targets"), f"{where}: no query"
            uid = panel["datasource"]["uid"]
            assert uid in sources, f"{where}: data source {uid!r} is not provisioned"
            assert panel["datasource"]["type"] == sources[uid]["type"], where
            ref_ids = [target["refId"] for target in panel["targets"]]
            assert len(ref_ids) == len(set(ref_ids)), f"{where}: duplicate refIds"
            for target in panel["targets"]:
                assert target.get("datasource", panel["datasource"]) == panel["datasource"], where
        for variable in dashboard.get("templating", {}).get("list", []):
            if "datasource" in variable:
                assert variable["datasource"]["uid"] in sources, f"{name} ${variable['name']}"


def test_panels_do_not_overlap() -> None:
    for name, dashboard in _dashboards().items():
        taken: dict[tuple[int, int], int] = {}
        for panel in dashboard["panels"]:
            grid = panel["gridPos"]
            for x in range(grid["x"], grid["x"] + grid["w"]):
                for y in range(grid["y"], grid["y"] + grid["h"]):
                    other = taken.setdefault((x, y), panel["id"])
                    assert other == panel["id"], f"{name}: panels {other} and {panel['id']}"


def test_each_dashboard_queries_its_data() -> None:
    by_dashboard: dict[str, set[str]] = {}
    for target in _targets(POSTGRES_TYPE) + _targets(PROMETHEUS_TYPE):
        by_dashboard.setdefault(target.dashboard, set()).add(target.datasource_uid)
    assert by_dashboard["betting.json"] == {"mlb_reporting"}
    assert by_dashboard["data_quality.json"] == {"mlb_reporting", "prometheus"}
    assert by_dashboard["pipeline_health.json"] == {"prometheus"}
    sql = " ".join(target.query for target in _targets(POSTGRES_TYPE))
    for view in (
        "roi_daily",
        "bankroll_curve",
        "clv_summary",
        "roi_by_tier",
        "roi_by_market",
        "roi_by_month",
        "calibration",
        "edge_distribution",
        "data_freshness",
        "quarantine_summary",
    ):
        assert f"{REPORTING_SCHEMA}.{view}" in sql, f"no panel reads {view}"


# --- SQL panels -------------------------------------------------------------------------------

_RELATION = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_][\w.]*)\b(?!\s*\()", re.IGNORECASE)
_CTE = re.compile(r"(?:\bWITH|,)\s*([A-Za-z_]\w*)\s+AS\s*\(", re.IGNORECASE)


def relations(query: str) -> set[str]:
    """Tables and views a query reads (after FROM or JOIN), its own CTEs left out."""
    text = re.sub(r"'(?:[^']|'')*'", "''", query)  # no FROM inside a string literal
    return set(_RELATION.findall(text)) - set(_CTE.findall(text))


def test_relations_finds_what_a_query_reads() -> None:
    assert relations("SELECT * FROM bet_ledger AS b JOIN reporting.roi_daily r ON 1=1") == {
        "bet_ledger",
        "reporting.roi_daily",
    }
    assert relations(
        "SELECT EXTRACT(EPOCH FROM now() - t) FROM reporting.x WHERE y = 'FROM z'"
    ) == {"reporting.x"}
    assert relations("WITH d AS (SELECT 1 FROM public.games) SELECT * FROM d") == {"public.games"}


def test_sql_reads_only_reporting_views() -> None:
    targets = _targets(POSTGRES_TYPE)
    assert targets
    queries = [(str(target), target.query) for target in targets]
    queries += [(f"{name} ${variable}", query) for name, variable, query in _sql_variables()]
    for where, query in queries:
        used = relations(query)
        assert used, f"{where}: reads no relation"
        allowed = {f"{REPORTING_SCHEMA}.{view}" for view in REPORTING_VIEWS}
        assert used <= allowed, f"{where} reads {sorted(used - allowed)}"


def _sql_variables() -> list[tuple[str, str, str]]:
    """(dashboard, variable, query) of every template variable filled by a SQL query."""
    sources = _datasources()
    found = []
    for name, dashboard in _dashboards().items():
        for variable in dashboard.get("templating", {}).get("list", []):
            uid = (variable.get("datasource") or {}).get("uid")
            if variable["type"] == "query" and sources.get(uid, {}).get("type") == POSTGRES_TYPE:
                query = variable["query"]
                found.append(
                    (name, variable["name"], query if isinstance(query, str) else query["rawSql"])
                )
    return found


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def _interval_seconds(text: str) -> int:
    match = re.fullmatch(r"'?(\d+)([smhd])'?", text.strip())
    assert match, f"interval {text!r}"
    return int(match.group(1)) * _SECONDS[match.group(2)]


def _epoch(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp())


# Grafana's Postgres macros, expanded as the data source does (pkg/tsdb/grafana-postgresql-
# datasource/macros.go): the forms a query may use.
_MACROS: list[tuple[str, Callable[[re.Match[str]], str]]] = [
    (r"\$__timeFilter\(([^)]+)\)", lambda m: f"{m[1]} BETWEEN '{TIME_FROM}' AND '{TIME_TO}'"),
    (r"\$__timeFrom\(\)", lambda m: f"'{TIME_FROM}'"),
    (r"\$__timeTo\(\)", lambda m: f"'{TIME_TO}'"),
    (r"\$__timeEpoch\(([^)]+)\)", lambda m: f'extract(epoch from {m[1]}) AS "time"'),
    (r"\$__time\(([^)]+)\)", lambda m: f'{m[1]} AS "time"'),
    (
        r"\$__timeGroupAlias\(([^,]+),([^)]+)\)",
        lambda m: (
            f"floor(extract(epoch from {m[1]})/{_interval_seconds(m[2])})"
            f'*{_interval_seconds(m[2])} AS "time"'
        ),
    ),
    (
        r"\$__timeGroup\(([^,]+),([^)]+)\)",
        lambda m: (
            f"floor(extract(epoch from {m[1]})/{_interval_seconds(m[2])})*{_interval_seconds(m[2])}"
        ),
    ),
    (
        r"\$__unixEpochFilter\(([^)]+)\)",
        lambda m: f"{m[1]} >= {_epoch(TIME_FROM)} AND {m[1]} <= {_epoch(TIME_TO)}",
    ),
    (r"\$__unixEpochFrom\(\)", lambda m: str(_epoch(TIME_FROM))),
    (r"\$__unixEpochTo\(\)", lambda m: str(_epoch(TIME_TO))),
]


def expand_sql(query: str, variables: dict[str, list[str]]) -> str:
    """The query Grafana would send: macros expanded, template variables quoted and joined."""
    for pattern, replace in _MACROS:
        query = re.sub(pattern, replace, query)
    for name, values in variables.items():
        rendered = ",".join(_quote(value) for value in values)
        query = re.sub(rf"\$\{{{name}(?::\w+)?\}}|\$\b{name}\b|\[\[{name}\]\]", rendered, query)
    leftover = re.findall(r"\$\{?\w+|\[\[\w+\]\]", query)
    assert not leftover, f"macros or variables left unexpanded: {leftover}"
    return query


def test_expand_sql() -> None:
    expanded = expand_sql(
        "SELECT $__time(d) FROM reporting.x WHERE $__timeFilter(d) AND m IN ($market) "
        "AND n IN (${market}) AND d < $__timeTo()",
        {"market": ["h2h", "o'u"]},
    )
    assert expanded == (
        f"SELECT d AS \"time\" FROM reporting.x WHERE d BETWEEN '{TIME_FROM}' AND '{TIME_TO}' "
        f"AND m IN ('h2h','o''u') AND n IN ('h2h','o''u') AND d < '{TIME_TO}'"
    )
    with pytest.raises(AssertionError, match="unexpanded"):
        expand_sql("SELECT $__unknownMacro(x) FROM reporting.x", {})


@contextmanager
def _bi_login(owner: sa.Engine, url: str) -> Iterator[sa.Engine]:
    """An engine connected as a new login in the BI role; the login is dropped afterwards."""
    login = f"mlb_bi_grafana_{uuid.uuid4().hex[:10]}"
    with owner.begin() as connection:
        ensure_bi_login(connection, login)
    bi = sa.create_engine(make_url(url).set(username=login, password=None))
    try:
        with bi.connect() as connection:
            user, is_member, superuser = connection.exec_driver_sql(
                "SELECT current_user, pg_has_role(current_user, %(role)s, 'MEMBER'), "
                "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)",
                {"role": BI_ROLE},
            ).one()
        assert (user, is_member, superuser) == (login, True, False)
        yield bi
    finally:
        bi.dispose()
        with owner.begin() as connection:
            connection.exec_driver_sql(f'DROP ROLE IF EXISTS "{login}"')


def _variable_values(connection: sa.Connection) -> dict[str, list[str]]:
    """The values Grafana would offer for each SQL template variable, read as ``connection``."""
    values = {}
    for _, name, query in _sql_variables():
        _, rows = _run(connection, expand_sql(query, {}))
        values[name] = [str(row[0]) for row in rows]
    return values


def _run_panels(connection: sa.Connection, variables: dict[str, list[str]]) -> dict[Target, Any]:
    """Each SQL panel's (columns, rows), or the error it raised, as a string."""
    outcomes: dict[Target, Any] = {}
    for target in _targets(POSTGRES_TYPE):
        try:
            outcomes[target] = _run(connection, expand_sql(target.query, variables))
        except sa.exc.DBAPIError as error:
            connection.rollback()
            outcomes[target] = f"{type(error.orig).__name__}: {error.orig}"
    return outcomes


@pytest.mark.postgres
def test_sql_panels_run_as_the_bi_role_and_return_rows(postgres_url: str) -> None:
    owner = loaded_warehouse(postgres_url)
    with _bi_login(owner, postgres_url) as bi, bi.connect() as connection:
        variables = _variable_values(connection)
        assert all(variables.values()), f"a variable offers nothing: {variables}"
        outcomes = _run_panels(connection, variables)
    failures = []
    for target, outcome in outcomes.items():
        if isinstance(outcome, str):
            failures.append(f"{target}: {outcome}")
            continue
        columns, rows = outcome
        if not rows:
            failures.append(f"{target}: no rows")
            continue
        # An aggregate over nothing still returns a row, of NULLs: each column must show
        # something for the fixture.
        empty = [name for i, name in enumerate(columns) if all(row[i] is None for row in rows)]
        if empty:
            failures.append(f"{target}: only NULLs in {empty}")
    assert not failures, "\n".join(failures)
    assert len(outcomes) >= 20


@pytest.mark.postgres
def test_sql_panels_run_on_a_new_empty_warehouse(postgres_url: str) -> None:
    """Before the first bet: no data, but no query error either (an empty variable too)."""
    owner = create_warehouse_engine(postgres_url)
    migrate.upgrade(owner)
    with _bi_login(owner, postgres_url) as bi, bi.connect() as connection:
        variables = _variable_values(connection)
        assert variables and not any(variables.values())
        outcomes = _run_panels(connection, variables)
    errors = [
        f"{target}: {outcome}" for target, outcome in outcomes.items() if isinstance(outcome, str)
    ]
    assert not errors, "\n".join(errors)


def _run(connection: sa.Connection, query: str) -> tuple[list[str], list[sa.Row]]:
    """A query's column names and rows."""
    # No parameters: '%' in a query (to_char patterns, LIKE) is not a placeholder.
    result = connection.exec_driver_sql(query, execution_options={"no_parameters": True})
    return list(result.keys()), list(result.all())


# --- Prometheus panels ------------------------------------------------------------------------

_EXPORTED = {spec.name: set(spec.labels) for spec in METRICS}
_KEYWORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "bool",
    "and",
    "or",
    "unless",
    "offset",
    "inf",
    "nan",
}
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")
_MATCHERS = re.compile(r"\{([^}]*)\}")
_IDENTIFIER = re.compile(r"(?<![\w.:$])([A-Za-z_:][A-Za-z0-9_:]*)\b(?!\s*\()")


def expand_promql(expr: str) -> str:
    for name, value in sorted(PROMETHEUS_INTERVALS.items(), key=lambda kv: -len(kv[0])):
        expr = re.sub(rf"\$\{{{name}\}}|\${name}\b", value, expr)
    leftover = re.findall(r"\$\{?\w+", expr)
    assert not leftover, f"variables left unexpanded: {leftover}"
    return expr


def metric_names(expr: str) -> set[str]:
    """The metric names an expression selects: identifiers that are not functions, keywords,
    label names (in matchers and grouping clauses) or durations."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expand_promql(expr))
    text = _MATCHERS.sub("{}", text)
    text = _GROUPING.sub(" ", text)
    text = re.sub(r"\[[^\]]*\]", "[]", text)
    return {name for name in _IDENTIFIER.findall(text) if name.lower() not in _KEYWORDS}


def label_names(expr: str, legend: str) -> tuple[set[str], set[str]]:
    """(labels the expression names, labels the legend format uses)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    used = set()
    for body in _MATCHERS.findall(text):
        used |= set(re.findall(r"([A-Za-z_]\w*)\s*(?:=~|!~|!=|=)", body))
    for _, body in _GROUPING.findall(text):
        used |= {label.strip() for label in body.split(",") if label.strip()}
    return used, set(re.findall(r"\{\{\s*([A-Za-z_]\w*)\s*\}\}", legend))


def test_metric_and_label_extraction() -> None:
    expr = 'max by (table) (mlb_assets_rows{table!~"x.*"}[$__range]) / on() group_left mlb_typo'
    assert metric_names(expr) == {"mlb_assets_rows", "mlb_typo"}
    assert label_names(expr, "{{table}} {{ job }}") == ({"table"}, {"table", "job"})
    assert metric_names("time() - max(mlb_assets_bankroll) or vector(0)") == {"mlb_assets_bankroll"}


def test_prometheus_panels_use_only_exported_metrics_and_labels() -> None:
    targets = _targets(PROMETHEUS_TYPE)
    assert targets
    used_anywhere: set[str] = set()
    for target in targets:
        names = metric_names(target.query)
        assert names, f"{target}: selects no metric"
        unknown = names - set(_EXPORTED)
        assert not unknown, f"{target}: {sorted(unknown)} not exported by metrics.py"
        used_anywhere |= names
        available = set().union(*(_EXPORTED[name] for name in names)) | TARGET_LABELS
        in_expr, in_legend = label_names(target.query, target.legend)
        assert in_expr <= available, f"{target}: labels {sorted(in_expr - available)} unknown"
        assert in_legend <= available, f"{target}: legend uses {sorted(in_legend - available)}"
        grouped = {
            label.strip()
            for keyword, body in _GROUPING.findall(target.query)
            if keyword == "by"
            for label in body.split(",")
        }
        if grouped:
            # After sum/max by (...), only the grouping labels are left to show.
            assert in_legend <= grouped, f"{target}: legend {sorted(in_legend - grouped)}"
    asked = {
        "mlb_assets_run_duration_seconds",
        "mlb_assets_run_failures",
        "mlb_assets_last_good_backup_timestamp_seconds",
        "mlb_assets_metrics_collected_timestamp_seconds",
        "mlb_assets_odds_api_quota_remaining",
        "mlb_assets_model_log_loss",
        "mlb_assets_rows",
        "mlb_assets_quarantined_rows",
        "mlb_assets_check_failures",
        "mlb_assets_newest_odds_timestamp_seconds",
        "mlb_assets_games_remaining_today",
    }
    assert asked <= used_anywhere, f"no panel shows {sorted(asked - used_anywhere)}"


def _promtool() -> str:
    path = shutil.which("promtool")
    if path is None:
        message = "promtool is not installed (Debian package: prometheus)"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path


def _check_rules(rules: list[dict[str, str]], tmp_path: Path) -> subprocess.CompletedProcess:
    path = tmp_path / "grafana_panels.rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "grafana_panels", "rules": rules}]}))
    return subprocess.run(
        [_promtool(), "check", "rules", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _record_name(target: Target) -> str:
    stem = re.sub(r"\W", "_", target.dashboard.removesuffix(".json"))
    return f"grafana:{stem}:panel_{target.panel_id}_{target.ref_id}"


def test_promtool_parses_every_prometheus_expression(tmp_path: Path) -> None:
    rules = [
        {"record": _record_name(target), "expr": expand_promql(target.query)}
        for target in _targets(PROMETHEUS_TYPE)
    ]
    result = _check_rules(rules, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(rules)} rules found" in result.stdout + result.stderr


def test_promtool_check_rejects_a_broken_expression(tmp_path: Path) -> None:
    broken = [{"record": "grafana:broken", "expr": "max by (table (mlb_assets_rows)"}]
    assert _check_rules(broken, tmp_path).returncode != 0
