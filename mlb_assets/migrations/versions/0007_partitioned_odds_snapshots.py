"""odds_snapshots partitioned by month of captured_at on Postgres, with the indexes its
readers use, and odds_snapshot_days: per-day row counts written with the rows.

The primary key becomes (snapshot_id, captured_at): Postgres requires the partition key in
every unique index, and snapshot ids are hashes of the key and captured_at, so the pair is
exactly as unique. SQLite gets the same key (no partitions). Of the old indexes, the
(game, book, market, side, captured_at) B-tree and the BRIN on captured_at served no query
(every reader selects by game date; EXPLAINs in benchmarks/README.md) and only slowed
loads; a (game_date, captured_at) index replaces the game_date one.

The table is rebuilt: renamed aside, recreated, its rows copied across (into the partitions
of every month they fall in, created first, plus the coming months) and the old one
dropped. The reporting views are recreated around it; data_freshness now reads
odds_snapshot_days, which is filled from the copied rows.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-25
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from alembic import op

from mlb_assets.lib.warehouse.partitions import create_partitions, months_ahead
from mlb_assets.lib.warehouse.reporting import (
    create_reporting_views,
    drop_reporting_views,
    reporting_relation,
)
from mlb_assets.migrations.sqlfiles import grant_reporting_to_bi

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UTC_TS = sa.DateTime(timezone=True)
_ASIDE = "odds_snapshots_before_0007"
_COLUMNS = (
    "snapshot_id, game_id, game_date, book, market, side, point, price_american, "
    "captured_at, source, payload_id"
)


def _columns(*, key_includes_time: bool) -> list[sa.Column]:
    return [
        sa.Column("snapshot_id", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("game_id", sa.String(16), nullable=False),
        sa.Column("game_date", sa.Date, nullable=False),
        sa.Column("book", sa.String(64), nullable=False),
        sa.Column("market", sa.String(16), nullable=False),
        sa.Column("side", sa.String(8), nullable=False),
        sa.Column("point", sa.Float, nullable=True),
        sa.Column("price_american", sa.Integer, nullable=False, comment="as received"),
        sa.Column("captured_at", UTC_TS, primary_key=key_includes_time, nullable=False),
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("payload_id", sa.BigInteger, nullable=True, comment="raw_payloads lineage"),
    ]


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _set_aside(indexes: tuple[str, ...]) -> None:
    """Rename the current table out of the way, freeing its index and key names."""
    for name in indexes:
        op.execute(f"DROP INDEX IF EXISTS {name}")
    if _is_postgres():
        op.execute("ALTER TABLE odds_snapshots DROP CONSTRAINT IF EXISTS odds_snapshots_pkey")
    op.rename_table("odds_snapshots", _ASIDE)


def _months_with_rows() -> list[date]:
    query = f"SELECT DISTINCT date_trunc('month', captured_at AT TIME ZONE 'UTC') FROM {_ASIDE}"
    return [moment.date() for moment in op.get_bind().exec_driver_sql(query).scalars()]


def _copy_back() -> None:
    op.execute(f"INSERT INTO odds_snapshots ({_COLUMNS}) SELECT {_COLUMNS} FROM {_ASIDE}")
    op.drop_table(_ASIDE)


def _create_snapshot_days() -> None:
    op.create_table(
        "odds_snapshot_days",
        sa.Column("game_date", sa.Date, primary_key=True),
        sa.Column("row_count", sa.BigInteger, nullable=False),
        sa.Column("newest_captured_at", UTC_TS, nullable=True),
        comment="odds_snapshots rows per game date, written in the same transaction as the "
        "rows: freshness and row counts without counting tens of millions of rows",
    )
    op.execute(
        "INSERT INTO odds_snapshot_days (game_date, row_count, newest_captured_at) "
        "SELECT game_date, count(*), max(captured_at) FROM odds_snapshots GROUP BY game_date"
    )


def upgrade() -> None:
    drop_reporting_views(op.get_bind())
    _set_aside(
        (
            "ix_odds_snapshots_game_date",
            "ix_odds_snapshots_key_time",
            "brin_odds_snapshots_captured_at",
        )
    )
    partitioned = {"postgresql_partition_by": "RANGE (captured_at)"} if _is_postgres() else {}
    op.create_table("odds_snapshots", *_columns(key_includes_time=True), **partitioned)
    if _is_postgres():
        months = _months_with_rows() + months_ahead(datetime.now(UTC).date())
        create_partitions(op.get_bind(), months)
    _copy_back()
    op.create_index(
        "ix_odds_snapshots_game_date_captured_at", "odds_snapshots", ["game_date", "captured_at"]
    )
    _create_snapshot_days()
    create_reporting_views(op.get_bind())
    grant_reporting_to_bi()


# data_freshness as revision 0006 had it: counted from odds_snapshots itself.
_DATA_FRESHNESS_0006 = """
SELECT CAST('odds_snapshots' AS TEXT) AS table_name,
       max(captured_at) AS newest_row_at,
       count(*) AS row_count
FROM odds_snapshots
UNION ALL
SELECT 'games', max(start_time_utc), count(*) FROM games
UNION ALL
SELECT 'predictions', max(predicted_at), count(*) FROM predictions
UNION ALL
SELECT 'picks', max(decision_at), count(*) FROM picks
UNION ALL
SELECT 'bet_ledger', max(settled_at), count(*) FROM bet_ledger
"""


def downgrade() -> None:
    bind = op.get_bind()
    drop_reporting_views(bind)
    op.drop_table("odds_snapshot_days")
    _set_aside(("ix_odds_snapshots_game_date_captured_at",))
    op.create_table("odds_snapshots", *_columns(key_includes_time=False))
    _copy_back()  # dropping the partitioned table dropped its partitions with it
    op.create_index("ix_odds_snapshots_game_date", "odds_snapshots", ["game_date"])
    op.create_index(
        "ix_odds_snapshots_key_time",
        "odds_snapshots",
        ["game_id", "book", "market", "side", "captured_at"],
    )
    if _is_postgres():
        op.execute(
            "CREATE INDEX brin_odds_snapshots_captured_at ON odds_snapshots USING brin "
            "(captured_at)"
        )
    create_reporting_views(bind)  # every view but data_freshness, whose table is gone
    relation = reporting_relation(bind.dialect.name, "data_freshness")
    op.execute(f"CREATE VIEW {relation} AS {_DATA_FRESHNESS_0006}")
    grant_reporting_to_bi()
