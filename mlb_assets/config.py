"""The project's configuration: every environment variable, declared once.

Each field of :class:`Config` is one variable with its type, unit, default, description and
whether it is secret. :func:`load_config` reads the process environment (the only module that
does), validates every value and raises :class:`ConfigError` with one line per bad variable:
its name, its value (masked when secret) and what is allowed. Resources, schedules, sensors,
the command line and the benchmarks are built from a :class:`Config`; ``mlb_assets.lib``
takes explicit arguments and never reads the environment.

An empty variable counts as unset, so ``FOO=`` in a compose file means "the default".
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mlb_assets.lib import settings as lib_settings

Parser = Callable[[str], Any]

# Groups, in the order the README's tables list them.
GROUPS = {
    "core": "Where state lives and which sources feed the graph",
    "live": "Live odds and the MLB schedule",
    "models": "Models: MLflow and H2O",
    "betting": "Staking and the bankroll",
    "operations": "Backups, alerts, metrics and run retention",
    "automation": "Schedules and sensors",
    "benchmarks": "Benchmarks (benchmarks/run.py only)",
}


class ConfigError(ValueError):
    """One line per invalid variable: name, value (masked if secret), what is allowed."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


# --- parsers: each turns the raw text into a value or raises ValueError(what is allowed) ---


def text(raw: str) -> str:
    return raw.strip()


def choice(*options: str) -> Parser:
    def parse(raw: str) -> str:
        value = raw.strip().lower()
        if value not in options:
            raise ValueError(f"one of {', '.join(options)}")
        return value

    parse.allowed = f"one of {', '.join(options)}"  # type: ignore[attr-defined]
    return parse


def number(low: float | None = None, high: float | None = None, *, open_low: bool = False):
    """A float in [low, high] (or (low, high] with ``open_low``)."""
    left = "(" if open_low else "["
    bounds = (
        f"{left}{'-inf' if low is None else f'{low:g}'}, {'inf' if high is None else f'{high:g}'}]"
    )

    def parse(raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ValueError(f"a number in {bounds}") from None
        too_low = low is not None and (value <= low if open_low else value < low)
        if too_low or (high is not None and value > high) or value != value:
            raise ValueError(f"a number in {bounds}")
        return value

    parse.allowed = f"a number in {bounds}"  # type: ignore[attr-defined]
    return parse


def integer(low: int) -> Parser:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"a whole number >= {low}") from None
        if value < low:
            raise ValueError(f"a whole number >= {low}")
        return value

    parse.allowed = f"a whole number >= {low}"  # type: ignore[attr-defined]
    return parse


def path(raw: str) -> Path:
    return Path(raw.strip()).expanduser()


def http_url(raw: str) -> str:
    value = raw.strip()
    try:
        parts = urlsplit(value)
        ok = parts.scheme in {"http", "https"} and bool(parts.hostname)
        parts.port  # noqa: B018 - raises ValueError on a port that is not 0-65535
    except ValueError:
        ok = False
    if not ok:
        raise ValueError("an http(s) URL with a host, e.g. http://127.0.0.1:8765")
    return value.rstrip("/")


def host_url(raw: str) -> str:
    """A URL or a bare ``host:port`` (a Pushgateway may be given either way)."""
    value = raw.strip()
    return http_url(value if "://" in value else f"http://{value}") and value


def sqlalchemy_url(raw: str) -> str:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    value = raw.strip()
    allowed = "a SQLAlchemy URL: sqlite:///PATH or postgresql+psycopg://user:pass@host:5432/db"
    try:
        url = make_url(value)
    except (ArgumentError, ValueError):
        raise ValueError(allowed) from None
    backend = url.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise ValueError(allowed)
    if backend == "postgresql" and not (url.host and url.database):
        raise ValueError(allowed + " (host and database are required)")
    if url.port is not None and not 0 < url.port < 65536:
        raise ValueError(allowed + " (port 1-65535)")
    return value


def any_uri(raw: str) -> str:
    """An MLflow store URI: a URL with a scheme (``http://``, ``sqlite:///``, ``file:``...)."""
    value = raw.strip()
    if not re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", value):
        raise ValueError("a URI with a scheme, e.g. http://mlflow:5000 or sqlite:///PATH")
    return value


def moment(raw: str) -> datetime:
    value = raw.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("an ISO 8601 time with a zone, e.g. 2016-04-04T23:00:00Z") from None
    if parsed.tzinfo is None:
        raise ValueError("an ISO 8601 time with a zone, e.g. 2016-04-04T23:00:00Z")
    return parsed


