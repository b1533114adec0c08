"""One game table out of Retrosheet, Pinnacle and the season workbooks.

All three key games as ``<home code><YYYYMMDD><game number>``, so the join is on
``game_id``. Where they disagree it is almost always about doubleheaders: the
workbooks number the two games of a day in rotation order, which is not always the
order they were played, and sometimes list only one of them. Such games are
re-numbered against the reference source (Retrosheet when given, else Pinnacle)
*within the same date, home team and away team only*, by matching final scores, then
by elimination; every re-numbering is listed in ``repairs``. Nothing else is guessed:
games that still do not join are listed in ``unmatched`` with the likely reason.

Precedence: Retrosheet for scores and pitchers (its official scoring), Pinnacle for
the start time (the only source that has one); disagreements on scores or the away
team are listed in ``conflicts``. ``neutral_site`` is True when any source says so (the
workbooks mark such games, Retrosheet's park shows them); a source that cannot tell
(Pinnacle) counts as False.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

# Precedence order for every field that more than one source provides.
SOURCE_ORDER: tuple[str, ...] = ("retrosheet", "pinnacle", "sbr")
ALLSTAR_TEAMS = frozenset({"ALS", "NLS"})
# How far apart two listings of one matchup may be to be reported as a date mismatch.
DATE_WINDOW_DAYS = 3

GAME_COLUMNS = [
    "game_id",
    "season",
    "game_date",
    "game_number",
    "away_team",
    "home_team",
    "start_time_utc",
    "away_pitcher",
    "home_pitcher",
    "away_score",
    "home_score",
    "day_night",
    "status",
    "sources",
    "neutral_site",
]
UNMATCHED_COLUMNS = [
    "source",
    "game_id",
    "game_date",
    "away_team",
    "home_team",
    "missing_from",
    "reason",
]
REPAIR_COLUMNS = ["source", "original_game_id", "game_id", "reference", "method"]
CONFLICT_COLUMNS = ["game_id", "field", *SOURCE_ORDER, "chosen"]
_KEY = ["game_date", "home_team", "away_team"]
# The pitcher columns each source calls by its own name.
_PITCHER_COLUMNS = {
    "retrosheet": ("away_pitcher_name", "home_pitcher_name"),
    "pinnacle": ("away_pitcher", "home_pitcher"),
    "sbr": ("away_pitcher", "home_pitcher"),
}


@dataclass(frozen=True)
class Reconciliation:
    """The joined games and everything the join had to say about them.

    ``games``: one row per ``game_id``. ``status`` is ``final`` when both scores are
    known, ``postponed`` for a listing without scores that Retrosheet's log (covering
    that date) shows was not played, otherwise ``scheduled``.
    """

    games: pd.DataFrame
    unmatched: pd.DataFrame
    repairs: pd.DataFrame
    conflicts: pd.DataFrame


def reconcile_games(
    retrosheet: pd.DataFrame | None,
    pinnacle: pd.DataFrame | None,
    sbr: pd.DataFrame | None,
) -> Reconciliation:
    """Join the sources' game tables on ``game_id`` after repairing doubleheader numbers."""
    given = {"retrosheet": retrosheet, "pinnacle": pinnacle, "sbr": sbr}
    frames = {name: _prepare(name, f) for name, f in given.items() if f is not None}
    if not frames:
        raise ValueError("reconcile_games needs at least one source")
    reference = next(name for name in SOURCE_ORDER if name in frames)
    repairs = []
    for name in frames:
        if name != reference:
            frames[name], repaired = _repair_numbering(
                frames[name], frames[reference], name, reference
            )
            repairs.append(repaired)
    games = _merge(frames)
    return Reconciliation(
        games=games,
        unmatched=_unmatched(frames, games),
        repairs=pd.concat(repairs, ignore_index=True)
        if repairs
        else pd.DataFrame(columns=REPAIR_COLUMNS),
        conflicts=_conflicts(frames),
    )


# --- input normalization -------------------------------------------------------------


