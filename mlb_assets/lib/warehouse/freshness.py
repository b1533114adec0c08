"""Reading what the freshness sensors and checks judge: a day's games and its newest odds."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa

from mlb_assets.lib.ingest.live import local_date
from mlb_assets.lib.ingest.monitoring import Staleness, odds_staleness
from mlb_assets.lib.names import STALE_ODDS_MINUTES
from mlb_assets.lib.warehouse.load import read_frame
from mlb_assets.lib.warehouse.schema import games, odds_snapshots


def games_between(connection: sa.Connection, start: date, end: date) -> pd.DataFrame:
    """Date, status and first pitch of the games dated in [start, end]."""
    query = sa.select(games.c.game_date, games.c.status, games.c.start_time_utc).where(
        games.c.game_date.between(start, end)
    )
    return read_frame(connection, query)


def newest_odds(connection: sa.Connection, day: date) -> datetime | None:
    """The newest ``captured_at`` of a game date's odds, None without any."""
    newest = sa.func.max(odds_snapshots.c.captured_at).label("newest")
    query = sa.select(newest).where(odds_snapshots.c.game_date == day)
    value = read_frame(connection, query)["newest"].iloc[0]
    return None if pd.isna(value) else value.to_pydatetime()


def todays_staleness(connection: sa.Connection, now: datetime) -> Staleness:
    """Whether today's odds are stale at ``now`` (see ``odds_staleness``)."""
    today = local_date(now)
    return odds_staleness(
        games_between(connection, today, today),
        newest_odds(connection, today),
        now=now,
        max_age_minutes=STALE_ODDS_MINUTES,
    )