def memory(raw: str) -> str:
    value = raw.strip()
    if not re.fullmatch(r"\d+[kKmMgGtT]?", value):
        raise ValueError("a Java heap size such as 512m, 2G or 4g")
    return value


def cron(raw: str) -> str:
    from dagster._utils.schedules import is_valid_cron_string

    value = " ".join(raw.split())
    if not is_valid_cron_string(value):
        raise ValueError("a five-field cron string, e.g. */10 9-23 * * *")
    return value


def book_list(raw: str) -> tuple[str, ...]:
    books = tuple(book.strip().lower() for book in raw.split(",") if book.strip())
    if not books:
        raise ValueError("comma-separated book keys, e.g. pinnacle,draftkings")
    return books


def splits_source_name(raw: str) -> str:
    from mlb_assets.lib.splits import SPLITS_SOURCES

    value = raw.strip().lower()
    if value not in SPLITS_SOURCES:
        raise ValueError(f"one of {', '.join(sorted(SPLITS_SOURCES))}")
    return value


def _allowed(parser: Parser) -> str:
    """What a parser accepts, for the documentation (from its error on an impossible value)."""
    known = getattr(parser, "allowed", None)
    if known:
        return known
    try:
        parser("\x00not a value\x00")
    except ValueError as error:
        return str(error)
    except Exception:
        return ""
    return "any text"


def setting(
    env: str,
    default: Any,
    parse: Parser,
    description: str,
    *,
    group: str,
    unit: str = "",
    secret: bool = False,
    shown_default: str | None = None,
) -> Any:
    """A field of :class:`Config` bound to the environment variable ``env``."""
    metadata = {
        "env": env,
        "parse": parse,
        "description": description,
        "group": group,
        "unit": unit,
        "secret": secret,
        "shown_default": shown_default,
    }
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Variable:
    """One declared variable, as the documentation and ``mlb-assets config`` show it."""

    name: str
    env: str
    default: Any
    shown_default: str
    description: str
    group: str
    unit: str
    secret: bool
    allowed: str
    parse: Parser


