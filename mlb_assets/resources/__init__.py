"""Resources shared by every domain, configured from the environment through ``dg.EnvVar``."""

from __future__ import annotations

import os

import dagster as dg

from mlb_assets.lib.models.h2o_engine import H2O_MAX_MEM_ENV
from mlb_assets.lib.settings import ARCHIVE_DIR_ENV, DATABASE_URL_ENV, HOME_ENV
from mlb_assets.resources.archive import ArchiveResource
from mlb_assets.resources.betting import BettingResource, betting_from_env
from mlb_assets.resources.live import (
    ODDS_SOURCE_ENV,
    BettingSplitsResource,
    IngestionResource,
    MlbStatsResource,
    OddsApiResource,
)
from mlb_assets.resources.models import H2OResource, MlflowResource
from mlb_assets.resources.operations import OPERATIONS_ENV, OperationsResource
from mlb_assets.resources.warehouse import WarehouseResource

ODDS_API_KEY_ENV = "ODDS_API_KEY"
ODDS_API_BASE_URL_ENV = "ODDS_API_BASE_URL"
MLB_STATS_BASE_URL_ENV = "MLB_STATS_BASE_URL"
NOW_ENV = "MLB_ASSETS_NOW"
SPLITS_SOURCE_ENV = "MLB_ASSETS_SPLITS_SOURCE"


def env_or_default(name: str, default: str | None = None) -> dg.EnvVar | str | None:
    """``dg.EnvVar(name)`` when the variable is set, else the embedded default.

    Dagster fails on an ``EnvVar`` that is unset; the embedded defaults are what make a fresh
    machine work without configuration. Values stay out of the UI either way.
    """
    return dg.EnvVar(name) if os.environ.get(name) else default


def _with_env(resource_class: type, **fields: tuple[str, object]) -> dg.ConfigurableResource:
    """The resource with each field from its environment variable when set, else its default."""
    values = {name: env_or_default(env, default) for name, (env, default) in fields.items()}
    return resource_class(**{k: v for k, v in values.items() if v is not None})


def build_resources() -> dict[str, dg.ConfigurableResource]:
    home = env_or_default(HOME_ENV)
    return {
        "warehouse": WarehouseResource(database_url=env_or_default(DATABASE_URL_ENV), home=home),
        "archive": ArchiveResource(archive_dir=env_or_default(ARCHIVE_DIR_ENV), home=home),
        "ingestion": _with_env(
            IngestionResource,
            odds_source=(ODDS_SOURCE_ENV, None),
            now_override=(NOW_ENV, None),
        ),
        "odds_api": _with_env(
            OddsApiResource,
            base_url=(ODDS_API_BASE_URL_ENV, None),
            api_key=(ODDS_API_KEY_ENV, None),
        ),
        "mlb_stats": _with_env(MlbStatsResource, base_url=(MLB_STATS_BASE_URL_ENV, None)),
        "splits": _with_env(BettingSplitsResource, source=(SPLITS_SOURCE_ENV, None)),
        "mlflow": _with_env(
            MlflowResource,
            tracking_uri=("MLFLOW_TRACKING_URI", None),
            registry_uri=("MLFLOW_REGISTRY_URI", None),
            home=(HOME_ENV, None),
        ),
        "h2o": _with_env(H2OResource, url=("H2O_URL", None), max_mem=(H2O_MAX_MEM_ENV, None)),
        "betting": betting_from_env(),
        "operations": _with_env(
            OperationsResource,
            home=(HOME_ENV, None),
            **{name: (variable, None) for name, variable in OPERATIONS_ENV.items()},
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
