"""The real 2016 season through the archive graph, on SQLite and Postgres."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.lib.warehouse.summary import table_counts
from mlb_assets.runner import run_season_backfill
from mlb_assets_tests.defs.conftest import make_resources

pytestmark = [pytest.mark.archive, pytest.mark.slow]

SEASON_START, SEASON_END = date(2016, 4, 3), date(2016, 11, 2)


def _backfill(
    url: str, archive_dir: Path, home: Path, start: date, end: date, on_step=None
) -> dict[str, int]:  # type: ignore[no-untyped-def]
    result = run_season_backfill(
        start, end, resources=make_resources(url, archive_dir, home), quiet=True, on_step=on_step
    )
    assert result.success
    return table_counts(create_warehouse_engine(url))


def _content_fingerprint(url: str) -> dict[str, tuple]:
    """Per table: row count and sums that change if any stored value changes."""
    engine = create_warehouse_engine(url)
    queries = {
        "odds_snapshots": "SELECT count(*), sum(price_american), count(DISTINCT snapshot_id) "
        "FROM odds_snapshots",
        "line_movements": "SELECT count(*), sum(n_moves), sum(close_price) FROM line_movements",
        "games": "SELECT count(*), sum(home_score), sum(away_score) FROM games",
    }
    with engine.connect() as connection:
        return {name: tuple(connection.execute(sa.text(q)).one()) for name, q in queries.items()}


def test_full_2016_season_same_on_sqlite_and_postgres_and_idempotent(
    archive_dir: Path, sqlite_url: str, postgres_url: str, state_home: Path
) -> None:
    counts = {}
    for backend, url in (("sqlite", sqlite_url), ("postgres", postgres_url)):
        first = _backfill(url, archive_dir, state_home, SEASON_START, SEASON_END)
        fingerprint = _content_fingerprint(url)
        second = _backfill(url, archive_dir, state_home, SEASON_START, SEASON_END)
        assert second == first, f"{backend}: a second backfill changed row counts"
        assert _content_fingerprint(url) == fingerprint, f"{backend}: rerun changed content"
        counts[backend] = first
    assert counts["sqlite"] == counts["postgres"]
    season = counts["sqlite"]
    assert season["games"] >= 2462
    assert season["odds_snapshots"] > 241_039  # several sides change per line change
    assert season["line_movements"] > 0
    assert season["raw_payloads"] == 3


def test_one_week_partition_range_only_touches_its_dates(
    archive_dir: Path, sqlite_url: str, state_home: Path
) -> None:
    told: list[tuple[int, int, str]] = []
    first_week = _backfill(
        sqlite_url,
        archive_dir,
        state_home,
        date(2016, 4, 3),
        date(2016, 4, 9),
        on_step=lambda *step: told.append(step),
    )
    # Progress: counts that only grow, the last (told before the run returned) all the steps.
    done = [d for d, _, _ in told]
    assert done == sorted(set(done))
    assert told[-1][0] == told[-1][1] >= 7  # payloads, games, snapshots, lines, ... features
    assert all(step for _, _, step in told)  # each report names the step that finished
    engine = create_warehouse_engine(sqlite_url)
    with engine.connect() as connection:
        dates = connection.execute(
            sa.text("SELECT min(game_date), max(game_date) FROM odds_snapshots")
        ).one()
    assert str(dates[0]) == "2016-04-03" and str(dates[1]) <= "2016-04-09"
    both = _backfill(sqlite_url, archive_dir, state_home, date(2016, 4, 10), date(2016, 4, 10))
    assert both["games"] > first_week["games"]
    again = _backfill(sqlite_url, archive_dir, state_home, date(2016, 4, 3), date(2016, 4, 9))
    assert again == both


def test_other_seasons_are_discovered_from_their_files(
    archive_dir: Path, sqlite_url: str, state_home: Path
) -> None:
    """2017 has only a workbook in the mirror: its games and lines load all the same."""
    day = date(2017, 4, 2)
    counts = _backfill(sqlite_url, archive_dir, state_home, day, day)
    assert counts["games"] == 3 and counts["odds_snapshots"] == 0
    assert counts["opening_closing_lines"] == 3 * 6
    engine = create_warehouse_engine(sqlite_url)
    with engine.connect() as connection:
        sources = connection.execute(sa.text("SELECT DISTINCT sources FROM games")).scalars().all()
    assert sources == ["sbr"]