@dataclass(frozen=True)
class Config:
    """The effective configuration: typed values, each from its variable or its default."""

    # --- core -------------------------------------------------------------------------------
    home: Path = setting(
        "MLB_ASSETS_HOME",
        Path("~/.mlb_assets"),
        path,
        "local state: embedded warehouse, Dagster instance, MLflow store, caches, archives",
        group="core",
        shown_default="~/.mlb_assets",
    )
    database_url: str | None = setting(
        "MLB_ASSETS_DATABASE_URL",
        None,
        sqlalchemy_url,
        "warehouse; postgresql+psycopg://user:password@host:5432/db for Postgres",
        group="core",
        secret=True,
        shown_default="sqlite:///$MLB_ASSETS_HOME/warehouse.sqlite",
    )
    archive_dir: Path | None = setting(
        "MLB_ASSETS_ARCHIVE_DIR",
        None,
        path,
        "local mirror of the public archives (holds cran-pinnacle.data/, sbr/, retrosheet/)",
        group="core",
        shown_default="unset (download into $MLB_ASSETS_HOME/archives)",
    )
    odds_source: str = setting(
        "MLB_ASSETS_ODDS_SOURCE",
        "archive",
        choice("archive", "odds_api"),
        "archive (public archives) or odds_api (The Odds API and the MLB Stats API)",
        group="core",
    )
    sql_dir: Path | None = setting(
        "MLB_ASSETS_SQL_DIR",
        None,
        path,
        "where the Postgres DDL and reporting SQL are (set in the container images)",
        group="core",
        shown_default="the repository's sql/",
    )
    # --- live -------------------------------------------------------------------------------
    odds_api_key: str | None = setting(
        "ODDS_API_KEY",
        None,
        text,
        "The Odds API key",
        group="live",
        secret=True,
        shown_default="unset",
    )
    odds_api_base_url: str = setting(
        "ODDS_API_BASE_URL",
        "https://api.the-odds-api.com",
        http_url,
        "The Odds API; point at `mlb-assets replay-server` to replay",
        group="live",
    )
    odds_api_bookmakers: tuple[str, ...] | None = setting(
        "ODDS_API_BOOKMAKERS",
        None,
        book_list,
        "comma-separated bookmaker keys to request (instead of a whole region)",
        group="live",
        shown_default="unset (region us)",
    )
    odds_api_quota_floor: int = setting(
        "ODDS_API_QUOTA_FLOOR",
        50,
        integer(0),
        "refuse a request that would leave fewer credits than this",
        group="live",
        unit="credits",
    )
    mlb_stats_base_url: str = setting(
        "MLB_STATS_BASE_URL",
        "https://statsapi.mlb.com",
        http_url,
        "MLB Stats API",
        group="live",
    )
    now: datetime | None = setting(
        "MLB_ASSETS_NOW",
        None,
        moment,
        'a fixed "now" for replays (ISO 8601 with zone)',
        group="live",
        shown_default="unset (wall clock)",
    )
    clock_url: str | None = setting(
        "MLB_ASSETS_CLOCK_URL",
        None,
        http_url,
        'read "now" from a replay server\'s clock (`http://127.0.0.1:8765/_replay/clock`), '
        "for replays whose clock runs",
        group="live",
        shown_default="unset (wall clock)",
    )
    historical_interval_minutes: int = setting(
        "MLB_ASSETS_HISTORICAL_INTERVAL_MINUTES",
        60,
        integer(1),
        "spacing of historical snapshots when a past date is walked",
        group="live",
        unit="minutes",
    )
    splits_source: str = setting(
        "MLB_ASSETS_SPLITS_SOURCE",
        "none",
        splits_source_name,
        "public betting-splits source; none ships, so split features are null",
        group="live",
    )
    # --- models -----------------------------------------------------------------------------
    mlflow_tracking_uri: str | None = setting(
        "MLFLOW_TRACKING_URI",
        None,
        any_uri,
        "MLflow tracking server or store",
        group="models",
        secret=True,
        shown_default="unset (SQLite in $MLB_ASSETS_HOME/mlflow)",
    )
    mlflow_registry_uri: str | None = setting(
        "MLFLOW_REGISTRY_URI",
        None,
        any_uri,
        "MLflow model registry",
        group="models",
        secret=True,
        shown_default="unset (the tracking URI)",
    )
    h2o_url: str | None = setting(
        "H2O_URL",
        None,
        http_url,
        "an existing H2O cluster",
        group="models",
        shown_default="unset (a local JVM per process)",
    )
    h2o_max_mem: str = setting(
        "MLB_ASSETS_H2O_MAX_MEM",
        "2G",
        memory,
        "heap of a run's own H2O JVM and of the MOJO scorer",
        group="models",
        unit="bytes",
    )
    cuda_visible_devices: str | None = setting(
        "CUDA_VISIBLE_DEVICES",
        None,
        text,
        "GPUs this process may use (the CUDA convention; empty or -1 hides them)",
        group="models",
        shown_default="unset (every GPU)",
    )
    # --- betting ----------------------------------------------------------------------------
    kelly_fraction: float = setting(
        "KELLY_FRACTION",
        0.25,
        number(0, 1, open_low=True),
        "share of the full Kelly stake",
        group="betting",
        unit="fraction",
    )
    max_bet_percent: float = setting(
        "MAX_BET_PERCENT",
        2.0,
        number(0, 100, open_low=True),
        "cap per bet",
        group="betting",
        unit="percent of the bankroll",
    )
    min_edge_threshold: float = setting(
        "MIN_EDGE_THRESHOLD",
        0.03,
        number(0, 1),
        "minimum edge (model − no-vig market probability) to bet",
        group="betting",
        unit="probability",
    )
    tier_a: float = setting(
        "SIGNAL_TIER_A",
        0.65,
        number(0, 1),
        "tier A from this model probability",
        group="betting",
        unit="probability",
    )
    tier_b: float = setting(
        "SIGNAL_TIER_B",
        0.60,
        number(0, 1),
        "tier B from this model probability",
        group="betting",
        unit="probability",
    )
    tier_c: float = setting(
        "SIGNAL_TIER_C",
        0.55,
        number(0, 1),
        "tier C from this model probability",
        group="betting",
        unit="probability",
    )
    starting_bankroll: float = setting(
        "STARTING_BANKROLL",
        10_000.0,
        number(0, None, open_low=True),
        "bankroll before the first bet",
        group="betting",
        unit="money",
    )
    betting_books: tuple[str, ...] | None = setting(
        "BETTING_BOOKS",
        None,
        book_list,
        "comma-separated books whose prices may be taken",
        group="betting",
        shown_default="every book",
    )
    reference_book: str = setting(
        "REFERENCE_BOOK",
        "pinnacle",
        text,
        "book whose no-vig line is the market probability (mean of all books without it)",
        group="betting",
    )
    novig_method: str = setting(
        "NOVIG_METHOD",
        "mult",
        choice("mult", "shin"),
        "which no-vig probability the edge uses",
        group="betting",
    )
    gate_max_log_loss_diff: float = setting(
        "MLB_ASSETS_GATE_MAX_LOG_LOSS_DIFF",
        0.0,
        number(),
        "money is staked on a model only while the upper bound of the 95% interval of its "
        "out-of-sample log-loss minus the market's is below this; else paper picks",
        group="betting",
        unit="log-loss",
    )
    # --- operations -------------------------------------------------------------------------
    backup_dir: Path | None = setting(
        "MLB_ASSETS_BACKUP_DIR",
        None,
        path,
        "backup sets",
        group="operations",
        shown_default="$MLB_ASSETS_HOME/backups",
    )
    backup_keep_daily: int = setting(
        "MLB_ASSETS_BACKUP_KEEP_DAILY",
        7,
        integer(1),
        "daily backup sets kept",
        group="operations",
        unit="sets",
    )
    backup_keep_weekly: int = setting(
        "MLB_ASSETS_BACKUP_KEEP_WEEKLY",
        4,
        integer(1),
        "weekly backup sets kept",
        group="operations",
        unit="sets",
    )
    mlflow_backend_url: str | None = setting(
        "MLB_ASSETS_MLFLOW_BACKEND_URL",
        None,
        sqlalchemy_url,
        "an MLflow server's backend database, to back up",
        group="operations",
        secret=True,
        shown_default="unset (the embedded store)",
    )
    mlflow_artifacts_dir: Path | None = setting(
        "MLB_ASSETS_MLFLOW_ARTIFACTS_DIR",
        None,
        path,
        "an MLflow server's artifact folder, to back up",
        group="operations",
        shown_default="unset (the embedded store)",
    )
    alert_sink: str = setting(
        "MLB_ASSETS_ALERT_SINK",
        "log",
        choice("log", "slack", "webhook"),
        "where alerts go",
        group="operations",
    )
    slack_webhook_url: str | None = setting(
        "SLACK_WEBHOOK_URL",
        None,
        http_url,
        "Slack incoming webhook (alert sink slack)",
        group="operations",
        secret=True,
        shown_default="unset",
    )
    alert_webhook_url: str | None = setting(
        "MLB_ASSETS_ALERT_WEBHOOK_URL",
        None,
        http_url,
        "generic JSON webhook (alert sink webhook)",
        group="operations",
        secret=True,
        shown_default="unset",
    )
    alert_webhook_token: str | None = setting(
        "MLB_ASSETS_ALERT_WEBHOOK_TOKEN",
        None,
        text,
        "bearer token for the webhook",
        group="operations",
        secret=True,
        shown_default="unset",
    )
    dagster_url: str = setting(
        "MLB_ASSETS_DAGSTER_URL",
        "http://localhost:3000",
        http_url,
        "base of the run links in alerts",
        group="operations",
    )
    pushgateway_url: str | None = setting(
        "MLB_ASSETS_PUSHGATEWAY_URL",
        None,
        host_url,
        "Prometheus Pushgateway for the metrics",
        group="operations",
        secret=True,
        shown_default="unset (text file)",
    )
    metrics_textfile: Path | None = setting(
        "MLB_ASSETS_METRICS_TEXTFILE",
        None,
        path,
        "metrics file when no Pushgateway",
        group="operations",
        shown_default="$MLB_ASSETS_HOME/metrics/mlb_assets.prom",
    )
    run_retention_days: int = setting(
        "MLB_ASSETS_RUN_RETENTION_DAYS",
        90,
        integer(7),
        "finished Dagster runs older than this are purged by run_retention",
        group="operations",
        unit="days",
    )
    # One book's bad market on a day of many books is well under 2% of the day's quotes (the
    # 2016 archive has none); a whole book gone wrong (1 of 9) warns; a fifth or more means
    # the feed or normalization is broken and the date's odds are blocked.
    quarantine_warn_share: float = setting(
        "MLB_ASSETS_QUARANTINE_WARN_SHARE",
        0.02,
        number(0.0, 1.0),
        "odds_snapshots quality check warns when normalization quarantined more than this "
        "share of a date's quotes",
        group="operations",
        unit="fraction",
    )
    quarantine_error_share: float = setting(
        "MLB_ASSETS_QUARANTINE_ERROR_SHARE",
        0.20,
        number(0.0, 1.0),
        "odds_snapshots quality check fails (blocking downstream assets) above this share",
        group="operations",
        unit="fraction",
    )
    bi_password: str | None = setting(
        "MLB_ASSETS_BI_PASSWORD",
        None,
        text,
        "password `mlb-assets bi-user` sets",
        group="operations",
        secret=True,
        shown_default="unset (no password)",
    )
    # --- automation (America/New_York) ------------------------------------------------------
    odds_poll_cron: str = setting(
        "MLB_ASSETS_ODDS_POLL_CRON",
        "*/10 9-23 * * *",
        cron,
        "odds_polling_schedule",
        group="automation",
    )
    schedule_refresh_cron: str = setting(
        "MLB_ASSETS_SCHEDULE_REFRESH_CRON",
        "0 8 * * *",
        cron,
        "morning_schedule_refresh",
        group="automation",
    )
    picks_cron: str = setting(
        "MLB_ASSETS_PICKS_CRON",
        "5 10-22 * * *",
        cron,
        "daily_picks_schedule",
        group="automation",
    )
    freshness_cron: str = setting(
        "MLB_ASSETS_FRESHNESS_CRON",
        "*/10 9-23 * * *",
        cron,
        "odds_freshness_schedule",
        group="automation",
    )
    settlement_cron: str = setting(
        "MLB_ASSETS_SETTLEMENT_CRON",
        "0 2 * * *",
        cron,
        "nightly_settlement_schedule",
        group="automation",
    )
    backup_cron: str = setting(
        "MLB_ASSETS_BACKUP_CRON",
        "30 3 * * *",
        cron,
        "nightly_backup_schedule",
        group="automation",
    )
    retrain_cron: str = setting(
        "MLB_ASSETS_RETRAIN_CRON",
        "0 5 * * 1",
        cron,
        "weekly_retraining_schedule",
        group="automation",
    )
    run_retention_cron: str = setting(
        "MLB_ASSETS_RUN_RETENTION_CRON",
        "0 4 * * *",
        cron,
        "nightly_run_retention_schedule",
        group="automation",
    )
    settlement_sensor_seconds: int = setting(
        "MLB_ASSETS_SETTLEMENT_SENSOR_SECONDS",
        300,
        integer(5),
        "settlement_sensor interval",
        group="automation",
        unit="seconds",
    )
    stale_odds_sensor_seconds: int = setting(
        "MLB_ASSETS_STALE_ODDS_SENSOR_SECONDS",
        600,
        integer(5),
        "stale_odds_sensor interval",
        group="automation",
        unit="seconds",
    )
    # --- benchmarks -------------------------------------------------------------------------
    bench_database_url: str = setting(
        "MLB_ASSETS_BENCH_DATABASE_URL",
        "postgresql+psycopg://postgres@127.0.0.1:5432/test",
        sqlalchemy_url,
        "Postgres server for the benchmarks' scratch databases",
        group="benchmarks",
        secret=True,
    )
    bench_train_seconds: int = setting(
        "MLB_ASSETS_BENCH_TRAIN_SECONDS",
        60,
        integer(1),
        "training benchmark budget",
        group="benchmarks",
        unit="seconds per engine",
    )
    bench_eval_seconds: int = setting(
        "MLB_ASSETS_BENCH_EVAL_SECONDS",
        15,
        integer(1),
        "betting benchmark budget per monthly walk-forward fit",
        group="benchmarks",
        unit="seconds per engine and month",
    )
    bench_history_from: int = setting(
        "MLB_ASSETS_BENCH_HISTORY_FROM",
        2010,
        integer(2000),
        "first season the betting benchmark loads as history",
        group="benchmarks",
        unit="season",
    )
    bench_scale_start: str = setting(
        "MLB_ASSETS_BENCH_SCALE_START",
        "2016-05-01",
        text,
        "first date of the scale week",
        group="benchmarks",
    )
    bench_scale_end: str = setting(
        "MLB_ASSETS_BENCH_SCALE_END",
        "2016-05-07",
        text,
        "last date of the scale week",
        group="benchmarks",
    )
    bench_scales: str = setting(
        "MLB_ASSETS_BENCH_SCALES",
        "1,10,100",
        text,
        "book counts the scale benchmark runs",
        group="benchmarks",
    )
    bench_scale_chunk_days: int = setting(
        "MLB_ASSETS_BENCH_SCALE_CHUNK_DAYS",
        1,
        integer(1),
        "days per scale run",
        group="benchmarks",
        unit="days",
    )
    bench_bi_books: int = setting(
        "MLB_ASSETS_BENCH_BI_BOOKS",
        100,
        integer(1),
        "books in the BI benchmark warehouse",
        group="benchmarks",
    )
    bench_bi_reads: int = setting(
        "MLB_ASSETS_BENCH_BI_READS",
        50,
        integer(1),
        "reads per reporting view",
        group="benchmarks",
    )

    origins: Mapping[str, str] = field(default_factory=dict, compare=False, repr=False)

    # --- derived values: one place computes each ---------------------------------------------

    @property
    def home_path(self) -> Path:
        """The state directory, absolute (created by the code that writes into it)."""
        return self.home.expanduser().resolve()

    @property
    def warehouse_url(self) -> str:
        return self.database_url or lib_settings.embedded_database_url(self.home_path)

    @property
    def effective_backup_dir(self) -> Path:
        return (self.backup_dir or self.home_path / "backups").expanduser()

    @property
    def effective_metrics_textfile(self) -> Path:
        return (
            self.metrics_textfile or self.home_path / "metrics" / "mlb_assets.prom"
        ).expanduser()

    def with_values(self, **values: Any) -> Config:
        """This configuration with ``values`` given on the command line."""
        origins = {**self.origins, **dict.fromkeys(values, "command line")}
        return dataclasses.replace(self, **values, origins=origins)

    def origin(self, name: str) -> str:
        return self.origins.get(name, "default")

    def is_set(self, name: str) -> bool:
        return self.origin(name) == "environment"


