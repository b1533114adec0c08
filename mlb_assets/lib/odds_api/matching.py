"""Which scheduled game each Odds API event is: matching by teams, date and start time.

An event maps to a scheduled game of the same home and away teams on its local date; with
start times known it takes the game starting nearest its commence time (a doubleheader
splits by time), else the games in order. An event whose date has no such game is
quarantined: as moved when a not-yet-final game of the matchup lies within
``max_day_shift`` days, else as unscheduled. Two events claiming one game: the one
starting nearest keeps it. Without a schedule, ids are derived from the teams and date.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd


@dataclass
class _Event:
    """One element of the event list and what was learned about it."""

    pos: int
    raw: Any
    ref: str
    event_id: str | None = None
    home_name: str | None = None
    away_name: str | None = None
    commence: pd.Timestamp | None = None
    game_date: date | None = None
    home_code: str | None = None
    away_code: str | None = None
    game_id: str | None = None
    status: str = "invalid"
    problem: str | None = None
    bookmakers: list = field(default_factory=list)


@dataclass(frozen=True)
class _Game:
    game_id: str
    game_date: date
    start: pd.Timestamp | None
    status: str
    number: int


# --- mapping events to games ----------------------------------------------------------


def _match_events(events: list[_Event], schedule: pd.DataFrame | None, max_day_shift: int) -> None:
    """Set each valid event's ``game_id`` from the schedule, or the reason it has none."""
    live = [e for e in events if e.problem is None]
    groups: dict[tuple[str, str, date], list[_Event]] = defaultdict(list)
    for event in sorted(live, key=lambda e: (e.commence, e.event_id)):
        groups[(event.home_code, event.away_code, event.game_date)].append(event)
    if schedule is None or schedule.empty:
        _derive_ids(groups)
        return
    index = _schedule_index(schedule, {key[:2] for key in groups})
    for (home, away, day), group in groups.items():
        same_teams = index.get((home, away), [])
        games = [g for g in same_teams if g.game_date == day]
        if games:
            _assign(group, games)
        else:
            for event in group:
                _not_scheduled(event, same_teams, max_day_shift)
    _resolve_conflicts(live)


def _derive_ids(groups: dict[tuple[str, str, date], list[_Event]]) -> None:
    """Ids from teams and date alone, for when no schedule is known.

    A matchup listed once on a date is game 0; listed more than once (a doubleheader)
    the events are numbered 1, 2, ... in commence order. A doubleheader is only
    recognised when both games are in the same payload, so an id derived here can
    differ from the official one; callers that have the schedule should pass it.
    """
    for (home, _, day), group in groups.items():
        for number, event in enumerate(group, start=1):
            event.game_id = f"{home}{day:%Y%m%d}{number if len(group) > 1 else 0}"
            event.status = "derived"


def _schedule_index(
    schedule: pd.DataFrame, pairs: set[tuple[str, str]]
) -> dict[tuple[str, str], list[_Game]]:
    """(home, away) -> that matchup's scheduled games, for the matchups of the payload."""
    missing = {"game_id", "game_date", "home_team", "away_team"} - set(schedule.columns)
    if missing:
        raise ValueError(f"schedule lacks the columns {sorted(missing)}")
    matchups = pd.MultiIndex.from_arrays([schedule["home_team"], schedule["away_team"]])
    games = schedule[matchups.isin(list(pairs))] if pairs else schedule.iloc[0:0]
    days = pd.to_datetime(games["game_date"], errors="coerce").dt.date
    starts = pd.to_datetime(
        games.get("start_time_utc", pd.Series(pd.NaT, index=games.index)), utc=True, errors="coerce"
    )
    status = games.get("status", pd.Series("scheduled", index=games.index)).fillna("scheduled")
    index: dict[tuple[str, str], list[_Game]] = defaultdict(list)
    for row in zip(
        games["home_team"], games["away_team"], games["game_id"], days, starts, status, strict=True
    ):
        home, away, game_id, day, start, state = row
        if pd.notna(day):
            number = int(game_id[-1]) if str(game_id)[-1:].isdigit() else 0
            start = None if pd.isna(start) else start
            index[(home, away)].append(_Game(str(game_id), day, start, str(state), number))
    return index


def _assign(group: list[_Event], games: list[_Game]) -> None:
    """Match a date's events of one matchup to that date's scheduled games.

    With start times known each event takes the game starting nearest its commence
    time (a time change within the day still matches; a doubleheader splits by time).
    Without them the k-th event in commence order takes the k-th game by number.
    """
    games = sorted(games, key=lambda g: g.number)
    timed = all(g.start is not None for g in games)
    for rank, event in enumerate(group):
        if timed:
            game = min(games, key=lambda g: (abs(g.start - event.commence), g.number))
        else:
            game = games[min(rank, len(games) - 1)]
        event.game_id, event.status = game.game_id, "matched"


def _not_scheduled(event: _Event, same_teams: list[_Game], max_day_shift: int) -> None:
    """Quarantine an event whose date has no game of its matchup, saying why.

    A not-yet-played game of the same teams within ``max_day_shift`` days (a postponed
    one first) means the game was moved: its prices belong to a date the schedule does
    not know yet, so they wait in quarantine rather than attach to the old game's id.
    """
    nearby = [
        g
        for g in same_teams
        if 0 < abs((g.game_date - event.game_date).days) <= max_day_shift and g.status != "final"
    ]
    if nearby:
        moved = min(
            nearby,
            key=lambda g: (g.status != "postponed", abs((g.game_date - event.game_date).days)),
        )
        event.problem = (
            f"game moved from {moved.game_date} to {event.game_date} "
            f"({moved.game_id} is {moved.status})"
        )
        event.status = "moved"
        return
    event.problem = (
        f"no scheduled game for {event.away_code} at {event.home_code} on {event.game_date}"
    )
    event.status = "unscheduled"


def _resolve_conflicts(live: list[_Event]) -> None:
    """Two events must not feed one game: the one starting nearest it keeps the id."""
    by_game: dict[str, list[_Event]] = defaultdict(list)
    for event in live:
        if event.problem is None and event.game_id is not None:
            by_game[event.game_id].append(event)
    for game_id, claimants in by_game.items():
        if len(claimants) < 2:
            continue
        keeper = claimants[0]  # groups are in commence order; the first listed wins a tie
        for event in claimants[1:]:
            event.problem = f"event {keeper.event_id!r} already maps to {game_id}"
            event.status, event.game_id = "conflict", None
