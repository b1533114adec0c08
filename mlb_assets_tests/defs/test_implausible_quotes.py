"""One book's implausible quotes on a multi-book day: quarantined at normalization, while
the date completes every downstream asset.

The board is crafted (not market truth): four books price PIT-SLN on 2016-04-03 (first
pitch 17:05Z) in all three markets from 10:00Z and move the moneyline at 12:00 and 14:00Z.
The replay server alters two of them as a broken feed would: book c's totals come as 0.5
(a first-inning total under the full-game key) and book b's home moneyline as -35. The
date is walked through the historical endpoint by the season backfill job (ingestion,
markets and features).
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import dagster as dg
import pandas as pd
import pytest
import sqlalchemy as sa

from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.lib.warehouse.load import read_frame
from mlb_assets.lib.warehouse.schema import (
    game_features,
    line_movements,
    market_consensus,
    odds_snapshots,
    quarantine,
)
from mlb_assets.replay.clock import SimulatedClock
from mlb_assets.replay.mlb_schedule import schedule_route
from mlb_assets.replay.odds_board import ImplausibleQuote, OddsBoard
from mlb_assets.replay.server import ReplayServer
from mlb_assets.resources.live import IngestionResource, MlbStatsResource, OddsApiResource
from mlb_assets.runner import run_season_backfill
from mlb_assets_tests.defs.conftest import crafted_games, make_resources

KEY = "implausible-test-key"
DAY = date(2016, 4, 3)
GAME = "PIT201604030"
BOOKS = "abcd"
NOW = datetime(2016, 4, 4, 12, 0, tzinfo=UTC)  # the day after: a historical walk
BROKEN = (
    ImplausibleQuote("totals", point=0.5, book="c"),
    ImplausibleQuote("h2h", price=-35, book="b"),
)


def _games() -> pd.DataFrame:
    return crafted_games(GAME, DAY)


def _quotes() -> pd.DataFrame:
    opening = [
        ("h2h", "home", None, -120),
        ("h2h", "away", None, 110),
        ("spreads", "home", -1.5, 140),
        ("spreads", "away", 1.5, -160),
        ("totals", "over", 7.5, -105),
        ("totals", "under", 7.5, -115),
    ]
    rows = [(b, *q, "10:00") for b in BOOKS for q in opening]
    for hour, (home, away) in (("12:00", (-125, 115)), ("14:00", (-130, 120))):
        rows += [(b, "h2h", "home", None, home, hour) for b in BOOKS]
        rows += [(b, "h2h", "away", None, away, hour) for b in BOOKS]
    return pd.DataFrame(
        [
            {
                "game_id": GAME,
                "book": book,
                "market": market,
                "side": side,
                "point": float("nan") if point is None else point,
                "price_american": float(price),
                "captured_at": pd.Timestamp(f"2016-04-03 {at}", tz="UTC"),
            }
            for book, market, side, point, price, at in rows
        ]
    )


def _read(url: str, table: sa.Table) -> pd.DataFrame:
    with create_warehouse_engine(url).connect() as connection:
        return read_frame(connection, sa.select(table))


@pytest.fixture(scope="module")
def backfilled(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dg.ExecuteInProcessResult]:
    home = tmp_path_factory.mktemp("implausible")
    url = f"sqlite:///{home / 'warehouse.sqlite'}"
    board = OddsBoard.from_quotes(_quotes(), _games())
    clock = SimulatedClock(NOW)
    with ReplayServer(board, api_key=KEY, clock=clock, implausible=BROKEN) as server:
        server.add_route("/api/v1/schedule", schedule_route(_games(), server.clock.now))
        resources = make_resources(
            url,
            None,
            home,
            ingestion=IngestionResource(odds_source="odds_api", now_override=NOW.isoformat()),
            odds_api=OddsApiResource(base_url=server.url, api_key=KEY, quota_floor=0),
            mlb_stats=MlbStatsResource(base_url=server.url),
        )
        result = run_season_backfill(DAY, DAY, resources=resources, quiet=True)
    return url, result


def test_every_downstream_asset_of_the_date_completes(backfilled) -> None:
    url, result = backfilled
    assert result.success
    materialized = {key.to_user_string() for key in _materialized(result)}
    assert {"odds_snapshots", "line_movements", "market_consensus"} <= materialized
    assert {"sharp_action_features", "team_form", "pitcher_form"} <= materialized
    assert len(_read(url, line_movements)) > 0
    assert len(_read(url, market_consensus)) > 0
    assert set(_read(url, game_features)["game_id"]) == {GAME}


def test_the_quality_check_passes_with_a_warning(backfilled) -> None:
    _, result = backfilled
    check = _check(result, "odds_snapshots", "quality")
    assert check.passed
    # 5 quarantined of 40 quotes is above the 2% warn share, below the 20% error share.
    assert check.severity == dg.AssetCheckSeverity.WARN
    metadata = {name: value.value for name, value in check.metadata.items()}
    assert metadata["quarantine_severity"] == "WARN"
    assert metadata["quarantined"] == 5
    assert metadata["failed"] == 0


def test_the_bad_quotes_are_quarantined_with_their_reasons(backfilled) -> None:
    url, _ = backfilled
    bad = _read(url, quarantine)
    assert set(bad["asset"]) == {"odds_snapshots"} and set(bad["game_date"]) == {DAY}
    totals = bad[bad["source_ref"].str.startswith(f"{GAME}/c/totals/")]
    assert len(totals) == 2  # over and under, at the one time the market was set
    assert totals["reason"].str.startswith("totals point 0.5 is outside the full-game").all()
    moneyline = bad[bad["source_ref"].str.startswith(f"{GAME}/b/h2h/home@")]
    assert len(moneyline) == 3  # the market's three prices, each at -35 for the home side
    assert (moneyline["reason"] == "price -35 is not an American price (|price| < 100)").all()
    assert len(bad) == 5


def test_the_books_other_markets_are_stored(backfilled) -> None:
    url, _ = backfilled
    stored = _read(url, odds_snapshots)
    markets = stored.groupby("book")["market"].agg(set).to_dict()
    assert markets["c"] == {"h2h", "spreads"}
    assert markets["b"] == {"h2h", "spreads", "totals"}
    assert set(stored.loc[stored["book"] == "b", "side"]) >= {"away", "over", "under"}
    assert not (
        (stored["book"] == "b") & (stored["market"] == "h2h") & (stored["side"] == "home")
    ).any()
    assert markets["a"] == markets["d"] == {"h2h", "spreads", "totals"}


def _materialized(result: dg.ExecuteInProcessResult) -> list[dg.AssetKey]:
    return [event.asset_key for event in result.get_asset_materialization_events()]


def _check(result: dg.ExecuteInProcessResult, asset: str, name: str) -> dg.AssetCheckEvaluation:
    for evaluation in result.get_asset_check_evaluations():
        if evaluation.asset_key == dg.AssetKey(asset) and evaluation.check_name == name:
            return evaluation
    raise AssertionError(f"no {asset} {name} check evaluation")
