"""A season this repository has never seen, from its workbook alone, through the graph.

The workbook is made up (``workbook_fixtures``: later-season headers, a neutral-site
series, a repeated rotation number, a truncated totals price, half-cent moneylines, an
unknown team code, and rows dated outside the span of the games). The season backfill
must load every game with a valid moneyline, quarantine every other row with its reason
whatever its date, and account for each source row in the games asset's check.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from mlb_assets.defs.ingestion.assets import SOURCE_ROWS_CHECK
from mlb_assets.lib.archives.season import load_season
from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.lib.warehouse.load import read_frame
from mlb_assets.lib.warehouse.schema import games, opening_closing_lines, quarantine
from mlb_assets.runner import run_season_backfill
from mlb_assets_tests.defs.conftest import make_resources
from mlb_assets_tests.lib.archives.workbook_fixtures import (
    HEADER_LATER,
    bad_market_rows,
    duplicated_rotation_rows,
    game_rows,
    half_cent_rows,
    neutral_site_rows,
    write_workbook,
)

SEASON = 2019


def _rows() -> list[list[object]]:
    early = game_rows(301, 899, "NYY", "BOS")[:1]  # a lone visitor row, before any game
    late = game_rows(1230, 999, "NYY", "BOS")[1:]  # a lone home row, after every game
    unknown = game_rows(518, 911, "XYZ", "ATL")
    return [
        *early,
        *duplicated_rotation_rows(),
        *unknown,
        *neutral_site_rows(),
        *bad_market_rows(),
        *half_cent_rows(),
        *late,
    ]


@pytest.fixture
def unseen_mirror(tmp_path: Path) -> Path:
    mirror = tmp_path / "mirror"
    (mirror / "sbr").mkdir(parents=True)
    write_workbook(mirror / "sbr" / f"mlb-odds-{SEASON}.xlsx", HEADER_LATER, _rows())
    return mirror


def test_an_unseen_season_loads_every_valid_game(unseen_mirror: Path, tmp_path: Path) -> None:
    archives = load_season(unseen_mirror, SEASON)
    start, end = archives.date_span()
    assert (start.month, start.day, end.month, end.day) == (3, 1, 12, 30)
    url = f"sqlite:///{tmp_path / 'unseen.sqlite'}"
    for _ in range(2):  # a rerun changes nothing
        result = run_season_backfill(
            start, end, resources=make_resources(url, unseen_mirror, tmp_path / "home"), quiet=True
        )
        assert result.success
    checks = {e.check_name: e for e in result.get_asset_check_evaluations()}
    assert checks[SOURCE_ROWS_CHECK].passed
    assert checks[SOURCE_ROWS_CHECK].metadata["unaccounted"].value == 0

    with create_warehouse_engine(url).connect() as connection:
        loaded = read_frame(connection, sa.select(games))
        lines = read_frame(connection, sa.select(opening_closing_lines))
        held = read_frame(connection, sa.select(quarantine))

    # 3 repeated-rotation + 4 neutral + 2 bad-market + 2 half-cent games; the XYZ game and
    # the two lone rows are quarantined.
    assert len(loaded) == 11
    assert loaded["neutral_site"].sum() == 2
    neutral = loaded[loaded["neutral_site"]]
    assert set(neutral["home_team"]) == {"BOS", "NYA"}
    assert set(loaded["game_id"]) == set(archives.games["game_id"])

    h2h = lines[lines["market"] == "h2h"].set_index(["game_id", "side"])
    half_cent = loaded[(loaded["home_team"] == "PHI")]["game_id"].item()
    assert h2h.at[(half_cent, "home"), "open_price"] == -219.5
    assert h2h.at[(half_cent, "away"), "open_price"] == 189.5
    # The truncated totals price withholds that quote only: the game's moneyline loads.
    bad_total = loaded[loaded["home_team"] == "TOR"]["game_id"].item()
    kept = lines[lines["game_id"] == bad_total]
    assert {"h2h", "spreads"} <= set(kept["market"])

    assert len(held) == len(archives.quarantine["sbr_archive"])
    reasons = " | ".join(held["reason"])
    assert "'XYZ'" in reasons and "-35" in reasons
    dated = held.dropna(subset=["game_date"])
    assert min(dated["game_date"]) == start and max(dated["game_date"]) == end