def _prepare(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The common columns of one source, dates as ``datetime.date``, unique ids."""
    required = {"game_id", "game_date", "away_team", "home_team", "away_score", "home_score"}
    missing = required - set(frame.columns)
    if missing:
        raise ValueError(f"{name} games lack columns {sorted(missing)}")
    duplicated = frame["game_id"][frame["game_id"].duplicated()]
    if len(duplicated):
        raise ValueError(f"{name} games repeat game_id(s) {sorted(duplicated)[:5]}")
    away_p, home_p = _PITCHER_COLUMNS[name]
    prepared = pd.DataFrame(
        {
            "game_id": frame["game_id"].astype(str),
            "game_date": _as_dates(frame["game_date"]),
            "away_team": frame["away_team"],
            "home_team": frame["home_team"],
            "away_score": frame["away_score"].astype("Int64"),
            "home_score": frame["home_score"].astype("Int64"),
            "away_pitcher": frame.get(away_p),
            "home_pitcher": frame.get(home_p),
            "start_time_utc": frame["start_time_utc"]
            if "start_time_utc" in frame
            else pd.Series(pd.NaT, index=frame.index, dtype="datetime64[ns, UTC]"),
            "day_night": frame.get("day_night"),
            "neutral_site": _flags(frame.get("neutral_site"), frame.index),
        }
    )
    return prepared.reset_index(drop=True)


def _flags(values: pd.Series | None, index: pd.Index) -> pd.Series:
    """A boolean column; absent or unknown values are False."""
    if values is None:
        return pd.Series(False, index=index, dtype=bool)
    return values.astype("boolean").fillna(False).astype(bool)


def _as_dates(values: pd.Series) -> pd.Series:
    """``datetime.date`` objects whatever the input held (dates, timestamps, strings)."""
    if len(values) and all(type(v) is date for v in values):
        return values.astype(object)
    parsed = pd.to_datetime(values)
    if getattr(parsed.dt, "tz", None) is not None:
        parsed = parsed.dt.tz_localize(None)
    return pd.Series(parsed.dt.date, index=values.index, dtype=object)


def _game_number(game_ids: pd.Series) -> pd.Series:
    return game_ids.str[-1].astype("int64")


def _season(game_dates: pd.Series) -> pd.Series:
    return pd.Series([d.year for d in game_dates], index=game_dates.index, dtype="int64")


# --- doubleheader repair -------------------------------------------------------------


def _repair_numbering(
    frame: pd.DataFrame, reference: pd.DataFrame, name: str, ref_name: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Re-number a source's games against the reference within (date, home, away)."""
    counts = frame.groupby(_KEY).size().rename("n").reset_index()
    ref_counts = reference.groupby(_KEY).size().rename("m").reset_index()
    both = counts.merge(ref_counts, on=_KEY)
    in_ref = frame["game_id"].isin(reference["game_id"])
    off_keys = frame.loc[~in_ref, _KEY].drop_duplicates()
    candidates = pd.concat([both[(both["n"] > 1) | (both["m"] > 1)][_KEY], off_keys])
    candidates = candidates.merge(both[_KEY]).drop_duplicates()
    renames: dict[str, tuple[str, str]] = {}
    x_groups = frame.merge(candidates, on=_KEY).groupby(_KEY, sort=False)
    r_groups = dict(list(reference.merge(candidates, on=_KEY).groupby(_KEY, sort=False)))
    for key, group in x_groups:
        renames.update(_match_group(group, r_groups[key]))
    renames = _without_collisions(frame["game_id"], renames)
    repairs = pd.DataFrame(
        [
            {
                "source": name,
                "original_game_id": old,
                "game_id": new,
                "reference": ref_name,
                "method": method,
            }
            for old, (new, method) in sorted(renames.items())
            if old != new
        ],
        columns=REPAIR_COLUMNS,
    )
    if repairs.empty:
        return frame, repairs
    repaired = frame.copy()
    mapping = dict(zip(repairs["original_game_id"], repairs["game_id"], strict=True))
    repaired["game_id"] = repaired["game_id"].map(lambda g: mapping.get(g, g))
    return repaired, repairs


def _match_group(group: pd.DataFrame, ref: pd.DataFrame) -> dict[str, tuple[str, str]]:
    """old id -> (new id, method) for one date/home/away group; {} when ambiguous.

    Final scores decide first (a score pair is used only when it is unique on both
    sides); a single game left on each side is then matched by elimination; when as
    many games remain on both sides they keep their relative order. The result must
    not produce two games with one id, otherwise nothing is re-numbered.
    """
    mapping: dict[str, tuple[str, str]] = {}
    x_scores = _score_keys(group)
    r_scores = _score_keys(ref)
    for score, x_ids in x_scores.items():
        r_ids = r_scores.get(score, [])
        if len(x_ids) == 1 and len(r_ids) == 1:
            mapping[x_ids[0]] = (r_ids[0], "matched by final score")
    x_left = group[~group["game_id"].isin(mapping)]
    r_left = ref[~ref["game_id"].isin([new for new, _ in mapping.values()])]
    if len(x_left) == 1 and len(r_left) == 1 and mapping:
        mapping[x_left["game_id"].iloc[0]] = (r_left["game_id"].iloc[0], "by elimination")
    elif len(x_left) == len(r_left) > 0 and not x_left["game_id"].isin(ref["game_id"]).all():
        for old, new in zip(sorted(x_left["game_id"]), sorted(r_left["game_id"]), strict=True):
            mapping[old] = (new, "by game order")
    new_ids = [new for new, _ in mapping.values()]
    kept = [g for g in group["game_id"] if g not in mapping]
    if len(set(new_ids + kept)) != len(group):
        return {}
    return mapping


def _without_collisions(
    game_ids: pd.Series, renames: dict[str, tuple[str, str]]
) -> dict[str, tuple[str, str]]:
    """Drop renames that would give two games of the source one id.

    Groups are matched one by one; a malformed source could hold the target id in
    another group (same home team and date, other visitor). Such renames are undone
    (the games then show up as unmatched) rather than merging two games.
    """
    renames = dict(renames)
    while True:
        final = game_ids.map(lambda g: renames.get(g, (g, ""))[0])
        clashing = set(final[final.duplicated(keep=False)])
        undo = [old for old, (new, _) in renames.items() if new in clashing]
        if not undo:
            return renames
        for old in undo:
            del renames[old]


def _score_keys(games: pd.DataFrame) -> dict[tuple[int, int], list[str]]:
    """(away score, home score) -> game ids, for games with both scores."""
    known = games.dropna(subset=["away_score", "home_score"])
    keys: dict[tuple[int, int], list[str]] = {}
    for game_id, away, home in zip(
        known["game_id"], known["away_score"], known["home_score"], strict=True
    ):
        keys.setdefault((int(away), int(home)), []).append(game_id)
    return keys


# --- merge ---------------------------------------------------------------------------


def _merge(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Outer join on game_id; each field from the first source (by precedence) having it."""
    ids = pd.Index(sorted(set().union(*(f["game_id"] for f in frames.values()))), name="game_id")
    indexed = {name: f.set_index("game_id").reindex(ids) for name, f in frames.items()}
    ordered = [indexed[name] for name in SOURCE_ORDER if name in indexed]
    games = pd.DataFrame(index=ids)
    for column in (
        "game_date",
        "away_team",
        "home_team",
        "away_pitcher",
        "home_pitcher",
        "day_night",
    ):
        games[column] = _first(ordered, column).astype(object)
        games[column] = games[column].where(games[column].notna(), None)
    for column in ("away_score", "home_score"):
        games[column] = _first(ordered, column).astype("Int64")
    games["start_time_utc"] = (
        indexed["pinnacle"]["start_time_utc"].astype("datetime64[ns, UTC]")
        if "pinnacle" in indexed
        else pd.Series(pd.NaT, index=ids, dtype="datetime64[ns, UTC]")
    )
    neutral = pd.concat([f["neutral_site"] for f in indexed.values()], axis=1)
    games["neutral_site"] = neutral.astype("boolean").fillna(False).any(axis=1).astype(bool)
    games = games.reset_index()
    games["season"] = _season(games["game_date"])
    games["game_number"] = _game_number(games["game_id"])
    present = pd.DataFrame({name: ids.isin(f["game_id"]) for name, f in frames.items()})
    games["sources"] = _joined_names(present)
    games["status"] = _status(games, frames)
    return games.sort_values(["game_date", "game_id"], ignore_index=True)[GAME_COLUMNS]


def _first(frames: list[pd.DataFrame], column: str) -> pd.Series:
    result = frames[0][column].astype(object)
    for frame in frames[1:]:
        result = result.where(result.notna(), frame[column].astype(object))
    return result


def _joined_names(present: pd.DataFrame) -> pd.Series:
    """Comma-joined sorted source names per row of a boolean presence table."""
    names = sorted(present.columns)
    # Encode each row's combination as a bit mask; there are at most 2**3 labels.
    codes = sum(present[n].to_numpy(dtype=np.int64) << i for i, n in enumerate(names))
    labels = {
        code: ",".join(n for i, n in enumerate(names) if code >> i & 1)
        for code in range(1 << len(names))
    }
    return pd.Series(codes, dtype=np.int64).map(labels).astype(object)


def _status(games: pd.DataFrame, frames: dict[str, pd.DataFrame]) -> pd.Series:
    final = games["away_score"].notna() & games["home_score"].notna()
    status = pd.Series(np.where(final, "final", "scheduled"), index=games.index, dtype=object)
    if "retrosheet" in frames:
        covered = _covered_by(games["game_date"], frames["retrosheet"])
        absent = ~games["game_id"].isin(frames["retrosheet"]["game_id"])
        status[~final & absent & covered] = "postponed"
    return status


def _covered_by(game_dates: pd.Series, retrosheet: pd.DataFrame) -> pd.Series:
    """Whether a date lies inside the span of Retrosheet's log for that season."""
    ref_days = pd.to_datetime(retrosheet["game_date"])
    spans = ref_days.groupby(ref_days.dt.year).agg(["min", "max"])
    days = pd.to_datetime(game_dates)
    first = days.dt.year.map(spans["min"])
    last = days.dt.year.map(spans["max"])
    return ((days >= first) & (days <= last)).fillna(False).astype(bool)


# --- reports -------------------------------------------------------------------------


def _unmatched(frames: dict[str, pd.DataFrame], games: pd.DataFrame) -> pd.DataFrame:
    """Per source, the games not found in every other source, with the likely reason."""
    rows = []
    for name, frame in frames.items():
        others = [o for o in frames if o != name]
        missing = pd.DataFrame({o: ~frame["game_id"].isin(frames[o]["game_id"]) for o in others})
        if missing.empty:
            continue
        for i in np.flatnonzero(missing.any(axis=1).to_numpy()):
            game = frame.iloc[i]
            lacking = [o for o in others if missing.at[i, o]]
            rows.append(
                {
                    "source": name,
                    "game_id": game["game_id"],
                    "game_date": game["game_date"],
                    "away_team": game["away_team"],
                    "home_team": game["home_team"],
                    "missing_from": ",".join(sorted(lacking)),
                    "reason": "; ".join(_reason(game, name, o, frames) for o in sorted(lacking)),
                }
            )
    unmatched = pd.DataFrame(rows, columns=UNMATCHED_COLUMNS)
    return unmatched.sort_values(["game_date", "game_id", "source"], ignore_index=True)


def _reason(game: pd.Series, source: str, other: str, frames: dict[str, pd.DataFrame]) -> str:
    """Why ``game`` of ``source`` has no counterpart in ``other`` (first reason that fits)."""
    target = frames[other]
    if {game["away_team"], game["home_team"]} & ALLSTAR_TEAMS:
        return f"{other}: All-Star game (exhibition, not a regular-season game)"
    if other == "retrosheet":
        last = target["game_date"][_season(target["game_date"]) == game["game_date"].year]
        if len(last) and game["game_date"] > last.max():
            return f"{other}: postseason game (after the last regular-season game, {last.max()})"
    same_day = target[
        (target["game_date"] == game["game_date"])
        & (target["home_team"] == game["home_team"])
        & (target["away_team"] == game["away_team"])
    ]
    if len(same_day):
        ids = ", ".join(sorted(same_day["game_id"]))
        return (
            f"{other}: lists {ids} for this date and matchup "
            "(a doubleheader game missing or numbered differently)"
        )
    nearby = _nearby(game, target, frames[source])
    scoreless = pd.isna(game["away_score"]) or pd.isna(game["home_score"])
    prefix = f"{other}: no final score here (postponed listing); " if scoreless else f"{other}: "
    if len(nearby):
        dates = ", ".join(
            f"{d} ({i})" for d, i in zip(nearby["game_date"], nearby["game_id"], strict=True)
        )
        return f"{prefix}date mismatch; {other} has this matchup on {dates}"
    if scoreless:
        return f"{prefix}no game for this home team on this date"
    return f"{other}: not listed (no game of this home team, date and matchup)"


def _nearby(game: pd.Series, target: pd.DataFrame, source: pd.DataFrame) -> pd.DataFrame:
    """The same matchup in ``target`` a few days off, itself unmatched in ``source``.

    Games of the same series that both sources list are no evidence of a wrong date.
    """
    window = timedelta(days=DATE_WINDOW_DAYS)
    same_teams = target[
        (target["home_team"] == game["home_team"])
        & (target["away_team"] == game["away_team"])
        & ~target["game_id"].isin(source["game_id"])
    ]
    offset = same_teams["game_date"].map(lambda d: abs(d - game["game_date"]))
    close = (offset <= window) & (offset > timedelta(0))
    return same_teams[close.astype(bool)].sort_values("game_id")


def _conflicts(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """Games whose sources disagree on the away team or a final score."""
    present = [name for name in SOURCE_ORDER if name in frames]
    if len(present) < 2:
        return pd.DataFrame(columns=CONFLICT_COLUMNS)
    wide = None
    for name in present:
        part = frames[name].set_index("game_id")[["away_team", "away_score", "home_score"]]
        part = part.add_suffix(f"|{name}")
        wide = part if wide is None else wide.join(part, how="outer")
    parts = []
    for field in ("away_team", "away_score", "home_score"):
        values = wide[[f"{field}|{name}" for name in present]].astype(object)
        values.columns = present
        differs = values.nunique(axis=1, dropna=True) > 1
        table = values[differs].reset_index()
        table.insert(1, "field", field)
        table["chosen"] = _first([table[[n]].rename(columns={n: field}) for n in present], field)
        parts.append(table)
    conflicts = pd.concat(parts, ignore_index=True)
    for name in SOURCE_ORDER:
        if name not in conflicts:
            conflicts[name] = None
    return conflicts[CONFLICT_COLUMNS].sort_values(["game_id", "field"], ignore_index=True)


def apply_repairs(frame: pd.DataFrame, repairs: pd.DataFrame, source: str) -> pd.DataFrame:
    """Re-key a source's other tables (e.g. workbook lines) the way its games were re-keyed.

    ``reconcile_games`` re-numbers games of a source, so rows keyed by that source's
    original ``game_id`` must follow, or a swapped doubleheader's lines would attach
    to the other game.
    """
    mine = repairs[repairs["source"] == source]
    if mine.empty or frame.empty:
        return frame
    mapping = dict(zip(mine["original_game_id"], mine["game_id"], strict=True))
    return frame.assign(game_id=frame["game_id"].map(lambda g: mapping.get(g, g)))
