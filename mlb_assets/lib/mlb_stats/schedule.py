"""MLB Stats API schedule payloads as rows of the games frame.

The output has the columns of the reconciled games frame
(:data:`~mlb_assets.lib.archives.reconcile.GAME_COLUMNS`) plus ``mlb_game_pk``, so the
live schedule and the archives key games the same way: ``game_id`` is the home team's
Retrosheet code, the game's date and its number (0 single game, 1/2 doubleheader).

Postponements: the API keeps a postponed game's ``gamePk`` for its makeup, so one pk
may be listed twice, once as "Postponed" under the original date and once under the
new date. The postponed listing keeps its original date's ``game_id`` (status
``postponed``), the makeup gets the new date's id, so ``mlb_game_pk`` is not unique
but ``game_id`` is. A game listed twice under one id (a suspended game and its
resumption share the official date) collapses onto its most advanced listing.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from mlb_assets.lib.archives.reconcile import GAME_COLUMNS
from mlb_assets.lib.teams import normalize_team_series

SOURCE = "mlb_stats"
EASTERN = ZoneInfo("America/New_York")
SCHEDULE_GAME_COLUMNS = [*GAME_COLUMNS, "mlb_game_pk"]
QUARANTINE_COLUMNS = ["source", "source_ref", "game_date", "reason", "record"]
STATUSES = ("scheduled", "in_progress", "final", "postponed", "cancelled", "suspended")
#: Regular season, the four postseason rounds and the All-Star game. Spring training
#: ("S") and exhibitions ("E") are out of scope: they are counted in ``skipped``.
DEFAULT_GAME_TYPES = frozenset({"R", "F", "D", "L", "W", "A"})
_DAY_NIGHT = {"day": "D", "night": "N"}
# Which listing of one game_id wins when a game is listed twice (higher wins).
_STATUS_RANK = {s: r for r, s in enumerate(("postponed", "cancelled", "scheduled", "suspended"))}
_STATUS_RANK |= {"in_progress": 4, "final": 5}


@dataclass(frozen=True)
class ScheduleGames:
    """``games`` (:data:`SCHEDULE_GAME_COLUMNS`), ``quarantine`` (:data:`QUARANTINE_COLUMNS`)
    and the number of listings ``skipped`` as out of scope (other game types)."""

    games: pd.DataFrame
    quarantine: pd.DataFrame
    skipped: int = 0


class _Malformed(ValueError):
    """Internal: a listing that cannot become a game row."""


def schedule_to_games(
    payload: Any,
    *,
    season: int | None = None,
    game_types: frozenset[str] = DEFAULT_GAME_TYPES,
    source_ref: str = "mlb_stats/schedule",
) -> ScheduleGames:
    """The games of a ``/api/v1/schedule`` payload; malformed listings go to quarantine.

    ``season`` fixes the season used to resolve team names to codes (default: each
    game's own ``season``, else its date's year). Listings whose ``gameType`` is not in
    ``game_types`` are skipped and counted. A payload without a ``dates`` list becomes
    one quarantine row.
    """
    if not isinstance(payload, dict) or not isinstance(payload.get("dates"), list):
        row = _quarantine_row(source_ref, None, "payload has no dates list", payload)
        return ScheduleGames(_empty_games(), _quarantine_frame([row]))
    rows, quarantine, skipped = [], [], 0
    for ref, listed_on, raw in _listings(payload, source_ref):
        if isinstance(raw, dict) and raw.get("gameType", "R") not in game_types:
            skipped += 1
            continue
        try:
            rows.append(_parse_game(raw, listed_on, season) | {"_ref": ref, "_raw": raw})
        except _Malformed as problem:
            quarantine.append(_quarantine_row(ref, listed_on, str(problem), raw))
    games, rejected = _finish(rows)
    return ScheduleGames(games, _quarantine_frame(quarantine + rejected), skipped)


def _listings(payload: dict, source_ref: str) -> list[tuple[str, date | None, Any]]:
    """(reference, date the listing sits under, raw game) for every listed game."""
    found = []
    for i, block in enumerate(payload["dates"]):
        block = block if isinstance(block, dict) else {}
        listed_on = _day(block.get("date"))
        games = block.get("games") if isinstance(block.get("games"), list) else []
        for j, raw in enumerate(games):
            pk = raw.get("gamePk") if isinstance(raw, dict) else None
            label = f"gamePk={pk}" if _is_int(pk) else f"dates[{i}].games[{j}]"
            found.append((f"{source_ref}#{label}", listed_on, raw))
    return found


# --- one listing ---------------------------------------------------------------------------


def _parse_game(raw: Any, listed_on: date | None, season: int | None) -> dict:
    """The fields of one listing; raises :class:`_Malformed` with the reason."""
    if not isinstance(raw, dict):
        raise _Malformed("game is not an object")
    pk = raw.get("gamePk")
    if not _is_int(pk):
        raise _Malformed("game lacks an integer gamePk")
    start = _utc_time(raw.get("gameDate"))
    if start is None:
        raise _Malformed(f"unparseable gameDate {raw.get('gameDate')!r}")
    status = _status(raw.get("status"))
    game_date = _game_date(raw, listed_on, start, status)
    teams = raw.get("teams") if isinstance(raw.get("teams"), dict) else {}
    away, home = _side(teams, "away"), _side(teams, "home")
    return {
        "mlb_game_pk": int(pk),
        "season": season or _season(raw.get("season"), game_date),
        "game_date": game_date,
        "game_number": _game_number(raw),
        "away_name": away["name"],
        "home_name": home["name"],
        "start_time_utc": start,
        "away_pitcher": away["pitcher"],
        "home_pitcher": home["pitcher"],
        "away_score": away["score"],
        "home_score": home["score"],
        "day_night": _DAY_NIGHT.get(str(raw.get("dayNight", "")).lower()),
        "status": status,
    }


def _status(status: Any) -> str:
    """The games frame's status from the API's abstract/coded/detailed states."""
    if not isinstance(status, dict):
        raise _Malformed("game lacks a status")
    coded = status.get("codedGameState")
    detailed = str(status.get("detailedState") or "")
    abstract = status.get("abstractGameState")
    if coded == "D" or detailed.startswith("Postponed"):
        return "postponed"
    if coded == "C" or detailed.startswith("Cancel"):
        return "cancelled"
    if coded in ("T", "U") or detailed.startswith("Suspended"):
        return "suspended"
    by_abstract = {"Final": "final", "Live": "in_progress", "Preview": "scheduled"}
    if abstract in by_abstract:
        return by_abstract[abstract]
    raise _Malformed(f"unknown status {abstract!r}/{coded!r}/{detailed!r}")


def _game_date(raw: dict, listed_on: date | None, start: pd.Timestamp, status: str) -> date:
    """``officialDate``; a postponed listing keeps the date it is listed under.

    Without either, the America/New_York date of the start time.
    """
    if status == "postponed" and listed_on is not None:
        return listed_on
    if "officialDate" in raw:
        official = _day(raw["officialDate"])
        if official is None:
            raise _Malformed(f"unparseable officialDate {raw['officialDate']!r}")
        return official
    return listed_on or start.tz_convert(EASTERN).date()


def _game_number(raw: dict) -> int:
    """0 for a single game; the API's ``gameNumber`` (1 or 2) in a doubleheader."""
    flag = raw.get("doubleHeader")
    if flag == "N":
        return 0
    if flag in ("Y", "S"):
        number = raw.get("gameNumber")
        if number in (1, 2) and not isinstance(number, bool):
            return int(number)
        raise _Malformed(f"doubleheader game with gameNumber {number!r}")
    raise _Malformed(f"unknown doubleHeader flag {flag!r}")