def variables() -> list[Variable]:
    """Every declared variable, in declaration order."""
    found = []
    for item in dataclasses.fields(Config):
        meta = item.metadata
        if "env" not in meta:
            continue
        default = item.default
        shown = meta["shown_default"]
        if shown is None:
            shown = _show_default(default)
        found.append(
            Variable(
                name=item.name,
                env=meta["env"],
                default=default,
                shown_default=shown,
                description=meta["description"],
                group=meta["group"],
                unit=meta["unit"],
                secret=meta["secret"],
                allowed=_allowed(meta["parse"]),
                parse=meta["parse"],
            )
        )
    return found


def _show_default(value: Any) -> str:
    if value is None:
        return "unset"
    if isinstance(value, float) and value.is_integer():
        return f"{value:g}"
    return str(value)


def variable(name_or_env: str) -> Variable:
    for item in variables():
        if name_or_env in (item.name, item.env):
            return item
    raise KeyError(name_or_env)


def default(name: str) -> Any:
    """The declared default of field ``name`` (resources take their defaults from here)."""
    return variable(name).default


def mask(value: str) -> str:
    """A secret as it may be shown: a URL keeps its scheme and host, anything else ``***``."""
    try:
        parts = urlsplit(value)
        port = f":{parts.port}" if parts.port else ""
    except ValueError:  # also a port that is not a number in 0-65535
        return "***"
    if parts.scheme and parts.hostname:
        return f"{parts.scheme}://***@{parts.hostname}{port}/***"
    if parts.scheme == "sqlite" or value.startswith("sqlite:"):
        return value
    return "***"


