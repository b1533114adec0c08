"""Pinnacle's 2016 MLB lines from the CRAN package ``pinnacle.data`` (``MLB2016.rda``).

The R object is a tibble of games with a nested data frame of line changes per game.
What the file really holds (checked against the 2016 file):

* ``EventDateTimeUTC`` and ``EventDateTimeET`` are the *same* epoch seconds (R's
  POSIXct is an instant; "ET" only named the display zone), as are
  ``EnteredDateTimeUTC`` / ``EnteredDateTimeET``. Line timestamps are whole
  milliseconds. So the local date is derived by converting the UTC instant to
  America/New_York; it agrees with the date inside every ``GameID``.
* The All-Star game is listed as "American League" at "National League" with the
  eleven-character ``GameID`` ``NL201607120``; it gets the Retrosheet All-Star codes
  ``ALS``/``NLS`` and the well-formed ``game_id`` ``NLS201607120``.
* The line-change times are Pacific wall-clock times stored as if they were UTC, while
  the game start times are true UTC. Read as UTC, the last change of a game comes a
  median 7.02 hours before first pitch (5th-95th percentile 6.95-7.31 h: a constant
  offset, the PDT offset) and almost nothing moves in the last three hours, which no
  sharp market does. Read as America/Los_Angeles wall-clock, the last pre-game change
  comes a median 1.3 minutes before first pitch (1,957 of 2,462 games move within the
  final 5 minutes), and the first line about 28 hours before. ``captured_at`` therefore
  localizes the line times to America/Los_Angeles (``LINE_CLOCK_TZ``) before converting
  to UTC; a test guards the evidence.
* Some line changes come after first pitch (1,067 in 2016, mostly delayed games); they
  are kept, and point-in-time consumers filter by ``captured_at``.

Parsing with ``rdata`` takes seconds, so the flattened frames are cached as parquet
keyed by the file's md5; the cheap normalization (team codes, ids) runs every time.
"""

from __future__ import annotations

import os
import re
import tempfile
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from mlb_assets.lib.archives.catalog import file_md5, json_record, quarantine_frame
from mlb_assets.lib.teams import normalize_team_series

LOCAL_TZ = "America/New_York"
# The zone of the wall clock the line-change times were recorded in (see the module notes).
LINE_CLOCK_TZ = "America/Los_Angeles"
# Bump when the cached raw layout changes so stale caches are ignored, not misread.
_CACHE_VERSION = "1"

GAME_COLUMNS = [
    "source_game_id",
    "game_id",
    "season",
    "game_date",
    "game_number",
    "start_time_utc",
    "away_team",
    "home_team",
    "away_team_name",
    "home_team_name",
    "away_pitcher",
    "home_pitcher",
    "away_score",
    "home_score",
]
LINE_COLUMNS = [
    "game_id",
    "line_seq",
    "captured_at",
    "away_spread",
    "away_spread_price",
    "home_spread_price",
    "away_ml",
    "home_ml",
    "total_points",
    "over_price",
    "under_price",
]
QUOTE_COLUMNS = ["game_id", "book", "market", "side", "point", "price_american", "captured_at"]

# R column -> raw cache column (the README spells the home pitcher "HomeStartingPicher").
_RAW_GAME_COLUMNS = {
    "GameID": "GameID",
    "EventDateTimeUTC": "EventDateTimeUTC",
    "AwayTeam": "AwayTeam",
    "HomeTeam": "HomeTeam",
    "DoubleHeaderGame": "DoubleHeaderGame",
    "AwayStartingPitcher": "AwayStartingPitcher",
    "HomeStartingPicher": "HomeStartingPitcher",
    "FinalScoreAway": "FinalScoreAway",
    "FinalScoreHome": "FinalScoreHome",
}
_RAW_LINE_COLUMNS = {
    "EnteredDateTimeUTC": "captured_at",
    "SpreadTeam1": "away_spread",
    "SpreadUS1": "away_spread_price",
    "SpreadUS2": "home_spread_price",
    "MoneyUS1": "away_ml",
    "MoneyUS2": "home_ml",
    "TotalPoints": "total_points",
    "TotalUSOver": "over_price",
    "TotalUSUnder": "under_price",
}
_GAME_ID_RE = re.compile(r"^[A-Z]{3}\d{8}[0-2]$")


