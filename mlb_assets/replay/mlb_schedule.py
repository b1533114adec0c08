"""MLB Stats API ``/api/v1/schedule`` payloads generated from a games frame, as of a clock.

The replay server answers the schedule endpoint with :func:`schedule_payload`, so the
live schedule path (client, parser, assets) runs offline against any season the
archives hold. What a game shows depends on the simulated ``now``, as the real API's
answer depends on when it is asked: no score before the game is over, and a
postponement only once it would have been announced.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from mlb_assets.lib.teams import FRANCHISES, UnknownTeamError, team_name

EASTERN = ZoneInfo("America/New_York")
#: A game counts as over (Final, with its score) this long after first pitch.
GAME_LENGTH = timedelta(hours=3)
#: Listed as "Pre-Game" from this long before first pitch.
PRE_GAME = timedelta(minutes=90)
#: A postponement (or cancellation) shows from this long before the scheduled start.
CALL_OFF_NOTICE = timedelta(hours=3)
#: First pitch assumed for a game whose start time the frame does not know.
DEFAULT_START = time(19, 5)
COPYRIGHT = "Replay of archived schedules; not the MLB Stats API."

_STATES = {
    "Scheduled": ("Preview", "S", "S", "P"),
    "Pre-Game": ("Preview", "P", "P", "P"),
    "In Progress": ("Live", "I", "I", "L"),
    "Final": ("Final", "F", "F", "F"),
    "Postponed": ("Final", "D", "DR", "F"),
    "Cancelled": ("Final", "C", "CR", "F"),
    "Suspended: Rain": ("Live", "T", "TR", "L"),
}


def schedule_payload(games: pd.DataFrame, day: date, now: datetime) -> dict:
    """The schedule of ``day`` (an America/New_York date) as the API would give it at ``now``.

    ``games`` is a reconciled games frame (``game_id, season, game_date, game_number,
    away_team, home_team, start_time_utc, away_pitcher, home_pitcher, away_score,
    home_score, day_night, status``; an ``mlb_game_pk`` column is used when present).
    Status: Scheduled, Pre-Game from 90 minutes before the start, In Progress from the
    start, Final with scores from three hours after it (a game without a known result
    stays Scheduled); postponed and cancelled games show so from three hours before
    their start. Probable pitchers come from the pitcher columns; ``doubleHeader`` and
    ``gameNumber`` from ``game_number``.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    rows = _day_rows(games, day)
    listed = [_game(row, day, pd.Timestamp(now).tz_convert(UTC)) for row in rows]
    live = sum(entry["status"]["abstractGameState"] == "Live" for entry in listed)
    counts = {"totalItems": len(listed), "totalEvents": 0, "totalGames": len(listed)}
    counts["totalGamesInProgress"] = live
    dates = [{"date": day.isoformat(), **counts, "games": listed, "events": []}] if listed else []
    return {"copyright": COPYRIGHT, **counts, "dates": dates}


def _day_rows(games: pd.DataFrame, day: date) -> list[dict]:
    """The day's games in start order (doubleheaders by game number)."""
    if games.empty:
        return []
    on_day = games[pd.to_datetime(games["game_date"]).dt.date == day]
    starts = pd.to_datetime(on_day["start_time_utc"], utc=True)
    ordered = on_day.assign(_start=starts).sort_values(["_start", "game_number", "game_id"])
    return ordered.to_dict("records")


def _game(row: dict, day: date, now: pd.Timestamp) -> dict[str, Any]:
    start, tbd = _start(row, day)
    state = _state(row, start, now)
    season = int(row["season"])
    number = int(row["game_number"])
    abstract, coded, code, abstract_code = _STATES[state]
    entry: dict[str, Any] = {
        "gamePk": _game_pk(row),
        "gameType": "R",
        "season": str(season),
        "gameDate": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "officialDate": day.isoformat(),
        "status": {
            "abstractGameState": abstract,
            "codedGameState": coded,
            "detailedState": state,
            "statusCode": code,
            "startTimeTBD": tbd,
            "abstractGameCode": abstract_code,
        },
        "teams": _teams(row, season, final=state == "Final"),
        "doubleHeader": "Y" if number > 0 else "N",
        "gameNumber": number if number > 0 else 1,
        "dayNight": _day_night(row, start),
        "scheduledInnings": 9,
    }
    if state in ("Postponed", "Cancelled"):
        entry["status"]["reason"] = "Rain"
    if state == "Final":
        entry["linescore"] = {
            "currentInning": 9,
            "teams": {side: {"runs": int(row[f"{side}_score"])} for side in ("home", "away")},
        }
    return entry


