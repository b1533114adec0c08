"""The archive resource: the public MLB archives from a local mirror or their upstream."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg

from mlb_assets.lib import settings
from mlb_assets.lib.archives.catalog import ArchiveCatalog
from mlb_assets.lib.archives.fetch import ensure_archives
from mlb_assets.lib.archives.season import SeasonArchives, load_season, seasons_in


class ArchiveResource(dg.ConfigurableResource):
    """Public archives (Pinnacle 2016 line changes, season workbooks, Retrosheet game logs).

    With ``archive_dir`` (``MLB_ASSETS_ARCHIVE_DIR``) the files are read from that mirror and
    nothing is downloaded; without it they are downloaded once into
    ``MLB_ASSETS_HOME/archives`` and verified by checksum.
    """

    archive_dir: str | None = None
    home: str | None = None
    # Load tests only: replay the real lines as this many books, the real one plus synthetic
    # followers (replay/synthetic_books). 1 is the archives as they are.
    load_test_books: int = 1

    @property
    def cache_dir(self) -> Path:
        path = settings.home_dir(self.home) / "cache"
        path.mkdir(parents=True, exist_ok=True)
        return path

    def root(self, seasons: list[int]) -> Path:
        mirror = settings.archive_dir(self.archive_dir)
        if mirror is not None:
            if not mirror.is_dir():
                raise FileNotFoundError(
                    f"MLB_ASSETS_ARCHIVE_DIR points to {mirror}, which is not a directory"
                )
            return mirror
        destination = settings.home_dir(self.home) / "archives"
        return ensure_archives(destination, seasons).root

    def catalog(self, seasons: list[int]) -> ArchiveCatalog:
        return ArchiveCatalog(self.root(seasons))

    def season(self, season: int) -> SeasonArchives:
        return load_season(self.root([season]), season, cache_dir=self.cache_dir)

    def seasons_between(self, start: date, end: date) -> list[SeasonArchives]:
        """The parsed archives of every season that overlaps [start, end] and has files."""
        wanted = seasons_in(start, end)
        available = self.catalog(wanted).seasons()
        return [self.season(season) for season in wanted if season in available]
