"""Faults against Postgres: a run killed while it copies a partition's rows, and two
partitions' runs side by side. The rows are the real 2016 lines replayed across synthetic
books (a load test, not market truth) so that a partition's load lasts long enough to be
caught in the middle."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from mlb_assets.lib.archives.season import season_quotes
from mlb_assets.lib.ops.postgres import scratch_database
from mlb_assets.lib.snapshots import normalize_by_source
from mlb_assets.lib.warehouse import migrate
from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.replay.synthetic_books import expand_books
from mlb_assets.resources.archive import ArchiveResource

pytestmark = [pytest.mark.archive, pytest.mark.postgres, pytest.mark.slow]

BEFORE = (date(2016, 4, 28), date(2016, 4, 30))
TARGET = (date(2016, 5, 1), date(2016, 5, 7))
AFTER = (date(2016, 5, 8), date(2016, 5, 9))
BOOKS = 12  # enough rows that the COPY runs for seconds on this machine
KILL_WAIT_SECONDS = 240


def _launch(url: str, home: Path, archive: Path, span: tuple[date, date], books: int, scope: str):  # type: ignore[no-untyped-def]
    arguments = [url, str(home), str(archive), span[0].isoformat(), span[1].isoformat()]
    command = [
        sys.executable,
        "-m",
        "mlb_assets_tests.defs.range_run",
        *arguments,
        str(books),
        scope,
    ]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(process: subprocess.Popen, timeout: float = 600) -> None:
    stdout, stderr = process.communicate(timeout=timeout)
    assert process.returncode == 0 and stdout.strip().endswith("done"), stderr[-3000:]


def _run(
    url: str, home: Path, archive: Path, span: tuple[date, date], books: int, scope: str = "odds"
) -> None:
    _finish(_launch(url, home, archive, span, books, scope))


def _fingerprint(engine: sa.Engine, span: tuple[date, date]) -> pd.DataFrame:
    """Per game date of ``span``: rows, distinct ids and a checksum of the ids and prices."""
    query = sa.text(
        "SELECT game_date, count(*) AS n, count(DISTINCT snapshot_id) AS ids, "
        "sum(snapshot_id % 1000003 + price_american) AS checksum "
        "FROM odds_snapshots WHERE game_date BETWEEN :start AND :end "
        "GROUP BY game_date ORDER BY game_date"
    )
    with engine.connect() as connection:
        return pd.DataFrame(connection.execute(query, {"start": span[0], "end": span[1]}).all())


def _expected_ids(archive: Path, home: Path, span: tuple[date, date], books: int) -> set[int]:
    """The snapshot ids the odds_snapshots asset must hold for ``span`` (the oracle)."""
    resource = ArchiveResource(archive_dir=str(archive), home=str(home), load_test_books=books)
    quotes = pd.concat(season_quotes(s, *span) for s in resource.seasons_between(*span))
    quotes = expand_books(quotes, books)
    snapshots, _ = normalize_by_source(quotes)
    return set(snapshots["snapshot_id"].astype("int64"))


def _ids(engine: sa.Engine, span: tuple[date, date]) -> list[int]:
    query = sa.text("SELECT snapshot_id FROM odds_snapshots WHERE game_date BETWEEN :s AND :e")
    with engine.connect() as connection:
        return list(connection.execute(query, {"s": span[0], "e": span[1]}).scalars())


def _copy_progress(engine: sa.Engine, database: str) -> int | None:
    """Rows a COPY into this database has processed so far; None when none is running."""
    query = sa.text(
        "SELECT p.tuples_processed FROM pg_stat_progress_copy AS p "
        "JOIN pg_database AS d ON d.oid = p.datid WHERE d.datname = :name"
    )
    with engine.connect() as connection:
        return connection.execute(query, {"name": database}).scalar()


def _kill_mid_copy(process: subprocess.Popen, watcher: sa.Engine, database: str) -> int:
    deadline = time.monotonic() + KILL_WAIT_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, "the run ended before its COPY was seen"
        copied = _copy_progress(watcher, database)
        if copied:
            os.kill(process.pid, signal.SIGKILL)
            process.wait(timeout=30)
            return copied
        time.sleep(0.02)
    process.kill()
    pytest.fail("no COPY into the warehouse was seen in time")


def _wait_for_backends_to_go(watcher: sa.Engine, database: str) -> None:
    """The server ends the killed client's session once it sees the socket closed."""
    query = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = :name "
        "AND pid <> pg_backend_pid() AND state <> 'idle'"
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with watcher.connect() as connection:
            if connection.execute(query, {"name": database}).scalar() == 0:
                return
        time.sleep(0.1)
    pytest.fail("the killed run's database sessions did not end")


