"""Bulk loads round-trip every column type, replace partitions exactly, and reject bad frames."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd
import pytest
import sqlalchemy as sa

from mlb_assets.lib.warehouse import migrate, pg_binary
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


def _every_kind_table(with_bytes: bool) -> sa.Table:
    return sa.Table(
        "load_every_kind",
        sa.MetaData(),
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("text", sa.String(64)),
        sa.Column("number", sa.Float),
        sa.Column("count", sa.BigInteger),
        sa.Column("flag", sa.Boolean),
        sa.Column("at", sa.DateTime(timezone=True)),
        sa.Column("day", sa.Date),
        sa.Column("doc", sa.JSON),
        *([sa.Column("blob", sa.LargeBinary)] if with_bytes else []),
    )


@pytest.mark.parametrize("with_bytes", [False, True], ids=["binary-copy", "csv-copy"])
def test_every_column_kind_round_trips_with_its_edge_values(
    engine: sa.Engine, with_bytes: bool
) -> None:
    """Quotes, commas, newlines, unicode, an empty string apart from NULL, half-cent prices,
    missing numbers, booleans and dates, JSON and bytes: read back exactly as written. On
    Postgres a table with a bytea column is loaded as CSV, any other in the binary format."""
    table = _every_kind_table(with_bytes)
    table.create(engine)
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3, 4],
            "text": ['say "hi", then\nleave', "", None, "Montréal Expos ⚾"],
            "number": [-112.5, float("nan"), 1e-7, 0.1],
            "count": pd.array([2**40, None, -3, 0], dtype="Int64"),
            "flag": pd.array([True, False, None, True], dtype="boolean"),
            "at": pd.to_datetime(
                ["2016-04-04 17:05:00.123456", None, "2016-10-02 23:59:59", "2010-01-01"],
                utc=True,
                format="ISO8601",
            ),
            "day": [date(2016, 4, 4), None, date(2016, 10, 2), date(2010, 1, 1)],
            "doc": [{"a": [1, "x,y"]}, None, {"q": 'say "hi"'}, []],
            "blob": [b"\x00\x01,\n\xff", None, b"", b"odds"],
        }
    )
    if not with_bytes:
        frame = frame.drop(columns=["blob"])
    try:
        with engine.begin() as connection:
            if engine.dialect.name == "postgresql":
                types = pg_binary.column_types(connection, table.name)
                chosen = pg_binary.encoders_for(types, list(frame.columns))
                assert (chosen is None) == with_bytes
            assert bulk_insert(connection, table, frame) == 4
        with engine.connect() as connection:
            back = read_frame(connection, sa.select(table).order_by(table.c.id))
    finally:
        table.drop(engine)
    assert back["text"].tolist() == ['say "hi", then\nleave', "", None, "Montréal Expos ⚾"]
    numbers = back["number"].tolist()
    assert numbers[0] == -112.5 and numbers[2] == 1e-7 and numbers[3] == 0.1
    assert pd.isna(numbers[1])
    assert [None if pd.isna(v) else int(v) for v in back["count"]] == [2**40, None, -3, 0]
    assert [None if v is None else bool(v) for v in back["flag"]] == [True, False, None, True]
    assert back["at"].iloc[0] == pd.Timestamp("2016-04-04 17:05:00.123456", tz="UTC")
    assert pd.isna(back["at"].iloc[1])
    assert back["day"].tolist()[0] == date(2016, 4, 4) and pd.isna(back["day"].iloc[1])
    docs = [json.loads(v) if isinstance(v, str) else v for v in back["doc"]]
    assert docs == [{"a": [1, "x,y"]}, None, {"q": 'say "hi"'}, []]
    if not with_bytes:
        return
    assert [None if v is None else bytes(v) for v in back["blob"]] == [
        b"\x00\x01,\n\xff",
        None,
        b"",
        b"odds",
    ]
