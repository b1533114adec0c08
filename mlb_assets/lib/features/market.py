"""Market features per game: what one book's lines said at the decision time.

Point in time: :func:`market_features` first discards every snapshot captured after the
game's decision time (first pitch minus ``decision_minutes_before``) and only then
derives anything, so no feature can see a later line, by construction. The market's
state at a moment is each side's latest snapshot at or before it, as
:func:`mlb_assets.lib.line_movements.book_market_states` defines it; moves and steam
reuse :func:`mlb_assets.lib.line_movements.compute_line_movements` on the same visible
snapshots, and on the polls that observed the lines up to the decision time only
(:func:`visible_observations`): a live feed polled an hour apart shows no steam here
either, as in ``line_movements``.

Archives without timestamps (the season workbooks) know an opening and a closing line
only. :func:`workbook_market_features` uses the opening line and leaves every
decision-time and movement column NaN: the close comes after any decision time.
:func:`closing_probabilities` reads the close, for evaluation and closing-line value,
never as a feature.

Probabilities are fractions of one; ``_mult`` is the multiplicative no-vig method and
``_shin`` Shin's (see :mod:`mlb_assets.lib.odds`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlb_assets.lib.line_movements import (
    MovementParams,
    book_market_states,
    compute_line_movements,
)
from mlb_assets.lib.odds import american_to_implied, no_vig_multiplicative, no_vig_shin

#: Point-in-time market features (safe to train on).
MARKET_FEATURE_COLUMNS = [
    "ml_open_home_prob_mult",
    "ml_open_home_prob_shin",
    "ml_decision_home_prob_mult",
    "ml_decision_home_prob_shin",
    "ml_move_prob",
    "ml_moves_last_1h",
    "ml_moves_last_3h",
    "ml_n_moves",
    "ml_minutes_since_last_move",
    "ml_steam",
    "ml_steam_home",
    "ml_steam_away",
    "ml_overround_decision",
    "total_open_line",
    "total_decision_line",
    "total_line_move",
    "total_over_prob_open",
    "total_over_prob_decision",
    "total_juice_move",
]
#: The prices a bet at decision time would take, and the snapshots they came from.
DECISION_PRICE_COLUMNS = [
    "decision_price_home",
    "decision_price_away",
    "decision_total_over_price",
    "decision_total_under_price",
]
LINEAGE_COLUMNS = [
    "decision_at",
    "market_source",
    "decision_snapshot_id_home",
    "decision_snapshot_id_away",
    "decision_snapshot_id_over",
    "decision_snapshot_id_under",
]
MARKET_COLUMNS = ["game_id", *MARKET_FEATURE_COLUMNS, *DECISION_PRICE_COLUMNS, *LINEAGE_COLUMNS]
CLOSE_COLUMNS = [
    "game_id",
    "close_home_prob_mult",
    "close_home_prob_shin",
    "close_price_home",
    "close_price_away",
    "close_total_line",
    "close_over_prob_mult",
    "close_source",
]
CROSS_BOOK_COLUMNS = [
    "xb_n_books",
    "xb_consensus_home_prob",
    "xb_dispersion_home",
    "xb_sharp_gap_home",
    "xb_steam_events_home",
    "xb_steam_events_away",
]

_MINUTE_NS = 60_000_000_000
_HOUR_NS = 60 * _MINUTE_NS
_NAT = np.iinfo(np.int64).min


def decision_times(games: pd.DataFrame, decision_minutes_before: int = 60) -> pd.Series:
    """Each game's decision time (UTC), indexed by ``game_id``; NaT without a start time."""
    if decision_minutes_before < 0:
        raise ValueError("decision_minutes_before must be >= 0")
    if games["game_id"].duplicated().any():
        raise ValueError("games has duplicate game_id values")
    start = pd.to_datetime(games["start_time_utc"], utc=True)
    decision = start - pd.Timedelta(minutes=decision_minutes_before)
    return pd.Series(decision.to_numpy(), index=pd.Index(games["game_id"]), name="decision_at")


def visible_snapshots(
    snapshots: pd.DataFrame, games: pd.DataFrame, decision_minutes_before: int = 60
) -> pd.DataFrame:
    """The snapshots captured at or before their game's decision time.

    The single gate of point in time for odds: everything downstream of it is free to
    use every row it receives. Games without a start time have no decision time, so none
    of their snapshots pass.
    """
    decision = decision_times(games, decision_minutes_before)
    position = pd.Index(decision.index).get_indexer(snapshots["game_id"])
    cutoff = np.append(_epoch_ns(decision), _NAT)[position]  # a game not in games: -1, NaT
    captured = _epoch_ns(snapshots["captured_at"])
    return snapshots[(cutoff != _NAT) & (captured <= cutoff)]