@pytest.fixture
def warehouse(postgres_url: str) -> sa.Engine:
    engine = create_warehouse_engine(postgres_url)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


@pytest.mark.timeout(900)
def test_sigkill_mid_copy_then_rerun(
    warehouse: sa.Engine,
    postgres_url: str,
    postgres_admin_url: str,
    archive_dir: Path,
    state_home: Path,
) -> None:
    database = warehouse.url.database
    assert database is not None
    for span in (BEFORE, AFTER):
        _run(postgres_url, state_home, archive_dir, span, 1)
    _run(postgres_url, state_home, archive_dir, TARGET, 1)  # the partition as it was
    neighbours = {span: _fingerprint(warehouse, span) for span in (BEFORE, AFTER)}
    before_kill = _fingerprint(warehouse, TARGET)
    assert not before_kill.empty and not neighbours[BEFORE].empty and not neighbours[AFTER].empty

    warehouse.dispose()  # only the run's sessions stay in the database
    watcher = sa.create_engine(postgres_admin_url)
    try:
        process = _launch(postgres_url, state_home, archive_dir, TARGET, BOOKS, "odds")
        copied = _kill_mid_copy(process, watcher, database)
        _wait_for_backends_to_go(watcher, database)
    finally:
        watcher.dispose()
    assert copied > 0
    # Killed inside its transaction: the partition is exactly as it was, nothing half-loaded.
    pd.testing.assert_frame_equal(_fingerprint(warehouse, TARGET), before_kill)

    _run(postgres_url, state_home, archive_dir, TARGET, BOOKS)
    ids = _ids(warehouse, TARGET)
    assert len(ids) == len(set(ids)), "no snapshot twice"
    assert set(ids) == _expected_ids(archive_dir, state_home, TARGET, BOOKS), "partition complete"
    assert len(ids) > copied, "the killed COPY was caught before its end"
    for span, fingerprint in neighbours.items():
        pd.testing.assert_frame_equal(_fingerprint(warehouse, span), fingerprint)
    with warehouse.connect() as connection:
        days = connection.execute(
            sa.text(
                "SELECT sum(row_count) FROM odds_snapshot_days WHERE game_date BETWEEN :s AND :e"
            ),
            {"s": TARGET[0], "e": TARGET[1]},
        ).scalar()
    assert days == len(ids), "the per-day counts were written with the rows"


def _table_counts(engine: sa.Engine, span: tuple[date, date]) -> dict[str, int]:
    tables = ("games", "odds_snapshots", "line_movements", "market_consensus", "game_features")
    with engine.connect() as connection:
        return {
            table: connection.execute(
                sa.text(f"SELECT count(*) FROM {table} WHERE game_date BETWEEN :s AND :e"),
                {"s": span[0], "e": span[1]},
            ).scalar()
            for table in tables
        }


@pytest.mark.timeout(900)
def test_two_partitions_side_by_side(
    warehouse: sa.Engine,
    postgres_url: str,
    postgres_admin_url: str,
    archive_dir: Path,
    state_home: Path,
) -> None:
    """Two backfill runs of neighbouring weeks at once hold the same rows as one after the
    other: no deadlock, no lost row, no failed run."""
    first, second = (date(2016, 5, 1), date(2016, 5, 7)), (date(2016, 5, 8), date(2016, 5, 14))
    books = 3
    runs = [
        _launch(postgres_url, state_home, archive_dir, span, books, "backfill")
        for span in (first, second)
    ]
    for process in runs:
        _finish(process)
    together = {span: _table_counts(warehouse, span) for span in (first, second)}

    with scratch_database(postgres_admin_url, "faults") as url:
        rendered = url.render_as_string(hide_password=False)
        sequential = create_warehouse_engine(rendered)
        try:
            for span in (first, second):
                _run(rendered, state_home, archive_dir, span, books, "backfill")
            alone = {span: _table_counts(sequential, span) for span in (first, second)}
        finally:
            sequential.dispose()
    assert together == alone
    assert all(
        counts["odds_snapshots"] > 0 and counts["game_features"] > 0 for counts in together.values()
    )
    with warehouse.connect() as connection:
        duplicates = connection.execute(
            sa.text("SELECT count(*) - count(DISTINCT snapshot_id) FROM odds_snapshots")
        ).scalar()
    assert duplicates == 0
