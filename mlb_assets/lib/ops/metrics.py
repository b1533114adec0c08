"""Operational metrics for Prometheus: one snapshot, exported as gauges.

A sensor gathers a :class:`MetricsSnapshot` (row counts, failing checks, run durations, model
log-loss, ROI, the betting gate per model, bankroll, backup and odds freshness) and
:func:`publish` ships it either to a Prometheus Pushgateway (production) or to a textfile
for the node exporter's textfile collector (embedded default). Every publish builds a fresh,
dedicated :class:`~prometheus_client.CollectorRegistry`, so nothing leaks between snapshots
and the process-global registry is never touched.

Only the fields a snapshot sets are exported. With the Pushgateway's PUT semantics a field
left unset therefore disappears from the group; the alert rules in
``deploy/prometheus/rules/mlb_assets.rules.yml`` rely on the gauge names in :data:`METRICS`.

Per-job gauges label the Dagster job ``dagster_job``, not ``job``: ``job`` is the Pushgateway's
grouping label (and Prometheus's target label), which would overwrite a metric's own ``job``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from prometheus_client import CollectorRegistry, Gauge, push_to_gateway, write_to_textfile
from prometheus_client.exposition import basic_auth_handler, default_handler

from mlb_assets.lib.ops.alerts import mask_url, redact

PUSHGATEWAY_URL_ENV = "MLB_ASSETS_PUSHGATEWAY_URL"
TEXTFILE_ENV = "MLB_ASSETS_METRICS_TEXTFILE"


@dataclass(frozen=True)
class MetricSpec:
    """A gauge: the snapshot field it comes from, its name, help text and label names."""

    field: str
    name: str
    help: str
    labels: tuple[str, ...] = ()


METRICS: tuple[MetricSpec, ...] = (
    MetricSpec(
        "rows_ingested",
        "mlb_assets_rows",
        "Rows currently stored in a warehouse table.",
        ("table",),
    ),
    MetricSpec(
        "rows_quarantined",
        "mlb_assets_quarantined_rows",
        "Input rows an asset set aside in quarantine instead of loading.",
        ("asset",),
    ),
    MetricSpec(
        "odds_api_quota_remaining",
        "mlb_assets_odds_api_quota_remaining",
        "Requests left in The Odds API quota (x-requests-remaining of the latest response).",
    ),
    MetricSpec(
        "check_failures",
        "mlb_assets_check_failures",
        "Partitions whose latest evaluation of an asset check failed.",
        ("asset", "check"),
    ),
    MetricSpec(
        "run_durations",
        "mlb_assets_run_duration_seconds",
        "Wall-clock seconds of a Dagster job's last finished run.",
        ("dagster_job",),
    ),
    MetricSpec(
        "run_failures",
        "mlb_assets_run_failures",
        "Failed runs of a Dagster job within the collector's lookback window.",
        ("dagster_job",),
    ),
    MetricSpec(
        "model_log_loss",
        "mlb_assets_model_log_loss",
        "Walk-forward (out-of-sample) log-loss of a model; predictor 'market' is the no-vig "
        "baseline to beat.",
        ("model", "predictor"),
    ),
    MetricSpec(
        "roi",
        "mlb_assets_roi",
        "Return on investment of settled bets (profit / stake) for a scope such as all or tier:A.",
        ("scope",),
    ),
    MetricSpec(
        "betting_gate_open",
        "mlb_assets_betting_gate_open",
        "1 while money is staked on a model's picks (its out-of-sample evidence shows an edge "
        "over the market), 0 while they are paper picks only.",
        ("model",),
    ),
    MetricSpec("bankroll", "mlb_assets_bankroll", "Current bankroll in units of account."),
    MetricSpec(
        "drawdown",
        "mlb_assets_drawdown",
        "Current drawdown from the bankroll's peak as a negative fraction (-0.12 is 12% down).",
    ),
    MetricSpec(
        "last_good_backup_timestamp",
        "mlb_assets_last_good_backup_timestamp_seconds",
        "Unix time of the newest backup that was restored and verified.",
    ),
    MetricSpec(
        "newest_odds_timestamp",
        "mlb_assets_newest_odds_timestamp_seconds",
        "Unix time at which the newest stored odds snapshot was captured.",
    ),
    MetricSpec(
        "games_remaining_today",
        "mlb_assets_games_remaining_today",
        "Games today (America/New_York) that have not started yet.",
    ),
    MetricSpec(
        "collected_at",
        "mlb_assets_metrics_collected_timestamp_seconds",
        "Unix time at which this snapshot of metrics was collected.",
    ),
)


@dataclass
class MetricsSnapshot:
    """Operational state at one moment; every field but ``collected_at`` is optional."""

    rows_ingested: dict[str, int] = field(default_factory=dict)
    rows_quarantined: dict[str, int] = field(default_factory=dict)
    odds_api_quota_remaining: float | None = None
    check_failures: dict[tuple[str, str], int] = field(default_factory=dict)
    run_durations: dict[str, float] = field(default_factory=dict)
    run_failures: dict[str, int] = field(default_factory=dict)
    model_log_loss: dict[tuple[str, str], float] = field(default_factory=dict)
    roi: dict[str, float] = field(default_factory=dict)
    betting_gate_open: dict[str, int] = field(default_factory=dict)
    bankroll: float | None = None
    drawdown: float | None = None
    last_good_backup_timestamp: float | None = None
    newest_odds_timestamp: float | None = None
    games_remaining_today: int | None = None
    collected_at: float = field(default_factory=time.time)


class MetricsPublishError(RuntimeError):
    """Publishing failed; the message never carries the gateway's credentials or path."""


