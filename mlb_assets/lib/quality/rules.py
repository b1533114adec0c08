"""What the quality suites count as valid, built by the caller from the project's config."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class QualityRules:
    """What counts as valid; built by the caller from project config."""

    known_teams: frozenset[str]  # team codes valid for the rows' seasons
    known_books: frozenset[str] | None  # None: any non-empty book name accepted
    max_stake_fraction: float  # cap on picks.stake_fraction and bet_ledger.stake_fraction
    profit_tolerance: float = 0.01  # money units for ledger profit consistency

    def __post_init__(self) -> None:
        if not self.known_teams:
            raise ValueError("known_teams is empty: every game would fail the team check")
        if not 0 < self.max_stake_fraction <= 1:
            raise ValueError("max_stake_fraction must be in (0, 1]")
        if self.profit_tolerance < 0:
            raise ValueError("profit_tolerance must not be negative")
