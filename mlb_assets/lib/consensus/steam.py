"""Multi-book steam: qualifying moves bracketed by observations, grouped into events."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlb_assets.lib.consensus.books import (
    _MINUTE_NS,
    _TOLERANCE,
    STEAM_COLUMNS,
    ConsensusParams,
    _Books,
    _keys,
    _point_code,
    _starts_run,
    _times,
)
from mlb_assets.lib.line_movements import observation_gaps


def _public_steam(steam: pd.DataFrame, books: _Books) -> pd.DataFrame:
    """Each event once per side (mirrored), named and sorted like the other outputs."""
    mirror = steam.assign(direction=-steam["direction"], move=-steam["move"])
    both = pd.concat([steam.assign(slot=0), mirror.assign(slot=1)], ignore_index=True)
    both = both.iloc[np.lexsort([both["started"], both["slot"], both["gm"]])]
    gm, slot = both["gm"].to_numpy(dtype=np.int64), both["slot"].to_numpy(dtype=np.int64)
    frame = pd.DataFrame(
        {
            **_keys(books, gm, slot),
            "direction": both["direction"].to_numpy(dtype=np.int64),
            "started_at": _times(both["started"].to_numpy()),
            "confirmed_at": _times(both["confirmed"].to_numpy()),
            "ended_at": _times(both["ended"].to_numpy()),
            "n_books": both["n_books"].to_numpy(dtype=np.int64),
            "books": both["books"].to_numpy(dtype=object),
            "total_move_prob": both["move"].to_numpy(dtype=float),
            "observation_gap_minutes": both["gap"].to_numpy(dtype=float) / _MINUTE_NS,
        }
    )
    return frame[STEAM_COLUMNS]


# --- multi-book steam ----------------------------------------------------------------

_STEAM_INTERNAL = [
    "gm",
    "direction",
    "started",
    "confirmed",
    "ended",
    "n_books",
    "books",
    "move",
    "gap",
]


def _steam_table(books: _Books, params: ConsensusParams, moves: pd.DataFrame) -> pd.DataFrame:
    """The steam events of side 0 (home/over) with integer keys and epoch times."""
    if moves.empty:
        return _empty_steam()
    g = moves["gm"].to_numpy() * 2 + (moves["direction"].to_numpy() > 0)
    t, book = moves["t"].to_numpy(), moves["book"].to_numpy()
    end = _window_ends(g, t, params.steam_window_minutes * _MINUTE_NS)
    owner, member = _expand(np.arange(len(t)), end)
    first = _previous_same_book(g, book)[member] < owner  # a book's first move in the window
    distinct = np.bincount(owner, weights=first, minlength=len(t)).astype(np.int64)
    chosen = _greedy_events(distinct >= params.steam_min_books, g, end)
    is_chosen = np.zeros(len(t), dtype=bool)
    is_chosen[chosen] = True
    in_event = is_chosen[owner]
    confirmation = in_event & first & (_rank_within(owner, first) == params.steam_min_books)
    confirmed = np.zeros(len(t), dtype=np.int64)
    confirmed[owner[confirmation]] = t[member[confirmation]]
    total = np.bincount(owner, weights=moves["move"].to_numpy()[member], minlength=len(t))
    widest = np.zeros(len(t))
    np.maximum.at(widest, owner, moves["gap"].to_numpy()[member])
    names = _book_lists(owner[in_event & first], book[member[in_event & first]], books)
    return pd.DataFrame(
        {
            "gm": moves["gm"].to_numpy()[chosen],
            "direction": moves["direction"].to_numpy()[chosen],
            "started": t[chosen],
            "confirmed": confirmed[chosen],
            "ended": t[end[chosen] - 1],
            "n_books": distinct[chosen],
            "books": names.reindex(chosen).to_numpy(),
            "move": total[chosen],
            "gap": widest[chosen],
        }
    )


def _qualifying_moves(
    books: _Books, params: ConsensusParams, observations: pd.DataFrame | None
) -> tuple[pd.DataFrame, int]:
    """Every book's side-0 no-vig moves of at least the threshold, at an unchanged line,
    bracketed by observations within the window; and how many were not bracketed.

    Sorted by (gm, direction, t, book); ``move`` is signed and ``direction`` its sign,
    ``gap`` the observation gap in nanoseconds.
    """
    order = np.lexsort([books.t, books.book, books.gm])  # each book's history in time order
    gm, book, t = books.gm[order], books.book[order], books.t[order]
    prob = books.values["prob_0"][order]
    same = ~_starts_run(gm * (len(books.book_names) + 1) + book)
    for column in ("point_0", "point_1"):
        code = _point_code(books.values[column][order])
        same[1:] &= code[1:] == code[:-1]
    move = np.full(len(prob), np.nan)
    move[1:] = prob[1:] - prob[:-1]
    with np.errstate(invalid="ignore"):
        keep = same & (np.abs(move) >= params.steam_min_move_prob - _TOLERANCE)
    gap = np.zeros(len(t))
    gap[keep] = observation_gaps(
        books.gm_game[gm[keep]], books.book_names[book[keep]], t[keep], observations
    )
    bracketed = gap <= params.steam_window_minutes * _MINUTE_NS
    unbracketed = int((keep & ~bracketed).sum())
    keep &= bracketed
    moves = pd.DataFrame(
        {
            "gm": gm[keep],
            "direction": np.sign(move[keep]).astype(np.int64),
            "t": t[keep],
            "book": book[keep],
            "move": move[keep],
            "gap": gap[keep],
        }
    )
    by_group = np.lexsort([moves["book"], moves["t"], moves["direction"], moves["gm"]])
    return moves.iloc[by_group].reset_index(drop=True), unbracketed


def _window_ends(group: np.ndarray, t: np.ndarray, width: int) -> np.ndarray:
    """For rows sorted by (group, t): one past the last row of the group with t <= t_i + width.

    Times are replaced by their rank among all times and window ends so that group and
    time combine into one sortable int64 and a single ``searchsorted`` answers all rows.
    """
    times = np.unique(np.concatenate([t, t + width]))
    span = len(times) + 1
    composite = group * span + np.searchsorted(times, t)
    return np.searchsorted(
        composite, group * span + np.searchsorted(times, t + width), side="right"
    )


def _expand(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """All (owner, member) pairs with ``starts[owner] <= member < ends[owner]``."""
    lengths = ends - starts
    owner = np.repeat(np.arange(len(starts)), lengths)
    offset = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return owner, starts[owner] + offset


def _previous_same_book(group: np.ndarray, book: np.ndarray) -> np.ndarray:
    """Row of the same group and book's previous move (-1 for its first)."""
    positions = np.arange(len(group))
    order = np.lexsort([positions, book, group])
    run_start = _starts_run(group[order]) | _starts_run(book[order])
    previous = np.full(len(group), -1, dtype=np.int64)
    shifted = np.concatenate([[-1], order[:-1]])
    previous[order] = np.where(run_start, -1, shifted)
    return previous