@dataclass(frozen=True)
class PinnacleArchive:
    """Games and their line changes; ``quarantine`` holds games that could not be keyed."""

    games: pd.DataFrame
    lines: pd.DataFrame
    quarantine: pd.DataFrame = field(default_factory=lambda: quarantine_frame([]))
    rows_read: int = 0  # games in the R object, loaded or quarantined


def read_pinnacle(path: Path, cache_dir: Path | None = None) -> PinnacleArchive:
    """Parse a ``MLB<season>.rda`` file into keyed games and line changes."""
    raw_games, raw_lines = _load_raw(Path(path), cache_dir)
    return _build(raw_games, raw_lines, Path(path).name)


# --- raw parse and cache -------------------------------------------------------------


def _load_raw(path: Path, cache_dir: Path | None) -> tuple[pd.DataFrame, pd.DataFrame]:
    if cache_dir is None:
        return _parse_rda(path)
    stem = f"pinnacle-{file_md5(path)}-v{_CACHE_VERSION}"
    games_file = Path(cache_dir) / f"{stem}-games.parquet"
    lines_file = Path(cache_dir) / f"{stem}-lines.parquet"
    if games_file.is_file() and lines_file.is_file():
        return pd.read_parquet(games_file), pd.read_parquet(lines_file)
    raw_games, raw_lines = _parse_rda(path)
    Path(cache_dir).mkdir(parents=True, exist_ok=True)
    # Lines first, games last: the games file marks a complete cache entry.
    _write_parquet_atomic(raw_lines, lines_file)
    _write_parquet_atomic(raw_games, games_file)
    return raw_games, raw_lines


def _write_parquet_atomic(frame: pd.DataFrame, target: Path) -> None:
    """Write next to the target and rename, so readers never see a partial file."""
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def _read_rda_object(path: Path) -> pd.DataFrame:
    import rdata  # imported lazily: only this parser needs it

    # rdata warns about every R class it has no constructor for (tbl_df, ...); the
    # plain data frame it falls back to is exactly what is wanted here.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Missing constructor", category=UserWarning)
        converted = rdata.conversion.convert(rdata.parser.parse_file(path))
    frames = [v for v in converted.values() if isinstance(v, pd.DataFrame)]
    if len(frames) != 1:
        raise ValueError(f"{path.name}: expected one data frame, found {sorted(converted)}")
    return frames[0]


