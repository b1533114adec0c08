"""The live code path end to end over real HTTP: the replay server on 127.0.0.1 plays The
Odds API v4 and the MLB Stats API; the graph polls it as it would poll the real services."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from mlb_assets.lib.archives.season import load_season
from mlb_assets.lib.ingest.live import historical_poll_times
from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.lib.warehouse.load import read_frame
from mlb_assets.lib.warehouse.schema import games, odds_snapshots, quarantine, raw_payloads
from mlb_assets.replay.cli import mount_mlb_schedule
from mlb_assets.replay.clock import SimulatedClock
from mlb_assets.replay.odds_board import OddsBoard
from mlb_assets.replay.server import ReplayServer
from mlb_assets.resources.live import IngestionResource, MlbStatsResource, OddsApiResource
from mlb_assets.runner import run_season_backfill
from mlb_assets_tests.defs.conftest import make_resources

pytestmark = [pytest.mark.archive, pytest.mark.slow]

API_KEY = "live-path-secret-key-123"
# Simulated "now": the evening of 2016-04-04 (ET), so 04-04 is today (live endpoint) and
# 04-03 is a past day (historical endpoint).
NOW = datetime(2016, 4, 5, 1, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def replay(archive_dir: Path, state_home: Path):
    cache = state_home / "cache"
    board = OddsBoard.from_archive(archive_dir, 2016, cache_dir=cache)
    server = ReplayServer(board, api_key=API_KEY, quota_total=1_000_000, clock=SimulatedClock(NOW))
    mount_mlb_schedule(server, archive_dir, 2016, cache)
    with server:
        yield server


def _resources(url: str, state_home: Path, server: ReplayServer) -> dict[str, object]:
    return make_resources(
        url,
        None,
        state_home,
        ingestion=IngestionResource(
            odds_source="odds_api", now_override=NOW.isoformat(), historical_interval_minutes=60
        ),
        odds_api=OddsApiResource(base_url=server.url, api_key=API_KEY, quota_floor=0),
        mlb_stats=MlbStatsResource(base_url=server.url),
    )


def _read(url: str, table: sa.Table) -> pd.DataFrame:
    with create_warehouse_engine(url).connect() as connection:
        return read_frame(connection, sa.select(table))


@pytest.fixture(scope="module")
def ingested(replay: ReplayServer, state_home: Path, tmp_path_factory, caplog_module):
    url = f"sqlite:///{tmp_path_factory.mktemp('live') / 'warehouse.sqlite'}"
    result = run_season_backfill(
        date(2016, 4, 3), date(2016, 4, 4), resources=_resources(url, state_home, replay)
    )
    assert result.success
    return url


@pytest.fixture(scope="module")
def caplog_module():
    """Every log record emitted while the module's runs execute (to look for the key)."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    root = logging.getLogger()
    root.addHandler(handler)
    previous = root.level
    root.setLevel(logging.DEBUG)
    yield records
    root.removeHandler(handler)
    root.setLevel(previous)


def test_schedule_and_odds_land_through_the_live_path(ingested: str, archive_dir: Path) -> None:
    loaded = _read(ingested, games)
    expected = load_season(archive_dir, 2016).games
    expected = expected[expected["game_date"].isin([date(2016, 4, 3), date(2016, 4, 4)])]
    assert set(loaded["game_id"]) == set(expected["game_id"])
    final = loaded.set_index("game_id").loc["PIT201604030"]
    assert (final["home_score"], final["away_score"], final["status"]) == (4, 1, "final")

    snapshots = _read(ingested, odds_snapshots)
    assert set(snapshots["source"]) == {"odds_api"}
    assert set(snapshots["book"]) == {"pinnacle"}
    assert snapshots["payload_id"].notna().all()
    assert set(snapshots["game_date"]) == {date(2016, 4, 3), date(2016, 4, 4)}