def registry_for(snapshot: MetricsSnapshot) -> CollectorRegistry:
    """A fresh registry holding one gauge per field the snapshot sets."""
    registry = CollectorRegistry(auto_describe=True)
    for spec in METRICS:
        value = getattr(snapshot, spec.field)
        if value is None or (isinstance(value, dict) and not value):
            continue
        gauge = Gauge(spec.name, spec.help, spec.labels, registry=registry)
        if not spec.labels:
            gauge.set(float(value))
            continue
        for key, number in sorted(value.items()):
            label_values = key if isinstance(key, tuple) else (key,)
            gauge.labels(*(str(v) for v in label_values)).set(float(number))
    return registry


def publish(
    snapshot: MetricsSnapshot,
    *,
    gateway_url: str | None = None,
    textfile: Path | None = None,
    job: str = "mlb_assets",
    grouping: Mapping[str, str] | None = None,
    timeout: float = 10.0,
) -> str:
    """Push the snapshot to a Pushgateway, or else write it to a textfile.

    A push uses PUT, so it replaces every metric previously pushed under the same job and
    grouping key. Returns ``"pushgateway"`` or the textfile's path.
    """
    registry = registry_for(snapshot)
    if gateway_url:
        _push(registry, gateway_url, job=job, grouping=grouping, timeout=timeout)
        return "pushgateway"
    if textfile is not None:
        path = Path(textfile)
        path.parent.mkdir(parents=True, exist_ok=True)
        # write_to_textfile writes a temporary file beside the target and renames it, so the
        # textfile collector never reads half a file.
        write_to_textfile(str(path), registry)
        return str(path)
    raise ValueError("no metrics destination: give a Pushgateway URL or a textfile path")


def publish_from_env(
    snapshot: MetricsSnapshot,
    env: Mapping[str, str],
    default_textfile: Path | None = None,
) -> str:
    """:func:`publish` to ``MLB_ASSETS_PUSHGATEWAY_URL`` or ``MLB_ASSETS_METRICS_TEXTFILE``.

    Without either variable the caller's ``default_textfile`` is used (for example
    ``$MLB_ASSETS_HOME/metrics/mlb_assets.prom``); with none of the three it is a ValueError.
    """
    gateway_url = env.get(PUSHGATEWAY_URL_ENV, "").strip() or None
    raw_textfile = env.get(TEXTFILE_ENV, "").strip()
    textfile = Path(raw_textfile).expanduser() if raw_textfile else default_textfile
    if gateway_url is None and textfile is None:
        raise ValueError(f"set {PUSHGATEWAY_URL_ENV} or {TEXTFILE_ENV} to publish metrics")
    return publish(snapshot, gateway_url=gateway_url, textfile=textfile)


def _push(
    registry: CollectorRegistry,
    gateway_url: str,
    *,
    job: str,
    grouping: Mapping[str, str] | None,
    timeout: float,
) -> None:
    if "://" not in gateway_url:
        gateway_url = f"http://{gateway_url}"  # "pushgateway:9091", as prometheus_client allows
    gateway, handler = _gateway_and_handler(gateway_url)
    error: MetricsPublishError | None = None
    try:
        push_to_gateway(
            gateway,
            job=job,
            registry=registry,
            grouping_key=dict(grouping or {}),
            timeout=timeout,
            handler=handler,
        )
    except Exception as exc:  # urllib raises several unrelated types; all mean "not pushed"
        detail = redact(f"{type(exc).__name__}: {exc}", gateway_url)
        error = MetricsPublishError(f"push to {mask_url(gateway_url)} failed: {detail}")
    if error is not None:
        # Raised outside the except block so the original exception, whose text may hold the
        # URL, is not chained onto it and printed with the traceback.
        raise error


def _gateway_and_handler(gateway_url: str) -> tuple[str, Callable[..., Callable[[], None]]]:
    """The gateway URL without credentials, and a handler that sends them as basic auth.

    urllib cannot use ``user:password@`` in a URL itself, and a URL with credentials must not
    reach error messages.
    """
    parts = urlsplit(gateway_url)
    if not parts.username:
        return gateway_url, default_handler
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    bare = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    username, password = unquote(parts.username), unquote(parts.password or "")

    def handler(
        url: str, method: str, timeout: float | None, headers: list, data: bytes
    ) -> Callable[[], None]:
        return basic_auth_handler(url, method, timeout, headers, data, username, password)

    return bare, handler
