"""Monthly partitions of odds_snapshots: naming, creation ahead of loads, routing, races, and
the migration that rebuilds an existing table into them (and back)."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pandas as pd
import psycopg
import pytest
import sqlalchemy as sa

from mlb_assets.lib.warehouse import migrate
from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.lib.warehouse.load import bulk_insert, read_frame
from mlb_assets.lib.warehouse.odds import snapshot_days, write_odds_snapshots
from mlb_assets.lib.warehouse.partitions import (
    ensure_partitions,
    existing_partitions,
    is_partition,
    month_range,
    months_ahead,
    months_of,
    partition_name,
)
from mlb_assets.lib.warehouse.reporting import read_view
from mlb_assets.lib.warehouse.schema import odds_snapshot_days, odds_snapshots
from mlb_assets.lib.warehouse.store import stable_id


def _snapshots(day: str, times: list[str], price: int = -110) -> pd.DataFrame:
    """Hand-made snapshots of one game (fixtures, not market truth)."""
    captured = pd.to_datetime(times, utc=True)
    return pd.DataFrame(
        {
            "snapshot_id": [stable_id(day, t, price) for t in times],
            "game_id": f"NYN{day.replace('-', '')}0",
            "game_date": date.fromisoformat(day),
            "book": "pinnacle",
            "market": "h2h",
            "side": "home",
            "point": None,
            "price_american": [price - i for i in range(len(times))],
            "captured_at": captured,
            "source": "test",
            "payload_id": None,
        }
    )


def test_month_arithmetic_crosses_years() -> None:
    assert month_range(date(2016, 11, 15), date(2017, 2, 1)) == [
        date(2016, 11, 1),
        date(2016, 12, 1),
        date(2017, 1, 1),
        date(2017, 2, 1),
    ]
    assert months_ahead(date(2016, 12, 31), 2) == [
        date(2016, 12, 1),
        date(2017, 1, 1),
        date(2017, 2, 1),
    ]
    times = pd.Series(
        pd.to_datetime(["2016-05-31 23:59", "2016-06-01 00:00", "2016-05-02 00:00"], utc=True)
    )
    assert months_of(times) == [date(2016, 5, 1), date(2016, 6, 1)]


def test_partition_names() -> None:
    assert partition_name(date(2016, 4, 1)) == "odds_snapshots_p2016_04"
    assert is_partition("odds_snapshots_p2016_04")
    assert not is_partition("odds_snapshots")
    assert not is_partition("odds_snapshot_days")
    assert not is_partition("odds_snapshots_p2016_04_game_date_captured_at_idx")


def test_sqlite_has_no_partitions(sqlite_url: str) -> None:
    engine = create_warehouse_engine(sqlite_url)
    migrate.upgrade(engine)
    assert ensure_partitions(engine, [date(2016, 4, 1)]) == []
    write_odds_snapshots(
        engine,
        _snapshots("2016-04-03", ["2016-04-03 12:00"]),
        pd.DataFrame(),
        *[date(2016, 4, 3)] * 2,
    )
    with engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(odds_snapshots)).scalar() == 1
        )


def _partition_of_rows(engine: sa.Engine) -> dict[str, int]:
    query = "SELECT tableoid::regclass::text, count(*) FROM odds_snapshots GROUP BY 1"
    with engine.connect() as connection:
        return dict(connection.exec_driver_sql(query).all())


@pytest.mark.postgres
def test_rows_land_in_their_months_partition(postgres_url: str) -> None:
    engine = create_warehouse_engine(postgres_url)
    migrate.upgrade(engine)
    with engine.connect() as connection:
        ahead = {partition_name(m) for m in months_ahead(datetime.now(UTC).date())}
        assert ahead <= existing_partitions(connection), "the migration creates the coming months"
        strategy = connection.exec_driver_sql(
            "SELECT partstrat FROM pg_partitioned_table "
            "WHERE partrelid = 'odds_snapshots'::regclass"
        ).scalar()
        assert strategy == "r"
    # A game on April 30 (ET) whose lines move past midnight UTC spans two partitions.
    frame = _snapshots("2016-04-30", ["2016-04-30 20:00", "2016-05-01 01:00"])
    result = write_odds_snapshots(
        engine, frame, pd.DataFrame(), date(2016, 4, 30), date(2016, 4, 30)
    )
    assert result.written == 2
    assert set(result.partitions_created) == {"odds_snapshots_p2016_04", "odds_snapshots_p2016_05"}
    assert _partition_of_rows(engine) == {
        "odds_snapshots_p2016_04": 1,
        "odds_snapshots_p2016_05": 1,
    }
    again = write_odds_snapshots(
        engine, frame, pd.DataFrame(), date(2016, 4, 30), date(2016, 4, 30)
    )
    assert again.partitions_created == [], "existing partitions are not created twice"
    assert _partition_of_rows(engine) == {
        "odds_snapshots_p2016_04": 1,
        "odds_snapshots_p2016_05": 1,
    }


@pytest.mark.postgres
def test_a_month_without_partition_is_refused_not_hidden(postgres_url: str) -> None:
    engine = create_warehouse_engine(postgres_url)
    migrate.upgrade(engine)
    frame = _snapshots("2012-06-01", ["2012-06-01 12:00"])
    with (
        pytest.raises(psycopg.errors.CheckViolation, match="no partition of relation"),
        engine.begin() as connection,
    ):
        bulk_insert(connection, odds_snapshots, frame)


@pytest.mark.postgres
def test_concurrent_creators_agree(postgres_url: str) -> None:
    engine = create_warehouse_engine(postgres_url)
    migrate.upgrade(engine)
    months = month_range(date(2015, 1, 1), date(2015, 12, 1))
    created: list[list[str]] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def create() -> None:
        try:
            barrier.wait()
            created.append(ensure_partitions(engine, months))
        except BaseException as error:  # reported below: a thread cannot fail the test
            errors.append(error)

    threads = [threading.Thread(target=create) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    names = sorted(name for batch in created for name in batch)
    assert names == sorted(partition_name(m) for m in months), "each month created exactly once"


def test_day_counts_follow_reruns(warehouse_url: str) -> None:
    engine = create_warehouse_engine(warehouse_url)
    migrate.upgrade(engine)
    april_3, april_4 = date(2016, 4, 3), date(2016, 4, 4)
    first = pd.concat(
        [
            _snapshots("2016-04-03", ["2016-04-03 12:00", "2016-04-03 13:00"]),
            _snapshots("2016-04-04", ["2016-04-04 12:00"]),
        ]
    )
    write_odds_snapshots(engine, first, pd.DataFrame(), april_3, april_4)
    # A rerun of April 4 alone with three rows; April 3 must keep its counts.
    rerun = _snapshots("2016-04-04", ["2016-04-04 12:00", "2016-04-04 14:00", "2016-04-04 15:30"])
    write_odds_snapshots(engine, rerun, pd.DataFrame(), april_4, april_4)
    with engine.connect() as connection:
        days = read_frame(connection, sa.select(odds_snapshot_days).order_by("game_date"))
        rows = read_frame(connection, sa.select(odds_snapshots))
        freshness = read_view(connection, "data_freshness").set_index("table_name")
    expected = snapshot_days(rows).reset_index(drop=True)
    assert days["row_count"].tolist() == expected["row_count"].tolist() == [2, 3]
    assert days["game_date"].tolist() == [april_3, april_4]
    assert freshness.loc["odds_snapshots", "row_count"] == len(rows) == 5
    assert freshness.loc["odds_snapshots", "newest_row_at"] == pd.Timestamp(
        "2016-04-04 15:30", tz="UTC"
    )
    # An empty rerun empties the day, counts included.
    write_odds_snapshots(engine, rerun.iloc[0:0], pd.DataFrame(), april_4, april_4)
    with engine.connect() as connection:
        assert connection.execute(sa.select(odds_snapshot_days.c.game_date)).scalars().all() == [
            april_3
        ]


def _old_layout_rows() -> list[dict]:
    rows = []
    for day, times in (
        ("2016-04-03", ["2016-04-03 12:00", "2016-04-03 13:00"]),
        ("2016-05-01", ["2016-05-01 12:00"]),
    ):
        rows += _snapshots(day, times).to_dict("records")
    return rows


def test_migration_rebuilds_existing_rows_and_back(warehouse_url: str) -> None:
    engine = create_warehouse_engine(warehouse_url)
    migrate.upgrade(engine, "0006")
    with engine.begin() as connection:
        connection.execute(odds_snapshots.insert(), _old_layout_rows())
    migrate.upgrade(engine)
    with engine.connect() as connection:
        ids = set(connection.execute(sa.select(odds_snapshots.c.snapshot_id)).scalars())
        days = dict(
            connection.execute(
                sa.select(odds_snapshot_days.c.game_date, odds_snapshot_days.c.row_count)
            ).all()
        )
        freshness = read_view(connection, "data_freshness").set_index("table_name")
    assert ids == {r["snapshot_id"] for r in _old_layout_rows()}
    assert days == {date(2016, 4, 3): 2, date(2016, 5, 1): 1}
    assert freshness.loc["odds_snapshots", "row_count"] == 3
    if engine.dialect.name == "postgresql":
        assert _partition_of_rows(engine) == {
            "odds_snapshots_p2016_04": 2,
            "odds_snapshots_p2016_05": 1,
        }
    migrate.downgrade(engine, "0006")
    with engine.connect() as connection:
        back = set(connection.execute(sa.text("SELECT snapshot_id FROM odds_snapshots")).scalars())
        indexes = {i["name"] for i in sa.inspect(connection).get_indexes("odds_snapshots")}
        old_freshness = read_view(connection, "data_freshness").set_index("table_name")
    assert back == ids
    assert {"ix_odds_snapshots_game_date", "ix_odds_snapshots_key_time"} <= indexes
    assert old_freshness.loc["odds_snapshots", "row_count"] == 3
    assert not sa.inspect(engine).has_table("odds_snapshot_days")


@pytest.mark.postgres
def test_duplicate_snapshot_is_refused(postgres_url: str) -> None:
    engine = create_warehouse_engine(postgres_url)
    migrate.upgrade(engine)
    frame = _snapshots("2016-04-03", ["2016-04-03 12:00"])
    ensure_partitions(engine, months_of(frame["captured_at"]))
    with engine.begin() as connection:
        bulk_insert(connection, odds_snapshots, frame)
    with pytest.raises(psycopg.errors.UniqueViolation), engine.begin() as connection:
        bulk_insert(connection, odds_snapshots, frame)
