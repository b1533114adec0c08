"""Bulk loads round-trip every column type, replace partitions exactly, and reject bad frames."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from mlb_assets.lib.warehouse import migrate
from mlb_assets.lib.warehouse.engine import create_warehouse_engine, safe_url
from mlb_assets.lib.warehouse.load import (
    LoadError,
    bulk_insert,
    read_frame,
    replace_dates,
    replace_keys,
)
from mlb_assets.lib.warehouse.partitions import ensure_partitions
from mlb_assets.lib.warehouse.schema import line_movements, odds_snapshots, quarantine
from mlb_assets.lib.warehouse.store import land_payload, stable_id, write_quarantine


def _snapshots(day: str, n: int, price: int = -110) -> pd.DataFrame:
    captured = pd.date_range(f"{day} 12:00", periods=n, freq="min", tz="UTC")
    return pd.DataFrame(
        {
            "snapshot_id": [stable_id(day, i) for i in range(n)],
            "game_id": f"NYN{day.replace('-', '')}0",
            "game_date": date.fromisoformat(day),
            "book": "pinnacle",
            "market": "totals",
            "side": "over",
            "point": 7.5,
            "price_american": [price + i for i in range(n)],
            "captured_at": captured,
            "source": "test",
            "payload_id": None,
        }
    )


@pytest.fixture
def engine(warehouse_url: str) -> sa.Engine:
    engine = create_warehouse_engine(warehouse_url)
    migrate.upgrade(engine)
    # Partitioned on Postgres: the months these tests write into exist before any load.
    ensure_partitions(engine, [date(2016, 4, 1)])
    return engine


def test_round_trip_keeps_values_and_utc(engine: sa.Engine) -> None:
    frame = _snapshots("2016-04-03", 3)
    with engine.begin() as connection:
        assert bulk_insert(connection, odds_snapshots, frame) == 3
    with engine.connect() as connection:
        back = read_frame(connection, sa.select(odds_snapshots).order_by("captured_at"))
    assert back["price_american"].tolist() == [-110, -109, -108]
    assert back["captured_at"].tolist() == frame["captured_at"].tolist()
    assert str(back["captured_at"].dt.tz) == "UTC"
    assert back["game_date"].tolist() == [date(2016, 4, 3)] * 3
    assert back["payload_id"].isna().all()


def test_replace_dates_touches_only_its_range(engine: sa.Engine) -> None:
    with engine.begin() as connection:
        bulk_insert(connection, odds_snapshots, _snapshots("2016-04-03", 2))
        bulk_insert(connection, odds_snapshots, _snapshots("2016-04-04", 4))
    day = date(2016, 4, 4)
    for _ in range(2):  # re-running the same partition is idempotent
        with engine.begin() as connection:
            replace_dates(
                connection, odds_snapshots, _snapshots("2016-04-04", 3, price=120), day, day
            )
    with engine.connect() as connection:
        back = read_frame(connection, sa.select(odds_snapshots))
    counts = back.groupby("game_date").size().to_dict()
    assert counts == {date(2016, 4, 3): 2, date(2016, 4, 4): 3}
    assert back.loc[back["game_date"] == day, "price_american"].min() == 120


def test_replace_rejects_rows_outside_the_range(engine: sa.Engine) -> None:
    with engine.begin() as connection, pytest.raises(LoadError, match="outside"):
        day = date(2016, 4, 3)
        replace_dates(connection, odds_snapshots, _snapshots("2016-04-05", 1), day, day)


def test_replace_keys_updates_rows_where_they_live(engine: sa.Engine) -> None:
    """A resumed game, listed on another day, replaces its own row and nothing else."""
    with engine.begin() as connection:
        bulk_insert(connection, odds_snapshots, _snapshots("2016-04-03", 2))
    update = _snapshots("2016-04-03", 1, price=150)
    for _ in range(2):
        with engine.begin() as connection:
            assert replace_keys(connection, odds_snapshots, update, "snapshot_id") == 1
    with engine.connect() as connection:
        back = read_frame(connection, sa.select(odds_snapshots).order_by("captured_at"))
    assert back["price_american"].tolist() == [150, -109]


def test_crash_inside_a_partition_leaves_it_as_it_was(engine: sa.Engine) -> None:
    day = date(2016, 4, 3)
    with engine.begin() as connection:
        bulk_insert(connection, odds_snapshots, _snapshots("2016-04-03", 2))
    with pytest.raises(RuntimeError), engine.begin() as connection:
        replace_dates(connection, odds_snapshots, _snapshots("2016-04-03", 5), day, day)
        raise RuntimeError("simulated crash before commit")
    with engine.connect() as connection:
        assert (
            connection.execute(sa.select(sa.func.count()).select_from(odds_snapshots)).scalar() == 2
        )


def test_integer_columns_refuse_fractions(engine: sa.Engine) -> None:
    frame = _snapshots("2016-04-03", 1)
    frame["price_american"] = [-110.5]
    with engine.begin() as connection, pytest.raises(LoadError, match="non-integral"):
        bulk_insert(connection, odds_snapshots, frame)


def test_unknown_columns_are_an_error(engine: sa.Engine) -> None:
    frame = _snapshots("2016-04-03", 1).assign(surprise=1)
    with engine.begin() as connection, pytest.raises(LoadError, match="surprise"):
        bulk_insert(connection, odds_snapshots, frame)


def test_booleans_and_nullable_timestamps(engine: sa.Engine) -> None:
    t = pd.Timestamp("2016-04-03 17:05", tz="UTC")
    row = {
        "game_id": "PIT201604030",
        "book": "pinnacle",
        "market": "h2h",
        "side": "home",
        "game_date": date(2016, 4, 3),
        "open_at": t,
        "open_price": -120,
        "open_point": None,
        "decision_at": t,
        "decision_price": None,
        "decision_point": None,
        "close_at": pd.NaT,
        "close_price": None,
        "close_point": None,
        "n_moves": 0,
        "moves_last_1h": 0,
        "moves_last_3h": 0,
        "steam": True,
        "steam_at": pd.NaT,
    }
    with engine.begin() as connection:
        bulk_insert(connection, line_movements, pd.DataFrame([row]))
    with engine.connect() as connection:
        back = read_frame(connection, sa.select(line_movements)).iloc[0]
    assert bool(back["steam"]) is True
    assert pd.isna(back["close_at"]) and pd.isna(back["decision_price"])


def test_payloads_land_once_per_content(engine: sa.Engine) -> None:
    body = b'{"hello": "odds"}'
    with engine.begin() as connection:
        first = land_payload(
            connection,
            source="t",
            source_ref="a.json",
            body=body,
            media_type="application/json",
            request_params={"date": "x"},
        )
        second = land_payload(
            connection, source="t", source_ref="b.json", body=body, media_type="application/json"
        )
    assert first == second
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT body, byte_size FROM raw_payloads")).all()
    assert len(rows) == 1 and bytes(rows[0][0]) == body and rows[0][1] == len(body)


def test_quarantine_replaces_dated_and_keeps_undated_once(engine: sa.Engine) -> None:
    rows = pd.DataFrame(
        {
            "source": ["sbr", "sbr"],
            "source_ref": ["f.xlsx:row 3", "f.xlsx:row 9"],
            "game_date": [date(2016, 4, 3), None],
            "reason": ["price 50 is not American odds", "date 1399 is not MDD/MMDD"],
            "record": [{"Open": 50, "x": float("nan")}, {"Date": 1399}],
        }
    )
    day = date(2016, 4, 3)
    for _ in range(2):
        with engine.begin() as connection:
            assert write_quarantine(connection, "games", rows, day, day) == 2
    with engine.connect() as connection:
        back = read_frame(connection, sa.select(quarantine).order_by(quarantine.c.source_ref))
    assert len(back) == 2
    assert back["record"].iloc[0] == {"Open": 50, "x": None}


def test_safe_url_masks_password() -> None:
    url = "postgresql+psycopg://analyst:s3cret@db:5432/warehouse"
    assert "s3cret" not in safe_url(url) and "***" in safe_url(url)
