"""Operations: data-quality checks, alerting and metrics sensors, backups, schedules."""

import dagster as dg

from mlb_assets.defs.operations.backups import warehouse_backup
from mlb_assets.defs.operations.checks import CHECKS
from mlb_assets.defs.operations.schedules import JOBS, SCHEDULES
from mlb_assets.defs.operations.sensors import SENSORS

defs = dg.Definitions(
    assets=[warehouse_backup],
    asset_checks=CHECKS,
    jobs=JOBS,
    schedules=SCHEDULES,
    sensors=SENSORS,
)
