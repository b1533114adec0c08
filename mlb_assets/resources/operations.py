"""Operations configuration: backups, alert delivery and metrics export.

Each field has the environment variable the command line reads too (see the lib modules
for their meaning), so ``mlb-assets backup`` and the nightly ``backup_job`` agree.
Webhook URLs and tokens are secrets: they arrive through ``dg.EnvVar`` and are never shown
in the UI, logs or error messages.
"""

from __future__ import annotations

import logging
from pathlib import Path

import dagster as dg

from mlb_assets.lib import settings
from mlb_assets.lib.models.tracking import from_env as mlflow_from_env
from mlb_assets.lib.ops import alerts, backup_plan
from mlb_assets.lib.ops.backup_plan import BackupPlan

#: Field name -> environment variable.
OPERATIONS_ENV = {
    "backup_dir": backup_plan.BACKUP_DIR_ENV,
    "keep_daily": backup_plan.KEEP_DAILY_ENV,
    "keep_weekly": backup_plan.KEEP_WEEKLY_ENV,
    "mlflow_backend_url": backup_plan.MLFLOW_BACKEND_ENV,
    "mlflow_artifacts_dir": backup_plan.MLFLOW_ARTIFACTS_ENV,
    "alert_sink": "MLB_ASSETS_ALERT_SINK",
    "slack_webhook_url": "SLACK_WEBHOOK_URL",
    "alert_webhook_url": "MLB_ASSETS_ALERT_WEBHOOK_URL",
    "alert_webhook_token": "MLB_ASSETS_ALERT_WEBHOOK_TOKEN",
    "pushgateway_url": "MLB_ASSETS_PUSHGATEWAY_URL",
    "metrics_textfile": "MLB_ASSETS_METRICS_TEXTFILE",
    "dagster_url": "MLB_ASSETS_DAGSTER_URL",
}


class OperationsResource(dg.ConfigurableResource):
    """Backups (folder, retention, MLflow server stores), the alert sink (log by default,
    ``slack`` or a generic JSON ``webhook``) and where metrics go (a Pushgateway when its URL
    is set, else a Prometheus text file in ``MLB_ASSETS_HOME/metrics``)."""

    home: str | None = None
    backup_dir: str | None = None
    keep_daily: int = 7
    keep_weekly: int = 4
    mlflow_backend_url: str | None = None
    mlflow_artifacts_dir: str | None = None
    alert_sink: str = "log"
    slack_webhook_url: str | None = None
    alert_webhook_url: str | None = None
    alert_webhook_token: str | None = None
    pushgateway_url: str | None = None
    metrics_textfile: str | None = None
    dagster_url: str = "http://localhost:3000"

    def home_dir(self) -> Path:
        return settings.home_dir(self.home)

    def backup_plan(self, warehouse_url: str) -> BackupPlan:
        home = self.home_dir()
        return backup_plan.backup_plan(
            home=home,
            warehouse_url=warehouse_url,
            mlflow=mlflow_from_env(home),
            folder=self.backup_dir,
            mlflow_backend_url=self.mlflow_backend_url,
            mlflow_artifacts_dir=self.mlflow_artifacts_dir,
            keep_daily=self.keep_daily,
            keep_weekly=self.keep_weekly,
        )

    def sink(self, logger: logging.Logger | None = None) -> alerts.AlertSink:
        values = {
            OPERATIONS_ENV[name]: value
            for name in ("alert_sink", "slack_webhook_url", "alert_webhook_url")
            if (value := getattr(self, name))
        }
        if self.alert_webhook_token:
            values[OPERATIONS_ENV["alert_webhook_token"]] = self.alert_webhook_token
        return alerts.sink_from_env(values, logger=logger)

    def metrics_env(self) -> dict[str, str]:
        textfile = self.metrics_textfile or str(self.home_dir() / "metrics" / "mlb_assets.prom")
        values = {OPERATIONS_ENV["metrics_textfile"]: textfile}
        if self.pushgateway_url:
            values[OPERATIONS_ENV["pushgateway_url"]] = self.pushgateway_url
        return values

    def run_url(self, run_id: str) -> str:
        return f"{self.dagster_url.rstrip('/')}/runs/{run_id}"
