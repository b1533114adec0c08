"""How much of a date's input normalization quarantined, judged against two thresholds.

Normalization quarantines the quotes no book can have offered (see
:mod:`mlb_assets.lib.plausibility`), so the rows that are stored satisfy the table's
invariants. A handful of quarantined quotes is a book's bad market; a large share means
the feed or normalization itself is broken, and the date's odds should not feed models.
The share is quarantined / (stored + quarantined) rows of the same dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Level = Literal["ok", "warn", "error"]


@dataclass(frozen=True)
class QuarantineShare:
    """The quarantined share of a date range's rows and the level it reaches."""

    quarantined: int
    stored: int
    warn_share: float
    error_share: float

    def __post_init__(self) -> None:
        if self.quarantined < 0 or self.stored < 0:
            raise ValueError("row counts must not be negative")
        if not 0 <= self.warn_share <= self.error_share <= 1:
            raise ValueError("expected 0 <= warn_share <= error_share <= 1")

    @property
    def share(self) -> float:
        """quarantined / (stored + quarantined); 0 for a date without rows."""
        total = self.stored + self.quarantined
        return self.quarantined / total if total else 0.0

    @property
    def level(self) -> Level:
        """``error`` above the error share, ``warn`` above the warn share, else ``ok``."""
        if self.share > self.error_share:
            return "error"
        if self.share > self.warn_share:
            return "warn"
        return "ok"

    def summary(self) -> str:
        """One line, e.g. ``quarantined 3 of 1,203 quotes (0.2%; warn above 2.0%)``."""
        total = self.stored + self.quarantined
        limit = {
            "ok": f"warn above {self.warn_share:.1%}",
            "warn": f"above the warn share {self.warn_share:.1%}",
            "error": f"above the error share {self.error_share:.1%}",
        }[self.level]
        return f"quarantined {self.quarantined:,} of {total:,} quotes ({self.share:.1%}; {limit})"

    def metadata(self) -> dict[str, object]:
        """JSON-safe figures for check metadata."""
        return {
            "quarantined": self.quarantined,
            "quarantine_share": round(self.share, 6),
            "quarantine_warn_share": self.warn_share,
            "quarantine_error_share": self.error_share,
            "quarantine_severity": self.level.upper(),
        }
