"""One season of the public archives, parsed, reconciled and ready to slice by date.

The three archives cover a season in different ways: Retrosheet knows every regular-season
game and its result, Pinnacle's file knows every line change (2016 only), and the season
workbooks know opening and closing lines. ``load_season`` parses what is present once per
process and keeps the pieces the assets need.
"""

from __future__ import annotations

import hashlib
import re
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd

from mlb_assets.lib.archives.catalog import ArchiveCatalog
from mlb_assets.lib.archives.pinnacle import PinnacleArchive, pinnacle_quotes, read_pinnacle
from mlb_assets.lib.archives.reconcile import Reconciliation, apply_repairs, reconcile_games
from mlb_assets.lib.archives.retrosheet import GamelogArchive, read_gamelog
from mlb_assets.lib.archives.sbr import WorkbookArchive, read_workbook

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


@dataclass(frozen=True)
class SourceRows:
    """How one source file's rows were accounted for: each is loaded or quarantined.

    ``rows_read`` is counted from the file independently of the parser (sheet rows, non-blank
    game-log lines, games in the R object), so a row the parser dropped shows as a gap.
    """

    source: str
    file: str
    rows_read: int
    rows_loaded: int
    rows_quarantined: int

    @property
    def unaccounted(self) -> int:
        return self.rows_read - self.rows_loaded - self.rows_quarantined

    def as_dict(self) -> dict[str, object]:
        return {
            "source": self.source,
            "file": self.file,
            "rows_read": self.rows_read,
            "rows_loaded": self.rows_loaded,
            "rows_quarantined": self.rows_quarantined,
            "unaccounted": self.unaccounted,
        }


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
    source_rows: list[SourceRows] = field(default_factory=list)

    def file_for(self, source: str) -> ArchiveFile | None:
        return next((f for f in self.files if f.source == source), None)

    def date_span(self) -> tuple[date, date] | None:
        """First and last date of any game or quarantined row of the season.

        A season's backfill runs over this span, so a row quarantined with a date before the
        first game that parsed (or after the last) is written like any other.
        """
        dated = [self.games["game_date"]] if not self.games.empty else []
        dated += [q["game_date"] for q in self.quarantine.values() if not q.empty]
        days = pd.to_datetime(pd.concat(dated), errors="coerce").dropna() if dated else None
        if days is None or days.empty:
            return None
        return days.min().date(), days.max().date()


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
    loaded = set(reconciliation.games["game_id"])
    source_rows = []
    if RETROSHEET_SOURCE in by_source:
        source_rows.append(_gamelog_rows(by_source[RETROSHEET_SOURCE], gamelog, loaded))
    if PINNACLE_SOURCE in by_source:
        source_rows.append(_pinnacle_rows(by_source[PINNACLE_SOURCE], pinnacle, loaded))
    if SBR_SOURCE in by_source:
        source_rows.append(_workbook_rows(by_source[SBR_SOURCE], workbook, reconciliation, loaded))
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
        source_rows=source_rows,
    )


# --- every source row loaded or quarantined ------------------------------------------


def _present(game_ids: pd.Series, loaded: set[str]) -> int:
    return int(game_ids.isin(loaded).sum())


def _gamelog_rows(file: ArchiveFile, gamelog: GamelogArchive, loaded: set[str]) -> SourceRows:
    """One game per non-blank line of the log."""
    return SourceRows(
        file.source,
        file.path.name,
        rows_read=count_gamelog_lines(file.path),
        rows_loaded=_present(gamelog.games["game_id"], loaded),
        rows_quarantined=len(gamelog.quarantine),
    )


def _pinnacle_rows(file: ArchiveFile, pinnacle: PinnacleArchive, loaded: set[str]) -> SourceRows:
    """One game per row of the R object (its line changes travel with the game)."""
    return SourceRows(
        file.source,
        file.path.name,
        rows_read=pinnacle.rows_read,
        rows_loaded=_present(pinnacle.games["game_id"], loaded),
        rows_quarantined=len(pinnacle.quarantine),
    )


