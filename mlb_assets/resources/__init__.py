"""Resources shared by every domain, built from the one declared configuration.

Plain values come from :class:`mlb_assets.config.Config`, already validated and typed. Secrets
(and URLs that may carry a password) reach Dagster as ``dg.EnvVar`` so that their values are
resolved in the run's process and never shown in the UI or stored in run configuration.
"""

from __future__ import annotations

import dagster as dg

from mlb_assets.config import Config, load_config, variable
from mlb_assets.resources.archive import ArchiveResource
from mlb_assets.resources.betting import BettingResource
from mlb_assets.resources.live import (
    BettingSplitsResource,
    IngestionResource,
    MlbStatsResource,
    OddsApiResource,
)
from mlb_assets.resources.models import H2OResource, MlflowResource
from mlb_assets.resources.operations import OperationsResource
from mlb_assets.resources.warehouse import WarehouseResource


def secret(config: Config, name: str, *, in_dagster: bool = True) -> dg.EnvVar | str | None:
    """A secret field as a resource value: ``dg.EnvVar`` when it came from its variable and
    the resource goes into Dagster (so the value is resolved in the run and never shown), the
    value itself otherwise (given on the command line, or a resource used outside a run),
    None when unset (Dagster fails on an ``EnvVar`` that is unset)."""
    value = getattr(config, name)
    if value is None:
        return None
    if in_dagster and config.is_set(name):
        return dg.EnvVar(variable(name).env)
    return str(value)


def _text(value: object | None) -> str | None:
    return None if value is None else str(value)


def _given(**values: object) -> dict[str, object]:
    """Only the fields that have a value: the resources' own defaults are the declared ones."""
    return {name: value for name, value in values.items() if value is not None}


def build_resources(
    config: Config | None = None, *, in_dagster: bool = True
) -> dict[str, dg.ConfigurableResource]:
    """Every resource the definitions use, configured by ``config`` (default: the
    environment). ``in_dagster=False`` gives secrets as values, for use outside a run (the
    command line, benchmarks)."""
    config = config or load_config()
    home = str(config.home_path)

    def hidden(name: str) -> dg.EnvVar | str | None:
        return secret(config, name, in_dagster=in_dagster)

    return {
        "warehouse": WarehouseResource(**_given(database_url=hidden("database_url")), home=home),
        "archive": ArchiveResource(**_given(archive_dir=_text(config.archive_dir)), home=home),
        "ingestion": IngestionResource(
            **_given(
                now_override=config.now.isoformat() if config.now else None,
                clock_url=config.clock_url,
            ),
            odds_source=config.odds_source,
            historical_interval_minutes=config.historical_interval_minutes,
            quarantine_warn_share=config.quarantine_warn_share,
            quarantine_error_share=config.quarantine_error_share,
        ),
        "odds_api": OddsApiResource(
            **_given(
                api_key=hidden("odds_api_key"),
                bookmakers=",".join(config.odds_api_bookmakers)
                if config.odds_api_bookmakers
                else None,
            ),
            base_url=config.odds_api_base_url,
            quota_floor=config.odds_api_quota_floor,
        ),
        "mlb_stats": MlbStatsResource(base_url=config.mlb_stats_base_url),
        "splits": BettingSplitsResource(source=config.splits_source),
        "mlflow": MlflowResource(
            **_given(
                tracking_uri=hidden("mlflow_tracking_uri"),
                registry_uri=hidden("mlflow_registry_uri"),
            ),
            home=home,
        ),
        "h2o": H2OResource(**_given(url=config.h2o_url), max_mem=config.h2o_max_mem),
        "betting": BettingResource(
            **_given(books=",".join(config.betting_books) if config.betting_books else None),
            kelly_fraction=config.kelly_fraction,
            max_bet_percent=config.max_bet_percent,
            min_edge_threshold=config.min_edge_threshold,
            tier_a=config.tier_a,
            tier_b=config.tier_b,
            tier_c=config.tier_c,
            starting_bankroll=config.starting_bankroll,
            reference_book=config.reference_book,
            novig_method=config.novig_method,
            gate_max_log_loss_diff=config.gate_max_log_loss_diff,
        ),
        "operations": OperationsResource(
            **_given(
                backup_dir=_text(config.backup_dir),
                mlflow_backend_url=hidden("mlflow_backend_url"),
                mlflow_artifacts_dir=_text(config.mlflow_artifacts_dir),
                slack_webhook_url=hidden("slack_webhook_url"),
                alert_webhook_url=hidden("alert_webhook_url"),
                alert_webhook_token=hidden("alert_webhook_token"),
                pushgateway_url=hidden("pushgateway_url"),
                metrics_textfile=_text(config.metrics_textfile),
                mlflow_tracking_uri=hidden("mlflow_tracking_uri"),
                mlflow_registry_uri=hidden("mlflow_registry_uri"),
            ),
            home=home,
            keep_daily=config.backup_keep_daily,
            keep_weekly=config.backup_keep_weekly,
            alert_sink=config.alert_sink,
            dagster_url=config.dagster_url,
            run_retention_days=config.run_retention_days,
        ),
    }


def resources_for(
    database_url: str, archive_dir: str | None, home: str, **overrides: object
) -> dict[str, object]:
    """Explicit resources for an in-process run (tests, benchmarks), defaults elsewhere;
    ``overrides`` replace any of them by name."""
    resources: dict[str, object] = {
        "warehouse": WarehouseResource(database_url=database_url, home=home),
        "archive": ArchiveResource(archive_dir=archive_dir, home=home),
        "ingestion": IngestionResource(),
        "odds_api": OddsApiResource(api_key="unused-in-archive-mode"),
        "mlb_stats": MlbStatsResource(),
        "splits": BettingSplitsResource(),
        "mlflow": MlflowResource(home=home),
        "h2o": H2OResource(),
        "betting": BettingResource(),
        "operations": OperationsResource(home=home),
    }
    return {**resources, **overrides}
