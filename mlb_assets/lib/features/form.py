"""Team and starting-pitcher form, and the game's context, from the games table alone.

Point in time: a game's form uses only games on EARLIER dates (by the America/New_York
game date) whose result is final. A same-day doubleheader's first game is not used for
the second: the table has no end times, so nothing shows that game 1 had finished by
game 2's decision time (a long or delayed opener often has not). Where start times are
known, :func:`team_form` additionally requires an earlier-date game to have started
at least :data:`GAME_HOURS_BOUND` hours before the decision time, so a game that ran
past midnight into the next date's decision window is not counted by accident.

Known limitation: a suspended game completed weeks later keeps its original date here,
so its final score is counted from the day after the original date.

Everything is computed on arrays sorted by (entity, season, date): for each game the
number of qualifying earlier games comes from one ``searchsorted`` and every window sum
from differences of cumulative sums, so a season, or seven, takes milliseconds.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

#: A game that started this many hours before a decision time is taken to have ended.
GAME_HOURS_BOUND = 8
_HOUR_NS = 3_600_000_000_000
_NAT = np.iinfo(np.int64).min
_SIDES = ("home", "away")


@dataclass(frozen=True)
class _History:
    """Final results of one kind of entity (team or pitcher), sorted by (entity, season, date).

    Cumulative sums have a leading zero, so the sum over history rows ``[lo, hi)`` is
    ``cs[hi] - cs[lo]``.
    """

    key: np.ndarray  # entity * 10**10 + season * 10**6 + date ordinal, sorted
    ordinal: np.ndarray
    sums: dict[str, np.ndarray]

    def total(self, name: str, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
        return self.sums[name][hi] - self.sums[name][lo]


@dataclass(frozen=True)
class _Counts:
    """Per query row: history positions of its entity, its season and its cut-off."""

    entity_start: np.ndarray
    season_start: np.ndarray
    end: np.ndarray  # history rows before the cut-off: [entity_start, end)


def _key(entity: np.ndarray, season: np.ndarray, ordinal: np.ndarray) -> np.ndarray:
    """One sortable int64 per (entity, season, date): the sort order of every lookup."""
    return entity.astype(np.int64) * 10**10 + season.astype(np.int64) * 10**6 + ordinal


def _ordinals(dates: pd.Series) -> np.ndarray:
    """Proleptic Gregorian day numbers of calendar dates (``datetime.date`` or datetimes)."""
    days = pd.to_datetime(dates).to_numpy(dtype="datetime64[D]").astype(np.int64)
    return days + 719_163  # 1970-01-01 is ordinal 719163


def _final(games: pd.DataFrame) -> np.ndarray:
    """Games with a final result: status final and both scores known."""
    scored = games["home_score"].notna() & games["away_score"].notna()
    return (games["status"].astype(str).str.lower() == "final").to_numpy() & scored.to_numpy()


def _history(
    entity: np.ndarray,
    season: np.ndarray,
    ordinal: np.ndarray,
    game_number: np.ndarray,
    values: dict[str, np.ndarray],
    keep: np.ndarray,
) -> tuple[_History, np.ndarray]:
    """The history of rows ``keep`` and the order that sorted them.

    Within a date, doubleheader game 1 comes before game 2, so that a window's oldest
    game and the order of start times do not depend on the order of the input rows.
    """
    rows = np.flatnonzero(keep & (entity >= 0))
    key = _key(entity[rows], season[rows], ordinal[rows])
    rank = np.lexsort([game_number[rows], key])
    order = rows[rank]
    sums = {
        name: np.concatenate([[0.0], np.cumsum(np.asarray(v, dtype=float)[order])])
        for name, v in values.items()
    }
    return _History(key[rank], ordinal[order], sums), order


def _counts(
    history: _History, entity: np.ndarray, season: np.ndarray, ordinal: np.ndarray
) -> _Counts:
    """History positions of each query: its entity's first row, its season's, its date's.

    ``side="left"`` on the query's own date excludes every game of that date.
    """
    zeros = np.zeros_like(ordinal)
    return _Counts(
        entity_start=np.searchsorted(history.key, _key(entity, zeros, zeros), side="left"),
        season_start=np.searchsorted(history.key, _key(entity, season, zeros), side="left"),
        end=np.searchsorted(history.key, _key(entity, season, ordinal), side="left"),
    )


def _check_windows(windows: tuple[int, ...]) -> None:
    if not windows or any(int(n) != n or n < 1 for n in windows):
        raise ValueError(f"windows must be positive whole numbers of games, got {windows!r}")


def _mean(history: _History, name: str, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Mean of ``name`` over history rows ``[lo, hi)``; NaN where that range is empty."""
    n = hi - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, history.total(name, lo, hi) / n, np.nan)


