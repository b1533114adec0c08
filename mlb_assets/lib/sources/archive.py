"""The public archives as a source: season files landed whole, parsed once per season."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import pandas as pd
import sqlalchemy as sa

from mlb_assets.lib.archives.season import (
    SBR_SOURCE,
    ArchiveFile,
    SeasonArchives,
    concat,
    in_dates,
    quarantine_for,
    season_quotes,
)
from mlb_assets.lib.sources.base import Log, Quotes, Schedule
from mlb_assets.lib.warehouse.store import land_payload, stable_id

ARCHIVE = "archive"


@dataclass
class ArchiveSource:
    """Games and odds from the season files (Pinnacle line changes, workbooks, game logs).

    ``seasons`` gives the parsed archives of every season overlapping a date range that
    has files; ``engine`` is the warehouse the files are landed in.
    """

    seasons: Callable[[date, date], list[SeasonArchives]]
    engine: sa.Engine
    log: Log
    name: str = ARCHIVE

    def land(self, start: date, end: date) -> dict[str, object]:
        """Every file of the seasons covering [start, end], stored verbatim."""
        landed: list[dict[str, object]] = []
        for season in self.seasons(start, end):
            with self.engine.begin() as connection:
                landed += [_land_file(connection, season, file) for file in season.files]
        return {"payloads": len(landed), "preview": pd.DataFrame(landed)}

    def schedule(self, start: date, end: date) -> Schedule:
        seasons = self.seasons(start, end)
        source_rows = [{"season": s.season, **r.as_dict()} for s in seasons for r in s.source_rows]
        return Schedule(
            games=concat(s.games[in_dates(s.games, start, end)] for s in seasons),
            unmatched=concat(s.unmatched[in_dates(s.unmatched, start, end)] for s in seasons),
            quarantine=concat(quarantine_for(s, start, end) for s in seasons),
            source_rows=pd.DataFrame(source_rows),
        )

    def quotes(self, start: date, end: date) -> Quotes:
        # The archives record every change as it happens: observed continuously, no polls.
        quotes = concat(season_quotes(s, start, end) for s in self.seasons(start, end))
        return Quotes(quotes)

    def open_close(self, start: date, end: date) -> pd.DataFrame:
        return concat(_season_open_close(s, start, end) for s in self.seasons(start, end))


def _land_file(
    connection: sa.Connection, season: SeasonArchives, file: ArchiveFile
) -> dict[str, object]:
    payload_id = land_payload(
        connection,
        source=file.source,
        source_ref=file.path.name,
        body=file.path.read_bytes(),
        media_type=file.media_type,
        request_params={"season": season.season, "file": file.path.name},
    )
    return {
        "season": season.season,
        "source": file.source,
        "file": file.path.name,
        "sha256": file.sha256[:12],
        "payload_id": payload_id,
    }


def _season_open_close(season: SeasonArchives, start: date, end: date) -> pd.DataFrame:
    lines = season.workbook_lines
    file = season.file_for(SBR_SOURCE)
    if lines.empty or file is None:
        return pd.DataFrame()
    dates = season.games.set_index("game_id")["game_date"]
    lines = lines.assign(
        game_date=lines["game_id"].map(dates),
        source=file.source,
        payload_id=stable_id(file.source, file.sha256),
    )
    return lines[in_dates(lines, start, end)]
