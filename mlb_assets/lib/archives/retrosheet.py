"""Retrosheet game logs (``glYYYY.zip`` holding ``GLYYYY.TXT``).

One line per game, 161 quoted CSV fields, no header; the field numbers below are the
1-based ones of Retrosheet's "Guide to Retrosheet game logs". Only the fields the
project uses are kept. Team codes are Retrosheet's, which are the project's keys.

The information used here was obtained free of charge from and is copyrighted by
Retrosheet (www.retrosheet.org).
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from mlb_assets.lib.archives.catalog import json_record, quarantine_frame
from mlb_assets.lib.teams import normalize_team_series

FIELD_COUNT = 161

# output column -> 1-based field number in the guide
FIELDS: dict[str, int] = {
    "date": 1,
    "game_number": 2,
    "day_of_week": 3,
    "away_team": 4,
    "away_league": 5,
    "home_team": 7,
    "home_league": 8,
    "away_score": 10,
    "home_score": 11,
    "day_night": 13,
    "park_id": 17,
    "attendance": 18,
    "away_line_score": 20,
    "home_line_score": 21,
    "away_pitcher_id": 102,
    "away_pitcher_name": 103,
    "home_pitcher_id": 104,
    "home_pitcher_name": 105,
}
GAME_COLUMNS = [
    "game_id",
    "season",
    "game_date",
    "game_number",
    "day_of_week",
    "away_team",
    "home_team",
    "away_league",
    "home_league",
    "away_score",
    "home_score",
    "day_night",
    "park_id",
    "attendance",
    "away_pitcher_id",
    "away_pitcher_name",
    "home_pitcher_id",
    "home_pitcher_name",
    "away_line_score",
    "home_line_score",
    "neutral_site",
]
# Nineteenth-century logs number doubleheader games A/B.
_GAME_NUMBERS = {"0": 0, "1": 1, "2": 2, "3": 3, "A": 1, "B": 2}
_MEMBER_RE = re.compile(r"^gl\d{4}\.txt$", re.IGNORECASE)


@dataclass(frozen=True)
class GamelogArchive:
    """Games of one game-log file, plus the lines that could not be read."""

    games: pd.DataFrame
    quarantine: pd.DataFrame


def read_gamelog(path: Path) -> GamelogArchive:
    """Parse ``glYYYY.zip``; malformed lines are quarantined with a reason."""
    path = Path(path)
    member, text = _read_member(path)
    records = list(csv.reader(io.StringIO(text)))
    widths = np.fromiter((len(r) for r in records), dtype=np.int64, count=len(records))
    wide = widths == FIELD_COUNT
    fields = [FIELDS[name] - 1 for name in FIELDS]
    raw = pd.DataFrame(
        [[record[i] for i in fields] for record, ok in zip(records, wide, strict=True) if ok],
        columns=list(FIELDS),
        index=np.flatnonzero(wide) + 1,  # 1-based line numbers, for the quarantine
    )
    games, problems = _parse(raw)
    ref = f"{path.name}/{member}:line "
    quarantine = [
        _entry(ref + str(n), None, f"expected {FIELD_COUNT} fields, found {w}", records[n - 1])
        for n, w in zip(np.flatnonzero(~wide) + 1, widths[~wide], strict=True)
        if w > 0  # blank lines carry nothing
    ]
    quarantine += [
        _entry(ref + str(n), games.at[n, "game_date"], reason, records[n - 1])
        for n, reason in problems.items()
    ]
    good = games.drop(index=problems.index)
    # Lines that passed the checks have both; plain ints are easier to join on.
    good = good.astype({"season": "int64", "game_number": "int64"})
    good["neutral_site"] = neutral_sites(good)
    return GamelogArchive(
        games=good[GAME_COLUMNS].reset_index(drop=True),
        quarantine=quarantine_frame(sorted(quarantine, key=lambda e: _line_of(e["source_ref"]))),
    )


def _read_member(path: Path) -> tuple[str, str]:
    """The ``GLYYYY.TXT`` member's name and text (Latin-1: older logs are not UTF-8)."""
    with zipfile.ZipFile(path) as archive:
        names = [n for n in archive.namelist() if _MEMBER_RE.match(Path(n).name)]
        if len(names) != 1:
            raise ValueError(f"{path.name}: expected one GLYYYY.TXT, found {archive.namelist()}")
        return names[0], archive.read(names[0]).decode("latin-1")


