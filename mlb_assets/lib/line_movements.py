"""Summarise each side's pre-game line history: open, decision, close and how it moved.

Input is the change-only snapshot table of :func:`mlb_assets.lib.snapshots.normalize_quotes`
and the games' first-pitch times. Only snapshots captured strictly before first pitch
count; in-play lines are ignored.

The *state* of a market at a moment is each side's latest snapshot at or before it
(a forward fill per side), so a side's no-vig probability is defined at every moment
either side changed, even when only the opposite side moved. The no-vig probability
is multiplicative (``p_side / (p_home + p_away)``, likewise over/under); for spreads
and totals it is defined only while both sides quote the same line (away +1.5 with
home -1.5; over 8.5 with under 8.5), else it is NaN.

Point in time: ``decision_*``, ``decision_move_prob`` and ``moves_last_*`` use data
captured at or before the decision time only and are safe as model features, as are
``open_*`` where ``open_at <= decision_at`` (a market may open later). The
``close_*`` columns, ``n_moves``, ``net_move_prob``, ``largest_move_prob`` and ``steam``
look up to first pitch, after the decision; they serve as targets, closing-line value
and diagnostics. ``steam_at`` is the moment a steam move became visible, so
``steam_at <= decision_at`` is the point-in-time form of ``steam``.

**When a line was observed.** Snapshots record changes only, so a change's time says
when the new line was first seen, not how long the old one had been in place. A feed
polled every hour shows an hour's accumulated moves as one simultaneous jump, which
would read as steam. The *observation gap* of a change is the time between the last
observation of the book's line for that game before the change (still the old line)
and the first at or after it (the new line): the change happened somewhere in between.
Observations are passed as ``observations`` (one row per game, book and moment the
book's line was read, e.g. every poll of The Odds API that carried it). A book with no
observations listed for a game is observed continuously: its source records every
change the moment it happens (Pinnacle's archive, with every line entry timestamped),
so each change is bracketed by the instant before it and the instant itself, and its
gap is 0. Steam counts only moves whose gaps are at most the steam window; see
:func:`compute_line_movements`.

For spreads and totals a new point (total 8.5 -> 9) prices a different proposition,
so ``largest_move_prob`` and ``steam`` compare probabilities at the same point only;
``net_move_prob`` and ``decision_move_prob`` are plain differences and may span a
point change, which ``open_point``/``close_point`` reveal.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.api.indexers import BaseIndexer

from mlb_assets.lib.odds import american_to_implied, no_vig_multiplicative

KEY_COLUMNS = ["game_id", "book", "market", "side"]
MOVEMENT_COLUMNS = [
    *KEY_COLUMNS,
    "open_at",
    "open_price",
    "open_point",
    "decision_at",
    "decision_price",
    "decision_point",
    "close_at",
    "close_price",
    "close_point",
    "n_moves",
    "open_prob_novig",
    "decision_prob_novig",
    "close_prob_novig",
    "net_move_prob",
    "decision_move_prob",
    "largest_move_prob",
    "moves_last_1h",
    "moves_last_3h",
    "steam",
    "steam_at",
    "steam_gap_minutes",
    "decision_snapshot_id",
]
OBSERVATION_COLUMNS = ["game_id", "book", "observed_at"]

_FIRST_SIDES = ("home", "over")  # the "a" side of each two-way market
_HOUR_NS = 3_600_000_000_000
_MINUTE_NS = 60_000_000_000
_NAT = np.iinfo(np.int64).min  # how numpy stores NaT as an integer
_TOLERANCE = 1e-9  # absorbs float noise when a move equals the steam threshold exactly


@dataclass(frozen=True)
class MovementParams:
    """Tunable definitions of the decision time and of a steam move.

    Defaults:
        decision_minutes_before=60: the project's decision time (DESIGN.md): lineups
            and starters are known, and the price is still available to bet.
        steam_window_minutes=30, steam_min_move_prob=0.03: a steam move is a rise of
            the side's no-vig probability by at least 3 points within 30 minutes at an
            unchanged point (a fall shows as steam on the opposite side). On Pinnacle's
            2016 moneylines one line change moves the no-vig probability by 0.4 points
            at the median and 1.5 at the 99th percentile, so 3 points in half an hour
            takes several same-direction changes in quick succession (the signature of
            sharp money hitting the book), not routine re-balancing. With these values
            about 12% of pre-game moneyline and run-line sides show steam; 2 points
            would flag 36%, 4 points 3%. Totals prices swing
            more (39% at 3 points): raise the threshold for a rarer totals signal.
    """

    decision_minutes_before: int = 60
    steam_window_minutes: int = 30
    steam_min_move_prob: float = 0.03

    def __post_init__(self) -> None:
        if self.decision_minutes_before < 0:
            raise ValueError("decision_minutes_before must be >= 0")
        if self.steam_window_minutes <= 0:
            raise ValueError("steam_window_minutes must be > 0")
        if not 0 < self.steam_min_move_prob < 1:
            raise ValueError("steam_min_move_prob must be in (0, 1)")


def compute_line_movements(
    snapshots: pd.DataFrame,
    games: pd.DataFrame,
    params: MovementParams = MovementParams(),  # frozen, so a shared default is safe
    observations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per (game_id, book, market, side) with a pre-game snapshot.

    Args:
        snapshots: change-only quotes (``normalize_quotes(...).snapshots``).
        games: ``game_id`` (unique) and ``start_time_utc`` (UTC-aware first pitch).
            Games absent here, or without a start time, produce no rows.
        params: the decision time and steam definitions.
        observations: :data:`OBSERVATION_COLUMNS`, the moments each (game, book) line
            was read; None, or a (game, book) absent from it, means observed
            continuously (see the module docstring).

    Steam is claimed only for a rise whose moves were each bracketed by observations
    at most ``steam_window_minutes`` apart: the rise is measured from the lowest
    probability reachable without crossing a wider gap. ``steam_gap_minutes`` is the
    widest gap among the moves making up the rise (the shortest run of consecutive
    moves ending at ``steam_at`` that adds up to the threshold). When only a rise
    across a wider gap reached the threshold, ``steam`` is False and
    ``steam_gap_minutes`` records that rise's widest gap (NaN when a move had no
    observation on one side), so moves lost to coarse observation can be counted.

    Returns:
        Columns :data:`MOVEMENT_COLUMNS`, sorted by game, book, market, side. Times
        are UTC; probabilities are fractions (0.021 is 2.1 points); prices that may be
        absent (``decision_price``, ``decision_snapshot_id``) are nullable ``Int64``.
        ``decision_snapshot_id`` names the snapshot a bet at decision time would take.
    """
    pregame = _pregame(snapshots, games, params)
    if pregame.empty:
        return _empty_movements()
    sides = _side_lines(pregame)
    timeline = _side_timeline(pregame)
    game_of = sides["game_id"].to_numpy()[timeline["kid"].to_numpy()]
    book_of = sides["book"].to_numpy()[timeline["kid"].to_numpy()]
    timeline["gap"] = observation_gaps(game_of, book_of, timeline["t"].to_numpy(), observations)
    probabilities = _probability_features(timeline, sides, params)
    return _assemble(sides, probabilities)


