"""How long finished Dagster runs (and their event logs) are kept.

Dagster OSS purges old schedule and sensor ticks by itself (``retention`` in dagster.yaml)
but keeps every run and its event log for ever; on a stack polling odds every 10 minutes that
is tens of thousands of runs a season. The ``run_retention`` job deletes finished runs older
than ``MLB_ASSETS_RUN_RETENTION_DAYS`` (90 by default). Asset materializations live in the
event log too, so the window must stay longer than any partition anyone wants to inspect.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

DEFAULT_RUN_RETENTION_DAYS = 90
# The shortest window accepted: below it a typo could erase the week's history.
MIN_RUN_RETENTION_DAYS = 7


@dataclass(frozen=True)
class RunRetention:
    keep_days: int = DEFAULT_RUN_RETENTION_DAYS

    def __post_init__(self) -> None:
        if self.keep_days < MIN_RUN_RETENTION_DAYS:
            raise ValueError(
                f"run retention must keep at least {MIN_RUN_RETENTION_DAYS} days, "
                f"got {self.keep_days}"
            )

    def cutoff(self, now: datetime) -> datetime:
        """Finished runs created before this moment are purged."""
        if now.tzinfo is None:
            raise ValueError("now must be timezone-aware")
        return now - timedelta(days=self.keep_days)
