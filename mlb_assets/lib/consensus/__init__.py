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

from mlb_assets.lib.consensus.books import (
    CONSENSUS_COLUMNS,
    STATE_COLUMNS,
    STEAM_COLUMNS,
    ConsensusParams,
)
from mlb_assets.lib.consensus.summary import (
    MarketSummary,
    market_consensus,
    market_states,
    steam_events,
    summarize_market,
)

__all__ = [
    "CONSENSUS_COLUMNS",
    "STATE_COLUMNS",
    "STEAM_COLUMNS",
    "ConsensusParams",
    "MarketSummary",
    "market_consensus",
    "market_states",
    "steam_events",
    "summarize_market",
]