def _side(teams: dict, side: str) -> dict:
    """Team name, probable pitcher and score of one side of a listing."""
    entry = teams.get(side) if isinstance(teams.get(side), dict) else {}
    team = entry.get("team") if isinstance(entry.get("team"), dict) else {}
    name = team.get("name")
    if not isinstance(name, str) or not name.strip():
        raise _Malformed(f"game lacks the {side} team's name")
    pitcher = entry.get("probablePitcher")
    full_name = pitcher.get("fullName") if isinstance(pitcher, dict) else None
    score = entry.get("score")
    return {
        "name": name,
        "pitcher": full_name if isinstance(full_name, str) and full_name.strip() else None,
        "score": int(score) if _is_int(score) else None,
    }


def _season(value: Any, game_date: date) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return game_date.year


# --- all listings ----------------------------------------------------------------------------


def _finish(rows: list[dict]) -> tuple[pd.DataFrame, list[dict]]:
    """Team codes, ids and one row per id; returns the games and the rejected rows."""
    if not rows:
        return _empty_games(), []
    frame = pd.DataFrame(rows)
    frame["away_team"], frame["home_team"] = _codes(frame, "away_name"), _codes(frame, "home_name")
    unknown = frame["away_team"].isna() | frame["home_team"].isna()
    rejected = [_unknown_team_row(row) for row in frame[unknown].to_dict("records")]
    frame = frame[~unknown].copy()
    if frame.empty:
        return _empty_games(), rejected
    day = pd.to_datetime(frame["game_date"]).dt.strftime("%Y%m%d")
    frame["game_id"] = frame["home_team"] + day + frame["game_number"].astype(str)
    frame, duplicates = _one_per_id(frame)
    return _typed(frame), rejected + duplicates


