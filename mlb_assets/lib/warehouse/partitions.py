"""Monthly range partitions of ``odds_snapshots`` on Postgres (SQLite has none).

A season of multi-book odds polled every ten minutes is tens of millions of rows, so on
Postgres ``odds_snapshots`` is partitioned by the month of ``captured_at`` (UTC): each month's
indexes stay small, and a month leaves the table with ``DETACH PARTITION`` instead of a
long ``DELETE``. There is no default partition, so a row for a month without a partition
is refused by the database rather than parked somewhere unseen.

Partitions are created ahead of the rows: the migration creates the months already holding
data and the coming ones, and every load first makes sure its months (and the next few)
exist. ``CREATE TABLE ... PARTITION OF`` takes an exclusive lock on the parent table, so it
runs in a short transaction of its own, before the load's, and only for months that are
missing: a steady-state load takes no such lock, and two loads never wait on each other's
locks in opposite order (the deadlock a creation inside the load transaction would risk).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Iterable
from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa

PARTITIONED_TABLE = "odds_snapshots"
# Months created beyond the current one, so that a month never starts without its partition.
MONTHS_AHEAD = 2


def month_start(moment: date | datetime) -> date:
    return date(moment.year, moment.month, 1)


def next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def month_range(first: date, last: date) -> list[date]:
    """The first days of every month from ``first``'s to ``last``'s, inclusive."""
    months, month = [], month_start(first)
    while month <= month_start(last):
        months.append(month)
        month = next_month(month)
    return months


def months_of(times: pd.Series) -> list[date]:
    """The distinct UTC months of a series of timestamps, in order."""
    if times.empty:
        return []
    utc = pd.to_datetime(times, utc=True).dropna()
    return sorted({date(y, m, 1) for y, m in zip(utc.dt.year, utc.dt.month, strict=True)})


def months_ahead(today: date, ahead: int = MONTHS_AHEAD) -> list[date]:
    """This month and the ``ahead`` following ones."""
    months = [month_start(today)]
    for _ in range(ahead):
        months.append(next_month(months[-1]))
    return months


def partition_name(month: date, table: str = PARTITIONED_TABLE) -> str:
    return f"{table}_p{month.year:04d}_{month.month:02d}"


def is_partition(name: str, table: str = PARTITIONED_TABLE) -> bool:
    """True for the name of one of ``table``'s monthly partitions."""
    return re.fullmatch(rf"{re.escape(table)}_p\d{{4}}_\d{{2}}", name) is not None


def partition_ddl(month: date, table: str = PARTITIONED_TABLE) -> str:
    """The statement creating ``month``'s partition; bounds are UTC month starts."""
    lower, upper = month.isoformat(), next_month(month).isoformat()
    return (
        f'CREATE TABLE IF NOT EXISTS "{partition_name(month, table)}" PARTITION OF "{table}" '
        f"FOR VALUES FROM ('{lower} 00:00:00+00') TO ('{upper} 00:00:00+00')"
    )


def existing_partitions(connection: sa.Connection, table: str = PARTITIONED_TABLE) -> set[str]:
    """Names of the partitions attached to ``table`` (empty when it is not partitioned)."""
    query = sa.text(
        "SELECT c.relname FROM pg_inherits AS i "
        "JOIN pg_class AS c ON c.oid = i.inhrelid "
        "JOIN pg_class AS p ON p.oid = i.inhparent "
        "WHERE p.relname = :table AND p.relnamespace = to_regnamespace(current_schema())"
    )
    return set(connection.execute(query, {"table": table}).scalars())


def _advisory_key(table: str) -> int:
    # A stable 31-bit key per table: every process serializes creation on the same lock.
    return zlib.crc32(f"mlb_assets.partitions.{table}".encode()) & 0x7FFFFFFF


def create_partitions(
    connection: sa.Connection, months: Iterable[date], table: str = PARTITIONED_TABLE
) -> list[str]:
    """Create the missing partitions of ``months`` inside the caller's transaction.

    An advisory lock serializes concurrent creators; the set of partitions is read again
    under it, so the loser of a race creates nothing. Returns the names created.
    """
    wanted = {partition_name(m, table): m for m in months}
    if not wanted or set(wanted) <= existing_partitions(connection, table):
        return []
    connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _advisory_key(table)})
    missing = sorted(set(wanted) - existing_partitions(connection, table))
    for name in missing:
        connection.exec_driver_sql(partition_ddl(wanted[name], table))
    return missing


def ensure_partitions(
    engine: sa.Engine,
    months: Iterable[date],
    *,
    today: date | None = None,
    table: str = PARTITIONED_TABLE,
) -> list[str]:
    """Make sure ``months`` and the coming ones have partitions, in a transaction of their own.

    A no-op on SQLite and on a Postgres table that is not partitioned (a warehouse not yet
    migrated to the partitioned layout). Returns the names of the partitions created.
    """
    if engine.dialect.name != "postgresql":
        return []
    wanted = set(months) | set(months_ahead(today or datetime.now(UTC).date()))
    with engine.connect() as connection:
        if not _is_partitioned(connection, table):
            return []
        if {partition_name(m, table) for m in wanted} <= existing_partitions(connection, table):
            return []
    with engine.begin() as connection:
        return create_partitions(connection, sorted(wanted), table)


def _is_partitioned(connection: sa.Connection, table: str) -> bool:
    query = sa.text(
        "SELECT EXISTS (SELECT 1 FROM pg_partitioned_table AS t "
        "JOIN pg_class AS c ON c.oid = t.partrelid "
        "WHERE c.relname = :table AND c.relnamespace = to_regnamespace(current_schema()))"
    )
    return bool(connection.execute(query, {"table": table}).scalar())
