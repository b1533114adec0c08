"""The cross-book measures at every instant a book changed: consensus, dispersion, best
price, the sharp gap; and the open, decision and close rows built from them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from mlb_assets.lib.consensus.books import (
    _CHUNK_CELLS,
    _MINUTE_NS,
    _NAT,
    CONSENSUS_COLUMNS,
    STATE_COLUMNS,
    ConsensusParams,
    _Books,
    _ends_run,
    _event_times,
    _Events,
    _keys,
    _point_code,
    _starts_run,
    _times,
)

# --- cross-book measures per event ---------------------------------------------------


def _event_measures(books: _Books) -> _Events:
    """The cross-book measures at every event, computed a chunk of games at a time."""
    new_event = _starts_run(books.gm) | _starts_run(books.t)
    event = np.cumsum(new_event) - 1
    first_row = np.flatnonzero(new_event)
    slot, width = _book_slots(books)
    parts = [
        _chunk_measures(books, event, first_row, slot, width, lo, hi)
        for lo, hi in _chunks(books.gm[first_row], width)  # each chunk holds many games
    ]
    merged = {
        name: np.concatenate([part[name] for part in parts]) if parts else np.zeros(0)
        for name in _EVENT_ARRAYS
    }
    return _Events(
        gm=books.gm[first_row],
        t=books.t[first_row],
        n_books=merged["n_books"].astype(np.int64),
        consensus=merged["consensus"],
        dispersion=merged["dispersion"],
        sharp=merged["sharp"],
        gap=merged["gap"],
        point=(merged["point_0"], merged["point_1"]),
        best_price=(merged["best_price_0"], merged["best_price_1"]),
        best_book=(
            merged["best_book_0"].astype(np.int64),
            merged["best_book_1"].astype(np.int64),
        ),
    )


_EVENT_ARRAYS = (
    "n_books",
    "consensus",
    "dispersion",
    "sharp",
    "gap",
    "point_0",
    "point_1",
    "best_price_0",
    "best_price_1",
    "best_book_0",
    "best_book_1",
)


def _book_slots(books: _Books) -> tuple[np.ndarray, int]:
    """Each row's book rank within its game-market (alphabetical) and the widest count.

    One column per book of the game rather than per book of the feed keeps the scratch
    matrix small when most books quote only some games.
    """
    radix = len(books.book_names) + 1
    pairs, inverse = np.unique(books.gm * radix + books.book, return_inverse=True)
    pair_gm = pairs // radix
    rank = np.arange(len(pairs)) - np.searchsorted(pair_gm, pair_gm, side="left")
    width = int(rank.max()) + 1 if len(rank) else 0
    return rank[inverse], width


def _chunks(event_gm: np.ndarray, width: int) -> list[tuple[int, int]]:
    """Event ranges of whole game-markets holding about ``_CHUNK_CELLS`` cells each."""
    n_events = len(event_gm)
    if n_events == 0:
        return []
    per_chunk = max(_CHUNK_CELLS // max(width, 1), 1)
    gm_first = np.flatnonzero(_starts_run(event_gm))
    targets = np.arange(per_chunk, n_events, per_chunk)
    cuts = gm_first[np.searchsorted(gm_first, targets, side="right") - 1]
    bounds = np.unique(np.concatenate([[0], cuts, [n_events]]))
    return list(zip(bounds[:-1].tolist(), bounds[1:].tolist(), strict=True))


def _chunk_measures(
    books: _Books,
    event: np.ndarray,
    first_row: np.ndarray,
    slot: np.ndarray,
    width: int,
    lo: int,
    hi: int,
) -> dict[str, np.ndarray]:
    """Measures of events ``[lo, hi)`` (whole game-markets) from the books at the main point."""
    local, row = _entries_in_effect(books, event, first_row, slot, width, lo, hi)
    prob = books.values["prob_0"][row]
    paired = ~np.isnan(prob)
    local, row, prob = local[paired], row[paired], prob[paired]
    code = _point_code(books.values["point_0"][row])
    main = _main_point(local, code, row, prob, books, hi - lo)
    at_main = code == main[local]
    return _measures(local[at_main], row[at_main], prob[at_main], books, hi - lo)


def _entries_in_effect(
    books: _Books,
    event: np.ndarray,
    first_row: np.ndarray,
    slot: np.ndarray,
    width: int,
    lo: int,
    hi: int,
) -> tuple[np.ndarray, np.ndarray]:
    """For each event in ``[lo, hi)`` and each book that has quoted: (event - lo, state row).

    An (event x book slot) matrix holds the row of each state at the event it happened;
    a running maximum down the columns carries it forward (rows grow with time inside
    a game-market), and rows of an earlier game-market are masked out. The pairs come
    out sorted by event and, within one, alphabetically by book.
    """
    r0 = first_row[lo]
    r1 = first_row[hi] if hi < len(first_row) else len(books)
    dtype = np.int32 if len(books) < np.iinfo(np.int32).max else np.int64
    grid = np.full((hi - lo, width), -1, dtype=dtype)
    grid[event[r0:r1] - lo, slot[r0:r1]] = np.arange(r0, r1, dtype=dtype)
    np.maximum.accumulate(grid, axis=0, out=grid)
    gm = books.gm[first_row[lo:hi]]
    gm_first_row = first_row[lo:hi][np.searchsorted(gm, gm, side="left")]
    local, column = np.nonzero(grid >= gm_first_row[:, None].astype(dtype))
    return local, grid[local, column].astype(np.int64)


def _main_point(
    local: np.ndarray,
    code: np.ndarray,
    row: np.ndarray,
    prob: np.ndarray,
    books: _Books,
    n_events: int,
) -> np.ndarray:
    """Per event, the point code most books quote (ties: see the module notes).

    Most events have every book at one point; only the others are grouped and ranked.
    """
    main = np.full(n_events, np.nan)
    if len(code) == 0:
        return main
    starts = np.flatnonzero(_starts_run(local))
    low = np.minimum.reduceat(code, starts)
    main[local[starts]] = low
    split = np.zeros(n_events, dtype=bool)
    split[local[starts]] = low != np.maximum.reduceat(code, starts)
    contested = split[local]
    if contested.any():
        candidates = pd.DataFrame(
            {
                "event": local[contested],
                "point": code[contested],
                "sharp": books.sharp[books.book[row[contested]]],
                "balance": np.abs(prob[contested] - 0.5),
            }
        )
        winners = _rank_points(candidates)
        main[winners.index.to_numpy()] = winners.to_numpy()
    return main


def _rank_points(candidates: pd.DataFrame) -> pd.Series:
    """The winning point per event: most books, then most sharp books, then balance."""
    ranked = (
        candidates.groupby(["event", "point"], sort=False)
        .agg(n=("sharp", "size"), sharp=("sharp", "sum"), balance=("balance", "mean"))
        .reset_index()
        .sort_values(
            ["event", "n", "sharp", "balance", "point"],
            ascending=[True, False, False, True, True],
        )
    )
    return ranked.drop_duplicates("event").set_index("event")["point"]


def _measures(
    local: np.ndarray, row: np.ndarray, prob: np.ndarray, books: _Books, n_events: int
) -> dict[str, np.ndarray]:
    """Count, consensus, dispersion, sharp gap, points and best prices per event."""
    n_books = np.bincount(local, minlength=n_events)
    total = np.bincount(local, weights=prob, minlength=n_events)
    with np.errstate(invalid="ignore", divide="ignore"):
        consensus = total / n_books
        squares = np.bincount(local, weights=(prob - consensus[local]) ** 2, minlength=n_events)
        dispersion = np.where(n_books > 1, np.sqrt(squares / (n_books - 1)), np.nan)
        sharp, others = _sharp_split(local, prob, row, books, n_books, total)
    starts = np.flatnonzero(_starts_run(local))
    out = {"n_books": n_books, "consensus": consensus, "dispersion": dispersion}
    out.update(sharp=sharp, gap=sharp - others)
    for side in (0, 1):
        point = np.full(n_events, np.nan)
        point[local[starts]] = books.values[f"point_{side}"][row[starts]]
        price = books.values[f"price_{side}"][row]
        out[f"point_{side}"] = point
        out[f"best_price_{side}"], out[f"best_book_{side}"] = _best_price(
            local, starts, price, books.book[row], n_events
        )
    return out


def _sharp_split(
    local: np.ndarray,
    prob: np.ndarray,
    row: np.ndarray,
    books: _Books,
    n_books: np.ndarray,
    total: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Mean probability of the sharp books and of the others per event (NaN when none)."""
    is_sharp = books.sharp[books.book[row]]
    n_sharp = np.bincount(local[is_sharp], minlength=len(n_books))
    sharp_total = np.bincount(local[is_sharp], weights=prob[is_sharp], minlength=len(n_books))
    n_other = n_books - n_sharp
    sharp = np.where(n_sharp > 0, sharp_total / n_sharp, np.nan)
    others = np.where(n_other > 0, (total - sharp_total) / n_other, np.nan)
    return sharp, others


