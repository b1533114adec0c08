"""Resources for model training: the MLflow store and the H2O cluster."""

from __future__ import annotations

import dagster as dg

from mlb_assets.config import default
from mlb_assets.lib import settings
from mlb_assets.lib.models.tracking import MlflowSettings, store_settings


class MlflowResource(dg.ConfigurableResource):
    """MLflow tracking and registry (``MLFLOW_TRACKING_URI``; unset: a SQLite store and an
    artifact folder in ``MLB_ASSETS_HOME/mlflow``). Both URIs are always set explicitly."""

    tracking_uri: str | None = None
    registry_uri: str | None = None
    home: str | None = None
    experiment: str = "mlb_assets"

    def settings(self) -> MlflowSettings:
        home = settings.home_dir(self.home)
        return store_settings(home, self.tracking_uri, self.registry_uri)


class H2OResource(dg.ConfigurableResource):
    """Where H2O runs: unset ``url`` starts one local JVM per process with ``max_mem`` heap;
    a URL (``H2O_URL``) connects to an existing, possibly multi-node, cluster."""

    url: str | None = None
    max_mem: str = default("h2o_max_mem")
    nthreads: int = -1