def _workbook_rows(
    file: ArchiveFile, workbook: WorkbookArchive, reconciliation: Reconciliation, loaded: set[str]
) -> SourceRows:
    """Two sheet rows per game; a row is quarantined whole or belongs to a loaded game.

    A quarantined market value (one bad price) leaves its row loaded: it is counted in the
    parser's own figures, not here.
    """
    sbr_ids = apply_repairs(workbook.games[["game_id"]], reconciliation.repairs, "sbr")
    rows_in_games = 2 * _present(sbr_ids["game_id"], loaded)
    counts = getattr(workbook, "counts", None)
    rows_read = counts["rows_read"] if counts else rows_in_games + len(workbook.quarantine)
    whole_rows = counts["rows_quarantined"] if counts else len(workbook.quarantine)
    return SourceRows(file.source, file.path.name, rows_read, rows_in_games, whole_rows)


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
_NUMBER = re.compile(r"(?<![A-Za-z])[+-]?\d+(?:\.\d+)?")


def reason_class(reason: str) -> str:
    """A quarantine reason without the values it names: rows of one kind count together."""
    return _NUMBER.sub("N", _QUOTED.sub("'…'", str(reason)))


def quarantine_by_reason(season: SeasonArchives) -> pd.DataFrame:
    """Quarantined rows of the season per source and kind of reason, most frequent first."""
    frames = [q.assign(source=source) for source, q in season.quarantine.items() if not q.empty]
    if not frames:
        return pd.DataFrame(columns=["source", "reason", "rows"])
    rows = pd.concat(frames, ignore_index=True)
    counted = rows.assign(reason=rows["reason"].map(reason_class)).value_counts(
        ["source", "reason"]
    )
    return counted.rename("rows").reset_index()


def count_gamelog_lines(path: Path) -> int:
    """Non-blank lines of the game log inside ``glYYYY.zip``: one per game."""
    with zipfile.ZipFile(path) as archive:
        members = [n for n in archive.namelist() if n.lower().endswith(".txt")]
        text = archive.read(members[0]).decode("latin-1") if len(members) == 1 else ""
    return sum(1 for line in text.splitlines() if line.strip())


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


def quarantine_for(season: SeasonArchives, start: date, end: date) -> pd.DataFrame:
    """The season's quarantined source rows that a run of [start, end] writes.

    Rows dated in [start, end]; rows whose date could not be read (they belong to every
    run that meets them); and rows dated before the season's first game or after its last
    one, by the run that covers that end of the season, so that no row is left without a
    run to write it.
    """
    frames = [q for q in season.quarantine.values() if not q.empty]
    if not frames:
        return pd.DataFrame()
    rows = pd.concat(frames, ignore_index=True)
    days = pd.to_datetime(rows["game_date"], errors="coerce").dt.date
    keep = days.isna() | days.between(start, end)
    if season.games.empty:
        keep |= days.notna() & (start.year <= season.season <= end.year)
    else:
        first, last = min(season.games["game_date"]), max(season.games["game_date"])
        if start <= first:
            keep |= days.notna() & (days < first)
        if end >= last:
            keep |= days.notna() & (days > last)
    return rows[keep.to_numpy()].reset_index(drop=True)


def concat(frames: Iterable[pd.DataFrame]) -> pd.DataFrame:
    kept = [f for f in frames if not f.empty]
    return pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()


def season_quotes(season: SeasonArchives, start: date, end: date) -> pd.DataFrame:
    """The season's timestamped quotes for games dated in [start, end], with lineage.

    Each row gains its ``game_date``, the ``source`` of the archive file and that file's
    ``payload_id`` in ``raw_payloads``.
    """
    from mlb_assets.lib.warehouse.store import stable_id

    dates = season.games.set_index("game_id")["game_date"]
    quotes = season.quotes.assign(game_date=season.quotes["game_id"].map(dates))
    quotes = quotes[in_dates(quotes, start, end)]
    file = season.file_for(PINNACLE_SOURCE)
    payload_id = stable_id(file.source, file.sha256) if file else None
    return quotes.assign(source=file.source if file else None, payload_id=payload_id)