def _best_price(
    local: np.ndarray, starts: np.ndarray, price: np.ndarray, book: np.ndarray, n_events: int
) -> tuple[np.ndarray, np.ndarray]:
    """Highest price per event and its book; entries come in alphabetical book order."""
    best = np.full(n_events, np.nan)
    best_book = np.full(n_events, -1, dtype=np.int64)
    if len(local) == 0:
        return best, best_book
    best[local[starts]] = np.maximum.reduceat(price, starts)
    at_best = np.flatnonzero(price == best[local])
    first = at_best[_starts_run(local[at_best])]  # the alphabetically first tied book
    best_book[local[first]] = book[first]
    return best, best_book


def _side_columns(
    events: _Events, books: _Books, index: np.ndarray, slot: np.ndarray
) -> dict[str, object]:
    """The measures of :data:`STATE_COLUMNS` for (event ``index``, side ``slot``) pairs.

    ``index`` -1 means no state (the market had not opened): every measure is null.
    """
    have = index >= 0
    at = np.where(have, index, 0)
    second = slot == 1

    def pick(values: np.ndarray) -> np.ndarray:
        return np.where(have, values[at], np.nan) if len(values) else np.full(len(at), np.nan)

    consensus, sharp, gap = pick(events.consensus), pick(events.sharp), pick(events.gap)
    price = np.where(second, pick(events.best_price[1]), pick(events.best_price[0]))
    book = np.where(second, pick(events.best_book[1]), pick(events.best_book[0]))
    n_books = pick(events.n_books)
    return {
        "point": np.where(second, pick(events.point[1]), pick(events.point[0])),
        "n_books": pd.arrays.IntegerArray(np.nan_to_num(n_books).astype(np.int64), ~have),
        "consensus_prob_novig": np.where(second, 1.0 - consensus, consensus),
        "dispersion_prob": pick(events.dispersion),
        "best_price": pd.arrays.IntegerArray(
            np.nan_to_num(price).astype(np.int64), np.isnan(price)
        ),
        "best_book": np.append(books.book_names, None)[
            np.nan_to_num(book, nan=-1).astype(np.int64)
        ],
        "sharp_prob_novig": np.where(second, 1.0 - sharp, sharp),
        "sharp_gap_prob": np.where(second, -gap, gap),
    }


