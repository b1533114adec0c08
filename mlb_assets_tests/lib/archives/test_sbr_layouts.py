"""Season workbooks of seasons not mirrored here: neutral sites, repeated rotations, team
spellings, per-market quarantine, half cents, header and date drift, row accounting."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlb_assets.lib.archives.sbr import parse_sheet, read_workbook
from mlb_assets_tests.lib.archives.workbook_fixtures import (
    HEADER_2014,
    HEADER_LATER,
    bad_market_rows,
    duplicated_rotation_rows,
    game_rows,
    grid,
    half_cent_rows,
    neutral_site_rows,
    real_date_rows,
    write_workbook,
)

FILE = "mlb-odds-2019.xlsx"


def _parse(rows: list[list[object]], header: list[object] = HEADER_2014, season: int = 2019):
    return parse_sheet(grid(header, rows), season, FILE)


def _moneylines(archive, game_id: str) -> tuple[float, float, float, float]:
    h2h = archive.lines[(archive.lines["game_id"] == game_id) & (archive.lines["market"] == "h2h")]
    by_side = h2h.set_index("side")
    return (
        by_side.at["away", "open_price"],
        by_side.at["away", "close_price"],
        by_side.at["home", "open_price"],
        by_side.at["home", "close_price"],
    )


def _assert_accounted(archive) -> None:
    counts = archive.counts
    assert counts.rows_read == counts.rows_loaded + counts.rows_quarantined
    assert counts.rows_loaded == 2 * len(archive.games)


def test_neutral_site_games_pair_and_are_flagged(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / FILE, HEADER_2014, neutral_site_rows())
    archive = read_workbook(path, 2019)
    games = archive.games.set_index("away_rot")
    assert archive.quarantine.empty
    assert games["neutral_site"].to_dict() == {901: False, 903: True, 905: True, 907: False}
    # The first row of a neutral pair is the visitor, the second the designated home side.
    assert tuple(games.loc[903, ["away_team", "home_team"]]) == ("NYA", "BOS")
    assert tuple(games.loc[905, ["away_team", "home_team"]]) == ("BOS", "NYA")
    assert games.loc[903, "game_id"] == "BOS201906082"  # second BOS home game that day
    _assert_accounted(archive)


def test_a_lone_neutral_row_is_quarantined_alone() -> None:
    lone = game_rows(608, 903, "HOU", "LAA", vh=("N", "N"))[0]
    rows = [*game_rows(608, 901, "NYY", "BOS"), lone]
    archive = _parse(rows)
    assert len(archive.games) == 1
    (reason,) = archive.quarantine["reason"]
    assert "no other neutral-site row" in reason


def test_duplicated_rotation_pairs_by_order() -> None:
    archive = _parse(duplicated_rotation_rows())
    assert archive.quarantine.empty
    game = archive.games.set_index("away_team").loc["SFN"]
    assert (game["away_rot"], game["home_rot"], game["home_team"]) == (907, 907, "CIN")
    assert len(archive.games) == 3
    _assert_accounted(archive)


@pytest.mark.parametrize(
    ("away", "home", "expected"),
    [
        ("CHC", "CHW", ("CHN", "CHA")),
        ("KC", "TB", ("KCA", "TBA")),
        ("KCR", "TBR", ("KCA", "TBA")),
        ("SD", "SF", ("SDN", "SFN")),
        ("SDP", "SFG", ("SDN", "SFN")),
        ("WSH", "LAD", ("WAS", "LAN")),
        ("WSN", "ANA", ("WAS", "ANA")),
        ("AZ", "ATH", ("ARI", "OAK")),
        ("FLA", "CLE", ("MIA", "CLE")),
        ("Kansas City Royals", "Cleveland Guardians", ("KCA", "CLE")),
        ("Royals", "Athletics", ("KCA", "OAK")),
        ("nyy", " NYM ", ("NYA", "NYN")),
    ],
)
def test_team_spellings(away: str, home: str, expected: tuple[str, str]) -> None:
    archive = _parse(game_rows(501, 901, away, home))
    assert tuple(archive.games.iloc[0][["away_team", "home_team"]]) == expected


def test_unknown_team_quarantines_that_game_only() -> None:
    rows = [*game_rows(501, 901, "NYY", "BOS"), *game_rows(501, 903, "XXX", "TEX")]
    rows += game_rows(501, 905, "SEA", "OAK")
    archive = _parse(rows)
    assert archive.games["away_rot"].tolist() == [901, 905]
    quarantine = archive.quarantine.set_index("source_ref")
    assert list(quarantine.index) == [f"{FILE}:row 4", f"{FILE}:row 5"]
    assert "unknown team code 'XXX'" in quarantine.at[f"{FILE}:row 4", "reason"]
    assert "unknown team code 'XXX'" in quarantine.at[f"{FILE}:row 5", "reason"]
    # Quarantined rows keep their date.
    assert set(quarantine["game_date"]) == {date(2019, 5, 1)}
    _assert_accounted(archive)


def test_bad_market_values_withhold_that_quote_only() -> None:
    archive = _parse(bad_market_rows())
    assert archive.games["game_id"].tolist() == ["TOR201907010", "MIN201907010"]
    counts = archive.counts
    assert (counts.rows_quarantined, counts.market_values_quarantined) == (0, 2)
    lines = archive.lines.set_index(["game_id", "market", "side"])
    over = lines.loc[("TOR201907010", "totals", "over")]
    assert np.isnan(over["open_price"]) and np.isnan(over["open_point"])
    assert (over["close_point"], over["close_price"]) == (8.5, -105)  # the close is fine
    assert lines.loc[("TOR201907010", "h2h", "away"), "open_price"] == 120
    assert lines.loc[("TOR201907010", "spreads", "away"), "open_price"] == -160
    assert ("MIN201907010", "spreads", "home") not in lines.index
    assert lines.loc[("MIN201907010", "spreads", "away"), "open_price"] == -160
    quarantine = archive.quarantine.set_index("source_ref")
    total = quarantine.loc[f"{FILE}:row 2:totals:Open OU odds"]
    assert "-35 is not American odds" in total["reason"]
    assert total["game_date"] == date(2019, 7, 1)
    assert total["record"]["Team"] == "TAM"
    run_line = quarantine.loc[f"{FILE}:row 5:spreads:Run Line odds"]
    assert "'-1' is not American odds" in run_line["reason"]


def test_implausible_points_are_market_errors() -> None:
    rows = game_rows(701, 901, "TAM", "TOR")
    rows[0][19] = 85  # a total that lost its decimal point
    rows[1][17] = "1..5"
    archive = _parse(rows)
    assert len(archive.games) == 1 and archive.counts.market_values_quarantined == 2
    reasons = " | ".join(archive.quarantine["reason"])
    assert "totals point Open OU: 85 is not a plausible totals line" in reasons
    assert "spreads point Run Line: '1..5' is not a number" in reasons


def test_half_cent_prices_are_kept_as_given(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / FILE, HEADER_2014, half_cent_rows())
    archive = read_workbook(path, 2019)
    assert archive.quarantine.empty
    assert _moneylines(archive, "PHI201908010") == (189.5, 180, -219.5, -200)
    assert _moneylines(archive, "DET201908010") == (105.5, 100, -115.5, -120)
    assert archive.lines["open_price"].dtype == np.float64


def test_later_headers_title_row_and_even_prices(tmp_path: Path) -> None:
    rows = game_rows(402, 901, "CUB", "STL", moneylines=("EV", "even", -110, "-110"))
    path = write_workbook(tmp_path / FILE, HEADER_LATER, rows, title="MLB Odds 2019")
    archive = read_workbook(path, 2019)
    assert archive.quarantine.empty
    assert _moneylines(archive, "SLN201904020") == (100, 100, -110, -110)
    spreads = archive.lines[archive.lines["market"] == "spreads"].set_index("side")
    assert spreads.loc["home", ["open_point", "open_price"]].tolist() == [-1.5, 140]


def test_header_drift_in_odds_column_names() -> None:
    header = [
        "date", "rot #", "V/H", "Team", "Pitcher", "Final", "Open ML", "Close ML",
        "Run Line", "Odds", "Open O/U", "Odds", "Close O/U", "Odds",
    ]  # fmt: skip
    rows = [
        [612, 951, "V", "HOU", "X-R", 5, -150, -160, -1.5, 120, 9, -110, 9.5, -105],
        [612, 952, "H", "TEX", "Y-L", 2, 140, 150, 1.5, -140, 9, -110, 9.5, -115],
    ]
    archive = _parse(rows, header)
    assert archive.quarantine.empty
    under = archive.lines.set_index("side").loc["under"]
    assert under[["open_point", "close_point", "close_price"]].tolist() == [9, 9.5, -115]


def test_unknown_layout_names_file_and_headers() -> None:
    header = ["Day", "Number", "Side", "Club", "Moneyline"]
    with pytest.raises(ValueError, match=r"mlb-odds-2019\.xlsx: unknown layout.*'Club'"):
        _parse([[401, 901, "V", "NYY", -110]], header)


def test_dates_as_real_dates_and_text(tmp_path: Path) -> None:
    path = write_workbook(tmp_path / FILE, HEADER_2014, real_date_rows(2019))
    archive = read_workbook(path, 2019)
    assert archive.quarantine.empty
    assert archive.games["game_date"].tolist() == [date(2019, 4, d) for d in (1, 2, 3)]


def test_a_date_of_another_year_is_quarantined_not_moved() -> None:
    archive = _parse(game_rows(datetime(2018, 4, 1), 901, "ARI", "COL"))
    assert archive.games.empty
    assert archive.quarantine["reason"].str.contains("not a day of season 2019").all()


def test_blank_separator_rows_are_counted_apart() -> None:
    blank = [None] * len(HEADER_2014)
    rows = [*game_rows(501, 901, "NYY", "BOS"), blank, *game_rows(502, 903, "NYY", "BOS"), blank]
    archive = _parse(rows)
    assert len(archive.games) == 2 and archive.quarantine.empty
    assert dict(archive.counts) == {
        "rows_read": 4,
        "rows_loaded": 4,
        "rows_quarantined": 0,
        "market_values_quarantined": 0,
        "rows_blank": 2,
        "dates_resolved": 0,
    }
    assert archive.counts["rows_read"] == 4  # season reports read the counts as a mapping


def test_rows_of_one_game_on_adjacent_days_are_dated_by_the_rest_of_the_file() -> None:
    # CIN is home to another team on 6/30, so CIN at CUB can only be the 7/01 game.
    split = game_rows(630, 951, "CIN", "CUB")
    split[1][0] = 701
    rows = [*game_rows(630, 901, "PIT", "CIN"), *split, *game_rows(701, 953, "PHI", "PIT")]
    archive = _parse(rows)
    assert archive.counts.dates_resolved == 1 and archive.quarantine.empty
    assert "CHN201907010" in set(archive.games["game_id"])
    _assert_accounted(archive)


def test_rows_on_adjacent_days_stay_quarantined_when_the_file_cannot_tell() -> None:
    split = game_rows(630, 951, "CIN", "CUB")
    split[1][0] = 701
    archive = _parse(split)  # neither team plays anyone else: both days are free
    assert archive.games.empty and archive.counts.dates_resolved == 0
    assert archive.quarantine["reason"].str.contains("disagree on the date").all()
    _assert_accounted(archive)


# --- property: any mix of these inputs keeps every row accounted for -------------------

_TEAMS = [("NYY", "BOS"), ("CUB", "STL"), ("KAN", "MIN"), ("LOS", "SFO"), ("TAM", "TOR")]
_ALIASES = {
    "NYY": ["NYA", "Yankees"], "BOS": ["Boston Red Sox"], "CUB": ["CHC", "Cubs"],
    "STL": ["SLN"], "KAN": ["KC", "KCR"], "MIN": ["Twins"], "LOS": ["LAD"],
    "SFO": ["SF", "SFG"], "TAM": ["TB", "TBR"], "TOR": ["Toronto Blue Jays"],
}  # fmt: skip
_MUTATIONS = (
    "neutral",
    "dup_rot",
    "alias",
    "bad_total",
    "truncated_run_line",
    "half_cent",
    "even",
    "text_date",
    "real_date",
    "unknown_team",
    "bad_date",
    "blank_after",
)
_MUTATION_SETS = st.lists(
    st.lists(st.sampled_from(_MUTATIONS), unique=True, max_size=4),
    min_size=1,
    max_size=len(_TEAMS),
)


def _mutated_game(index: int, mutations: list[str], alias_pick: int) -> dict[str, object]:
    """Two rows of game ``index`` with ``mutations`` applied, and what the parser owes."""
    away, home = _TEAMS[index]
    day = 610 if index % 2 else 609
    moneylines: list[object] = [120, 125, -130, -135]
    if "half_cent" in mutations:
        moneylines = [119.5, 125.5, -129.5, "-135.5"]
    if "even" in mutations:
        moneylines[1] = "EV"
    rows = game_rows(day, 901 + 2 * index, away, home, tuple(moneylines))
    if "neutral" in mutations:
        rows[0][2] = rows[1][2] = "N"
    if "dup_rot" in mutations:
        rows[1][1] = rows[0][1]
    if "alias" in mutations:
        rows[0][3] = _ALIASES[away][alias_pick % len(_ALIASES[away])]
        rows[1][3] = _ALIASES[home][alias_pick % len(_ALIASES[home])]
    if "bad_total" in mutations:
        rows[0][20] = -35
    if "truncated_run_line" in mutations:
        rows[1][18] = "-1"
    if "text_date" in mutations:
        rows[0][0] = rows[1][0] = f"6/{day % 100}"
    if "real_date" in mutations:
        rows[0][0] = rows[1][0] = datetime(2019, 6, day % 100)
    if "unknown_team" in mutations:
        rows[alias_pick % 2][3] = "QQQ"
    if "bad_date" in mutations:
        rows[alias_pick % 2][0] = 631
    if "blank_after" in mutations:
        rows.append([None] * len(HEADER_2014))
    valid = not {"unknown_team", "bad_date"} & set(mutations)
    expected = tuple(100.0 if m == "EV" else float(m) for m in moneylines)
    bad_cells = int("bad_total" in mutations) + int("truncated_run_line" in mutations)
    return {"rows": rows, "valid": valid, "moneylines": expected, "bad_cells": bad_cells}


@settings(max_examples=60, deadline=None)
@given(mutation_sets=_MUTATION_SETS, alias_pick=st.integers(0, 3))
def test_mutated_workbooks_account_for_every_row(
    mutation_sets: list[list[str]], alias_pick: int
) -> None:
    made = [_mutated_game(i, m, alias_pick) for i, m in enumerate(mutation_sets)]
    rows = [row for game in made for row in game["rows"]]
    archive = _parse(rows)
    counts = archive.counts
    assert counts.rows_read == sum(1 for r in rows if r[0] is not None or r[3] is not None)
    assert counts.rows_read == counts.rows_loaded + counts.rows_quarantined
    valid = [(i, g) for i, g in enumerate(made) if g["valid"]]
    assert counts.rows_quarantined == 2 * (len(made) - len(valid))
    assert counts.market_values_quarantined == sum(g["bad_cells"] for _, g in valid)
    games = archive.games.set_index("away_rot")
    assert sorted(games.index) == [901 + 2 * i for i, _ in valid]
    for i, game in valid:
        game_id = games.at[901 + 2 * i, "game_id"]
        assert _moneylines(archive, game_id) == game["moneylines"]
        assert games.at[901 + 2 * i, "neutral_site"] == ("neutral" in mutation_sets[i])
    # A quarantined row keeps its date unless the date itself is what is wrong.
    quarantine = archive.quarantine
    undated = quarantine["game_date"].isna()
    assert (undated == quarantine["reason"].str.startswith("date ")).all()


def test_parse_sheet_matches_read_workbook(tmp_path: Path) -> None:
    rows = [*neutral_site_rows(), *bad_market_rows(), *half_cent_rows()]
    from_file = read_workbook(write_workbook(tmp_path / FILE, HEADER_2014, rows), 2019)
    in_memory = _parse(rows)
    pd.testing.assert_frame_equal(from_file.games, in_memory.games)
    pd.testing.assert_frame_equal(from_file.lines, in_memory.lines)
    assert from_file.counts == in_memory.counts
