"""Line movements of real 2016 games, against values read by hand from the raw Lines rows.

The expected values were read directly from ``MLB2016.rda``'s nested ``Lines`` rows of each
game (line times on the Pacific wall clock, see ``lib/archives/pinnacle.py``), not through
the project's code: first pitch ``EventDateTimeUTC``, decision time = first pitch - 60 min,
close = last change before first pitch, "moves" = changes after the opening line before
first pitch, no-vig = multiplicative, paired with the other side's price at that moment.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.lib.warehouse.load import read_frame
from mlb_assets.lib.warehouse.schema import line_movements, odds_snapshots
from mlb_assets.runner import run_season_backfill
from mlb_assets_tests.defs.conftest import make_resources

pytestmark = pytest.mark.archive

# game, market, side: open price/point/time, decision price/point, close price/time,
# moves, moves in the 1h and 3h before decision time.
HAND_CHECKED = {
    ("PIT201604030", "h2h", "home"): dict(
        open_price=102,
        open_point=None,
        open_at="2016-03-31 21:16:48.047",
        decision_price=-125,
        decision_point=None,
        close_price=-118,
        close_at="2016-04-03 17:04:19.857",
        n_moves=20,
        moves_last_1h=0,
        moves_last_3h=2,
    ),
    ("PIT201604030", "totals", "over"): dict(
        open_price=100,
        open_point=6.5,
        decision_price=-125,
        decision_point=6.0,
        close_price=-128,
        n_moves=32,
        moves_last_1h=1,
        moves_last_3h=4,
    ),
    ("BAL201605071", "h2h", "home"): dict(
        open_price=106,
        decision_price=111,
        close_price=115,
        n_moves=18,
        moves_last_1h=2,
        moves_last_3h=4,
    ),
    ("BAL201605071", "totals", "over"): dict(
        open_price=-117,
        open_point=8.0,
        decision_price=-111,
        decision_point=8.0,
        close_price=-113,
        n_moves=7,
        moves_last_1h=1,
        moves_last_3h=1,
    ),
    ("BAL201605072", "h2h", "home"): dict(
        open_price=-120,
        decision_price=-122,
        close_price=-119,
        n_moves=11,
        moves_last_1h=2,
        moves_last_3h=5,
    ),
    ("BAL201605072", "totals", "over"): dict(
        open_price=111,
        open_point=8.5,
        decision_price=107,
        decision_point=8.0,
        close_price=-116,
        n_moves=15,
        moves_last_1h=1,
        moves_last_3h=3,
    ),
}
# No-vig probabilities at decision time, computed by hand from the paired prices.
HAND_PROBABILITIES = {
    ("PIT201604030", "h2h", "home"): dict(decision_prob_novig=0.544304),
    ("PIT201604030", "totals", "over"): dict(decision_prob_novig=0.541985),
    ("BAL201605071", "h2h", "home"): dict(decision_prob_novig=0.464920),
    ("BAL201605071", "totals", "over"): dict(decision_prob_novig=0.513948),
}


@pytest.fixture(scope="module")
def warehouse_url(
    archive_dir: Path, state_home: Path, tmp_path_factory: pytest.TempPathFactory
) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('lm') / 'warehouse.sqlite'}"
    resources = make_resources(url, archive_dir, state_home)
    for day in (date(2016, 4, 3), date(2016, 5, 7)):
        assert run_season_backfill(day, day, resources=resources, quiet=True).success
    return url


def _read(url: str, table: sa.Table) -> pd.DataFrame:
    with create_warehouse_engine(url).connect() as connection:
        return read_frame(connection, sa.select(table))


@pytest.fixture(scope="module")
def movements(warehouse_url: str) -> pd.DataFrame:
    return _read(warehouse_url, line_movements).set_index(["game_id", "market", "side"])


@pytest.mark.parametrize("key", sorted(HAND_CHECKED))
def test_hand_checked_figures(movements: pd.DataFrame, key: tuple[str, str, str]) -> None:
    row = movements.loc[key]
    for column, expected in HAND_CHECKED[key].items():
        actual = row[column]
        if column.endswith("_at"):
            assert actual == pd.Timestamp(expected, tz="UTC"), column
        elif expected is None:
            assert pd.isna(actual), column
        else:
            assert actual == expected, f"{key} {column}: {actual} != {expected}"


@pytest.mark.parametrize("key", sorted(HAND_PROBABILITIES))
def test_hand_checked_probabilities(movements: pd.DataFrame, key: tuple[str, str, str]) -> None:
    for column, expected in HAND_PROBABILITIES[key].items():
        assert movements.loc[key, column] == pytest.approx(expected, abs=1e-6)


def test_decision_line_was_captured_by_decision_time(
    warehouse_url: str, movements: pd.DataFrame
) -> None:
    """Point in time: the snapshot behind each decision price predates the decision."""
    snapshots = _read(warehouse_url, odds_snapshots).set_index("snapshot_id")
    decided = movements.dropna(subset=["decision_snapshot_id"])
    assert len(decided) > 100
    used = snapshots.loc[decided["decision_snapshot_id"].astype("int64")]
    assert (used["captured_at"].to_numpy() <= decided["decision_at"].to_numpy()).all()
    assert (used["price_american"].to_numpy() == decided["decision_price"].to_numpy()).all()