def _rest_days(history: _History, counts: _Counts, ordinal: np.ndarray) -> np.ndarray:
    """Full days without a game since the previous one this season (0 after yesterday).

    NaN for the first game of a season: the winter break is not rest in any useful sense.
    """
    has_previous = counts.end > counts.season_start
    previous = history.ordinal[np.maximum(counts.end - 1, 0)] if len(history.ordinal) else 0
    return np.where(has_previous, ordinal - previous - 1, np.nan)


# --- teams ---------------------------------------------------------------------------


def team_form(
    games: pd.DataFrame, *, windows: tuple[int, ...] = (10, 30), decision_minutes_before: int = 60
) -> pd.DataFrame:
    """Per game, each team's recent results before the game's date.

    Columns for ``side`` in home/away (``{side}_`` prefix) and ``diff_`` (home minus away):

    * ``rd_{n}``, ``wr_{n}``: run differential per game and win rate over the team's last
      ``n`` final games on earlier dates. Windows span seasons when the previous season
      is in ``games`` (it warms up April); they average what exists (at least one game),
      so ``games_played`` and the window tell how much that is.
    * ``rd_season``, ``wr_season``, ``games_played``: season to date (resets each season).
    * ``wr_venue_season``: season-to-date win rate at home for the home team and on the
      road for the away team.
    * ``rest_days``: full days without a game since the team's previous final game this
      season (0 after playing yesterday; NaN for its first game of a season).

    A tie counts as half a win. Games without a final result (postponed, unplayed) have
    rows but add nothing to anyone's history. See the module docstring for which earlier
    games count and why a doubleheader's first game does not feed the second.
    """
    _check_windows(windows)
    long = _team_games(games)
    values = {
        "n": np.ones(len(long)),
        "win": long["win"].to_numpy(),
        "rd": long["rd"].to_numpy(),
        "home_n": long["is_home"].to_numpy(),
        "home_win": long["win"].to_numpy() * long["is_home"].to_numpy(),
    }
    entity, season, ordinal = (long[c].to_numpy() for c in ("team", "season", "ordinal"))
    number = long["game_number"].to_numpy()
    history, order = _history(entity, season, ordinal, number, values, long["final"].to_numpy())
    counts = _counts(history, entity, season, ordinal)
    counts = _not_after_decision(history, counts, long, order, decision_minutes_before)
    per_side = _team_columns(history, counts, long, windows)
    return _by_game(games, long, per_side, windows)


def _team_games(games: pd.DataFrame) -> pd.DataFrame:
    """Two rows per game, home then away: the team's view of the game."""
    teams = pd.concat([games["home_team"], games["away_team"]], ignore_index=True)
    codes, _ = pd.factorize(teams)
    home_runs = pd.to_numeric(games["home_score"], errors="coerce").to_numpy(dtype=float)
    away_runs = pd.to_numeric(games["away_score"], errors="coerce").to_numpy(dtype=float)
    runs_for = np.concatenate([home_runs, away_runs])
    runs_against = np.concatenate([away_runs, home_runs])
    n = len(games)
    start = pd.to_datetime(games["start_time_utc"], utc=True)
    return pd.DataFrame(
        {
            "game": np.tile(np.arange(n), 2),
            "team": codes,
            "season": np.tile(games["season"].to_numpy(dtype=np.int64), 2),
            "ordinal": np.tile(_ordinals(games["game_date"]), 2),
            "start": np.tile(pd.DatetimeIndex(start).as_unit("ns").asi8, 2),
            "game_number": np.tile(games["game_number"].to_numpy(dtype=np.int64), 2),
            "is_home": np.repeat([1.0, 0.0], n),
            "final": np.tile(_final(games), 2),
            "win": (runs_for > runs_against) + 0.5 * (runs_for == runs_against),
            "rd": runs_for - runs_against,
        }
    )