def _parse(raw: pd.DataFrame) -> tuple[pd.DataFrame, pd.Series]:
    """Typed games keyed by line number, and the reasons of the lines that fail checks."""
    day = pd.to_datetime(raw["date"], format="%Y%m%d", errors="coerce")
    games = raw.copy()
    games["game_date"] = pd.Series(day.dt.date, index=raw.index, dtype=object).where(
        day.notna(), None
    )
    games["season"] = day.dt.year.astype("Int64")
    games["game_number"] = raw["game_number"].str.strip().map(_GAME_NUMBERS).astype("Int64")
    season = int(games["season"].mode().iloc[0]) if games["season"].notna().any() else 0
    for side in ("away", "home"):
        games[f"{side}_team"] = normalize_team_series(raw[f"{side}_team"], "retrosheet", season)
        games[f"{side}_score"] = _int(raw[f"{side}_score"])
    games["attendance"] = _int(raw["attendance"])
    for column in ("away_pitcher_id", "away_pitcher_name", "home_pitcher_id", "home_pitcher_name"):
        games[column] = raw[column].where(raw[column] != "", None)
    games["game_id"] = (
        games["home_team"].fillna("???")
        + raw["date"]
        + raw["game_number"].map(lambda v: str(_GAME_NUMBERS.get(v.strip(), v)))
    )
    checks = [
        (day.isna(), "date is not YYYYMMDD"),
        (games["game_number"].isna(), "game number is not 0/1/2"),
        (games["away_team"].isna(), "unknown visiting team code"),
        (games["home_team"].isna(), "unknown home team code"),
    ]
    flawed = np.logical_or.reduce([mask.to_numpy(dtype=bool) for mask, _ in checks])
    # Only lines that are otherwise sound can be duplicates of one another.
    clean_ids = games["game_id"].where(~flawed)
    duplicate = clean_ids.duplicated(keep=False) & clean_ids.notna()
    checks.append((duplicate, "duplicate game (same home team, date, number)"))
    return games, _reasons(games.index, checks)


def neutral_sites(games: pd.DataFrame) -> pd.Series:
    """Whether each game was played at neither team's usual park.

    The log names no neutral sites, but it names the park: a team's usual park is where
    it played most of its home games in the log, so a series abroad (``LON01``,
    ``MEX02``) or a game moved to a third team's park shows up as a park that is neither
    side's. A home game at the visitor's park (a relocated series) is not neutral.
    """
    park = games["park_id"].fillna("").astype(str).str.strip()
    known = park != ""
    usual = (
        pd.DataFrame({"team": games["home_team"], "park": park})[known]
        .groupby("team")["park"]
        .agg(lambda parks: parks.value_counts().sort_index().idxmax())
    )
    home_park = games["home_team"].map(usual)
    away_park = games["away_team"].map(usual)
    neutral = known & (park != home_park) & (park != away_park)
    return neutral.astype(bool)


def _int(values: pd.Series) -> pd.Series:
    """Nullable integers; blanks stay missing."""
    return pd.to_numeric(values.str.strip().replace("", None), errors="coerce").astype("Int64")


def _reasons(index: pd.Index, checks: list[tuple[pd.Series, str]]) -> pd.Series:
    """'; '-joined reasons for the flagged lines only."""
    reasons: dict[int, list[str]] = {}
    for mask, reason in checks:
        for line in index[mask.to_numpy(dtype=bool)]:
            reasons.setdefault(int(line), []).append(reason)
    return pd.Series({k: "; ".join(v) for k, v in reasons.items()}, dtype=object)


def _entry(ref: str, game_date: object, reason: str, record: list[str]) -> dict[str, object]:
    return {
        "source": "retrosheet",
        "source_ref": ref,
        "game_date": game_date,
        "reason": reason,
        "record": json_record({f"field_{i + 1}": v for i, v in enumerate(record)}),
    }


def _line_of(ref: object) -> int:
    return int(str(ref).rsplit(" ", 1)[-1])
