"""Staking and bankroll configuration for picks and the ledger.

Every field is declared in ``mlb_assets.config`` (variable, unit, default). ``max_bet_percent``
is in percent of the bankroll (2 means 2%) as ``MAX_BET_PERCENT`` is; :meth:`staking` turns it
into the bankroll share the staking functions use. The edge and tier thresholds are
probabilities.
"""

from __future__ import annotations

from typing import Literal

import dagster as dg

from mlb_assets.config import default
from mlb_assets.lib.betting.staking import StakingParams


class BettingResource(dg.ConfigurableResource):
    """How picks are staked and the bankroll they draw on.

    Defaults: quarter Kelly, at most 2% of the bankroll per bet, only edges of at least 3
    probability points, tiers A/B/C at model probabilities 0.65/0.60/0.55, a starting
    bankroll of 10,000, the best price among every book in the warehouse (``books``: a
    comma-separated list to restrict), Pinnacle as the reference for the no-vig market
    probability, and the multiplicative no-vig method for the edge (and the closing-line
    value). Money is staked on a model only while its evidence's interval of log-loss minus
    the market's lies below ``gate_max_log_loss_diff`` (0: entirely in the model's favour).
    """

    kelly_fraction: float = default("kelly_fraction")
    max_bet_percent: float = default("max_bet_percent")
    min_edge_threshold: float = default("min_edge_threshold")
    tier_a: float = default("tier_a")
    tier_b: float = default("tier_b")
    tier_c: float = default("tier_c")
    starting_bankroll: float = default("starting_bankroll")
    books: str = ""
    reference_book: str = default("reference_book")
    novig_method: Literal["mult", "shin"] = default("novig_method")
    gate_max_log_loss_diff: float = default("gate_max_log_loss_diff")

    def staking(self) -> StakingParams:
        return StakingParams(
            kelly_fraction=self.kelly_fraction,
            max_bet_share=self.max_bet_percent / 100.0,
            min_edge=self.min_edge_threshold,
            tier_a=self.tier_a,
            tier_b=self.tier_b,
            tier_c=self.tier_c,
        )

    def book_list(self) -> list[str] | None:
        """The books whose prices may be taken; None: every book."""
        books = [book.strip() for book in self.books.split(",") if book.strip()]
        return books or None