def _public_states(events: _Events, books: _Books) -> pd.DataFrame:
    """Two rows per event (one per side) ordered by game-market, side and time."""
    gm_ids, gm_first, gm_count = np.unique(events.gm, return_index=True, return_counts=True)
    rows = 2 * gm_count  # each game-market's events for side 0, then for side 1
    offset = np.arange(rows.sum()) - np.repeat(np.cumsum(rows) - rows, rows)
    count = np.repeat(gm_count, rows)
    slot = (offset >= count).astype(np.int64)
    index = np.repeat(gm_first, rows) + offset - slot * count
    gm = np.repeat(gm_ids, rows)
    frame = pd.DataFrame(
        {
            **_keys(books, gm, slot),
            "at": _event_times(events, index),
            **_side_columns(events, books, index, slot),
        }
    )
    frame["n_books"] = frame["n_books"].astype(np.int64)  # every event has a state
    return frame[STATE_COLUMNS]


def _public_consensus(
    events: _Events, steam: pd.DataFrame, books: _Books, params: ConsensusParams
) -> pd.DataFrame:
    """One row per (game-market, side): open, decision and close states and steam counts."""
    n_gm = len(books.gm_game)
    gm, slot = np.repeat(np.arange(n_gm), 2), np.tile(np.array([0, 1]), n_gm)
    decision = books.gm_start - params.decision_minutes_before * _MINUTE_NS
    opened = _event_per_gm(events, events.n_books > 0, n_gm, last=False)[gm]
    decided = _event_per_gm(events, events.t <= decision[events.gm], n_gm, last=True)[gm]
    closing = _event_per_gm(events, np.ones(len(events.t), dtype=bool), n_gm, last=True)[gm]
    at_open = _side_columns(events, books, opened, slot)
    at_decision = _side_columns(events, books, decided, slot)
    at_close = _side_columns(events, books, closing, slot)
    frame = pd.DataFrame(
        {
            **_keys(books, gm, slot),
            "decision_at": _times(decision[gm]),
            "open_at": _event_times(events, opened),
            "point_open": at_open["point"],
            "consensus_prob_novig_open": at_open["consensus_prob_novig"],
            **at_decision,
            "decision_move_prob": at_decision["consensus_prob_novig"]
            - at_open["consensus_prob_novig"],
            "close_at": _event_times(events, closing),
            **{f"{name}_close": values for name, values in at_close.items()},
            **_steam_counts(steam, len(gm), decision),
        }
    )
    frame["n_books_close"] = frame["n_books_close"].astype(np.int64)  # every side has a close
    return frame[CONSENSUS_COLUMNS]


