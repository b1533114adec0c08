"""One season of the public archives, parsed, reconciled and ready to slice by date.

The three archives cover a season in different ways: Retrosheet knows every regular-season
game and its result, Pinnacle's file knows every line change (2016 only), and the season
workbooks know opening and closing lines. ``load_season`` parses what is present once per
process and keeps the pieces the assets need.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd

from mlb_assets.lib.archives.catalog import ArchiveCatalog
from mlb_assets.lib.archives.pinnacle import pinnacle_quotes, read_pinnacle
from mlb_assets.lib.archives.reconcile import apply_repairs, reconcile_games
from mlb_assets.lib.archives.retrosheet import read_gamelog
from mlb_assets.lib.archives.sbr import read_workbook

PINNACLE_SOURCE = "pinnacle_archive"
SBR_SOURCE = "sbr_archive"
RETROSHEET_SOURCE = "retrosheet_archive"
PINNACLE_BOOK = "pinnacle"
MEDIA_TYPES = {
    ".rda": "application/x-rdata",
    ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ".zip": "application/zip",
}


@dataclass(frozen=True)
class ArchiveFile:
    """A source file of the archives, identified by its content."""

    source: str
    path: Path
    sha256: str

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES.get(self.path.suffix.lower(), "application/octet-stream")


@dataclass
class SeasonArchives:
    season: int
    files: list[ArchiveFile]
    games: pd.DataFrame
    unmatched: pd.DataFrame
    repairs: pd.DataFrame
    conflicts: pd.DataFrame
    quotes: pd.DataFrame
    workbook_lines: pd.DataFrame
    quarantine: dict[str, pd.DataFrame] = field(default_factory=dict)

    def file_for(self, source: str) -> ArchiveFile | None:
        return next((f for f in self.files if f.source == source), None)


@lru_cache(maxsize=64)
def sha256_of(path: Path, size: int, mtime_ns: int) -> str:
    """The file's sha256 (size and mtime in the key so a replaced file is hashed again)."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def archive_file(source: str, path: Path) -> ArchiveFile:
    stat = path.stat()
    return ArchiveFile(source, path, sha256_of(path, stat.st_size, stat.st_mtime_ns))


def _source_files(catalog: ArchiveCatalog, season: int) -> list[ArchiveFile]:
    candidates = [
        (RETROSHEET_SOURCE, catalog.gamelog_path(season)),
        (PINNACLE_SOURCE, catalog.pinnacle_path(season)),
        (SBR_SOURCE, catalog.workbook_path(season)),
    ]
    return [archive_file(source, path) for source, path in candidates if path is not None]


def _empty_quotes() -> pd.DataFrame:
    columns = ["game_id", "book", "market", "side", "point", "price_american", "captured_at"]
    return pd.DataFrame(columns=columns)


@lru_cache(maxsize=8)
def _load_season_cached(root: Path, season: int, cache_dir: Path | None) -> SeasonArchives:
    catalog = ArchiveCatalog(root)
    files = _source_files(catalog, season)
    by_source = {f.source: f for f in files}
    quarantine: dict[str, pd.DataFrame] = {}
    retro_games = pinnacle_games = sbr_games = None
    quotes, workbook_lines = _empty_quotes(), pd.DataFrame()
    if RETROSHEET_SOURCE in by_source:
        gamelog = read_gamelog(by_source[RETROSHEET_SOURCE].path)
        retro_games, quarantine[RETROSHEET_SOURCE] = gamelog.games, gamelog.quarantine
    if PINNACLE_SOURCE in by_source:
        pinnacle = read_pinnacle(by_source[PINNACLE_SOURCE].path, cache_dir=cache_dir)
        pinnacle_games = pinnacle.games
        quarantine[PINNACLE_SOURCE] = pinnacle.quarantine
        quotes = pinnacle_quotes(pinnacle.lines, book=PINNACLE_BOOK)
    if SBR_SOURCE in by_source:
        workbook = read_workbook(by_source[SBR_SOURCE].path, season)
        sbr_games, workbook_lines = workbook.games, workbook.lines
        quarantine[SBR_SOURCE] = workbook.quarantine
    reconciliation = reconcile_games(retro_games, pinnacle_games, sbr_games)
    # Reconciliation may re-number a source's games (a doubleheader listed in reverse order):
    # the source's other rows must follow the same re-keying.
    workbook_lines = apply_repairs(workbook_lines, reconciliation.repairs, "sbr")
    quotes = apply_repairs(quotes, reconciliation.repairs, "pinnacle")
    return SeasonArchives(
        season=season,
        files=files,
        games=reconciliation.games,
        unmatched=reconciliation.unmatched,
        repairs=reconciliation.repairs,
        conflicts=reconciliation.conflicts,
        quotes=quotes,
        workbook_lines=workbook_lines,
        quarantine=quarantine,
    )


def load_season(root: Path, season: int, cache_dir: Path | None = None) -> SeasonArchives:
    """Parse and reconcile one season (cached per process)."""
    return _load_season_cached(root.resolve(), season, cache_dir)


def seasons_in(start: date, end: date) -> list[int]:
    return list(range(start.year, end.year + 1))


def in_dates(frame: pd.DataFrame, start: date, end: date, column: str = "game_date") -> pd.Series:
    """A mask of the rows whose date lies in [start, end]."""
    if frame.empty:
        return pd.Series(False, index=frame.index)
    return pd.to_datetime(frame[column]).dt.date.between(start, end)


def concat(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    kept = [f for f in frames if not f.empty]
    return pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()


def season_quotes(season: SeasonArchives, start: date, end: date, books: int = 1) -> pd.DataFrame:
    """The season's timestamped quotes for games dated in [start, end], with lineage.

    Each row gains its ``game_date``, the ``source`` of the archive file and that file's
    ``payload_id`` in ``raw_payloads``. ``books`` above 1 replays the real quotes across
    synthetic books as well, for load tests (see ``lib/replay/synthetic_books``).
    """
    from mlb_assets.lib.replay.synthetic_books import expand_books
    from mlb_assets.lib.warehouse.store import stable_id

    dates = season.games.set_index("game_id")["game_date"]
    quotes = season.quotes.assign(game_date=season.quotes["game_id"].map(dates))
    quotes = expand_books(quotes[in_dates(quotes, start, end)], books)
    file = season.file_for(PINNACLE_SOURCE)
    payload_id = stable_id(file.source, file.sha256) if file else None
    return quotes.assign(source=file.source if file else None, payload_id=payload_id)
