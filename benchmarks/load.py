"""Odds rows into Postgres: the project's load path vs ``DataFrame.to_sql`` vs a raw COPY.

The rows are the real 2016 season's normalized odds snapshots (Pinnacle's line changes,
as the ``odds_snapshots`` asset writes them). Each method loads the same frame into an empty
``odds_snapshots`` table of a scratch, migrated warehouse database (partitioned by month on
Postgres, the season's partitions created beforehand), in one transaction; the
table is truncated between runs and each method runs ``REPEATS`` times (best time kept):

- ``project``: ``mlb_assets.lib.warehouse.load.bulk_insert`` (type checks, each column as a
  typed Arrow array, encoded in Postgres's binary COPY format with numpy, streamed into one
  ``COPY FROM STDIN`` 20,000 rows at a time);
- ``project_csv``: the same with the CSV that Arrow's C++ writer renders (the form the project
  uses for a table with a column the binary encoder does not handle: bytea);
- ``to_sql``: ``pandas.DataFrame.to_sql(..., if_exists="append")`` through SQLAlchemy;
- ``copy``: the frame written with ``DataFrame.to_csv`` and sent with one ``COPY FROM STDIN``
  (the project's path before it rendered the CSV with Arrow);
- ``file``: the physical floor: the same rows as a CSV file prepared before the clock starts
  (the project's own rendering), streamed from disk into one ``COPY FROM STDIN``. No path that
  starts from a DataFrame can beat it; ``load_project_vs_file`` is the share of it reached.

Needs ``MLB_ASSETS_ARCHIVE_DIR``; the scratch database lives on the server of
``MLB_ASSETS_BENCH_DATABASE_URL`` (default: the local test server) and is dropped afterwards.
"""

from __future__ import annotations

import io
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pandas as pd
import sqlalchemy as sa
from common import archive_dir, bench_server

from mlb_assets.config import current

START, END = date(2016, 4, 3), date(2016, 11, 2)
REPEATS = 3

# The parsed-archive cache lives in MLB_ASSETS_HOME when set, else in a scratch folder.
BENCH_HOME = (
    current().home_path
    if current().is_set("home")
    else Path(tempfile.mkdtemp(prefix="mlb_assets_bench_"))
)


def season_snapshots() -> pd.DataFrame:
    """The 2016 season's odds snapshots, as the odds_snapshots asset builds them."""
    from mlb_assets.lib.archives.season import season_quotes
    from mlb_assets.lib.snapshots import normalize_by_source
    from mlb_assets.resources.archive import ArchiveResource

    archive = ArchiveResource(archive_dir=archive_dir(), home=str(BENCH_HOME))
    seasons = archive.seasons_between(START, END)
    snapshots, _ = normalize_by_source(pd.concat([season_quotes(s, START, END) for s in seasons]))
    return snapshots


@contextmanager
def scratch_warehouse() -> Iterator[sa.Engine]:
    from mlb_assets.lib.ops.postgres import scratch_database
    from mlb_assets.lib.warehouse import migrate
    from mlb_assets.lib.warehouse.engine import create_warehouse_engine

    server = bench_server()
    with scratch_database(server, "bench") as url:
        engine = create_warehouse_engine(url.render_as_string(hide_password=False))
        try:
            migrate.upgrade(engine)
            yield engine
        finally:
            engine.dispose()


def _project(connection: sa.Connection, frame: pd.DataFrame) -> None:
    from mlb_assets.lib.warehouse.load import bulk_insert
    from mlb_assets.lib.warehouse.schema import odds_snapshots

    bulk_insert(connection, odds_snapshots, frame)


def _project_csv(connection: sa.Connection, frame: pd.DataFrame) -> None:
    from mlb_assets.lib.warehouse.load import _check_columns, copy_csv
    from mlb_assets.lib.warehouse.schema import odds_snapshots

    copy_csv(connection, odds_snapshots, _check_columns(odds_snapshots, frame), frame)


def _to_sql(connection: sa.Connection, frame: pd.DataFrame) -> None:
    frame.to_sql("odds_snapshots", connection, if_exists="append", index=False, chunksize=10_000)


def _raw_copy(connection: sa.Connection, frame: pd.DataFrame) -> None:
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, header=False)
    names = ", ".join(frame.columns)
    cursor = connection.connection.driver_connection.cursor()
    with cursor.copy(f"COPY odds_snapshots ({names}) FROM STDIN WITH (FORMAT csv)") as copy:
        copy.write(buffer.getvalue())


def _prepared_file(frame: pd.DataFrame) -> tuple[Path, list[str]]:
    """The rows as the project renders them, in a file; and the column order of the file."""
    from mlb_assets.lib.warehouse.load import _check_columns, csv_bytes
    from mlb_assets.lib.warehouse.schema import odds_snapshots

    columns = _check_columns(odds_snapshots, frame)
    path = BENCH_HOME / "odds_snapshots_2016.csv"
    path.write_bytes(csv_bytes(columns, frame))
    return path, [c.name for c in columns]


def _file_copy(path: Path, names: list[str]) -> Callable[[sa.Connection, pd.DataFrame], None]:
    statement = f"COPY odds_snapshots ({', '.join(names)}) FROM STDIN WITH (FORMAT csv)"

    def file(connection: sa.Connection, frame: pd.DataFrame) -> None:
        cursor = connection.connection.driver_connection.cursor()
        with path.open("rb") as source, cursor.copy(statement) as copy:
            while chunk := source.read(8 * 1024 * 1024):
                copy.write(chunk)

    return file


METHODS: dict[str, Callable[[sa.Connection, pd.DataFrame], None]] = {
    "project": _project,
    "project_csv": _project_csv,
    "to_sql": _to_sql,
    "copy": _raw_copy,
}


def _best_seconds(engine: sa.Engine, load: Callable, frame: pd.DataFrame) -> float:
    best = float("inf")
    for _ in range(REPEATS):
        with engine.begin() as connection:
            connection.execute(sa.text("TRUNCATE odds_snapshots"))
        with engine.begin() as connection:
            started = time.perf_counter()
            load(connection, frame)
            elapsed = time.perf_counter() - started
            count = connection.execute(sa.text("SELECT count(*) FROM odds_snapshots")).scalar()
        if count != len(frame):
            raise RuntimeError(f"{load.__name__} loaded {count} of {len(frame)} rows")
        best = min(best, elapsed)
    return best


def main() -> None:
    from mlb_assets.lib.warehouse.partitions import ensure_partitions, months_of

    frame = season_snapshots()
    print(f"load_rows: {len(frame)} rows", flush=True)
    with scratch_warehouse() as engine:
        # Partitions are created ahead of loads (as the project's load path does first).
        ensure_partitions(engine, months_of(frame["captured_at"]))
        methods = {**METHODS, "file": _file_copy(*_prepared_file(frame))}
        seconds = {name: _best_seconds(engine, load, frame) for name, load in methods.items()}
    for name, value in seconds.items():
        print(f"load_{name}_rows_per_s: {len(frame) / value:,.0f} rows/s", flush=True)
    print(f"load_project_vs_file: {seconds['file'] / seconds['project']:.2f} ratio")
    print(f"load_project_vs_project_csv: {seconds['project_csv'] / seconds['project']:.2f} ratio")
    print(f"load_project_vs_copy: {seconds['copy'] / seconds['project']:.2f} ratio")
    print(f"load_project_vs_to_sql: {seconds['to_sql'] / seconds['project']:.2f} ratio")


if __name__ == "__main__":
    main()
