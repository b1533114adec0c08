"""Materialize a range of game dates in a process of its own, for the fault tests to kill or
to run side by side: ``python -m mlb_assets_tests.defs.range_run URL HOME ARCHIVE START END
BOOKS SCOPE``. SCOPE ``odds`` runs payloads, games and odds_snapshots; ``backfill`` the whole
season_backfill job. Prints ``done`` on success."""

from __future__ import annotations

import sys
from datetime import date

import dagster as dg
from dagster._core.storage.tags import (
    ASSET_PARTITION_RANGE_END_TAG,
    ASSET_PARTITION_RANGE_START_TAG,
)


def run(url: str, home: str, archive: str, start: date, end: date, books: int, scope: str) -> bool:
    from mlb_assets.defs.ingestion.assets import games, raw_odds_payloads
    from mlb_assets.defs.markets.assets import odds_snapshots
    from mlb_assets.resources import resources_for
    from mlb_assets.resources.archive import ArchiveResource
    from mlb_assets.runner import run_season_backfill

    archive_resource = ArchiveResource(archive_dir=archive, home=home, load_test_books=books)
    resources = resources_for(url, archive, home, archive=archive_resource)
    if scope == "backfill":
        return run_season_backfill(start, end, resources=resources, quiet=True).success
    tags = {
        ASSET_PARTITION_RANGE_START_TAG: start.isoformat(),
        ASSET_PARTITION_RANGE_END_TAG: end.isoformat(),
    }
    assets = [raw_odds_payloads, games, odds_snapshots]
    return dg.materialize(assets, resources=resources, tags=tags).success


def main(argv: list[str]) -> int:
    url, home, archive, start, end, books, scope = argv
    ok = run(
        url, home, archive, date.fromisoformat(start), date.fromisoformat(end), int(books), scope
    )
    print("done" if ok else "failed", flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
