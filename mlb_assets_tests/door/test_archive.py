"""Archive mode at the door: one game day materialized with the `dagster` command line.

``dagster asset materialize -m mlb_assets.definitions --select '*line_movements' --partition
2016-04-04`` with only MLB_ASSETS_HOME, DAGSTER_HOME and MLB_ASSETS_ARCHIVE_DIR set (and
MLB_ASSETS_DATABASE_URL for Postgres) loads the day's games, odds snapshots and line
movements from the real archives; running the same command again changes no row count.
The operator's commands of the README (seasons, migrate, summary, backup, restore) then run on
that warehouse; ``seasons --rows`` also reads a made-up workbook of a season never seen.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

import pytest
import sqlalchemy as sa

from mlb_assets_tests.door.conftest import (
    DAY,
    GAMES_2016_04_04,
    MLB_ASSETS,
    SIDES,
    Door,
    day_of,
    query,
    table_counts,
)

SELECT = "*line_movements"  # line_movements and everything upstream of it


def unseen_mirror(root: Path) -> Path:
    """A mirror holding one made-up workbook of a season the project has never seen."""
    from mlb_assets_tests.lib.archives.workbook_fixtures import (
        HEADER_LATER,
        game_rows,
        neutral_site_rows,
        write_workbook,
    )

    (root / "sbr").mkdir(parents=True, exist_ok=True)
    rows = [
        *neutral_site_rows(),
        *game_rows(610, 911, "XYZ", "ATL"),
        *game_rows(611, 913, "KC", "TB"),
    ]
    write_workbook(root / "sbr" / "mlb-odds-2021.xlsx", HEADER_LATER, rows)
    return root


def assert_day_loaded(url: str) -> None:
    """The warehouse at ``url`` holds 2016-04-04 from the archives, consistently."""
    games = query(url, "SELECT game_id, game_date, status, sources FROM games")
    assert {row["game_id"] for row in games} == GAMES_2016_04_04
    assert {day_of(row["game_date"]) for row in games} == {DAY}
    assert all(row["status"] == "final" for row in games)
    assert all("pinnacle" in row["sources"] for row in games)

    snapshots = query(
        url,
        "SELECT game_id, game_date, book, market, side, price_american, captured_at "
        "FROM odds_snapshots",
    )
    assert len(snapshots) > 100
    assert {day_of(row["game_date"]) for row in snapshots} == {DAY}
    assert {row["game_id"] for row in snapshots} == GAMES_2016_04_04
    assert {(row["market"], row["side"]) for row in snapshots} == SIDES
    assert "pinnacle" in {row["book"] for row in snapshots}
    assert all(abs(row["price_american"]) >= 100 for row in snapshots)

    movements = query(
        url,
        "SELECT game_id, game_date, book, market, side, open_price, close_price, n_moves "
        "FROM line_movements",
    )
    assert movements
    assert {day_of(row["game_date"]) for row in movements} == {DAY}
    assert {row["game_id"] for row in movements} == GAMES_2016_04_04
    assert {(row["market"], row["side"]) for row in movements} == SIDES
    keys = [(r["game_id"], r["book"], r["market"], r["side"]) for r in movements]
    assert len(keys) == len(set(keys)), "one line_movements row per game, book, market, side"

    # Each movement opens at its earliest snapshot and moves no more often than it was quoted.
    quotes = defaultdict(list)
    for row in snapshots:
        key = (row["game_id"], row["book"], row["market"], row["side"])
        quotes[key].append((str(row["captured_at"]), row["price_american"]))
    for row in movements:
        key = (row["game_id"], row["book"], row["market"], row["side"])
        assert key in quotes, f"line_movements {key} has no odds_snapshots"
        assert row["open_price"] == min(quotes[key])[1], key
        assert 0 <= row["n_moves"] < len(quotes[key]), key
        assert row["close_price"] is not None

    sources = {row["source"] for row in query(url, "SELECT source FROM raw_payloads")}
    assert "pinnacle_archive" in sources


def materialize_twice(door: Door, env: dict[str, str], url: str) -> None:
    """The README's command, twice: the day loads, and the rerun changes no row count."""
    door.materialize(SELECT, DAY, env)
    assert_day_loaded(url)
    first = table_counts(url)
    assert first["games"] == len(GAMES_2016_04_04)
    assert first["odds_snapshots"] > 0 and first["line_movements"] > 0
    snapshot_ids = {
        row["snapshot_id"] for row in query(url, "SELECT snapshot_id FROM odds_snapshots")
    }

    door.materialize(SELECT, DAY, env)
    assert table_counts(url) == first, "a rerun of the same date changed row counts"
    again = {row["snapshot_id"] for row in query(url, "SELECT snapshot_id FROM odds_snapshots")}
    assert again == snapshot_ids
    assert_day_loaded(url)


