"""When a date is ready to settle, and when a game day's odds have gone stale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd

# A game in one of these states will not change any more (a suspended game is settled
# by the sportsbooks' own rules, as a void, when its date closes).
TERMINAL_STATUSES = frozenset({"final", "postponed", "cancelled", "suspended"})


def dates_ready_to_settle(games: pd.DataFrame, *, after: date | None, today: date) -> list[date]:
    """Game dates after ``after`` (the sensor's cursor), in order, whose games are all over.

    Stops at the first date that still has a game in play or to come, so a date is never
    skipped: settlement advances day by day. Today counts only once all its games are over.
    """
    if games.empty:
        return []
    frame = games.assign(game_date=pd.to_datetime(games["game_date"]).dt.date)
    if after is not None:
        frame = frame[frame["game_date"] > after]
    frame = frame[frame["game_date"] <= today]
    ready: list[date] = []
    for day, day_games in frame.groupby("game_date", sort=True):
        if not day_games["status"].isin(TERMINAL_STATUSES).all():
            break
        ready.append(day)
    return ready


def date_to_refresh(games: pd.DataFrame, *, after: date | None, today: date) -> date | None:
    """The first date after ``after`` and before ``today`` whose games the warehouse still
    shows in play or to come: its day is over, so its schedule (statuses and scores) is out
    of date and must be read again before it can settle. None when there is none."""
    if games.empty:
        return None
    frame = games.assign(game_date=pd.to_datetime(games["game_date"]).dt.date)
    if after is not None:
        frame = frame[frame["game_date"] > after]
    frame = frame[frame["game_date"] < today]
    open_days = frame.loc[~frame["status"].isin(TERMINAL_STATUSES), "game_date"]
    return None if open_days.empty else min(open_days)


@dataclass(frozen=True)
class Staleness:
    stale: bool
    reason: str
    age_minutes: float | None


def odds_staleness(
    games_today: pd.DataFrame,
    newest_captured_at: datetime | None,
    *,
    now: datetime,
    max_age_minutes: int,
    lead_hours: int = 12,
) -> Staleness:
    """Whether today's odds are stale: games start within ``lead_hours`` and nothing was
    captured in the last ``max_age_minutes``. Outside game days nothing is ever stale."""
    starts = pd.to_datetime(games_today.get("start_time_utc", pd.Series(dtype=object)), utc=True)
    upcoming = starts[(starts > now) & (starts <= now + timedelta(hours=lead_hours))]
    if upcoming.empty:
        return Staleness(False, "no game starts in the next hours", None)
    if newest_captured_at is None:
        return Staleness(True, f"{len(upcoming)} games to come and no odds captured today", None)
    age = (now - newest_captured_at).total_seconds() / 60
    if age > max_age_minutes:
        return Staleness(
            True,
            f"newest odds are {age:.0f} min old (limit {max_age_minutes}) with "
            f"{len(upcoming)} games to come",
            age,
        )
    return Staleness(False, f"newest odds are {age:.0f} min old", age)