def _event_per_gm(events: _Events, mask: np.ndarray, n_gm: int, *, last: bool) -> np.ndarray:
    """Per game-market, its first or last event where ``mask`` holds (-1 for none)."""
    candidates = np.flatnonzero(mask)
    edge = _ends_run if last else _starts_run
    chosen = candidates[edge(events.gm[candidates])]
    out = np.full(n_gm, -1, dtype=np.int64)
    out[events.gm[chosen]] = chosen
    return out


def _steam_counts(steam: pd.DataFrame, n_rows: int, decision: np.ndarray) -> dict[str, object]:
    """Steam events towards each (game-market, side) row, the early ones and the first.

    Rows are ordered game-market major, side minor, so row ``2 * gm + slot``. An event
    of side 0 with direction +1 is towards side 0, with -1 towards side 1.
    """
    gm = steam["gm"].to_numpy(dtype=np.int64)
    confirmed = steam["confirmed"].to_numpy(dtype=np.int64)
    key = 2 * gm + (steam["direction"].to_numpy() < 0)
    early = confirmed <= decision[gm]
    order = np.lexsort([confirmed, key])
    firsts = order[_starts_run(key[order])]
    first = np.full(n_rows, _NAT, dtype=np.int64)
    first[key[firsts]] = confirmed[firsts]
    return {
        "steam_events": np.bincount(key, minlength=n_rows).astype(np.int64),
        "steam_events_before_decision": np.bincount(key, weights=early, minlength=n_rows).astype(
            np.int64
        ),
        "first_steam_at": _times(first),
    }
