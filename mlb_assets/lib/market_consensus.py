"""The market across books: consensus, dispersion, best price, the sharp gap and steam.

Input is the change-only snapshot table of :func:`mlb_assets.lib.snapshots.normalize_quotes`
(any number of books) and the games' first-pitch times. Only snapshots captured strictly
before first pitch count, and a book's line at a moment is its state as defined by
:func:`mlb_assets.lib.line_movements.book_market_states`: each side's latest snapshot at
or before the moment. A book's last quote stays in effect until first pitch (snapshots
record changes, not withdrawals).

**Which books are compared.** A book contributes at a moment only when its two sides
quote the same line, so that its multiplicative no-vig probability is defined. For
spreads and totals the books may quote different points (total 8.5 at one, 9 at
another); those are different propositions and cannot be averaged. At every moment the
*main point* is the point quoted by the most books; ties go to the point more sharp
books quote, then to the one whose average no-vig probability is closest to 0.5 (books
call the balanced line the main line), then to the lower point. Every cross-book column
(``n_books``, consensus, dispersion, best price, sharp probability and gap) uses only
the books at the main point, and ``point`` reports it. Moneylines have no point, so
every book quoting both sides counts.

**Point in time.** ``market_states`` rows are dated by the moment they came into
effect. In :func:`market_consensus` the unsuffixed columns describe the state at the
decision time (first pitch minus ``decision_minutes_before``) and, like the ``_open``
columns and ``steam_events_before_decision``, are safe as model features; the
``_close`` columns, ``steam_events`` and ``first_steam_at`` look up to first pitch and
serve as targets, closing-line value and diagnostics (``first_steam_at <= decision_at``
is the point-in-time form of the latter).

**Observed moves only.** A book's move counts towards steam only when the observations
of its line bracket the move within the steam window (see
:func:`mlb_assets.lib.line_movements.observation_gaps`): a feed polled an hour apart
shows an hour of repricing at every book as simultaneous moves, which is no evidence
of a burst. Books without listed observations are observed continuously (gap 0).

Memory is proportional to (distinct change instants of a game's market) x (books
quoting that game); games are processed in chunks of bounded size so that a season
across many books stays within a fixed budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlb_assets.lib.line_movements import book_market_states, observation_gaps
from mlb_assets.lib.snapshots import MARKET_SIDES

STATE_COLUMNS = [
    "game_id",
    "market",
    "side",
    "at",
    "point",
    "n_books",
    "consensus_prob_novig",
    "dispersion_prob",
    "best_price",
    "best_book",
    "sharp_prob_novig",
    "sharp_gap_prob",
]
_MEASURES = STATE_COLUMNS[4:]
CONSENSUS_COLUMNS = [
    "game_id",
    "market",
    "side",
    "decision_at",
    "open_at",
    "point_open",
    "consensus_prob_novig_open",
    *_MEASURES,
    "decision_move_prob",
    "close_at",
    *(f"{column}_close" for column in _MEASURES),
    "steam_events",
    "steam_events_before_decision",
    "first_steam_at",
]
STEAM_COLUMNS = [
    "game_id",
    "market",
    "side",
    "direction",
    "started_at",
    "confirmed_at",
    "ended_at",
    "n_books",
    "books",
    "total_move_prob",
    "observation_gap_minutes",
]

_MINUTE_NS = 60_000_000_000
_TOLERANCE = 1e-9  # absorbs float noise when a move equals the threshold exactly
_CHUNK_CELLS = 4_000_000  # (instant, book) cells per chunk: a few hundred MB of scratch


@dataclass(frozen=True)
class ConsensusParams:
    """The sharp books, the decision time and the definition of a multi-book steam move.

    Defaults:
        sharp_books=("pinnacle",): Pinnacle takes large limits from winning bettors and
            moves its line on their money, so its price is the market's most informed
            one and the usual closing-line benchmark; it is also the one book of the
            2016 archive. Keys are matched exactly (The Odds API's book keys).
        steam_window_minutes=10: coordinated money hits several books within minutes
            and the copying books follow quickly. With odds polled every five minutes,
            ten minutes spans two polls, so books whose moves land in consecutive polls
            still fall into one event, while a drift over an hour does not.
        steam_min_books=3: one book copying another is routine (many books follow a
            market maker), so two books moving together proves little; a third
            independent book is the smallest count that reads as the market moving.
        steam_min_move_prob=0.01: a single book's move of one point of no-vig
            probability, about a five-cent move on a near-even line (-110/-110 to
            -115/-105 is 1.08 points). Of Pinnacle's 2016 pre-game line changes, the
            moneyline moves 0.42 points at the median and 1 point or more in 14% of
            changes (run line 14%, totals 31%), so a point is a deliberate re-pricing
            rather than routine balancing, yet common enough that several books
            making one at once is observable.
        decision_minutes_before=60: the project's decision time (DESIGN.md), as in
            :class:`mlb_assets.lib.line_movements.MovementParams`.
    """

    sharp_books: tuple[str, ...] = ("pinnacle",)
    steam_window_minutes: int = 10
    steam_min_books: int = 3
    steam_min_move_prob: float = 0.01
    decision_minutes_before: int = 60

    def __post_init__(self) -> None:
        if isinstance(self.sharp_books, str):
            raise ValueError("sharp_books must be a sequence of book keys, not one string")
        object.__setattr__(self, "sharp_books", tuple(self.sharp_books))
        if self.steam_window_minutes <= 0:
            raise ValueError("steam_window_minutes must be > 0")
        if self.steam_min_books < 1:
            raise ValueError("steam_min_books must be >= 1")
        if not 0 < self.steam_min_move_prob < 1:
            raise ValueError("steam_min_move_prob must be in (0, 1)")
        if self.decision_minutes_before < 0:
            raise ValueError("decision_minutes_before must be >= 0")


@dataclass(frozen=True)
class _Books:
    """Every book's market states as arrays sorted by (game-market, time, book).

    ``gm`` numbers the (game_id, market) pairs in sorted order and ``book`` the books
    alphabetically, so a tie broken by the lowest code is broken alphabetically.
    """

    gm: np.ndarray
    book: np.ndarray
    t: np.ndarray
    values: dict[str, np.ndarray]  # price_0, price_1, point_0, point_1, prob_0, prob_1
    gm_game: np.ndarray
    gm_market: np.ndarray
    gm_sides: np.ndarray  # (n_gm, 2) side names: home/away or over/under
    gm_start: np.ndarray
    book_names: np.ndarray
    sharp: np.ndarray  # per book code

    def __len__(self) -> int:
        return len(self.t)


@dataclass(frozen=True)
class _Events:
    """Cross-book measures at each event (an instant at which a game-market changed).

    Sorted by (gm, t). Probabilities are those of side 0 (home/over): a book's two
    multiplicative no-vig probabilities sum to one, so side 1's consensus and sharp
    probability are one minus side 0's, its gap the negation and its dispersion the
    same. Prices, best books and points are kept per side.
    """

    gm: np.ndarray
    t: np.ndarray
    n_books: np.ndarray
    consensus: np.ndarray
    dispersion: np.ndarray
    sharp: np.ndarray
    gap: np.ndarray
    point: tuple[np.ndarray, np.ndarray]
    best_price: tuple[np.ndarray, np.ndarray]
    best_book: tuple[np.ndarray, np.ndarray]


def market_states(
    snapshots: pd.DataFrame,
    games: pd.DataFrame,
    params: ConsensusParams = ConsensusParams(),  # frozen, so a shared default is safe
) -> pd.DataFrame:
    """The cross-book state of each side after every pre-game instant any book changed.

    Args:
        snapshots: change-only quotes of any number of books.
        games: ``game_id`` (unique) and ``start_time_utc`` (UTC-aware first pitch).
        params: the sharp books (the rest is unused here).

    Returns:
        Columns :data:`STATE_COLUMNS`, sorted by game, market, side (home/over first)
        and ``at``. ``consensus_prob_novig`` is the mean of the books' multiplicative
        no-vig probabilities of the side, ``dispersion_prob`` their sample standard
        deviation (NaN with one book), ``best_price`` the highest American price (the
        best payout; ties go to the alphabetically first book), ``sharp_prob_novig``
        the mean of the sharp books' probabilities (NaN when none quotes the main
        point), ``sharp_gap_prob`` that minus the mean of the other books (NaN when
        either is missing). A moment at which no book quotes a paired line has
        ``n_books`` 0 and nulls. ``best_price`` is a nullable ``Int64``.
    """
    books = _prepare(snapshots, games, params)
    events = _event_measures(books)
    return _public_states(events, books)


@dataclass(frozen=True)
class MarketSummary:
    """:func:`market_consensus` and :func:`steam_events` from one pass over the books.

    ``unbracketed_moves`` counts the moves of at least ``steam_min_move_prob`` that
    were left out of steam because their observation gap exceeded the steam window.
    """

    consensus: pd.DataFrame
    steam: pd.DataFrame
    unbracketed_moves: int


def summarize_market(
    snapshots: pd.DataFrame,
    games: pd.DataFrame,
    params: ConsensusParams = ConsensusParams(),
    observations: pd.DataFrame | None = None,
) -> MarketSummary:
    """The consensus and the steam events, preparing the books once."""
    books = _prepare(snapshots, games, params)
    moves, unbracketed = _qualifying_moves(books, params, observations)
    steam = _steam_table(books, params, moves)
    consensus = _public_consensus(_event_measures(books), steam, books, params)
    return MarketSummary(consensus, _public_steam(steam, books), unbracketed)


def market_consensus(
    snapshots: pd.DataFrame,
    games: pd.DataFrame,
    params: ConsensusParams = ConsensusParams(),
    observations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """One row per (game, market, side): the cross-book market at open, decision and close.

    Returns:
        Columns :data:`CONSENSUS_COLUMNS`, sorted by game, market, side (home/over
        first). The columns of :func:`market_states` without a suffix hold the state in
        effect at ``decision_at`` (null, and ``n_books`` NA, when the market opened
        later), ``_close`` the last state before first pitch (set at ``close_at``),
        ``_open`` the first state with a book quoting a paired line (set at
        ``open_at``). ``decision_move_prob`` is the consensus move from open to
        decision; it may span a change of the main point, which ``point_open`` and
        ``point`` reveal. ``steam_events`` counts the steam events towards the side
        (its probability rose, see :func:`steam_events`) before first pitch,
        ``steam_events_before_decision`` those confirmed by the decision time, and
        ``first_steam_at`` is the earliest confirmation.
    """
    return summarize_market(snapshots, games, params, observations).consensus


def steam_events(
    snapshots: pd.DataFrame,
    games: pd.DataFrame,
    params: ConsensusParams = ConsensusParams(),
    observations: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Moments when several books moved the same side the same way within a short window.

    A *move* is one book's change of the side's no-vig probability between consecutive
    states at an unchanged line (a new point prices a different proposition), before
    first pitch; it qualifies when its size is at least ``steam_min_move_prob`` and the
    observations of the book's line bracket it within ``steam_window_minutes``
    (``observations`` as in :func:`mlb_assets.lib.line_movements.compute_line_movements`;
    None means every book was observed continuously). Moves
    are grouped by game, market, side and direction. An event *starts* at the first
    qualifying move whose window ``[t, t + steam_window_minutes]`` (both ends
    included) holds qualifying moves of at least ``steam_min_books`` distinct books,
    and absorbs every qualifying move in that window. The next event can only start
    after the window closes, so events never overlap and no move belongs to two
    events. Anchoring on the first move whose window qualifies, rather than on the
    first move of all, keeps an isolated early move from hiding a burst that follows
    it. Moves at any point count: a book at total 9 and another at 8.5 both moving
    towards the over are the same money.

    Returns:
        Columns :data:`STEAM_COLUMNS`, sorted by game, market, side (home/over first),
        ``started_at``. Each market-level event appears once per side: ``direction``
        +1 on the side whose probability rose, -1 on the other. ``confirmed_at`` is the
        move that brought the ``steam_min_books``-th book (when the event became
        visible), ``ended_at`` the last absorbed move, ``books`` the comma-joined
        sorted books, ``total_move_prob`` the sum of the absorbed moves of the side
        (signed like ``direction``; it adds up every book's repricing and is not the
        market's net move). ``observation_gap_minutes`` is the widest observation gap
        among the absorbed moves (0 for continuously observed books). With one book and
        ``steam_min_books`` above 1 there are none.
    """
    return summarize_market(snapshots, games, params, observations).steam