def test_historical_walk_sees_the_archive_prices(ingested: str, archive_dir: Path) -> None:
    """Each snapshot of a past day equals the archive's line in effect at that moment."""
    snapshots = _read(ingested, odds_snapshots)
    pit = snapshots[(snapshots["game_id"] == "PIT201604030") & (snapshots["market"] == "h2h")]
    home = pit[pit["side"] == "home"].sort_values("captured_at")
    assert len(home) >= 3, "an hourly walk over the day sees several home-price changes"
    board = OddsBoard.from_archive(archive_dir, 2016)
    for row in home.itertuples():
        at = board.at(row.captured_at, game_ids=["PIT201604030"], markets=["h2h"])
        price = at.loc[at["side"] == "home", "price_american"].iloc[0]
        assert price == row.price_american


def test_key_never_stored_or_logged(ingested: str, caplog_module) -> None:
    payloads = _read(ingested, raw_payloads)
    assert {"odds_api", "mlb_stats"} <= set(payloads["source"])
    for column in ("source_ref", "request_params"):
        assert not payloads[column].astype(str).str.contains(API_KEY).any()
    bad = _read(ingested, quarantine)
    assert not bad.astype(str).apply(lambda c: c.str.contains(API_KEY)).any().any()
    messages = [record.getMessage() for record in caplog_module]
    assert messages, "the runs logged nothing"
    assert not [m for m in messages if API_KEY in m]


def test_rerun_adds_no_payloads_and_changes_nothing(
    ingested: str, replay: ReplayServer, state_home: Path
) -> None:
    before = {t.name: len(_read(ingested, t)) for t in (raw_payloads, odds_snapshots, games)}
    served = replay.stats()
    result = run_season_backfill(
        date(2016, 4, 3), date(2016, 4, 3), resources=_resources(ingested, state_home, replay)
    )
    assert result.success
    after = {t.name: len(_read(ingested, t)) for t in (raw_payloads, odds_snapshots, games)}
    assert after == before
    historical_before = sum(v for k, v in served["requests"].items() if "historical" in k)
    historical_after = sum(v for k, v in replay.stats()["requests"].items() if "historical" in k)
    assert historical_after == historical_before, "a rerun re-fetched stored snapshots"


def _historical_requests(server: ReplayServer) -> int:
    return sum(n for path, n in server.stats()["requests"].items() if "historical" in path)


def test_adjacent_days_share_the_snapshots_their_walks_overlap_on(
    replay: ReplayServer, state_home: Path, tmp_path: Path
) -> None:
    """A walk starts a day before its date, so adjacent days ask for the same snapshots, and
    the warehouse stores each body once, under the first day. The second day must still read
    those snapshots (its early lines are in them) and must not pay for them again."""

    def backfill(start: date, name: str) -> tuple[str, int]:
        url = f"sqlite:///{tmp_path / name}"
        before = _historical_requests(replay)
        resources = _resources(url, state_home, replay)
        assert run_season_backfill(start, date(2016, 4, 3), resources=resources, quiet=True).success
        return url, _historical_requests(replay) - before

    alone, fetched_alone = backfill(date(2016, 4, 3), "alone.sqlite")
    both, fetched_both = backfill(date(2016, 4, 2), "both.sqlite")
    walks = [
        set(historical_poll_times(day, now=NOW, interval_minutes=60, lookback_hours=24))
        for day in (date(2016, 4, 2), date(2016, 4, 3))
    ]
    assert fetched_both == len(walks[0] | walks[1]) == fetched_alone + len(walks[0] - walks[1])

    columns = ["game_id", "market", "side", "point", "price_american", "captured_at", "payload_id"]
    day = odds_snapshots.c.game_date == date(2016, 4, 3)
    rows = [_read_where(url, odds_snapshots, day)[columns] for url in (alone, both)]
    assert len(rows[0]) > 0
    pd.testing.assert_frame_equal(*(r.sort_values(columns, ignore_index=True) for r in rows))


def _read_where(url: str, table: sa.Table, where: sa.ColumnElement[bool]) -> pd.DataFrame:
    with create_warehouse_engine(url).connect() as connection:
        return read_frame(connection, sa.select(table).where(where))