def observation_gaps(
    game_id: np.ndarray, book: np.ndarray, t: np.ndarray, observations: pd.DataFrame | None
) -> np.ndarray:
    """Nanoseconds between the observations that bracket each change (game, book, ``t``).

    The last observation of the (game, book) strictly before ``t`` and the first at or
    after it. 0 for a (game, book) without observations (observed continuously); inf
    when one side of the bracket is missing (the change cannot be placed in time). A row
    whose ``observed_at`` is NaT marks its (game, book) as polled without placing a poll
    in time (a point-in-time view hiding later polls, see
    :func:`mlb_assets.lib.features.market.visible_observations`).
    """
    gaps = np.zeros(len(t))
    if observations is None or observations.empty or len(t) == 0:
        return gaps
    seen = _epoch_ns(observations["observed_at"])
    n = len(t)
    games, _ = pd.factorize(
        np.concatenate(
            [np.asarray(game_id, dtype=object), observations["game_id"].to_numpy(dtype=object)]
        )
    )
    books, book_names = pd.factorize(
        np.concatenate(
            [np.asarray(book, dtype=object), observations["book"].to_numpy(dtype=object)]
        )
    )
    pair = games.astype(np.int64) * len(book_names) + books
    change_pair, seen_pair = pair[:n], pair[n:]
    polled = np.isin(change_pair, seen_pair)
    placed = seen != _NAT
    if not placed.any():
        return np.where(polled, np.inf, 0.0)
    seen, seen_pair = seen[placed], seen_pair[placed]
    times = np.unique(np.concatenate([seen, t]))
    span = len(times) + 1
    seen_key = seen_pair * span + np.searchsorted(times, seen)
    order = np.argsort(seen_key, kind="stable")
    seen_key, seen_t, seen_pair = seen_key[order], seen[order], seen_pair[order]
    change_key = change_pair * span + np.searchsorted(times, t)
    after = np.searchsorted(seen_key, change_key, side="left")  # first at or after t
    before = after - 1
    has_after = after < len(seen_key)
    has_after[has_after] &= seen_pair[after[has_after]] == change_pair[has_after]
    has_before = before >= 0
    has_before[has_before] &= seen_pair[before[has_before]] == change_pair[has_before]
    bracket = seen_t[np.minimum(after, len(seen_t) - 1)] - seen_t[np.maximum(before, 0)]
    gaps = np.where(has_before & has_after, bracket.astype(float), np.inf)
    return np.where(polled, gaps, 0.0)