def _not_after_decision(
    history: _History,
    counts: _Counts,
    long: pd.DataFrame,
    order: np.ndarray,
    decision_minutes_before: int,
) -> _Counts:
    """Drop from each cut-off the earlier-date games that may not have ended by the decision.

    Where both start times are known, a game counts only if it started at least
    :data:`GAME_HOURS_BOUND` hours before the decision time. History is sorted by date,
    so the games that fail are the latest ones before the cut-off; a running maximum of
    "availability" makes each game available no earlier than the one before it.
    """
    if decision_minutes_before < 0:
        raise ValueError("decision_minutes_before must be >= 0")
    start = long["start"].to_numpy()
    hist_start = start[order]
    available = np.where(hist_start == _NAT, _NAT, hist_start + GAME_HOURS_BOUND * _HOUR_NS)
    shifted = np.where(start == _NAT, 0, start) - decision_minutes_before * 60 * 10**9
    decision = np.where(start == _NAT, np.iinfo(np.int64).max, shifted)  # unknown: no limit
    entity_of_history = history.key // 10**10
    _, rank = np.unique(np.concatenate([available, decision]), return_inverse=True)
    span = int(rank.max()) + 2 if len(rank) else 1
    hist_key = np.maximum.accumulate(entity_of_history * span + rank[: len(available)])
    query_key = long["team"].to_numpy().astype(np.int64) * span + rank[len(available) :]
    ready = np.searchsorted(hist_key, query_key, side="right")
    end = np.maximum(np.minimum(counts.end, ready), counts.entity_start)
    return _Counts(counts.entity_start, np.minimum(counts.season_start, end), end)


def _team_columns(
    history: _History, counts: _Counts, long: pd.DataFrame, windows: tuple[int, ...]
) -> dict[str, np.ndarray]:
    """Per team-game row: every form column without its side prefix."""
    end, season_start = counts.end, counts.season_start
    out: dict[str, np.ndarray] = {}
    for n in windows:  # a handful of window lengths, not rows
        lo = np.maximum(end - n, counts.entity_start)
        out[f"rd_{n}"] = _mean(history, "rd", lo, end)
        out[f"wr_{n}"] = _mean(history, "win", lo, end)
    out["rd_season"] = _mean(history, "rd", season_start, end)
    out["wr_season"] = _mean(history, "win", season_start, end)
    out["games_played"] = (end - season_start).astype(float)
    home_n = history.total("home_n", season_start, end)
    home_win = history.total("home_win", season_start, end)
    is_home = long["is_home"].to_numpy() == 1.0
    venue_n = np.where(is_home, home_n, out["games_played"] - home_n)
    venue_win = np.where(is_home, home_win, history.total("win", season_start, end) - home_win)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["wr_venue_season"] = np.where(venue_n > 0, venue_win / venue_n, np.nan)
    out["rest_days"] = _rest_days(history, counts, long["ordinal"].to_numpy())
    return out


def team_form_columns(windows: tuple[int, ...] = (10, 30)) -> list[str]:
    """The columns :func:`team_form` returns besides ``game_id``, in order."""
    base = _team_base_columns(windows)
    sides = [f"{side}_{name}" for side in _SIDES for name in base]
    return [*sides, *(f"diff_{name}" for name in base if name != "games_played")]


def _team_base_columns(windows: tuple[int, ...]) -> list[str]:
    rolling = [f"{kind}_{n}" for n in windows for kind in ("rd", "wr")]
    return [*rolling, "rd_season", "wr_season", "games_played", "wr_venue_season", "rest_days"]


def _by_game(
    games: pd.DataFrame,
    long: pd.DataFrame,
    per_side: dict[str, np.ndarray],
    windows: tuple[int, ...],
) -> pd.DataFrame:
    """Back to one row per game: home rows first, then away, as :func:`_team_games` built."""
    n = len(games)
    out = pd.DataFrame({"game_id": games["game_id"].to_numpy()})
    base = _team_base_columns(windows)
    for offset, side in enumerate(_SIDES):
        for name in base:
            out[f"{side}_{name}"] = per_side[name][offset * n : (offset + 1) * n]
    for name in base:
        if name != "games_played":
            out[f"diff_{name}"] = out[f"home_{name}"] - out[f"away_{name}"]
    return out


# --- pitchers ------------------------------------------------------------------------


def normalize_pitcher(names: pd.Series) -> pd.Series:
    """Lower case with single spaces; blanks become None.

    Sources spell names differently ("CSABATHIA-L" in the workbooks, "CC Sabathia" in
    Retrosheet), and nothing here maps one spelling to another: a pitcher's form
    restarts when the spelling of his name changes between sources or seasons.
    """
    cleaned = names.astype("string").str.lower().str.split().str.join(" ")
    return cleaned.where(cleaned.notna() & (cleaned != ""), None).astype(object)