def _codes(frame: pd.DataFrame, column: str) -> pd.Series:
    """Canonical codes of a name column, resolved per season (vectorized)."""
    codes = pd.Series(None, index=frame.index, dtype=object)
    for season, group in frame.groupby("season"):
        codes[group.index] = normalize_team_series(group[column], "name", int(season))
    return codes


def _unknown_team_row(row: dict) -> dict:
    names = [row[f"{s}_name"] for s in ("away", "home") if row[f"{s}_team"] is None]
    reason = f"unknown team {', '.join(names)} (season {row['season']})"
    return _quarantine_row(row["_ref"], row["game_date"], reason, row["_raw"])


def _one_per_id(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[dict]]:
    """One row per ``game_id``.

    Listings of one pk under one id are one game seen twice (a suspended game and its
    resumption): the most advanced status wins. Different pks under one id cannot both
    be that game: the most advanced listing (then the first listed) keeps the id and the
    others go to quarantine.
    """
    rank = frame["status"].map(_STATUS_RANK)
    ordered = frame.assign(_rank=rank).sort_values(
        ["game_id", "_rank"], ascending=[True, False], kind="stable"
    )
    ordered = ordered.drop_duplicates(["game_id", "mlb_game_pk"])
    first_pk = ordered.groupby("game_id")["mlb_game_pk"].transform("first")
    clash = ordered["mlb_game_pk"] != first_pk
    rejected = [
        _quarantine_row(
            row["_ref"],
            row["game_date"],
            f"game_id {row['game_id']} already belongs to gamePk {pk}",
            row["_raw"],
        )
        for row, pk in zip(ordered[clash].to_dict("records"), first_pk[clash], strict=True)
    ]
    return ordered[~clash], rejected


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    games = frame.assign(sources=SOURCE)
    games["start_time_utc"] = pd.to_datetime(games["start_time_utc"], utc=True)
    for column in ("away_score", "home_score"):
        games[column] = games[column].astype("Int64")
    for column in ("season", "game_number", "mlb_game_pk"):
        games[column] = games[column].astype("int64")
    for column in ("away_pitcher", "home_pitcher", "day_night"):
        games[column] = games[column].astype(object).where(games[column].notna(), None)
    games = games.sort_values(["game_date", "game_id"], ignore_index=True)
    # The schedule cannot tell a neutral site: left unset (None) for the caller to default.
    games = games.reindex(columns=SCHEDULE_GAME_COLUMNS)
    if "neutral_site" in games.columns:
        games["neutral_site"] = None
    return games


def _empty_games() -> pd.DataFrame:
    games = pd.DataFrame({column: pd.Series(dtype=object) for column in SCHEDULE_GAME_COLUMNS})
    games["start_time_utc"] = pd.Series(dtype="datetime64[ns, UTC]")
    for column in ("season", "game_number", "mlb_game_pk"):
        games[column] = pd.Series(dtype="int64")
    for column in ("away_score", "home_score"):
        games[column] = pd.Series(dtype="Int64")
    return games


# --- helpers -----------------------------------------------------------------------------------


def _quarantine_row(ref: str, game_date: date | None, reason: str, record: Any) -> dict:
    wrapped = record if isinstance(record, dict) else {"value": record}
    return {
        "source": SOURCE,
        "source_ref": ref,
        "game_date": game_date,
        "reason": reason,
        "record": _jsonable(wrapped),
    }


def _quarantine_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(
        {c: pd.Series([row[c] for row in rows], dtype=object) for c in QUARANTINE_COLUMNS}
    )


def _jsonable(value: Any) -> Any:
    """A value ``json.dumps(..., allow_nan=False)`` accepts (non-finite floats as text)."""
    if isinstance(value, dict):
        return {str(key): _jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if value is None or isinstance(value, str | int | float):
        return value
    return repr(value)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _day(value: Any) -> date | None:
    if not isinstance(value, str):
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        return None


def _utc_time(value: Any) -> pd.Timestamp | None:
    """An ISO 8601 time as UTC (no offset: UTC, the API's convention), else None."""
    if not isinstance(value, str):
        return None
    try:
        parsed = pd.Timestamp(datetime.fromisoformat(value.strip()))
    except (ValueError, OverflowError):
        return None
    return parsed.tz_localize("UTC") if parsed.tzinfo is None else parsed.tz_convert("UTC")