def _pregame(snapshots: pd.DataFrame, games: pd.DataFrame, params: MovementParams) -> pd.DataFrame:
    """Snapshots before first pitch with integer times, key ids and the decision time.

    Sorted by (game, book, market, side, time); ``kid`` numbers the sides and ``mid``
    the markets in that order, ``slot`` is 0 for home/over and 1 for away/under.
    Built from numpy arrays in one step: adding columns one by one copies the frame.
    """
    if games["game_id"].duplicated().any():
        raise ValueError("games has duplicate game_id values")
    game_starts = np.append(_epoch_ns(games["start_time_utc"]), _NAT)  # position -1: unknown
    start = game_starts[pd.Index(games["game_id"]).get_indexer(snapshots["game_id"])]
    t = _epoch_ns(snapshots["captured_at"])
    keep = (start != _NAT) & (t < start)
    rows = snapshots[keep]
    market_key, side_code = _key_numbers(rows)
    order = np.lexsort([t[keep], side_code, market_key])
    data = {c: rows[c].to_numpy()[order] for c in ["snapshot_id", *KEY_COLUMNS, "point"]}
    data["price_american"] = rows["price_american"].to_numpy()[order]
    data["t"], data["start"] = t[keep][order], start[keep][order]
    data["decision"] = data["start"] - params.decision_minutes_before * _MINUTE_NS
    data["slot"] = (~np.isin(data["side"], _FIRST_SIDES)).astype(np.int64)
    new_market = _starts_run(market_key[order])
    data["mid"] = np.cumsum(new_market) - 1
    data["kid"] = np.cumsum(new_market | _starts_run(side_code[order])) - 1
    return pd.DataFrame(data)