def _start(row: dict, day: date) -> tuple[pd.Timestamp, bool]:
    """First pitch (UTC) and whether it is a placeholder (``startTimeTBD``)."""
    start = row.get("start_time_utc")
    if start is not None and not pd.isna(start):
        return pd.Timestamp(start).tz_convert(UTC), False
    local = datetime.combine(day, DEFAULT_START, tzinfo=EASTERN)
    return pd.Timestamp(local).tz_convert(UTC), True


def _state(row: dict, start: pd.Timestamp, now: pd.Timestamp) -> str:
    """The detailed state the API would show at ``now`` (see :func:`schedule_payload`)."""
    status = row.get("status")
    called_off = {"postponed": "Postponed", "cancelled": "Cancelled"}
    if status in called_off:
        return called_off[status] if now >= start - CALL_OFF_NOTICE else "Scheduled"
    if now < start - PRE_GAME:
        return "Scheduled"
    if now < start:
        return "Pre-Game"
    if status == "suspended":
        return "Suspended: Rain"
    if now < start + GAME_LENGTH:
        return "In Progress"
    return "Final" if _has_scores(row) else "Scheduled"


def _has_scores(row: dict) -> bool:
    return not (pd.isna(row.get("away_score")) or pd.isna(row.get("home_score")))


def _teams(row: dict, season: int, *, final: bool) -> dict[str, Any]:
    teams: dict[str, Any] = {}
    for side, other in (("away", "home"), ("home", "away")):
        entry: dict[str, Any] = {"team": {"name": _team_name(row[f"{side}_team"], season)}}
        pitcher = row.get(f"{side}_pitcher")
        if isinstance(pitcher, str) and pitcher.strip():
            entry["probablePitcher"] = {"fullName": pitcher}
        if final:
            entry["score"] = int(row[f"{side}_score"])
            entry["isWinner"] = bool(row[f"{side}_score"] > row[f"{other}_score"])
        teams[side] = entry
    return teams


def _team_name(code: str, season: int) -> str:
    """The club's name that season; an unknown code is served as is (the parser flags it)."""
    try:
        return team_name(code, season)
    except UnknownTeamError:
        return str(code)


def _day_night(row: dict, start: pd.Timestamp) -> str:
    flag = row.get("day_night")
    if flag in ("D", "N"):
        return "day" if flag == "D" else "night"
    return "day" if start.tz_convert(EASTERN).hour < 17 else "night"


def _game_pk(row: dict) -> int:
    """The frame's ``mlb_game_pk`` when it has one, else a stable number from ``game_id``.

    ``YYYYMMDD`` then the game number then the home club's index among all codes: unique
    per game and small enough (11 digits) for any JSON consumer. An id of another shape
    falls back to a CRC.
    """
    pk = row.get("mlb_game_pk")
    if pk is not None and not pd.isna(pk):
        return int(pk)
    game_id = str(row["game_id"])
    home, day, number = game_id[:3], game_id[3:11], game_id[11:]
    index = _club_index().get(home)
    if index is None or not (day + number).isdigit() or len(number) != 1:
        return zlib.crc32(game_id.encode())
    return (int(day) * 10 + int(number)) * 100 + index


@cache
def _club_index() -> dict[str, int]:
    """Every code any franchise ever had, numbered in sorted order."""
    codes = sorted({code for club in FRANCHISES for code, _ in club.codes})
    return {code: i for i, code in enumerate(codes)}


def schedule_route(
    games: pd.DataFrame, now: Callable[[], datetime]
) -> Callable[[str, dict[str, list[str]]], tuple[int, dict[str, str], bytes]]:
    """A replay-server route serving ``/api/v1/schedule?date=YYYY-MM-DD`` at simulated ``now``.

    Without ``date`` it answers the simulated today (America/New_York), as the real API
    answers today's schedule (``mlb-assets doctor`` asks that way)."""

    def handle(_path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "application/json"}
        moment = now()
        raw = (query.get("date") or [""])[0]
        try:
            day = date.fromisoformat(raw) if raw else moment.astimezone(EASTERN).date()
        except ValueError:
            message = {"message": f"date must be YYYY-MM-DD, got {raw!r}"}
            return 400, headers, json.dumps(message).encode()
        return 200, headers, json.dumps(schedule_payload(games, day, moment)).encode()

    return handle