@pytest.mark.archive
@pytest.mark.slow
def test_archive_day_on_the_embedded_warehouse(door: Door, archive_dir: Path) -> None:
    env = door.env(MLB_ASSETS_ARCHIVE_DIR=str(archive_dir))
    materialize_twice(door, env, door.sqlite_url)
    assert (door.home / "warehouse.sqlite").is_file()
    operate(door, env)


def operate(door: Door, env: dict[str, str]) -> None:
    """The operator's README commands on that warehouse: seasons, migrate, summary, backup,
    backup --list, and restore latest after losing rows."""
    seasons = door.run([MLB_ASSETS, "seasons"], env)
    assert seasons.returncode == 0, seasons.tail()
    assert "2016: pinnacle, retrosheet, sbr" in seasons.stdout
    unseen = unseen_mirror(door.home.parent / "unseen")
    rows = door.run([MLB_ASSETS, "seasons", "--archive-dir", str(unseen), "--rows"], env)
    assert rows.returncode == 0, rows.tail()
    assert "2021: sbr" in rows.stdout and "games loaded: 5" in rows.stdout
    assert re.search(r"read\s+12\s+loaded\s+10\s+quarantined\s+2\s+unaccounted 0", rows.stdout)
    assert "unknown team code" in rows.stdout
    migrated = door.run([MLB_ASSETS, "migrate"], env)
    assert migrated.returncode == 0, migrated.tail()
    assert " -> " in migrated.stdout
    summary = door.run([MLB_ASSETS, "summary"], env)
    assert summary.returncode == 0, summary.tail()
    counts = table_counts(door.sqlite_url)
    assert re.search(rf"odds_snapshots\s+{counts['odds_snapshots']}\b", summary.stdout)

    backup = door.run([MLB_ASSETS, "backup"], env)
    assert backup.returncode == 0, backup.tail()
    assert "every copy restored and verified" in backup.stdout
    listed = door.run([MLB_ASSETS, "backup", "--list"], env)
    assert listed.returncode == 0 and "verified" in listed.stdout, listed.tail()
    engine = sa.create_engine(door.sqlite_url)
    with engine.begin() as connection:
        connection.execute(sa.text("DELETE FROM odds_snapshots"))
    engine.dispose()
    restored = door.run([MLB_ASSETS, "restore", "latest", "--force"], env)
    assert restored.returncode == 0, restored.tail()
    assert "every table and file equal" in restored.stdout
    assert table_counts(door.sqlite_url) == counts


@pytest.mark.archive
@pytest.mark.postgres
@pytest.mark.slow
def test_archive_day_on_postgres(door: Door, archive_dir: Path, postgres_url: str) -> None:
    """Once: the rerun's idempotence is the embedded test's (and test_faults.py's on
    Postgres); here what differs is the warehouse the URL points at."""
    env = door.env(MLB_ASSETS_ARCHIVE_DIR=str(archive_dir), MLB_ASSETS_DATABASE_URL=postgres_url)
    door.materialize(SELECT, DAY, env)
    assert_day_loaded(postgres_url)
    # Nothing went to the embedded default beside it.
    assert not (door.home / "warehouse.sqlite").exists()
    months = query(
        postgres_url,
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "JOIN pg_class p ON p.oid = i.inhparent WHERE p.relname = 'odds_snapshots'",
    )
    assert "odds_snapshots_p2016_04" in {row["relname"] for row in months}
