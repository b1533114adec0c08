"""Where MLflow keeps runs and registered models, always set explicitly.

MLflow falls back to ``./mlruns`` in the working directory when no URI is set, and a
process that sets only the tracking URI can still read a different registry. Every entry
point here therefore sets both URIs from one :class:`MlflowSettings` before touching
MLflow.

Embedded default: a SQLite file and an artifact folder under ``MLB_ASSETS_HOME/mlflow``.
Production: ``MLFLOW_TRACKING_URI`` (an MLflow server backed by Postgres), with the
registry on the same server unless ``MLFLOW_REGISTRY_URI`` says otherwise; the server
decides where artifacts go.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import mlflow
from mlflow import MlflowClient
from mlflow.exceptions import MlflowException

_CREDENTIALS = re.compile(r"(?<=://)[^/@]+@")


def redact(uri: str | None) -> str | None:
    """The URI with any ``user:password@`` part masked, safe for logs and metadata."""
    return None if uri is None else _CREDENTIALS.sub("***@", uri)


def embedded_tracking_uri(home: Path) -> str:
    return f"sqlite:///{home / 'mlflow' / 'mlflow.db'}"


@dataclass(frozen=True)
class MlflowSettings:
    """The tracking store, the registry and (embedded only) the artifact root.

    ``tracking_uri=None`` means the embedded SQLite store under ``home``;
    ``registry_uri=None`` means the tracking store. ``artifact_root`` is set only for
    the embedded store: an MLflow server chooses artifact locations itself.
    """

    tracking_uri: str | None
    registry_uri: str | None
    artifact_root: Path | None
    home: Path

    @property
    def resolved_tracking_uri(self) -> str:
        return self.tracking_uri or embedded_tracking_uri(self.home)

    @property
    def resolved_registry_uri(self) -> str:
        return self.registry_uri or self.resolved_tracking_uri

    @property
    def resolved_artifact_root(self) -> Path | None:
        """Where new experiments keep artifacts; for a local store never MLflow's ``./mlruns``."""
        if self.artifact_root is not None:
            return self.artifact_root
        if urlparse(self.resolved_tracking_uri).scheme in {"", "file", "sqlite"}:
            return self.home / "mlflow" / "artifacts"
        return None

    def __repr__(self) -> str:
        # URIs may carry database passwords; the repr ends up in logs and tracebacks.
        return (
            f"MlflowSettings(tracking_uri={redact(self.tracking_uri)!r}, "
            f"registry_uri={redact(self.registry_uri)!r}, "
            f"artifact_root={self.artifact_root!r}, home={self.home!r})"
        )


def embedded(home: Path) -> MlflowSettings:
    """SQLite tracking and registry with local artifacts, all under ``home/mlflow``."""
    home = Path(home).expanduser().resolve()
    artifact_root = home / "mlflow" / "artifacts"
    artifact_root.mkdir(parents=True, exist_ok=True)
    uri = embedded_tracking_uri(home)
    return MlflowSettings(
        tracking_uri=uri, registry_uri=uri, artifact_root=artifact_root, home=home
    )


def store_settings(
    home: Path, tracking_uri: str | None = None, registry_uri: str | None = None
) -> MlflowSettings:
    """A server's URIs (the registry defaults to the tracking URI), or the embedded store."""
    if not tracking_uri:
        return embedded(home)
    return MlflowSettings(
        tracking_uri=tracking_uri,
        registry_uri=registry_uri or tracking_uri,
        artifact_root=None,
        home=Path(home),
    )


def configure(settings: MlflowSettings) -> MlflowClient:
    """Point this process's MLflow at ``settings`` (both URIs) and return a client for it."""
    artifact_root = settings.resolved_artifact_root
    if artifact_root is not None:
        artifact_root.mkdir(parents=True, exist_ok=True)
    tracking = settings.resolved_tracking_uri
    registry = settings.resolved_registry_uri
    mlflow.set_tracking_uri(tracking)
    mlflow.set_registry_uri(registry)
    return MlflowClient(tracking_uri=tracking, registry_uri=registry)


def _artifact_location(name: str, settings: MlflowSettings) -> str | None:
    root = settings.resolved_artifact_root
    if root is None:
        return None
    folder = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "experiment"
    return (root / folder).as_uri()


def ensure_experiment(name: str, settings: MlflowSettings) -> str:
    """The id of experiment ``name``, created (or restored from deletion) when needed.

    With a local store the experiment's artifacts go under the artifact root, never under
    the working directory; an MLflow server chooses its own location.
    """
    client = configure(settings)
    existing = client.get_experiment_by_name(name)
    if existing is None:
        try:
            return client.create_experiment(name, _artifact_location(name, settings))
        except MlflowException:
            # Another process may have created it between the lookup and the insert.
            existing = client.get_experiment_by_name(name)
            if existing is None:
                raise
    if existing.lifecycle_stage == "deleted":
        client.restore_experiment(existing.experiment_id)
    return existing.experiment_id


def run_url(settings: MlflowSettings, experiment_id: str, run_id: str) -> str | None:
    """The run's page in the MLflow UI when the tracking store is a server; None for the
    embedded store (no UI serves it unless ``mlflow ui`` is started on it)."""
    uri = settings.resolved_tracking_uri
    if not uri.startswith(("http://", "https://")) or not experiment_id:
        return None
    base = _CREDENTIALS.sub("", uri).rstrip("/")  # a link never carries credentials
    return f"{base}/#/experiments/{experiment_id}/runs/{run_id}"
