"""Settlement fires exactly once per finished date; stale odds are flagged; schedules poll
today's partition in America/New_York."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from mlb_assets.defs.betting.schedules import daily_picks_schedule
from mlb_assets.defs.ingestion.schedules import morning_schedule_refresh, odds_polling_schedule
from mlb_assets.defs.ingestion.sensors import settlement_sensor, stale_odds_sensor
from mlb_assets.lib.warehouse.load import bulk_insert
from mlb_assets.lib.warehouse.odds import write_odds_snapshots
from mlb_assets.lib.warehouse.schema import games
from mlb_assets.resources.live import IngestionResource
from mlb_assets.resources.warehouse import WarehouseResource


def _game(game_id: str, day: str, status: str, start: str) -> dict[str, object]:
    return {
        "game_id": game_id,
        "season": 2016,
        "game_date": date.fromisoformat(day),
        "game_number": 0,
        "away_team": "SLN",
        "home_team": "PIT",
        "start_time_utc": pd.Timestamp(start, tz="UTC"),
        "status": status,
        "sources": "test",
    }


@pytest.fixture
def warehouse(sqlite_url: str) -> WarehouseResource:
    return WarehouseResource(database_url=sqlite_url)


def _insert_games(warehouse: WarehouseResource, rows: list[dict[str, object]]) -> None:
    with warehouse.begin() as connection:
        bulk_insert(connection, games, pd.DataFrame(rows))


def _set_status(warehouse: WarehouseResource, game_id: str, status: str) -> None:
    with warehouse.begin() as connection:
        connection.execute(sa.update(games).where(games.c.game_id == game_id).values(status=status))


def _evaluate(sensor, warehouse, now: datetime, cursor: str | None):  # type: ignore[no-untyped-def]
    context = dg.build_sensor_context(
        cursor=cursor,
        resources={
            "warehouse": warehouse,
            "ingestion": IngestionResource(now_override=now.isoformat()),
        },
    )
    return sensor(context)


def test_settlement_fires_once_per_finished_date(warehouse: WarehouseResource) -> None:
    _insert_games(
        warehouse,
        [
            _game("PIT201604030", "2016-04-03", "final", "2016-04-03 17:05"),
            _game("PIT201604040", "2016-04-04", "final", "2016-04-04 17:05"),
            _game("PIT201604050", "2016-04-05", "in_progress", "2016-04-05 23:05"),
        ],
    )
    now = datetime(2016, 4, 6, 1, 0, tzinfo=UTC)  # evening of 04-05 in New York
    first = _evaluate(settlement_sensor, warehouse, now, None)
    assert [r.partition_key for r in first.run_requests] == ["2016-04-03", "2016-04-04"]
    assert [r.run_key for r in first.run_requests] == [
        "settlement-2016-04-03",
        "settlement-2016-04-04",
    ]
    assert first.cursor == "2016-04-04"

    again = _evaluate(settlement_sensor, warehouse, now, first.cursor)
    assert not again.run_requests  # nothing new: no second request for a settled date

    _set_status(warehouse, "PIT201604050", "final")
    later = _evaluate(settlement_sensor, warehouse, now, first.cursor)
    assert [r.partition_key for r in later.run_requests] == ["2016-04-05"]
    assert later.cursor == "2016-04-05"
    assert not _evaluate(settlement_sensor, warehouse, now, later.cursor).run_requests


def test_a_finished_day_still_showing_games_in_play_is_refreshed_then_settled(
    warehouse: WarehouseResource,
) -> None:
    """The last poll of a day ends before its late games do: the warehouse still shows them
    in progress after midnight, so the sensor asks for that date's schedule again first."""
    _insert_games(
        warehouse,
        [
            _game("PIT201604040", "2016-04-04", "final", "2016-04-04 17:05"),
            _game("SFN201604040", "2016-04-04", "in_progress", "2016-04-05 02:05"),
        ],
    )
    next_morning = datetime(2016, 4, 5, 12, 0, tzinfo=UTC)  # 08:00 on 04-05 in New York
    refresh = _evaluate(settlement_sensor, warehouse, next_morning, None)
    (request,) = refresh.run_requests
    assert (request.job_name, request.partition_key) == ("schedule_refresh", "2016-04-04")
    assert request.run_key.startswith("refresh-2016-04-04-")
    assert refresh.cursor is None  # nothing settled yet
    same_bucket = _evaluate(settlement_sensor, warehouse, next_morning, None)
    assert same_bucket.run_requests[0].run_key == request.run_key  # deduplicated by Dagster

    _set_status(warehouse, "SFN201604040", "final")
    settle = _evaluate(settlement_sensor, warehouse, next_morning, None)
    assert [(r.job_name, r.partition_key) for r in settle.run_requests] == [
        ("settlement", "2016-04-04")
    ]
    assert settle.cursor == "2016-04-04"


