"""The public MLB Stats API: a schedule client and the schedule as a games frame."""

from mlb_assets.lib.mlb_stats.client import (
    MlbStatsClient,
    MlbStatsError,
    MlbStatsPayloadError,
    MlbStatsRequestError,
    MlbStatsUnavailableError,
    ScheduleResponse,
)
from mlb_assets.lib.mlb_stats.schedule import (
    SCHEDULE_GAME_COLUMNS,
    ScheduleGames,
    schedule_to_games,
)

__all__ = [
    "SCHEDULE_GAME_COLUMNS",
    "MlbStatsClient",
    "MlbStatsError",
    "MlbStatsPayloadError",
    "MlbStatsRequestError",
    "MlbStatsUnavailableError",
    "ScheduleGames",
    "ScheduleResponse",
    "schedule_to_games",
]