def _parse_rda(path: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Flatten the nested tibble: a games frame and one frame of all line changes."""
    tibble = _read_rda_object(path)
    missing = set(_RAW_GAME_COLUMNS) | {"Lines"}
    missing -= set(tibble.columns)
    if missing:
        raise ValueError(f"{path.name}: missing columns {sorted(missing)}")
    games = tibble[list(_RAW_GAME_COLUMNS)].rename(columns=_RAW_GAME_COLUMNS)
    games = games.reset_index(drop=True)
    for column in ("GameID", "AwayTeam", "HomeTeam", "AwayStartingPitcher", "HomeStartingPitcher"):
        games[column] = games[column].astype(object).where(games[column].notna(), None)
    for column in ("EventDateTimeUTC", "DoubleHeaderGame", "FinalScoreAway", "FinalScoreHome"):
        games[column] = pd.to_numeric(games[column]).astype("float64")
    nested = list(tibble["Lines"])
    lengths = np.fromiter((len(frame) for frame in nested), dtype=np.int64, count=len(nested))
    lines = pd.DataFrame({"game_row": np.repeat(np.arange(len(nested)), lengths)})
    for source, target in _RAW_LINE_COLUMNS.items():
        parts = [frame[source].astype("float64").to_numpy() for frame in nested]
        lines[target] = np.concatenate(parts) if parts else np.array([], dtype="float64")
    return games, lines


# --- normalization -------------------------------------------------------------------


def _epoch_to_utc(seconds: pd.Series) -> pd.Series:
    """Epoch seconds (whole milliseconds in practice) to tz-aware UTC timestamps."""
    millis = np.round(seconds.to_numpy(dtype="float64") * 1000.0)
    return pd.Series(pd.to_datetime(millis, unit="ms", utc=True), index=seconds.index).astype(
        "datetime64[ns, UTC]"
    )


def _wall_clock_to_utc(mislabeled: pd.Series, zone: str) -> pd.Series:
    """Re-read UTC-labelled timestamps as wall-clock times in ``zone``, returned in UTC."""
    wall = mislabeled.dt.tz_localize(None)
    local = wall.dt.tz_localize(zone, ambiguous="NaT", nonexistent="shift_forward")
    return local.dt.tz_convert("UTC")


def _build(raw_games: pd.DataFrame, raw_lines: pd.DataFrame, file_name: str) -> PinnacleArchive:
    """Key and type the raw frames; games that cannot be keyed go to the quarantine."""
    start = _epoch_to_utc(raw_games["EventDateTimeUTC"])
    local_day = start.dt.tz_convert(LOCAL_TZ).dt.tz_localize(None).dt.normalize()
    season = int(local_day.dt.year.mode().iloc[0]) if local_day.notna().any() else 0
    games = pd.DataFrame(
        {
            "source_game_id": raw_games["GameID"],
            "season": local_day.dt.year.astype("Int64"),
            "game_date": pd.Series(local_day.dt.date, dtype=object).where(local_day.notna(), None),
            "game_number": raw_games["DoubleHeaderGame"].fillna(0).astype("int64"),
            "start_time_utc": start,
            "away_team": normalize_team_series(raw_games["AwayTeam"], "pinnacle", season),
            "home_team": normalize_team_series(raw_games["HomeTeam"], "pinnacle", season),
            "away_team_name": raw_games["AwayTeam"],
            "home_team_name": raw_games["HomeTeam"],
            "away_pitcher": raw_games["AwayStartingPitcher"],
            "home_pitcher": raw_games["HomeStartingPitcher"],
            "away_score": _nullable_int(raw_games["FinalScoreAway"]),
            "home_score": _nullable_int(raw_games["FinalScoreHome"]),
        }
    )
    games["game_id"] = _game_ids(games, local_day)
    reasons = _problems(games, raw_games)
    bad = reasons != ""
    quarantine = _quarantine(raw_games[bad], games[bad], reasons[bad], raw_lines, file_name)
    games = games[~bad].astype({"season": "int64"})
    lines = _lines(raw_lines, games["game_id"])
    return PinnacleArchive(
        games=games[GAME_COLUMNS].reset_index(drop=True),
        lines=lines,
        quarantine=quarantine,
        rows_read=len(raw_games),
    )


def _problems(games: pd.DataFrame, raw_games: pd.DataFrame) -> pd.Series:
    """Why each game cannot be keyed ('' when it can)."""
    reasons = pd.Series("", index=games.index, dtype=object)
    checks = (
        (games["start_time_utc"].isna(), "no start time"),
        (games["away_team"].isna(), "unknown away team name"),
        (games["home_team"].isna(), "unknown home team name"),
    )
    for mask, reason in checks:
        reasons[mask] = reasons[mask].map(lambda r, x=reason: f"{r}; {x}" if r else x)
    return reasons


def _nullable_int(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values).round().astype("Int64")


def _game_ids(games: pd.DataFrame, local_day: pd.Series) -> pd.Series:
    """``GameID`` when it is well formed and agrees with teams, date and game number.

    Otherwise (the All-Star game's ``NL201607120``) the id is rebuilt the Retrosheet
    way from the home code, local date and game number, so every game has one key
    format; ``source_game_id`` keeps the original.
    """
    derived = (
        games["home_team"].fillna("???")
        + local_day.dt.strftime("%Y%m%d")
        + games["game_number"].astype(str)
    )
    given = games["source_game_id"].fillna("")
    consistent = given.str.match(_GAME_ID_RE) & (given == derived)
    return given.where(consistent, derived)


def _lines(raw_lines: pd.DataFrame, game_ids: pd.Series) -> pd.DataFrame:
    """Line changes of the kept games, in time order within each game."""
    kept = raw_lines[raw_lines["game_row"].isin(game_ids.index)]
    lines = kept.assign(game_id=game_ids.reindex(kept["game_row"]).to_numpy())
    lines["captured_at"] = _wall_clock_to_utc(_epoch_to_utc(lines["captured_at"]), LINE_CLOCK_TZ)
    # R's NA_real_ is a NaN with a payload that numpy arithmetic flags as invalid;
    # replace it by a plain NaN so later arithmetic stays quiet.
    markets = LINE_COLUMNS[3:]
    lines[markets] = lines[markets].where(lines[markets].notna())
    lines = lines.sort_values(["game_row", "captured_at"], kind="stable")
    lines["line_seq"] = lines.groupby("game_row", sort=False).cumcount().astype("int64")
    return lines[LINE_COLUMNS].reset_index(drop=True)


def _quarantine(
    raw: pd.DataFrame,
    games: pd.DataFrame,
    reasons: pd.Series,
    raw_lines: pd.DataFrame,
    file_name: str,
) -> pd.DataFrame:
    """One entry per unkeyed game; its line changes are counted in the reason, not kept."""
    line_counts = raw_lines["game_row"].value_counts()
    records = [
        {
            "source": "pinnacle",
            "source_ref": f"{file_name}:GameID {raw.at[row, 'GameID']}",
            "game_date": games.at[row, "game_date"],
            "reason": f"{reasons[row]} ({raw.at[row, 'AwayTeam']!r} at "
            f"{raw.at[row, 'HomeTeam']!r}); "
            f"{int(line_counts.get(row, 0))} line changes not loaded",
            "record": json_record(raw.loc[row].to_dict()),
        }
        for row in raw.index
    ]
    return quarantine_frame(records)


# --- long quote format ---------------------------------------------------------------

# (market, side, price column, point column, point sign)
_QUOTE_SPECS: tuple[tuple[str, str, str, str | None, float], ...] = (
    ("h2h", "away", "away_ml", None, 1.0),
    ("h2h", "home", "home_ml", None, 1.0),
    ("spreads", "away", "away_spread_price", "away_spread", 1.0),
    ("spreads", "home", "home_spread_price", "away_spread", -1.0),
    ("totals", "over", "over_price", "total_points", 1.0),
    ("totals", "under", "under_price", "total_points", 1.0),
)


def pinnacle_quotes(lines: pd.DataFrame, book: str = "pinnacle") -> pd.DataFrame:
    """Melt wide line changes into the long quote format shared with the live API path.

    One row per (line change, market, side) whose price is present: a row that only
    moved the total carries no moneyline, which is normal, not an error. The home run
    line is the negated away run line. Prices stay float; validation is the shared
    normalizer's job.
    """
    width = len(_QUOTE_SPECS)
    # (line change, spec) matrices flattened row-major: quotes come out in line order,
    # markets in spec order within a line change, without a sort.
    price = np.column_stack(
        [lines[spec[2]].to_numpy(dtype="float64") for spec in _QUOTE_SPECS]
    ).reshape(-1)
    point = np.column_stack(
        [
            lines[col].to_numpy(dtype="float64") * sign
            if col is not None
            else np.full(len(lines), np.nan)
            for _, _, _, col, sign in _QUOTE_SPECS
        ]
    ).reshape(-1)
    keep = ~np.isnan(price)
    captured = lines["captured_at"].astype("datetime64[ns, UTC]").array
    quotes = pd.DataFrame(
        {
            "game_id": np.repeat(lines["game_id"].to_numpy(dtype=object), width)[keep],
            "book": book,
            "market": np.tile([spec[0] for spec in _QUOTE_SPECS], len(lines))[keep],
            "side": np.tile([spec[1] for spec in _QUOTE_SPECS], len(lines))[keep],
            "point": point[keep] + 0.0,  # + 0.0 turns -0.0 (a negated pick'em) into 0.0
            "price_american": price[keep],
            "captured_at": captured.take(np.repeat(np.arange(len(lines)), width)[keep]),
        }
    )
    return quotes[QUOTE_COLUMNS]
