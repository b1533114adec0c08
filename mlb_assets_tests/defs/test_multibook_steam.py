"""Multi-book steam through the whole live path: a crafted four-book market served by the
replay server, polled by the odds_poll job, lands as one steam event per side when the
polls bracket the moves closely, and as none when they are an hour apart. The polls are
stored (odds_observations), and the market features read them too: no steam feature
where line_movements claims none.

The board is crafted for this test (not market truth): four books open PIT-SLN at
-110/-110 at 10:00Z; books a, b and c move the home side to -130/+110 at 15:00, 15:03 and
15:06Z; book d never moves. First pitch is 17:05Z on 2016-04-03.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from mlb_assets.lib.features.market import market_features
from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.lib.warehouse.load import read_frame
from mlb_assets.lib.warehouse.odds import read_observations
from mlb_assets.lib.warehouse.schema import (
    line_movements,
    market_consensus,
    odds_observations,
    odds_snapshots,
    raw_payloads,
    steam_events,
)
from mlb_assets.replay.clock import SimulatedClock
from mlb_assets.replay.mlb_schedule import schedule_route
from mlb_assets.replay.odds_board import OddsBoard
from mlb_assets.replay.server import ReplayServer
from mlb_assets.resources.live import IngestionResource, MlbStatsResource, OddsApiResource
from mlb_assets.runner import run_partitioned_job
from mlb_assets_tests.defs.conftest import crafted_games, make_resources

KEY = "steam-test-key"
DAY = date(2016, 4, 3)
GAME = "PIT201604030"


def _games() -> pd.DataFrame:
    return crafted_games(GAME, DAY)


def _quotes() -> pd.DataFrame:
    rows = []
    for book in "abcd":
        for side, price in (("home", -110), ("away", -110)):
            rows.append((book, side, price, "2016-04-03 10:00"))
    for book, minute in (("a", "00"), ("b", "03"), ("c", "06")):
        rows += [
            (book, "home", -130, f"2016-04-03 15:{minute}"),
            (book, "away", 110, f"2016-04-03 15:{minute}"),
        ]
    return pd.DataFrame(
        [
            {
                "game_id": GAME,
                "book": b,
                "market": "h2h",
                "side": s,
                "point": float("nan"),
                "price_american": float(p),
                "captured_at": pd.Timestamp(t, tz="UTC"),
            }
            for b, s, p, t in rows
        ]
    )


def _poll(url: str, server: ReplayServer, home: Path, at: datetime) -> None:
    server.clock.set(at)
    resources = make_resources(
        url,
        None,
        home,
        ingestion=IngestionResource(odds_source="odds_api", now_override=at.isoformat()),
        odds_api=OddsApiResource(base_url=server.url, api_key=KEY, quota_floor=0),
        mlb_stats=MlbStatsResource(base_url=server.url),
    )
    assert run_partitioned_job("odds_poll", DAY, DAY, resources=resources, quiet=True).success


def _read(url: str, table: sa.Table) -> pd.DataFrame:
    with create_warehouse_engine(url).connect() as connection:
        return read_frame(connection, sa.select(table))


def _stamp_polls(url: str, at: datetime) -> None:
    """Date the payloads just landed by the simulated clock: the client stamps fetched_at
    with the wall clock, and a poll's time is when it observed the board."""
    table = raw_payloads
    with create_warehouse_engine(url).begin() as connection:
        connection.execute(
            sa.update(table)
            .where(table.c.fetched_at > datetime(2020, 1, 1, tzinfo=UTC))
            .values(fetched_at=at)
        )


def _polled_at(home: Path, *times: datetime) -> str:
    url = f"sqlite:///{home / 'warehouse.sqlite'}"
    board = OddsBoard.from_quotes(_quotes(), _games())
    with ReplayServer(board, api_key=KEY, clock=SimulatedClock(times[0])) as server:
        server.add_route("/api/v1/schedule", schedule_route(_games(), server.clock.now))
        for moment in times:
            _poll(url, server, home, moment)
            _stamp_polls(url, moment)
        # Polled again at the last moment: the same body lands nowhere new, and the line
        # movements are derived again with every poll dated.
        _poll(url, server, home, times[-1])
    return url


