"""Season workbooks: pairing, header drift, quarantine, and the real 2010–2017 files."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from mlb_assets.lib.archives.sbr import GAME_COLUMNS, LINE_COLUMNS, read_workbook

INNINGS = ["1st", "2nd", "3rd", "4th", "5th", "6th", "7th", "8th", "9th"]
# 2014+ layout: the odds columns after Run Line, Open OU and Close OU have no header.
HEADER_2014 = [
    "Date", "Rot", "VH", "Team", "Pitcher", *INNINGS, "Final", "Open", "Close",
    "Run Line", None, "Open OU", None, "Close OU", None,
]  # fmt: skip
HEADER_2010 = [
    "Date", "Rot", "VH", "Team", "Pitcher", *INNINGS, "Final", "Open", "Close",
    "Open OU", None, "Close OU", None,
]  # fmt: skip


def _row(date_, rot, vh, team, final, open_, close, run_line=(1.5, -150), ou=(8, -110)):
    """One synthetic team row (made-up pitchers; innings are not used by the parser)."""
    innings = [0] * 8 + ["x" if vh == "H" else 0]
    return [
        date_, rot, vh, team, "FAKEPITCHER-R", *innings, final, open_, close,
        run_line[0], run_line[1], ou[0], ou[1], ou[0], ou[1],
    ]  # fmt: skip


def _write(path: Path, header: list, rows: list[list]) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


SYNTHETIC_ROWS = [
    # excel rows 2-3: an ordinary game
    _row(401, 901, "V", "NYM", 3, -120, -125, (-1.5, 140), (8.5, -105)),
    _row(401, 902, "H", "PIT", 4, 110, 115, (1.5, -160), (8.5, -115)),
    # 4-7: a doubleheader (same date, same home team)
    _row(402, 903, "V", "BOS", 1, 105, 100),
    _row(402, 904, "H", "NYY", 2, -115, -110),
    _row(402, 905, "V", "BOS", 5, 120, 125),
    _row(402, 906, "H", "NYY", 6, -130, -135),
    # 8-9: odds that are not a number
    _row(403, 907, "V", "SEA", 2, "abc", -110),
    _row(403, 908, "H", "OAK", 1, 100, 100),
    # 10-11: a date that does not exist
    _row(1345, 909, "V", "TEX", 2, -110, -110),
    _row(1345, 910, "H", "HOU", 1, 100, 100),
    # 12-13: a team code nobody uses
    _row(403, 911, "V", "XYZ", 2, -110, -110),
    _row(403, 912, "H", "CLE", 1, 100, 100),
    # 14-15: American odds with |price| < 100
    _row(403, 913, "V", "ATL", 2, -110, 50),
    _row(403, 914, "H", "MIA", 1, 100, 100),
    # 16-17: postponed (NL finals), a pick'em run line, a "½" total
    _row(404, 915, "V", "CUB", "NL", -110, "NL", ("pk", "NL"), ("8½", -105)),
    _row(404, 916, "H", "STL", "NL", 100, -105, ("pk", "NL"), ("8½", -115)),
    # 18-19: home row listed before its visitor row: paired by rotation, not adjacency
    _row(404, 918, "H", "SFO", 7, -140, -150),
    _row(404, 917, "V", "LOS", 3, 130, 140),
    # 20: a visitor row whose home row is missing
    _row(404, 919, "V", "SDG", 0, 120, 120),
]


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory):
    path = tmp_path_factory.mktemp("sbr") / "mlb-odds-2016.xlsx"
    return read_workbook(_write(path, HEADER_2014, SYNTHETIC_ROWS), 2016)


def test_valid_rows_load(synthetic) -> None:
    games = synthetic.games
    assert list(games.columns) == GAME_COLUMNS
    assert games["game_id"].tolist() == [
        "PIT201604010",
        "NYA201604021",
        "NYA201604022",
        "OAK201604030",  # one unreadable price withholds that quote, not the game
        "MIA201604030",
        "SLN201604040",
        "SFN201604040",
    ]
    first = games.iloc[0]
    assert first["game_date"] == date(2016, 4, 1)
    assert (first["away_team"], first["home_team"]) == ("NYN", "PIT")
    assert (first["away_score"], first["home_score"]) == (3, 4)
    assert (first["away_rot"], first["home_rot"]) == (901, 902)
    assert first["away_pitcher"] == "FAKEPITCHER-R"
    assert not games["neutral_site"].any()
    out_of_order = games.iloc[6]
    assert (out_of_order["away_team"], out_of_order["away_rot"]) == ("LAN", 917)


def test_bad_rows_land_in_quarantine_with_reasons(synthetic) -> None:
    quarantine = synthetic.quarantine
    assert list(quarantine.columns) == ["source", "source_ref", "game_date", "reason", "record"]
    reasons = dict(zip(quarantine["source_ref"], quarantine["reason"], strict=True))
    ref = "mlb-odds-2016.xlsx:row "
    assert set(reasons) == {ref + str(n) for n in (10, 11, 12, 13, 20)} | {
        ref + "8:h2h:Open",
        ref + "14:h2h:Close",
    }
    assert "h2h price Open: 'abc' is not a number" in reasons[ref + "8:h2h:Open"]
    assert "date 1345 is not a day of season 2016" in reasons[ref + "10"]
    assert "unknown team code 'XYZ'" in reasons[ref + "12"]
    assert reasons[ref + "13"].startswith("paired with row 12, which is quarantined (unknown")
    assert "Close: 50 is not American odds (|price| < 100)" in reasons[ref + "14:h2h:Close"]
    assert "cannot pair" in reasons[ref + "20"]
    assert (quarantine["source"] == "sbr").all()
    row8 = quarantine.set_index("source_ref").loc[ref + "8:h2h:Open"]
    assert row8["game_date"] == date(2016, 4, 3)
    assert row8["record"]["Open"] == "abc" and row8["record"]["Team"] == "SEA"
    assert quarantine.set_index("source_ref").loc[ref + "10", "game_date"] is None
    # Nothing is lost: every sheet row is a game row or a quarantine entry.
    counts = synthetic.counts
    assert counts.rows_read == len(SYNTHETIC_ROWS) == counts.rows_loaded + counts.rows_quarantined
    assert (counts.rows_loaded, counts.rows_quarantined) == (2 * len(synthetic.games), 5)
    assert counts.market_values_quarantined == 2


def test_withheld_quote_leaves_the_rest_of_the_game(synthetic) -> None:
    lines = synthetic.lines.set_index(["game_id", "market", "side"])
    away = lines.loc[("OAK201604030", "h2h", "away")]
    assert np.isnan(away["open_price"]) and away["close_price"] == -110
    assert lines.loc[("OAK201604030", "h2h", "home"), "open_price"] == 100
    assert ("OAK201604030", "totals", "over") in lines.index


def test_missing_values_and_postponed_game(synthetic) -> None:
    postponed = synthetic.games.set_index("game_id").loc["SLN201604040"]
    assert postponed["away_score"] is pd.NA and postponed["home_score"] is pd.NA
    lines = synthetic.lines.set_index(["game_id", "market", "side"])
    away_ml = lines.loc[("SLN201604040", "h2h", "away")]
    assert away_ml["open_price"] == -110 and np.isnan(away_ml["close_price"])
    assert ("SLN201604040", "spreads", "away") not in lines.index  # pk / NL: no run line
    over = lines.loc[("SLN201604040", "totals", "over")]
    assert (over["open_point"], over["open_price"]) == (8.5, -105)


def test_lines_long_format(synthetic) -> None:
    lines = synthetic.lines
    assert list(lines.columns) == LINE_COLUMNS
    game = lines[lines["game_id"] == "PIT201604010"]
    assert len(game) == 6
    records = {
        (r.market, r.side): (r.open_point, r.open_price, r.close_point, r.close_price)
        for r in game.itertuples()
    }
    assert records[("spreads", "away")] == (-1.5, 140, -1.5, 140)
    assert records[("spreads", "home")] == (1.5, -160, 1.5, -160)
    assert records[("totals", "over")] == (8.5, -105, 8.5, -105)
    assert records[("totals", "under")] == (8.5, -115, 8.5, -115)
    assert records[("h2h", "home")][1:4:2] == (110, 115)


def test_older_layout_without_run_line(tmp_path: Path) -> None:
    rows = [
        [*r[:17], *r[19:]]
        for r in (
            _row(404, 901, "V", "NYY", 7, -106, -103),
            _row(404, 902, "H", "BOS", 9, -114, -117),
        )
    ]
    rows[0][19] = "8½"  # 2010 writes some closing totals as text
    archive = read_workbook(_write(tmp_path / "mlb odds 2010.xlsx", HEADER_2010, rows), 2010)
    assert archive.games["game_id"].tolist() == ["BOS201004040"]
    assert archive.quarantine.empty
    assert set(archive.lines["market"]) == {"h2h", "totals"}
    over = archive.lines[archive.lines["side"] == "over"].iloc[0]
    assert (over["open_point"], over["close_point"]) == (8.0, 8.5)


def test_marlins_code_follows_the_season(tmp_path: Path) -> None:
    rows = [_row(404, 901, "V", "MIA", 1, 120, 120), _row(404, 902, "H", "ATL", 2, -130, -130)]
    archive = read_workbook(_write(tmp_path / "w.xlsx", HEADER_2014, rows), 2011)
    assert archive.games["away_team"].tolist() == ["FLO"]


def test_missing_required_column_is_an_error(tmp_path: Path) -> None:
    header = [h if h != "Team" else "Club" for h in HEADER_2014]
    path = _write(tmp_path / "w.xlsx", header, [_row(404, 901, "V", "NYY", 1, 100, 100)])
    with pytest.raises(ValueError, match=r"w\.xlsx: unknown layout.*'Club'"):
        read_workbook(path, 2016)


# --- the real files ------------------------------------------------------------------

# season -> (games, quarantined rows, lines)
REAL_COUNTS = {
    2010: (2462, 0, 9848),  # CIN at CUB: rows on 6/30 and 7/01, dated 7/01 by the file
    2011: (2467, 0, 9868),
    2012: (2467, 0, 9868),
    2013: (2469, 0, 9876),
    2014: (2462, 0, 14772),
    2015: (2465, 0, 14790),
    2016: (2462, 0, 14772),
    2017: (2467, 0, 14802),
}


@pytest.mark.archive
def test_every_season_parses(sbr_workbooks) -> None:
    counts = {
        season: (len(w.games), len(w.quarantine), len(w.lines))
        for season, w in sbr_workbooks.items()
    }
    assert counts == REAL_COUNTS
    for season, workbook in sbr_workbooks.items():
        assert workbook.games["game_id"].is_unique, season
        assert (workbook.games["season"] == season).all()
        assert all(d.year == season for d in workbook.games["game_date"])
        has_run_line = "spreads" in set(workbook.lines["market"])
        assert has_run_line == (season >= 2014), season


@pytest.mark.archive
def test_2010_rows_with_disagreeing_dates(sbr_workbooks) -> None:
    """CIN at CUB, rotation 951/952: the visitor row says 6/30, the home row 7/01. Both
    teams were at home to someone else on 6/30, so the file itself dates the game 7/01."""
    workbook = sbr_workbooks[2010]
    assert workbook.quarantine.empty
    assert workbook.counts.dates_resolved == 1
    game = workbook.games.set_index("game_id").loc["CHN201007010"]
    assert (game["away_team"], game["away_rot"], game["home_rot"]) == ("CIN", 951, 952)


@pytest.mark.archive
def test_real_2016(sbr_2016) -> None:
    games = sbr_2016.games
    assert 2 * len(games) == 4924
    assert len(games) == 2462 and sbr_2016.quarantine.empty
    assert (games["game_number"] > 0).sum() == 24  # 12 doubleheaders
    unscored = games[games["away_score"].isna()]
    assert unscored["game_id"].tolist() == ["PIT201606060"]  # postponed, finals "NL"
    assert games["game_date"].min() == date(2016, 4, 3)
    assert games["game_date"].max() == date(2016, 11, 2)


@pytest.mark.archive
def test_totals_odds_orientation_against_pinnacle(sbr_2016, pinnacle_2016) -> None:
    """The visitor row's totals odds are the over price: where both books closed on the
    same total, they track Pinnacle's closing over price, not its under price."""
    lines = pinnacle_2016.lines.merge(pinnacle_2016.games[["game_id", "start_time_utc"]])
    before = lines[lines["captured_at"] <= lines["start_time_utc"]].dropna(subset=["over_price"])
    close = before.groupby("game_id").last()
    totals = sbr_2016.lines[sbr_2016.lines["market"] == "totals"].pivot(
        index="game_id", columns="side", values=["close_point", "close_price"]
    )
    totals.columns = [f"{value}_{side}" for value, side in totals.columns]
    joined = totals.join(close, how="inner")
    same = joined[joined["close_point_over"] == joined["total_points"]]
    assert len(same) > 1500
    over, under = same["close_price_over"], same["close_price_under"]
    assert over.corr(same["over_price"]) > 0.5
    assert under.corr(same["under_price"]) > 0.5
    assert over.corr(same["under_price"]) < 0
