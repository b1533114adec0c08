"""The interface every source of games and odds implements."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

import pandas as pd


class Log(Protocol):
    """Where a source reports progress (a Dagster context's log, or ``logging``)."""

    def info(self, msg: str) -> object: ...

    def warning(self, msg: str) -> object: ...


@dataclass(frozen=True)
class Schedule:
    """The games a source knows for a date range, and what it could not load.

    ``games`` has the columns of the ``games`` table (a source may leave some unset),
    ``unmatched`` the source games no other source confirmed, ``quarantine`` the rows that
    could not be loaded with their reasons, and ``source_rows`` per file: rows read, loaded
    and quarantined (empty for sources read as API responses rather than files).
    """

    games: pd.DataFrame
    unmatched: pd.DataFrame = field(default_factory=pd.DataFrame)
    quarantine: pd.DataFrame = field(default_factory=pd.DataFrame)
    source_rows: pd.DataFrame = field(default_factory=pd.DataFrame)


@dataclass(frozen=True)
class Quotes:
    """A date range's quotes in the long quote format, with ``game_date``, ``source`` and
    ``payload_id`` (lineage), the quarantine of payloads that could not be read, and the
    polls that observed each (game, book): None when the source observed every change
    as it happened (the archives)."""

    quotes: pd.DataFrame
    quarantine: pd.DataFrame = field(default_factory=pd.DataFrame)
    observations: pd.DataFrame | None = None


class MarketSource(Protocol):
    """A source of games and odds for ranges of game dates."""

    name: str

    def land(self, start: date, end: date) -> dict[str, object]:
        """Store what the source sends for [start, end] verbatim; figures for metadata."""
        ...

    def schedule(self, start: date, end: date) -> Schedule:
        """The games dated in [start, end]."""
        ...

    def quotes(self, start: date, end: date) -> Quotes:
        """The timestamped quotes of the games dated in [start, end]."""
        ...

    def open_close(self, start: date, end: date) -> pd.DataFrame:
        """Opening and closing lines without timestamps (empty for timestamped feeds)."""
        ...
