"""odds_observations: written with the snapshots of the same dates, replaced by a rerun,
emptied by a write without polls (the archives), and read back by the one reader."""

from __future__ import annotations

from datetime import date

import pandas as pd
import sqlalchemy as sa

from mlb_assets.lib.line_movements import OBSERVATION_COLUMNS
from mlb_assets.lib.warehouse import migrate
from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.lib.warehouse.load import read_frame
from mlb_assets.lib.warehouse.odds import read_observations, write_odds_snapshots
from mlb_assets.lib.warehouse.schema import odds_observations, odds_snapshots
from mlb_assets.lib.warehouse.store import stable_id

DAY, NEXT = date(2016, 4, 3), date(2016, 4, 4)


def _game(day: date) -> str:
    return f"PIT{day:%Y%m%d}0"


def _snapshots(day: date) -> pd.DataFrame:
    """One hand-made quote of one game (a fixture, not market truth)."""
    return pd.DataFrame(
        {
            "snapshot_id": [stable_id(_game(day), "home")],
            "game_id": _game(day),
            "game_date": day,
            "book": "pinnacle",
            "market": "h2h",
            "side": "home",
            "point": None,
            "price_american": -110,
            "captured_at": pd.to_datetime([f"{day} 14:00"], utc=True),
            "source": "odds_api",
            "payload_id": 1,
        }
    )


def _polls(day: date, *clocks: str, payload_id: int = 1) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "game_id": _game(day),
            "book": "pinnacle",
            "observed_at": pd.to_datetime([f"{day} {c}" for c in clocks], utc=True),
            "game_date": day,
            "payload_id": payload_id,
        }
    )


def _stored(engine: sa.Engine) -> pd.DataFrame:
    with engine.connect() as connection:
        return read_frame(connection, sa.select(odds_observations).order_by("observed_at"))


def test_written_with_the_snapshots_and_replaced_by_a_rerun(warehouse_url: str) -> None:
    engine = create_warehouse_engine(warehouse_url)
    migrate.upgrade(engine)
    both = pd.concat([_snapshots(DAY), _snapshots(NEXT)], ignore_index=True)
    polls = pd.concat([_polls(DAY, "14:00", "15:00"), _polls(NEXT, "14:00")])
    result = write_odds_snapshots(engine, both, pd.DataFrame(), DAY, NEXT, polls)
    assert result.observations == 3 and len(_stored(engine)) == 3

    # A rerun of DAY replaces its polls only; the same moment read by a second payload
    # (a snapshot shared by two walks) is kept once, with the first payload.
    again = pd.concat([_polls(DAY, "15:00", "16:00"), _polls(DAY, "16:00", payload_id=2)])
    result = write_odds_snapshots(engine, _snapshots(DAY), pd.DataFrame(), DAY, DAY, again)
    assert result.observations == 2
    stored = _stored(engine)
    day = stored[stored["game_date"] == DAY]
    assert day["observed_at"].dt.strftime("%H:%M").tolist() == ["15:00", "16:00"]
    assert day["payload_id"].tolist() == [1, 1]
    assert (stored["game_date"] == NEXT).sum() == 1

    # A source observed continuously (the archives) leaves the dates without polls.
    write_odds_snapshots(engine, _snapshots(DAY), pd.DataFrame(), DAY, DAY, None)
    assert _stored(engine)["game_date"].tolist() == [NEXT]
    with engine.connect() as connection:
        assert connection.execute(sa.select(sa.func.count()).select_from(odds_snapshots)).scalar()


def test_the_reader_bounds_by_game_date(warehouse_url: str) -> None:
    engine = create_warehouse_engine(warehouse_url)
    migrate.upgrade(engine)
    both = pd.concat([_snapshots(DAY), _snapshots(NEXT)], ignore_index=True)
    polls = pd.concat([_polls(NEXT, "12:00"), _polls(DAY, "15:00", "14:00")])
    write_odds_snapshots(engine, both, pd.DataFrame(), DAY, NEXT, polls)
    with engine.connect() as connection:
        everything = read_observations(connection)
        first = read_observations(connection, DAY, DAY)
        second = read_observations(connection, NEXT)
        none = read_observations(connection, date(2016, 4, 5), date(2016, 4, 6))
    assert list(everything.columns) == OBSERVATION_COLUMNS and len(everything) == 3
    assert first["observed_at"].tolist() == list(
        pd.to_datetime(["2016-04-03 14:00", "2016-04-03 15:00"], utc=True)
    )
    assert second["game_id"].tolist() == [_game(NEXT)]
    assert none.empty and list(none.columns) == OBSERVATION_COLUMNS
    assert isinstance(none["observed_at"].dtype, pd.DatetimeTZDtype)
