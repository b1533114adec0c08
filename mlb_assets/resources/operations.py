"""Operations configuration: backups, alert delivery and metrics export.

Each field is declared in ``mlb_assets.config``; the command line builds this resource from
the same configuration, so ``mlb-assets backup`` and the nightly ``backup_job`` agree.
Webhook URLs and tokens are secrets: they arrive through ``dg.EnvVar`` and are never shown
in the UI, logs or error messages.
"""

from __future__ import annotations

import logging
from pathlib import Path

import dagster as dg

from mlb_assets.config import default
from mlb_assets.lib import settings
from mlb_assets.lib.models.tracking import store_settings
from mlb_assets.lib.ops import alerts, backup_plan
from mlb_assets.lib.ops.backup_plan import BackupPlan
from mlb_assets.lib.ops.retention import RunRetention


class OperationsResource(dg.ConfigurableResource):
    """Backups (folder, retention, MLflow server stores), the alert sink (log by default,
    ``slack`` or a generic JSON ``webhook``) and where metrics go (a Pushgateway when its URL
    is set, else a Prometheus text file in ``MLB_ASSETS_HOME/metrics``)."""

    home: str | None = None
    backup_dir: str | None = None
    keep_daily: int = default("backup_keep_daily")
    keep_weekly: int = default("backup_keep_weekly")
    mlflow_backend_url: str | None = None
    mlflow_artifacts_dir: str | None = None
    # The MLflow store the backups cover (the same variables as MlflowResource's).
    mlflow_tracking_uri: str | None = None
    mlflow_registry_uri: str | None = None
    alert_sink: str = default("alert_sink")
    slack_webhook_url: str | None = None
    alert_webhook_url: str | None = None
    alert_webhook_token: str | None = None
    pushgateway_url: str | None = None
    metrics_textfile: str | None = None
    dagster_url: str = default("dagster_url")
    run_retention_days: int = default("run_retention_days")

    def home_dir(self) -> Path:
        return settings.home_dir(self.home)

    def backup_plan(self, warehouse_url: str) -> BackupPlan:
        home = self.home_dir()
        return backup_plan.backup_plan(
            home=home,
            warehouse_url=warehouse_url,
            mlflow=store_settings(home, self.mlflow_tracking_uri, self.mlflow_registry_uri),
            folder=self.backup_dir,
            mlflow_backend_url=self.mlflow_backend_url,
            mlflow_artifacts_dir=self.mlflow_artifacts_dir,
            keep_daily=self.keep_daily,
            keep_weekly=self.keep_weekly,
        )

    def sink(self, logger: logging.Logger | None = None) -> alerts.AlertSink:
        values = {
            variable: value
            for variable, value in (
                (alerts.SINK_ENV, self.alert_sink),
                (alerts.SLACK_URL_ENV, self.slack_webhook_url),
                (alerts.WEBHOOK_URL_ENV, self.alert_webhook_url),
                (alerts.WEBHOOK_TOKEN_ENV, self.alert_webhook_token),
            )
            if value
        }
        return alerts.sink_from_env(values, logger=logger)

    def metrics_destination(self) -> tuple[str | None, Path]:
        """The Pushgateway URL (None: none) and the text file used without one."""
        textfile = self.metrics_textfile or self.home_dir() / "metrics" / "mlb_assets.prom"
        return self.pushgateway_url or None, Path(textfile).expanduser()

    def run_retention(self) -> RunRetention:
        return RunRetention(self.run_retention_days)

    def run_url(self, run_id: str) -> str:
        return f"{self.dagster_url.rstrip('/')}/runs/{run_id}"