def _rank_within(owner: np.ndarray, flag: np.ndarray) -> np.ndarray:
    """1-based running count of ``flag`` within each owner's consecutive pairs."""
    running = np.cumsum(flag)
    owner_start = np.flatnonzero(_starts_run(owner))
    before = (running - flag)[owner_start]  # count before each owner's first pair
    return running - np.repeat(before, np.diff(np.append(owner_start, len(owner))))


def _greedy_events(qualifies: np.ndarray, group: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Rows that start an event: the first qualifying row of a group, then repeatedly
    the first qualifying row after the previous event's window.

    Each candidate points to its successor; the chains from each group's first
    candidate are marked by pointer doubling, so the rounds grow with the logarithm of
    the longest chain, not with the number of rows.
    """
    anchors = np.flatnonzero(qualifies)
    if len(anchors) == 0:
        return anchors
    successor = np.searchsorted(anchors, end[anchors], side="left")
    clipped = np.minimum(successor, len(anchors) - 1)
    same_group = (successor < len(anchors)) & (group[anchors[clipped]] == group[anchors])
    pointer = np.where(same_group, successor, -1)
    marked = _starts_run(group[anchors])
    while (pointer >= 0).any():
        source = np.flatnonzero(marked & (pointer >= 0))
        marked[pointer[source]] = True
        has = pointer >= 0
        pointer = np.where(has, pointer[np.where(has, pointer, 0)], -1)
    return anchors[marked]


def _book_lists(event: np.ndarray, book: np.ndarray, books: _Books) -> pd.Series:
    """Comma-joined sorted book names per event row (one join per event, not per move)."""
    names = pd.Series(books.book_names[book], index=event)
    ordered = names.iloc[np.lexsort([book, event])]
    return ordered.groupby(level=0).agg(",".join)


def _empty_steam() -> pd.DataFrame:
    """The internal steam table with no events."""
    columns = {c: pd.Series(dtype=np.int64) for c in _STEAM_INTERNAL}
    columns["books"] = pd.Series(dtype=object)
    columns["move"] = pd.Series(dtype=float)
    columns["gap"] = pd.Series(dtype=float)
    return pd.DataFrame(columns)
