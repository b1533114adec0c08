"""Resources for model training: the MLflow store and the H2O cluster."""

from __future__ import annotations

import dagster as dg

from mlb_assets.lib import settings
from mlb_assets.lib.models.tracking import MlflowSettings, embedded


class MlflowResource(dg.ConfigurableResource):
    """MLflow tracking and registry (``MLFLOW_TRACKING_URI``; unset: a SQLite store and an
    artifact folder in ``MLB_ASSETS_HOME/mlflow``). Both URIs are always set explicitly."""

    tracking_uri: str | None = None
    registry_uri: str | None = None
    home: str | None = None
    experiment: str = "mlb_assets"

    def settings(self) -> MlflowSettings:
        home = settings.home_dir(self.home)
        if not self.tracking_uri:
            return embedded(home)
        return MlflowSettings(
            tracking_uri=self.tracking_uri,
            registry_uri=self.registry_uri or self.tracking_uri,
            artifact_root=None,
            home=home,
        )


class H2OResource(dg.ConfigurableResource):
    """Where H2O runs: unset ``url`` starts one local JVM per process with ``max_mem`` heap;
    a URL (``H2O_URL``) connects to an existing, possibly multi-node, cluster."""

    url: str | None = None
    max_mem: str = "2G"
    nthreads: int = -1