def _key_numbers(frame: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Integers that sort like (game_id, book, market) and like side.

    Sorting and grouping on integers instead of four string columns is what keeps
    a season (and 100 of them) fast.
    """
    market_key = np.zeros(len(frame), dtype=np.int64)
    for column in KEY_COLUMNS[:3]:  # three columns, not rows
        codes, uniques = pd.factorize(frame[column], sort=True)
        market_key = market_key * len(uniques) + codes
    side_code, _ = pd.factorize(frame["side"], sort=True)
    return market_key, side_code.astype(np.int64)


def _starts_run(values: np.ndarray) -> np.ndarray:
    """True for the first element and wherever an element differs from its predecessor."""
    starts = np.ones(len(values), dtype=bool)
    starts[1:] = values[1:] != values[:-1]
    return starts


def _epoch_ns(times: pd.Series) -> np.ndarray:
    """Integer nanoseconds since the epoch of UTC-aware datetimes.

    A naive datetime is refused rather than guessed: every time in the project is UTC-aware.
    """
    if not isinstance(times.dtype, pd.DatetimeTZDtype):
        raise ValueError(f"expected timezone-aware datetimes, got {times.dtype}")
    return times.dt.tz_convert("UTC").dt.as_unit("ns").array.asi8  # NaT becomes _NAT


def _as_time(ns: pd.Series) -> pd.Series:
    """Integer epoch nanoseconds back to UTC datetimes."""
    return pd.Series(pd.to_datetime(ns.to_numpy(), utc=True), index=ns.index)


def _side_lines(pregame: pd.DataFrame) -> pd.DataFrame:
    """Per side: the opening, decision-time and closing snapshots and move counts."""
    kid = pregame["kid"].to_numpy()
    n_keys = kid.max() + 1
    first = pregame.drop_duplicates("kid", keep="first").set_index("kid")
    last = pregame.drop_duplicates("kid", keep="last").set_index("kid")
    decided = pregame[pregame["t"] <= pregame["decision"]]
    decision = decided.drop_duplicates("kid", keep="last").set_index("kid")
    lines = first[[*KEY_COLUMNS, "mid", "decision"]].copy()
    lines = lines.join(_snapshot_fields(first, "open"))
    lines = lines.join(_snapshot_fields(decision, "decision", with_id=True))
    lines = lines.join(_snapshot_fields(last, "close"))
    lines["n_moves"] = np.bincount(kid, minlength=n_keys) - 1
    for hours in (1, 3):
        counted = _moves_before_decision(pregame, hours)
        lines[f"moves_last_{hours}h"] = np.bincount(kid, weights=counted, minlength=n_keys)
    return lines


def _snapshot_fields(rows: pd.DataFrame, prefix: str, *, with_id: bool = False) -> pd.DataFrame:
    """Time, price and point of one snapshot per side, renamed with ``prefix``."""
    fields = {"price_american": f"{prefix}_price", "point": f"{prefix}_point"}
    if with_id:
        fields["snapshot_id"] = f"{prefix}_snapshot_id"
    selected = rows[list(fields)].rename(columns=fields)
    if with_id:  # nullable ints: a float detour would corrupt 63-bit ids
        selected = selected.astype({f"{prefix}_price": "Int64", f"{prefix}_snapshot_id": "Int64"})
    else:
        selected[f"{prefix}_at"] = _as_time(rows["t"])
    return selected


def _moves_before_decision(pregame: pd.DataFrame, hours: int) -> np.ndarray:
    """1.0 for a change (not the opening line) in ``(decision - hours, decision]``."""
    t, decision = pregame["t"].to_numpy(), pregame["decision"].to_numpy()
    opening = _starts_run(pregame["kid"].to_numpy())
    inside = (t > decision - hours * _HOUR_NS) & (t <= decision)
    return (inside & ~opening).astype(float)


def _market_states(pregame: pd.DataFrame) -> pd.DataFrame:
    """Each market's state after every instant at which either side changed.

    Sides are forward-filled within the market, so a state pairs the side that just
    changed with the opposite side's price still in effect.
    """
    mid, t = pregame["mid"].to_numpy(), pregame["t"].to_numpy()
    order = np.lexsort([t, mid])
    mid, t, slot = mid[order], t[order], pregame["slot"].to_numpy()[order]
    last_row = np.ones(len(t), dtype=bool)  # the state after all changes at one instant
    last_row[:-1] = (mid[1:] != mid[:-1]) | (t[1:] != t[:-1])
    data = {"mid": mid, "t": t, "market": pregame["market"].to_numpy()[order]}
    price = pregame["price_american"].to_numpy(dtype=float)[order]
    point = pregame["point"].to_numpy(dtype=float)[order]
    for side in (0, 1):
        source = _last_in_group(slot == side, _starts_run(mid))
        has = source >= 0
        data[f"has_{side}"] = has
        data[f"price_{side}"] = np.where(has, price[source], np.nan)
        data[f"point_{side}"] = np.where(has, point[source], np.nan)
    states = pd.DataFrame(data)[last_row].reset_index(drop=True)
    states["prob_0"], states["prob_1"] = _paired_no_vig(states)
    return states


def _last_in_group(mask: np.ndarray, group_start: np.ndarray) -> np.ndarray:
    """Index of the latest row at or before each row with ``mask`` true, within its group.

    -1 where there is none. A forward fill by running maximum, reset at group starts.
    """
    if len(mask) == 0:
        return np.zeros(0, dtype=np.int64)
    positions = np.arange(len(mask))
    latest = np.maximum.accumulate(np.where(mask, positions, -1))
    group_first = np.maximum.accumulate(np.where(group_start, positions, 0))
    return np.where(latest >= group_first, latest, -1)


def _paired_no_vig(states: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """Multiplicative no-vig probabilities where both sides quote the same line."""
    market = states["market"].to_numpy()
    point_0, point_1 = states["point_0"].to_numpy(), states["point_1"].to_numpy()
    same_line = np.where(market == "spreads", point_0 == -point_1, point_0 == point_1)
    paired = (market == "h2h") | same_line
    q_0, q_1 = no_vig_multiplicative(
        american_to_implied(states["price_0"].to_numpy()),
        american_to_implied(states["price_1"].to_numpy()),
    )
    return np.where(paired, q_0, np.nan), np.where(paired, q_1, np.nan)


def _side_timeline(pregame: pd.DataFrame) -> pd.DataFrame:
    """Per side, its point and no-vig probability at every market state since it first quoted.

    ``seg`` numbers the runs of constant point within a side: probabilities are only
    comparable within a run, since a new point prices a different proposition.
    """
    states = _market_states(pregame)
    keys = pregame.drop_duplicates("kid")
    kid_of = np.full((pregame["mid"].max() + 1, 2), -1, dtype=np.int64)
    kid_of[keys["mid"].to_numpy(), keys["slot"].to_numpy()] = keys["kid"].to_numpy()
    parts = []
    for slot in (0, 1):  # the two sides of a market
        quoted = states[states[f"has_{slot}"].to_numpy()]
        kid = kid_of[quoted["mid"].to_numpy(), slot]
        columns = {"t": "t", f"point_{slot}": "point", f"prob_{slot}": "prob"}
        parts.append(quoted[list(columns)].rename(columns=columns).assign(kid=kid))
    timeline = pd.concat(parts, ignore_index=True)
    order = np.lexsort([timeline["t"].to_numpy(), timeline["kid"].to_numpy()])
    timeline = timeline.iloc[order].reset_index(drop=True)
    point = np.nan_to_num(timeline["point"].to_numpy(), nan=np.inf)  # h2h: NaN equals NaN
    kid = timeline["kid"].to_numpy()
    timeline["seg"] = np.cumsum(_starts_run(kid) | _starts_run(point))
    return timeline


def _probability_features(
    timeline: pd.DataFrame, sides: pd.DataFrame, params: MovementParams
) -> pd.DataFrame:
    """Per side: no-vig probability at open, decision and close, largest move, steam."""
    decision = sides["decision"].to_numpy()[timeline["kid"].to_numpy()]
    at_decision = timeline[timeline["t"].to_numpy() <= decision]
    features = pd.DataFrame(
        {
            "open_prob_novig": _per_side(timeline, "first"),
            "decision_prob_novig": _per_side(at_decision, "last"),
            "close_prob_novig": _per_side(timeline, "last"),
        },
        index=sides.index,
    )
    features["largest_move_prob"] = _largest_move(timeline)
    steam_at, gap = _first_steam(timeline, params)
    features["steam_at"] = _as_time(steam_at)
    features["steam"] = features["steam_at"].notna()
    features["steam_gap_minutes"] = gap / _MINUTE_NS
    return features


def _per_side(timeline: pd.DataFrame, keep: str) -> pd.Series:
    """The probability of each side's first or last row (which may be NaN)."""
    return timeline.drop_duplicates("kid", keep=keep).set_index("kid")["prob"]


def _largest_move(timeline: pd.DataFrame) -> pd.Series:
    """Largest absolute change between consecutive defined probabilities at one point."""
    defined = timeline[timeline["prob"].notna()]
    same_run = defined["seg"].diff() == 0
    change = defined["prob"].diff().abs().where(same_run)
    return change.groupby(defined["kid"]).max()


class _Bounds(BaseIndexer):
    """Precomputed rolling-window bounds (start inclusive, end exclusive)."""

    def __init__(self, start: np.ndarray, end: np.ndarray) -> None:
        super().__init__()
        self.start, self.end = start, end

    def get_window_bounds(
        self,
        num_values: int = 0,
        min_periods: int | None = None,
        center: bool | None = None,
        closed: str | None = None,
        step: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        return self.start, self.end


def _first_steam(timeline: pd.DataFrame, params: MovementParams) -> tuple[pd.Series, pd.Series]:
    """Per side, the first moment its probability had risen by the threshold within the
    window across observed moves only, and the widest observation gap of that rise.

    At each state the rise is measured against the lowest probability in effect at any
    time during the preceding window, including the state already in effect when the
    window opened (it may have been set long before), and at the same point only. A
    move whose observation gap exceeds the window cannot be placed inside it, so the
    low is taken after the latest such move. Sides whose only rises cross such a move
    get no time but that rise's gap (see :func:`compute_line_movements`).
    """
    window = params.steam_window_minutes * _MINUTE_NS
    start = _window_start_rows(timeline, window)
    gap = timeline["gap"].to_numpy().copy()
    seg = timeline["seg"].to_numpy()
    gap[_starts_run(seg)] = 0.0  # a new point is not a move: nothing to bracket
    wide = _last_in_group(gap > window, _starts_run(seg))
    observed_start = np.maximum(start, wide)
    claimed = _rising_rows(timeline, observed_start, params)
    candidate = _rising_rows(timeline, start, params)
    kid = timeline["kid"].to_numpy()
    firsts = _first_per_side(kid, claimed)
    missed = _first_per_side(kid, candidate & ~np.isin(kid, kid[firsts]))
    rows = np.concatenate([firsts, missed])
    widest = _widest_gap(timeline["prob"].to_numpy(), gap, start, rows, params)
    steam_at = pd.Series(timeline["t"].to_numpy()[firsts], index=kid[firsts])
    return steam_at, pd.Series(widest, index=kid[rows])


def _rising_rows(timeline: pd.DataFrame, start: np.ndarray, params: MovementParams) -> np.ndarray:
    """Rows whose probability is at least the threshold above the low of rows [start, row]."""
    end = np.arange(1, len(timeline) + 1, dtype=np.int64)
    prob = timeline["prob"]
    low = prob.rolling(_Bounds(start, end), min_periods=1).min()
    return (prob - low >= params.steam_min_move_prob - _TOLERANCE).to_numpy()


def _first_per_side(kid: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Row numbers of each side's first row where ``mask`` holds (rows sorted by side, time)."""
    rows = np.flatnonzero(mask)
    return rows[_starts_run(kid[rows])]


def _widest_gap(
    prob: np.ndarray,
    gap: np.ndarray,
    start: np.ndarray,
    rows: np.ndarray,
    params: MovementParams,
) -> np.ndarray:
    """The widest gap (ns; NaN if unknown) among the moves making up the rise at each of ``rows``.

    Those moves follow the latest row in the window the rise is measured from (the
    shortest run of moves that reaches the threshold).
    """
    lengths = rows + 1 - start[rows]
    owner = np.repeat(np.arange(len(rows)), lengths)
    member = (
        start[rows][owner]
        + np.arange(lengths.sum())
        - np.repeat(np.cumsum(lengths) - lengths, lengths)
    )
    with np.errstate(invalid="ignore"):
        base = prob[rows][owner] - prob[member] >= params.steam_min_move_prob - _TOLERANCE
    latest = pd.Series(np.where(base, member, -1)).groupby(owner).max().to_numpy()
    inside = member > latest[owner]  # the moves into rows after the base, up to the hit
    widest = pd.Series(np.where(inside, gap[member], 0.0)).groupby(owner).max().to_numpy()
    return np.where(np.isinf(widest), np.nan, widest)


def _window_start_rows(timeline: pd.DataFrame, window_ns: int) -> np.ndarray:
    """For each row, the row in effect at ``t - window`` in its run, else the run's first row.

    Rows are sorted by (seg, t). Times are replaced by their rank so that ``seg`` and
    time combine into one sortable int64, and a single ``searchsorted`` finds every
    row's window start at once.
    """
    seg, t = timeline["seg"].to_numpy(), timeline["t"].to_numpy()
    unique_t, rank = np.unique(t, return_inverse=True)
    span = len(unique_t) + 1
    composite = seg * span + rank + 1
    rank_at_start = np.searchsorted(unique_t, t - window_ns, side="right")  # rank + 1
    in_effect = np.searchsorted(composite, seg * span + rank_at_start, side="right") - 1
    first_row = np.searchsorted(seg, seg, side="left")
    return np.where(in_effect >= first_row, in_effect, first_row).astype(np.int64)


def _assemble(sides: pd.DataFrame, probabilities: pd.DataFrame) -> pd.DataFrame:
    """Join the per-side parts, derive the differences and order the columns."""
    out = sides.join(probabilities)
    out["decision_at"] = _as_time(out["decision"])
    for column in ("n_moves", "moves_last_1h", "moves_last_3h"):
        out[column] = out[column].astype(np.int64)
    out["net_move_prob"] = out["close_prob_novig"] - out["open_prob_novig"]
    out["decision_move_prob"] = out["decision_prob_novig"] - out["open_prob_novig"]
    return out[MOVEMENT_COLUMNS].reset_index(drop=True)


def _empty_movements() -> pd.DataFrame:
    """The output's columns with no rows (no snapshot before any first pitch)."""
    empty = pd.DataFrame({column: pd.Series(dtype=object) for column in MOVEMENT_COLUMNS})
    for column in ("open_at", "decision_at", "close_at", "steam_at"):
        empty[column] = pd.Series(dtype="datetime64[ns, UTC]")
    empty["steam_gap_minutes"] = pd.Series(dtype=float)
    for column in ("open_price", "close_price", "n_moves", "moves_last_1h", "moves_last_3h"):
        empty[column] = pd.Series(dtype=np.int64)
    for column in ("decision_price", "decision_snapshot_id"):
        empty[column] = pd.Series(dtype="Int64")
    empty["steam"] = pd.Series(dtype=bool)
    float_columns = [c for c in MOVEMENT_COLUMNS if c.endswith(("_point", "_prob", "_novig"))]
    for column in float_columns:
        empty[column] = pd.Series(dtype=float)
    return empty


BOOK_STATE_COLUMNS = [
    "game_id",
    "book",
    "market",
    "t",
    "start",
    "price_0",
    "point_0",
    "price_1",
    "point_1",
    "prob_0",
    "prob_1",
]


def book_market_states(snapshots: pd.DataFrame, games: pd.DataFrame) -> pd.DataFrame:
    """Each (game, book, market)'s two-sided state after every pre-game instant it changed.

    The building block shared with cross-book analyses: the same pre-game filter and
    forward fill that :func:`compute_line_movements` uses, exposed so that other
    modules agree with it on what a book's line was at any moment.

    Returns:
        Columns :data:`BOOK_STATE_COLUMNS`, sorted by game, book, market and time.
        ``t`` (the instant) and ``start`` (first pitch) are int64 epoch nanoseconds;
        suffix ``_0`` is the home/over side and ``_1`` the away/under side. A side not
        yet quoted has NaN price and point; ``prob_*`` is the multiplicative no-vig
        probability, NaN unless both sides quote the same line.
    """
    pregame = _pregame(snapshots, games, MovementParams())
    if pregame.empty:
        empty = {column: pd.Series(dtype=float) for column in BOOK_STATE_COLUMNS}
        empty.update({c: pd.Series(dtype=object) for c in ("game_id", "book", "market")})
        empty.update({c: pd.Series(dtype=np.int64) for c in ("t", "start")})
        return pd.DataFrame(empty)
    states = _market_states(pregame)
    keys = pregame.drop_duplicates("mid")  # one row per mid, in mid order
    mid = states["mid"].to_numpy()
    data = {c: keys[c].to_numpy()[mid] for c in ("game_id", "book", "market", "start")}
    data["t"] = states["t"].to_numpy()
    for column in BOOK_STATE_COLUMNS[5:]:
        data[column] = states[column].to_numpy()
    return pd.DataFrame(data)[BOOK_STATE_COLUMNS]