def shown(item: Variable, value: Any) -> str:
    """How ``mlb-assets config`` prints a value: secrets masked, tuples comma-joined."""
    if value is None:
        return "(unset)"
    if isinstance(value, tuple):
        value = ",".join(value)
    return mask(str(value)) if item.secret else str(value)


def load_config(environ: Mapping[str, str] | None = None) -> Config:
    """The configuration ``environ`` (default: this process's environment) describes.

    Raises:
        ConfigError: one line per invalid variable.
    """
    source = os.environ if environ is None else environ
    values: dict[str, Any] = {}
    origins: dict[str, str] = {}
    problems: list[str] = []
    for item in variables():
        raw = source.get(item.env, "")
        if not raw.strip():
            continue
        try:
            values[item.name] = item.parse(raw)
        except ValueError as error:
            given = mask(raw) if item.secret else repr(raw)
            problems.append(f"{item.env}={given} is not valid: expected {error}")
            continue
        origins[item.name] = "environment"
    if problems:
        raise ConfigError(problems)
    config = Config(**values, origins=origins)
    problems = _cross_checks(config)
    if problems:
        raise ConfigError(problems)
    return config


def _cross_checks(config: Config) -> list[str]:
    """Rules between variables; each line names the variables involved."""
    problems = []
    if not config.tier_a >= config.tier_b >= config.tier_c:
        problems.append(
            f"SIGNAL_TIER_A={config.tier_a:g}, SIGNAL_TIER_B={config.tier_b:g}, "
            f"SIGNAL_TIER_C={config.tier_c:g} are not valid: expected A >= B >= C"
        )
    if config.quarantine_warn_share > config.quarantine_error_share:
        problems.append(
            f"MLB_ASSETS_QUARANTINE_WARN_SHARE={config.quarantine_warn_share:g} and "
            f"MLB_ASSETS_QUARANTINE_ERROR_SHARE={config.quarantine_error_share:g} are not "
            "valid: expected WARN <= ERROR"
        )
    if config.now is not None and config.clock_url is not None:
        problems.append(
            "MLB_ASSETS_NOW and MLB_ASSETS_CLOCK_URL are both set: expected at most one "
            'source of "now"'
        )
    if config.alert_sink == "slack" and not config.slack_webhook_url:
        problems.append(
            "MLB_ASSETS_ALERT_SINK='slack' is not valid: expected SLACK_WEBHOOK_URL to be set"
        )
    if config.alert_sink == "webhook" and not config.alert_webhook_url:
        problems.append(
            "MLB_ASSETS_ALERT_SINK='webhook' is not valid: expected "
            "MLB_ASSETS_ALERT_WEBHOOK_URL to be set"
        )
    return problems