# --- preparation ---------------------------------------------------------------------

_VALUE_COLUMNS = ("price_0", "price_1", "point_0", "point_1", "prob_0", "prob_1")


def _prepare(snapshots: pd.DataFrame, games: pd.DataFrame, params: ConsensusParams) -> _Books:
    """Every book's states, re-keyed to integers and sorted by (game-market, time, book)."""
    states = book_market_states(snapshots, games)
    game_code, game_ids = pd.factorize(states["game_id"], sort=True)
    market_code, markets = pd.factorize(states["market"], sort=True)
    book_code, book_names = pd.factorize(states["book"], sort=True)
    radix = max(len(markets), 1)
    gm_codes, gm = np.unique(game_code.astype(np.int64) * radix + market_code, return_inverse=True)
    t = states["t"].to_numpy()
    order = np.lexsort([book_code, t, gm])
    first_of_gm = np.unique(gm[order], return_index=True)[1]
    names = np.asarray(book_names, dtype=object)
    gm_market = np.asarray(markets, dtype=object)[gm_codes % radix]
    return _Books(
        gm=gm[order],
        book=book_code[order].astype(np.int64),
        t=t[order],
        values={c: states[c].to_numpy(dtype=float)[order] for c in _VALUE_COLUMNS},
        gm_game=np.asarray(game_ids, dtype=object)[gm_codes // radix],
        gm_market=gm_market,
        gm_sides=_side_names(gm_market),
        gm_start=states["start"].to_numpy()[order][first_of_gm],
        book_names=names,
        sharp=np.isin(names, list(params.sharp_books)),
    )


def _side_names(markets: np.ndarray) -> np.ndarray:
    """(n, 2) object array of each market's side names, home/over first."""
    table = np.array(list(MARKET_SIDES.values()), dtype=object)
    position = pd.Index(list(MARKET_SIDES)).get_indexer(markets)
    if (position < 0).any():  # normalize_quotes rejects these; fail rather than mislabel
        raise ValueError(f"unknown markets {sorted(set(markets[position < 0]))}")
    return table[position].reshape(-1, 2)


def _starts_run(values: np.ndarray) -> np.ndarray:
    """True for the first element and wherever an element differs from its predecessor."""
    starts = np.ones(len(values), dtype=bool)
    starts[1:] = values[1:] != values[:-1]
    return starts


def _ends_run(values: np.ndarray) -> np.ndarray:
    """True for the last element and wherever the next element differs."""
    ends = np.ones(len(values), dtype=bool)
    ends[:-1] = values[:-1] != values[1:]
    return ends


def _point_code(points: np.ndarray) -> np.ndarray:
    """Points with NaN (moneylines) replaced by +inf so that equal lines compare equal."""
    return np.nan_to_num(points, nan=np.inf, posinf=np.inf)


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


# --- public frames -------------------------------------------------------------------

_NAT = np.iinfo(np.int64).min  # how numpy stores NaT as an integer


def _keys(books: _Books, gm: np.ndarray, slot: np.ndarray) -> dict[str, np.ndarray]:
    """``game_id``, ``market`` and ``side`` of (game-market, side slot) pairs."""
    return {
        "game_id": books.gm_game[gm],
        "market": books.gm_market[gm],
        "side": books.gm_sides[gm, slot],
    }


def _times(ns: np.ndarray) -> pd.DatetimeIndex:
    """Epoch nanoseconds to UTC datetimes (the NaT integer stays NaT)."""
    return pd.DatetimeIndex(ns.astype(np.int64).astype("datetime64[ns]")).tz_localize("UTC")


def _event_times(events: _Events, index: np.ndarray) -> pd.DatetimeIndex:
    """The time of each event ``index`` (NaT for -1)."""
    if len(events.t) == 0:
        return _times(np.full(len(index), _NAT))
    return _times(np.where(index >= 0, events.t[np.maximum(index, 0)], _NAT))


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
