"""The public functions: the market's states, consensus and steam events in one pass."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from mlb_assets.lib.consensus.books import DEFAULT_PARAMS, ConsensusParams, _prepare
from mlb_assets.lib.consensus.measures import _event_measures, _public_consensus, _public_states
from mlb_assets.lib.consensus.steam import _public_steam, _qualifying_moves, _steam_table


def market_states(
    snapshots: pd.DataFrame,
    games: pd.DataFrame,
    params: ConsensusParams = DEFAULT_PARAMS,
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
    params: ConsensusParams = DEFAULT_PARAMS,
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
    params: ConsensusParams = DEFAULT_PARAMS,
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
    params: ConsensusParams = DEFAULT_PARAMS,
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