# Fields whose default depends on another variable: what the default resolves to.
_EFFECTIVE = {
    "database_url": "warehouse_url",
    "backup_dir": "effective_backup_dir",
    "metrics_textfile": "effective_metrics_textfile",
}


def describe(config: Config) -> Iterator[tuple[Variable, str, str]]:
    """Each variable with its shown value and where it came from (environment or default);
    a default that depends on another variable is shown resolved."""
    for item in variables():
        value = getattr(config, item.name)
        if value is None and item.name in _EFFECTIVE:
            value = getattr(config, _EFFECTIVE[item.name])
        yield item, shown(item, value), config.origin(item.name)


def _serving_code() -> bool:
    """Whether this process is a Dagster code server (``dagster api grpc``: what `dagster
    dev`, the daemon and the Compose stack run), which reports load errors to the UI."""
    return "grpc" in sys.argv[1:3] or "code-server" in sys.argv[1:3]


@functools.cache
def current() -> Config:
    """This process's configuration, read once (definitions, schedules, sensors, benchmarks).

    An invalid configuration stops the process with one line per bad variable: a command
    (`dagster asset materialize`, a benchmark) exits with them, since a traceback through
    Dagster's loader would bury them; a code server raises :class:`ConfigError`, so that the
    UI shows them as the code location's load error.
    """
    try:
        return load_config()
    except ConfigError as error:
        if _serving_code():
            raise ConfigError(error.problems) from None
        raise SystemExit(f"mlb_assets: invalid configuration: {error}") from None


# --- the process: the only other place that touches os.environ ----------------------------


def child_environment(extra: Mapping[str, str]) -> dict[str, str]:
    """This process's environment plus ``extra``, for a child process (``dagster dev``)."""
    return {**os.environ, **extra}


@contextlib.contextmanager
def process_environment(**values: str) -> Iterator[None]:
    """Set variables for this process and its children for a while (benchmarks give their
    JVMs a scratch TMPDIR), then put back what was there."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def prepare_process(config: Config) -> None:
    """Settings that live in the process rather than in a resource, applied once per process:
    where the SQL files are, the MOJO scorer's heap, and quiet third-party libraries."""
    from mlb_assets.lib.models import h2o_engine, pyfunc

    if config.sql_dir is not None:
        lib_settings.set_sql_dir(config.sql_dir)
    h2o_engine.set_scoring_heap(config.h2o_max_mem)
    pyfunc.set_cuda_visible_devices(config.cuda_visible_devices)
    # Great Expectations reports usage over the network unless told not to; MLflow draws a
    # progress bar per artifact download.
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")
