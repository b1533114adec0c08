"""Staking and bankroll configuration for picks and the ledger.

Every field has an environment variable (read when the definitions load; values are not
secret, so they show in the UI). ``MAX_BET_PERCENT`` is in percent of the bankroll
(2 means 2%); the edge and tier thresholds are probabilities.
"""

from __future__ import annotations

import os
from typing import Literal

import dagster as dg

from mlb_assets.lib.betting.staking import StakingParams

#: Field name -> environment variable.
BETTING_ENV = {
    "kelly_fraction": "KELLY_FRACTION",
    "max_bet_percent": "MAX_BET_PERCENT",
    "min_edge_threshold": "MIN_EDGE_THRESHOLD",
    "tier_a": "SIGNAL_TIER_A",
    "tier_b": "SIGNAL_TIER_B",
    "tier_c": "SIGNAL_TIER_C",
    "starting_bankroll": "STARTING_BANKROLL",
    "books": "BETTING_BOOKS",
    "reference_book": "REFERENCE_BOOK",
    "novig_method": "NOVIG_METHOD",
}
_TEXT_FIELDS = {"books", "reference_book", "novig_method"}


class BettingResource(dg.ConfigurableResource):
    """How picks are staked and the bankroll they draw on.

    Defaults: quarter Kelly, at most 2% of the bankroll per bet, only edges of at least 3
    probability points, tiers A/B/C at model probabilities 0.65/0.60/0.55, a starting
    bankroll of 10,000, the best price among every book in the warehouse (``books``: a
    comma-separated list to restrict), Pinnacle as the reference for the no-vig market
    probability, and the multiplicative no-vig method for the edge.
    """

    kelly_fraction: float = 0.25
    max_bet_percent: float = 2.0
    min_edge_threshold: float = 0.03
    tier_a: float = 0.65
    tier_b: float = 0.60
    tier_c: float = 0.55
    starting_bankroll: float = 10_000.0
    books: str = ""
    reference_book: str = "pinnacle"
    novig_method: Literal["mult", "shin"] = "mult"

    def staking(self) -> StakingParams:
        return StakingParams(
            kelly_fraction=self.kelly_fraction,
            max_bet_percent=self.max_bet_percent / 100.0,
            min_edge=self.min_edge_threshold,
            tier_a=self.tier_a,
            tier_b=self.tier_b,
            tier_c=self.tier_c,
        )

    def book_list(self) -> list[str] | None:
        """The books whose prices may be taken; None: every book."""
        books = [book.strip() for book in self.books.split(",") if book.strip()]
        return books or None


def betting_from_env(environ: dict[str, str] | None = None) -> BettingResource:
    """The resource with every field whose environment variable is set taken from it."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, object] = {}
    for field, name in BETTING_ENV.items():
        raw = environ.get(name, "").strip()
        if not raw:
            continue
        if field in _TEXT_FIELDS:
            values[field] = raw
            continue
        try:
            values[field] = float(raw)
        except ValueError:
            raise ValueError(f"{name} must be a number, got {raw!r}") from None
    resource = BettingResource(**values)
    resource.staking()  # validates the ranges now, with the variable names in the message
    if resource.starting_bankroll <= 0:
        raise ValueError("STARTING_BANKROLL must be positive")
    return resource
