"""A corrupted archive row lands in quarantine with its reason; the rest of the date loads.

A bad price withholds only its quote; a row that cannot be read takes only its game."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa

from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.lib.warehouse.load import read_frame
from mlb_assets.lib.warehouse.schema import games, opening_closing_lines, quarantine
from mlb_assets.runner import run_season_backfill
from mlb_assets_tests.defs.conftest import make_resources

pytestmark = [pytest.mark.archive, pytest.mark.slow]

DAY = date(2016, 4, 4)


def _corrupt_copy(archive_dir: Path, target: Path) -> dict[str, int]:
    """A mirror whose 2016 workbook has a bad price, an unknown team and a bad date on 4/04.

    The copy lives in the test's temporary directory only.
    """
    for folder in ("retrosheet", "cran-pinnacle.data"):
        (target / folder).symlink_to(archive_dir / folder)
    (target / "sbr").mkdir()
    workbook_path = target / "sbr" / "mlb-odds-2016.xlsx"
    shutil.copy(archive_dir / "sbr" / "mlb-odds-2016.xlsx", workbook_path)
    book = openpyxl.load_workbook(workbook_path)
    sheet = book.active
    header = {cell.value: cell.column for cell in sheet[1]}
    visitor_rows = [
        r
        for r in range(2, sheet.max_row + 1)
        if sheet.cell(r, header["Date"]).value == 404 and sheet.cell(r, header["VH"]).value == "V"
    ]
    bad_price, unknown_team, bad_date = visitor_rows[:3]
    sheet.cell(bad_price, header["Open"]).value = 50
    sheet.cell(unknown_team, header["Team"]).value = "XYZ"
    sheet.cell(bad_date, header["Date"]).value = 1399
    book.save(workbook_path)
    return {"bad_price": bad_price, "unknown_team": unknown_team, "bad_date": bad_date}


def test_corrupted_rows_are_quarantined_and_the_rest_loads(
    archive_dir: Path, state_home: Path, tmp_path: Path
) -> None:
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    rows = _corrupt_copy(archive_dir, mirror)
    clean_url = f"sqlite:///{tmp_path / 'clean.sqlite'}"
    dirty_url = f"sqlite:///{tmp_path / 'dirty.sqlite'}"
    assert run_season_backfill(
        DAY, DAY, resources=make_resources(clean_url, archive_dir, state_home), quiet=True
    ).success
    for _ in range(2):  # a rerun quarantines nothing twice
        result = run_season_backfill(
            DAY, DAY, resources=make_resources(dirty_url, mirror, tmp_path / "home"), quiet=True
        )
        assert result.success

    with create_warehouse_engine(dirty_url).connect() as connection:
        bad = read_frame(connection, sa.select(quarantine))
        dirty_lines = read_frame(connection, sa.select(opening_closing_lines))
        dirty_games = read_frame(connection, sa.select(games))
    with create_warehouse_engine(clean_url).connect() as connection:
        clean_lines = read_frame(connection, sa.select(opening_closing_lines))
        clean_games = read_frame(connection, sa.select(games))

    refs = " ".join(bad["source_ref"])
    for row in rows.values():
        assert f"row {row}" in refs, f"sheet row {row} is not in quarantine: {refs}"
    reasons = " ".join(bad["reason"]).lower()
    assert "unknown team code 'xyz'" in reasons
    assert "date 1399 is not a day of season 2016" in reasons
    assert "open: 50 is not american odds" in reasons  # its quote only
    assert bad["quarantine_id"].is_unique
    assert (bad["asset"] == "games").all()

    # The unknown team and the bad date lose their games' workbook lines; the bad price
    # withholds that one quote, and its game keeps every other line.
    lost = set(clean_lines["game_id"]) - set(dirty_lines["game_id"])
    assert len(lost) == 2
    assert len(dirty_lines) == len(clean_lines) - 2 * 6
    withheld = dirty_lines[dirty_lines["open_price"].isna() & (dirty_lines["market"] == "h2h")]
    assert len(withheld) == 1 and withheld["side"].item() == "away"
    assert "h2h" in " ".join(bad["source_ref"])
    # Retrosheet and Pinnacle still know the two games, so the schedule is whole.
    assert set(dirty_games["game_id"]) >= set(clean_games["game_id"]) - lost
    assert set(clean_games["game_id"]) <= set(dirty_games["game_id"]) | lost