def pitcher_form(games: pd.DataFrame, *, windows: tuple[int, ...] = (3, 5)) -> pd.DataFrame:
    """Per game, each starting pitcher's recent starts before the game's date.

    Columns for ``side`` in home/away: ``{side}_sp_ra_{n}`` the mean runs his team
    allowed in his last ``n`` final starts on earlier dates (across seasons when present;
    whole-game runs, the games table has no pitcher lines), ``{side}_sp_rest_days`` full
    days since his previous start this season (NaN for his first), and
    ``{side}_sp_starts`` his final starts so far this season. Pitchers are identified
    by :func:`normalize_pitcher` (see there: form restarts when a spelling changes); an
    unknown starter has NaN throughout.
    """
    _check_windows(windows)
    long = _pitcher_starts(games)
    entity, season, ordinal = (long[c].to_numpy() for c in ("pitcher", "season", "ordinal"))
    keep = long["final"].to_numpy()
    number = long["game_number"].to_numpy()
    history, _ = _history(entity, season, ordinal, number, {"ra": long["ra"].to_numpy()}, keep)
    counts = _counts(history, entity, season, ordinal)
    known = entity >= 0
    columns: dict[str, np.ndarray] = {}
    for n in windows:  # a handful of window lengths, not rows
        lo = np.maximum(counts.end - n, counts.entity_start)
        columns[f"sp_ra_{n}"] = _mean(history, "ra", lo, counts.end)
    columns["sp_rest_days"] = _rest_days(history, counts, ordinal)
    columns["sp_starts"] = (counts.end - counts.season_start).astype(float)
    out = pd.DataFrame({"game_id": games["game_id"].to_numpy()})
    n_games = len(games)
    for offset, side in enumerate(_SIDES):
        rows = slice(offset * n_games, (offset + 1) * n_games)
        for name, values in columns.items():
            out[f"{side}_{name}"] = np.where(known[rows], values[rows], np.nan)
    for n in windows:
        out[f"diff_sp_ra_{n}"] = out[f"home_sp_ra_{n}"] - out[f"away_sp_ra_{n}"]
    return out


def _pitcher_starts(games: pd.DataFrame) -> pd.DataFrame:
    """Two rows per game (home starter, then away): the runs his team allowed."""
    names = pd.concat([games["home_pitcher"], games["away_pitcher"]], ignore_index=True)
    normalized = normalize_pitcher(names)
    codes, _ = pd.factorize(normalized)  # None becomes -1
    home_runs = pd.to_numeric(games["home_score"], errors="coerce").to_numpy(dtype=float)
    away_runs = pd.to_numeric(games["away_score"], errors="coerce").to_numpy(dtype=float)
    return pd.DataFrame(
        {
            "pitcher": codes,
            "season": np.tile(games["season"].to_numpy(dtype=np.int64), 2),
            "ordinal": np.tile(_ordinals(games["game_date"]), 2),
            "game_number": np.tile(games["game_number"].to_numpy(dtype=np.int64), 2),
            "final": np.tile(_final(games), 2),
            "ra": np.concatenate([away_runs, home_runs]),
        }
    )


# --- context -------------------------------------------------------------------------

# No season or year: a calendar trend extrapolates into the season being scored.
CONTEXT_COLUMNS = ["doubleheader_game", "month", "day_night", "day_of_week"]


def context_features(games: pd.DataFrame) -> pd.DataFrame:
    """Calendar and schedule facts known long before the game.

    ``doubleheader_game`` is the game number (0 single, 1/2 doubleheader), ``day_night``
    1 for night, 0 for day, NaN when the source does not say, ``day_of_week`` 0 for
    Monday, all of the local game date.
    """
    dates = pd.to_datetime(games["game_date"])
    day_night = games["day_night"].map({"N": 1.0, "D": 0.0})
    return pd.DataFrame(
        {
            "game_id": games["game_id"].to_numpy(),
            "doubleheader_game": games["game_number"].to_numpy(dtype=float),
            "month": dates.dt.month.to_numpy(dtype=float),
            "day_night": day_night.to_numpy(dtype=float),
            "day_of_week": dates.dt.dayofweek.to_numpy(dtype=float),
        }
    )