def visible_observations(
    observations: pd.DataFrame | None, games: pd.DataFrame, decision_minutes_before: int = 60
) -> pd.DataFrame | None:
    """The polls (``odds_observations``) as they stood at each game's decision time.

    A poll after the game's decision time keeps its row with ``observed_at`` NaT: its
    (game, book) stays one that is polled (a missing (game, book) would read as observed
    continuously, and a move seen only by later polls as steam), but the moment, future
    information, is gone. Observations of games not in ``games``, or without a start
    time, are dropped. None stays None (every line observed continuously).
    """
    if observations is None or observations.empty:
        return observations
    decision = decision_times(games, decision_minutes_before)
    position = pd.Index(decision.index).get_indexer(observations["game_id"])
    cutoff = np.append(_epoch_ns(decision), _NAT)[position]  # a game not in games: NaT
    observed = _epoch_ns(observations["observed_at"])
    kept = observations[cutoff != _NAT]
    on_time = (observed <= cutoff)[cutoff != _NAT]
    moments = pd.to_datetime(kept["observed_at"], utc=True).where(on_time)
    return kept.assign(observed_at=moments).drop_duplicates(ignore_index=True)


def market_features(
    snapshots: pd.DataFrame,
    games: pd.DataFrame,
    *,
    decision_minutes_before: int = 60,
    book: str = "pinnacle",
    observations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per game of ``games``: ``book``'s moneyline and totals at decision time.

    Only snapshots with ``captured_at <= decision_at`` are used (see
    :func:`visible_snapshots`); a game without a start time or without such a snapshot
    gets NaN. Definitions:

    * open: the first state in which both sides quote (the same line, for totals);
      decision: the state in effect at the decision time (NaN when its two sides quote
      different totals, which prices no single proposition).
    * ``ml_move_prob``, ``total_juice_move``: decision minus open no-vig probability of
      the home side / the over; the totals difference may span a change of line, which
      ``total_line_move`` shows.
    * ``ml_n_moves``, ``ml_moves_last_1h/3h``: instants at which either moneyline side
      changed after the opening, in total and within the hour(s) before the decision
      (market level: a repricing of both sides counts once).
    * ``ml_minutes_since_last_move``: age of the line in effect at the decision (of the
      opening line when it never moved).
    * ``ml_steam_home/away``: a steam move towards the side by the decision time, as
      :class:`~mlb_assets.lib.line_movements.MovementParams` defines it (the side's
      no-vig probability rose 3 points within 30 minutes at an unchanged line), claimed
      only when the polls that bracket the moves (``observations``, as
      :func:`visible_observations` leaves them) lie within the window; ``ml_steam`` is
      either of them.
    * ``ml_overround_decision``: the moneyline's margin at decision (booksum minus one).

    ``observations`` are the polls that read each (game, book) line
    (:data:`~mlb_assets.lib.line_movements.OBSERVATION_COLUMNS`, as ``odds_observations``
    stores them); None, or a (game, book) absent from them, means observed continuously.

    Also returned, not features: the decision prices and the snapshot ids they came
    from (what a pick made at decision time records), ``decision_at`` and
    ``market_source`` (``book`` when any snapshot was visible).
    """
    params = MovementParams(decision_minutes_before=decision_minutes_before)
    starts = games[["game_id", "start_time_utc"]]
    visible = visible_snapshots(
        snapshots[snapshots["book"] == book], games, params.decision_minutes_before
    )
    states = book_market_states(visible, starts)
    seen = visible_observations(observations, games, params.decision_minutes_before)
    movements = compute_line_movements(visible, starts, params, seen)
    decision = decision_times(games, decision_minutes_before)
    out = pd.DataFrame(index=pd.Index(games["game_id"], name="game_id"))
    out = out.join(_moneyline_features(states, decision)).join(_totals_features(states))
    out = out.join(_movement_columns(movements))
    out["decision_at"] = decision
    out["market_source"] = np.where(out.index.isin(visible["game_id"]), book, None)
    return _finish(out)


def _moneyline_features(states: pd.DataFrame, decision: pd.Series) -> pd.DataFrame:
    """Open and decision probabilities, moves and their timing of the h2h market."""
    h2h = states[states["market"] == "h2h"]
    opening, current = _open_and_current(h2h)
    out = pd.DataFrame(index=current.index)
    for name, state in (("open", opening), ("decision", current)):
        out[f"ml_{name}_home_prob_mult"] = state["prob_0"]
        out[f"ml_{name}_home_prob_shin"] = _shin_home(state)
    out["ml_move_prob"] = out["ml_decision_home_prob_mult"] - out["ml_open_home_prob_mult"]
    out["ml_overround_decision"] = _overround(current)
    out["decision_price_home"] = current["price_0"]
    out["decision_price_away"] = current["price_1"]
    return out.join(_move_counts(h2h, decision))


def _open_and_current(states: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per game: the first two-sided state and the last state (both indexed by game)."""
    paired = states[states["prob_0"].notna()]
    opening = paired.drop_duplicates("game_id", keep="first").set_index("game_id")
    current = states.drop_duplicates("game_id", keep="last").set_index("game_id")
    return opening, current


def _shin_home(state: pd.DataFrame) -> pd.Series:
    """Shin's no-vig probability of side 0 from a state's two American prices."""
    implied = [american_to_implied(state[f"price_{slot}"]) for slot in (0, 1)]
    return no_vig_shin(*implied)[0]


def _overround(state: pd.DataFrame) -> pd.Series:
    """Booksum minus one of a state's two prices."""
    return american_to_implied(state["price_0"]) + american_to_implied(state["price_1"]) - 1.0


def _move_counts(h2h: pd.DataFrame, decision: pd.Series) -> pd.DataFrame:
    """Market-level changes after the opening state, in all and in the last 1 and 3 hours.

    Every row of ``book_market_states`` is an instant at which at least one side changed.
    """
    t = h2h["t"].to_numpy()
    cutoff = _epoch_ns(decision.reindex(h2h["game_id"]))
    is_move = h2h["game_id"].duplicated().to_numpy()  # every state but each game's first
    counts = (
        pd.DataFrame(
            {
                "ml_n_moves": is_move,
                "ml_moves_last_1h": is_move & (t > cutoff - _HOUR_NS),
                "ml_moves_last_3h": is_move & (t > cutoff - 3 * _HOUR_NS),
            },
            index=h2h["game_id"].to_numpy(),
        )
        .groupby(level=0, sort=False)
        .sum()
    )
    last_t = pd.Series(t, index=h2h["game_id"].to_numpy()).groupby(level=0, sort=False).max()
    age = _epoch_ns(decision.reindex(last_t.index)) - last_t.to_numpy()
    counts["ml_minutes_since_last_move"] = age / _MINUTE_NS
    return counts.astype(float)


def _totals_features(states: pd.DataFrame) -> pd.DataFrame:
    """Opening and decision line and no-vig over probability of the totals market."""
    totals = states[states["market"] == "totals"]
    opening, current = _open_and_current(totals)
    out = pd.DataFrame(index=current.index)
    out["total_open_line"] = opening["point_0"]
    out["total_decision_line"] = current["point_0"].where(current["point_0"] == current["point_1"])
    out["total_line_move"] = out["total_decision_line"] - out["total_open_line"]
    out["total_over_prob_open"] = opening["prob_0"]
    out["total_over_prob_decision"] = current["prob_0"]
    out["total_juice_move"] = out["total_over_prob_decision"] - out["total_over_prob_open"]
    out["decision_total_over_price"] = current["price_0"]
    out["decision_total_under_price"] = current["price_1"]
    return out


def _movement_columns(movements: pd.DataFrame) -> pd.DataFrame:
    """Steam flags and decision snapshot ids per game from the per-side movements."""
    sides = {
        ("h2h", "home"): "home",
        ("h2h", "away"): "away",
        ("totals", "over"): "over",
        ("totals", "under"): "under",
    }
    parts = []
    for (market, side), name in sides.items():  # four sides, not rows
        mask = (movements["market"] == market) & (movements["side"] == side)
        rows = movements[mask].set_index("game_id")
        columns = {"decision_snapshot_id": f"decision_snapshot_id_{name}"}
        if market == "h2h":
            columns["steam"] = f"ml_steam_{name}"
        parts.append(rows[list(columns)].rename(columns=columns))
    out = pd.concat(parts, axis=1) if parts else pd.DataFrame()
    for name in ("home", "away"):
        column = f"ml_steam_{name}"
        out[column] = out[column].astype(float) if column in out else np.nan
    out["ml_steam"] = out[["ml_steam_home", "ml_steam_away"]].max(axis=1, skipna=False)
    return out


def workbook_market_features(
    open_close: pd.DataFrame, games: pd.DataFrame, *, source: str | None = None
) -> pd.DataFrame:
    """One row per game of ``games``: market features from the OPENING line only.

    Archives without timestamps (``opening_closing_lines``) cannot say what the line was
    at the decision time. Their opening line is assumed to precede it; the close comes
    after any decision time, so it is never read here. Only ``ml_open_home_prob_*``,
    ``total_open_line`` and ``total_over_prob_open`` are defined; every decision-time,
    movement and steam column is NaN. The over probability needs both sides at the same
    opening total. ``source`` selects one source of ``open_close``; a (game, market,
    side) listed twice is refused rather than resolved silently.
    """
    lines = _one_source(open_close, source)
    opens = _pivot(lines, "open")
    out = pd.DataFrame(index=pd.Index(games["game_id"], name="game_id"))
    h2h = _two_sided(opens, "h2h", ("home", "away"), "open")
    out["ml_open_home_prob_mult"] = h2h["prob_mult"]
    out["ml_open_home_prob_shin"] = h2h["prob_shin"]
    totals = _two_sided(opens, "totals", ("over", "under"), "open")
    out["total_open_line"] = totals["point"]
    out["total_over_prob_open"] = totals["prob_mult"]
    has_line = out[["ml_open_home_prob_mult", "total_open_line"]].notna().any(axis=1)
    out["market_source"] = np.where(has_line, "workbook", None)
    return _finish(out)


def _one_source(open_close: pd.DataFrame, source: str | None) -> pd.DataFrame:
    """The rows of one source; duplicated keys are an error, not a choice to make here."""
    lines = open_close
    if source is not None and "source" in lines:
        lines = lines[lines["source"] == source]
    duplicated = lines.duplicated(["game_id", "market", "side"])
    if duplicated.any():
        raise ValueError(
            f"open_close lists {int(duplicated.sum())} (game, market, side) keys more than "
            "once: pass source= to choose one source"
        )
    return lines


def _pivot(lines: pd.DataFrame, when: str) -> pd.DataFrame:
    """Price and point of ``when`` (open/close) per game, columns (field, market, side)."""
    if lines.empty:
        return pd.DataFrame(index=pd.Index([], name="game_id"))
    values = lines.set_index(["game_id", "market", "side"])[[f"{when}_price", f"{when}_point"]]
    return values.astype(float).unstack(["market", "side"])


def _two_sided(frame: pd.DataFrame, market: str, sides: tuple[str, str], when: str) -> pd.DataFrame:
    """No-vig probabilities of the first side and its point, per game (NaN if absent)."""

    def column(field: str, side: str) -> pd.Series:
        key = (f"{when}_{field}", market, side)
        return frame[key] if key in frame else pd.Series(np.nan, index=frame.index)

    p_a = american_to_implied(column("price", sides[0]))
    p_b = american_to_implied(column("price", sides[1]))
    point_a, point_b = column("point", sides[0]), column("point", sides[1])
    same_line = (point_a == point_b) | (market == "h2h")
    out = pd.DataFrame(index=frame.index)
    out["prob_mult"] = no_vig_multiplicative(p_a, p_b)[0].where(same_line)
    out["prob_shin"] = no_vig_shin(p_a, p_b)[0].where(same_line)
    out["point"] = point_a
    out["price_a"], out["price_b"] = column("price", sides[0]), column("price", sides[1])
    return out


def closing_probabilities(
    snapshots: pd.DataFrame,
    open_close: pd.DataFrame,
    games: pd.DataFrame,
    *,
    book: str = "pinnacle",
    source: str | None = None,
) -> pd.DataFrame:
    """The closing line per game: NOT a feature, for evaluation and closing-line value.

    The close is the last ``book`` state strictly before first pitch (Pinnacle's close,
    the usual benchmark of an efficient price); where the book has none, the workbook's
    close from ``open_close``. It is known only after the decision time, so a model must
    never see it: it measures how good a decision-time price was (CLV) and serves as a
    sharper target proxy in evaluation. ``close_source`` tells which applied.
    """
    states = book_market_states(snapshots[snapshots["book"] == book], games)
    _, h2h = _open_and_current(states[states["market"] == "h2h"])
    _, totals = _open_and_current(states[states["market"] == "totals"])
    timed = pd.DataFrame(index=h2h.index.union(totals.index))
    timed["close_home_prob_mult"] = h2h["prob_0"]
    timed["close_home_prob_shin"] = _shin_home(h2h)
    timed["close_price_home"], timed["close_price_away"] = h2h["price_0"], h2h["price_1"]
    timed["close_total_line"] = totals["point_0"].where(totals["point_0"] == totals["point_1"])
    timed["close_over_prob_mult"] = totals["prob_0"]
    timed["close_source"] = book
    workbook = _workbook_close(_one_source(open_close, source))
    out = pd.DataFrame(index=pd.Index(games["game_id"], name="game_id"))
    return _prefer(out.join(timed), out.join(workbook), "close_source")[CLOSE_COLUMNS]


def _prefer(first: pd.DataFrame, second: pd.DataFrame, source_column: str) -> pd.DataFrame:
    """Whole rows of ``first`` where its ``source_column`` is set, else rows of ``second``.

    Rows, not cells: mixing one source's moneyline with another's total in one row would
    misstate where a number came from.
    """
    use_first = first[source_column].notna().to_numpy()
    result = second.reindex(columns=first.columns.union(second.columns, sort=False))
    result.loc[use_first, first.columns] = first.loc[use_first]
    return result.reset_index()


def _workbook_close(lines: pd.DataFrame) -> pd.DataFrame:
    """The workbook's closing moneyline and total, per game."""
    closes = _pivot(lines, "close")
    h2h = _two_sided(closes, "h2h", ("home", "away"), "close")
    totals = _two_sided(closes, "totals", ("over", "under"), "close")
    out = pd.DataFrame(index=closes.index)
    out["close_home_prob_mult"], out["close_home_prob_shin"] = h2h["prob_mult"], h2h["prob_shin"]
    out["close_price_home"], out["close_price_away"] = h2h["price_a"], h2h["price_b"]
    out["close_total_line"], out["close_over_prob_mult"] = totals["point"], totals["prob_mult"]
    has_line = out[["close_home_prob_mult", "close_total_line"]].notna().any(axis=1)
    out["close_source"] = np.where(has_line, "workbook", None)
    return out


def cross_book_features(consensus: pd.DataFrame | None) -> pd.DataFrame:
    """Per game, the cross-book moneyline at the decision time from ``market_consensus``.

    Uses the point-in-time columns only (the state at ``decision_at`` and
    ``steam_events_before_decision``), never the ``_close`` ones. ``xb_n_books`` counts
    the books quoting both moneyline sides, ``xb_dispersion_home`` is the standard
    deviation of their home no-vig probabilities, ``xb_sharp_gap_home`` the sharp books'
    probability minus the others', ``xb_steam_events_home/away`` multi-book steam events
    towards each side. A game absent from ``consensus`` (or ``None``) has NaN.
    """
    out = pd.DataFrame(columns=["game_id", *CROSS_BOOK_COLUMNS])
    if consensus is None or consensus.empty:
        return out.astype({c: float for c in CROSS_BOOK_COLUMNS})
    h2h = consensus[consensus["market"] == "h2h"].set_index(["game_id", "side"])
    home = h2h.xs("home", level="side") if "home" in h2h.index.get_level_values(1) else None
    away = h2h.xs("away", level="side") if "away" in h2h.index.get_level_values(1) else None
    games = pd.Index(consensus["game_id"].unique(), name="game_id")
    result = pd.DataFrame(index=games)
    home_columns = {
        "xb_n_books": "n_books",
        "xb_consensus_home_prob": "consensus_prob_novig",
        "xb_dispersion_home": "dispersion_prob",
        "xb_sharp_gap_home": "sharp_gap_prob",
        "xb_steam_events_home": "steam_events_before_decision",
    }
    for name, column in home_columns.items():
        result[name] = _float_column(home, column, games)
    result["xb_steam_events_away"] = _float_column(away, "steam_events_before_decision", games)
    return result[CROSS_BOOK_COLUMNS].reset_index()


def _float_column(rows: pd.DataFrame | None, column: str, games: pd.Index) -> pd.Series:
    """``rows[column]`` as floats aligned to ``games`` (NaN when absent)."""
    if rows is None or column not in rows:
        return pd.Series(np.nan, index=games)
    return pd.to_numeric(rows[column], errors="coerce").astype(float).reindex(games)


def _finish(out: pd.DataFrame) -> pd.DataFrame:
    """Every market column in a fixed order and dtype, ``game_id`` as a column."""
    out = out.reindex(columns=MARKET_COLUMNS[1:])
    numeric = [*MARKET_FEATURE_COLUMNS, *DECISION_PRICE_COLUMNS]
    out[numeric] = out[numeric].astype(float)
    for column in LINEAGE_COLUMNS[2:]:
        out[column] = out[column].astype("Int64")
    out["decision_at"] = pd.to_datetime(out["decision_at"], utc=True)
    out["market_source"] = (
        out["market_source"].astype(object).where(out["market_source"].notna(), None)
    )
    return out.reset_index()


def _epoch_ns(times: pd.Series | pd.Index) -> np.ndarray:
    """UTC datetimes as int64 epoch nanoseconds (NaT becomes the int64 minimum)."""
    return pd.DatetimeIndex(pd.to_datetime(times, utc=True)).as_unit("ns").asi8
