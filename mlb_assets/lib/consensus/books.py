"""Every book's line states, re-keyed to integers: what consensus and steam read."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from mlb_assets.lib.line_movements import book_market_states
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


# Frozen, so one shared default instance is safe.
DEFAULT_PARAMS = ConsensusParams()


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