@pytest.fixture(scope="module")
def polled(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Polls at 14:58 and 15:07: every move is bracketed by polls 9 minutes apart."""
    return _polled_at(
        tmp_path_factory.mktemp("steam"),
        datetime(2016, 4, 3, 14, 58, tzinfo=UTC),
        datetime(2016, 4, 3, 15, 7, tzinfo=UTC),
    )


@pytest.fixture(scope="module")
def polled_hourly(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Polls at 14:00 and 15:10: the moves lie somewhere in 70 minutes."""
    return _polled_at(
        tmp_path_factory.mktemp("coarse"),
        datetime(2016, 4, 3, 14, 0, tzinfo=UTC),
        datetime(2016, 4, 3, 15, 10, tzinfo=UTC),
    )


def test_every_book_change_is_a_snapshot(polled: str) -> None:
    snapshots = _read(polled, odds_snapshots)
    assert sorted(snapshots["book"].unique()) == ["a", "b", "c", "d"]
    assert len(snapshots) == 4 * 2 + 3 * 2  # opening sides, then the three movers


def test_steam_event_written_as_expected(polled: str) -> None:
    events = _read(polled, steam_events).set_index("side")
    assert set(events.index) == {"home", "away"}
    home = events.loc["home"]
    assert home["direction"] == 1 and events.loc["away", "direction"] == -1
    assert home["books"] == "a,b,c" and home["n_books"] == 3
    assert home["started_at"] == pd.Timestamp("2016-04-03 15:00", tz="UTC")
    assert home["confirmed_at"] == pd.Timestamp("2016-04-03 15:06", tz="UTC")
    assert home["observation_gap_minutes"] == 9.0


def test_hourly_polls_make_no_steam_claim(polled_hourly: str) -> None:
    # The same changes land (the API dates each by its last_update), but no poll saw the
    # lines between 14:00 and 15:10: nothing places the moves within minutes of each other.
    assert len(_read(polled_hourly, odds_snapshots)) == 4 * 2 + 3 * 2
    assert _read(polled_hourly, steam_events).empty
    movers = _read(polled_hourly, line_movements).query("side == 'home' and book != 'd'")
    assert not movers["steam"].any()
    assert movers["steam_gap_minutes"].tolist() == [70.0, 70.0, 70.0]


def test_consensus_at_decision_time(polled: str) -> None:
    consensus = _read(polled, market_consensus).set_index("side")
    home = consensus.loc["home"]
    # Three books at -130/+110 (no-vig home 0.542700...) and one at -110/-110 (0.5).
    moved = (130 / 230) / (130 / 230 + 100 / 210)
    assert home["n_books"] == 4
    assert home["consensus_prob_novig"] == pytest.approx((3 * moved + 0.5) / 4, abs=1e-9)
    assert home["best_price"] == -110 and home["best_book"] == "d"
    assert consensus.loc["away", "best_price"] == 110
    assert home["steam_events"] == 1
    assert pd.isna(home["rlm"])  # no splits source configured: null, never invented


@pytest.mark.parametrize(
    ("fixture", "times"),
    [("polled", ("14:58", "15:07")), ("polled_hourly", ("14:00", "15:10"))],
)
def test_polls_are_stored_as_observations(
    fixture: str, times: tuple[str, str], request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(fixture)
    observed = _read(url, odds_observations)
    # Every poll read all four books' lines; the repeated last poll stored nothing new.
    stamps = [pd.Timestamp(f"2016-04-03 {t}", tz="UTC") for t in times]
    expected = {(GAME, book, stamp) for book in "abcd" for stamp in stamps}
    rows = observed[["game_id", "book", "observed_at"]].itertuples(index=False, name=None)
    assert set(rows) == expected
    assert len(observed) == len(expected)
    assert (observed["game_date"] == DAY).all()
    payloads = set(_read(url, raw_payloads)["payload_id"])
    assert observed["payload_id"].notna().all() and set(observed["payload_id"]) <= payloads


@pytest.mark.parametrize(("fixture", "claimed"), [("polled", True), ("polled_hourly", False)])
def test_steam_features_read_the_same_polls(
    fixture: str, claimed: bool, request: pytest.FixtureRequest
) -> None:
    url = request.getfixturevalue(fixture)
    with create_warehouse_engine(url).connect() as connection:
        observations = read_observations(connection, DAY, DAY)
    snapshots, games = _read(url, odds_snapshots), _games()
    movements = _read(url, line_movements).set_index(["book", "side"])
    for book in "abc":
        assert movements.loc[(book, "home"), "steam"] == claimed
        features = market_features(snapshots, games, book=book, observations=observations)
        assert features.loc[0, "ml_steam"] == float(claimed)
        assert features.loc[0, "ml_steam_home"] == float(claimed)
    # Read as continuously observed, the hourly board would claim steam on every mover.
    assert market_features(snapshots, games, book="a").loc[0, "ml_steam"] == 1.0