def test_stale_odds_are_flagged_and_repolled(warehouse: WarehouseResource) -> None:
    _insert_games(warehouse, [_game("PIT201604030", "2016-04-03", "scheduled", "2016-04-03 17:05")])
    captured = pd.Timestamp("2016-04-03 14:00", tz="UTC")
    snapshot = {
        "snapshot_id": 1,
        "game_id": "PIT201604030",
        "game_date": date(2016, 4, 3),
        "book": "pinnacle",
        "market": "h2h",
        "side": "home",
        "price_american": -118,
        "captured_at": captured,
        "source": "test",
    }
    day = date(2016, 4, 3)
    write_odds_snapshots(warehouse.engine(), pd.DataFrame([snapshot]), pd.DataFrame(), day, day)
    fresh = _evaluate(stale_odds_sensor, warehouse, datetime(2016, 4, 3, 14, 20, tzinfo=UTC), None)
    assert not fresh.run_requests
    stale = _evaluate(stale_odds_sensor, warehouse, datetime(2016, 4, 3, 15, 0, tzinfo=UTC), None)
    assert [r.partition_key for r in stale.run_requests] == ["2016-04-03"]
    (observation,) = stale.asset_events
    assert observation.metadata["stale"].value is True
    assert observation.metadata["age_minutes"].value == 60


@pytest.mark.parametrize("schedule", [odds_polling_schedule, morning_schedule_refresh])
def test_schedules_request_today_in_new_york(schedule) -> None:  # type: ignore[no-untyped-def]
    # 00:30 UTC on the 4th is still the 3rd in New York.
    at = datetime(2016, 4, 4, 0, 30, tzinfo=UTC)
    context = dg.build_schedule_context(
        scheduled_execution_time=at.astimezone(ZoneInfo("America/New_York")),
        resources={"ingestion": IngestionResource()},
    )
    request = schedule(context)
    assert request.partition_key == "2016-04-03"
    assert schedule.execution_timezone == "America/New_York"


@pytest.mark.parametrize("schedule", [odds_polling_schedule, daily_picks_schedule])
def test_schedules_follow_a_replay_clock(schedule) -> None:  # type: ignore[no-untyped-def]
    """In a replay the tick's wall-clock date means nothing: the replay's "now" decides."""
    wall = datetime(2026, 12, 4, 15, 0, tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    replay = IngestionResource(now_override="2016-04-04T03:30:00+00:00")
    context = dg.build_schedule_context(
        scheduled_execution_time=wall, resources={"ingestion": replay}
    )
    assert schedule(context).partition_key == "2016-04-03"


def test_nightly_settlement_settles_yesterday_in_new_york() -> None:
    from mlb_assets.defs.operations.schedules import nightly_settlement_schedule

    # 02:00 in New York on 2016-04-05 is 06:00 UTC: the partition is the 4th, New York time.
    at = datetime(2016, 4, 5, 6, 0, tzinfo=UTC).astimezone(ZoneInfo("America/New_York"))
    context = dg.build_schedule_context(
        scheduled_execution_time=at, resources={"ingestion": IngestionResource()}
    )
    request = nightly_settlement_schedule(context)
    assert request.partition_key == "2016-04-04"
    assert nightly_settlement_schedule.cron_schedule == "0 2 * * *"
