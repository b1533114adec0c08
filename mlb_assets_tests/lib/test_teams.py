"""The team-code mapping: every spelling in the archives, and round trips."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from mlb_assets.lib.teams import (
    FRANCHISES,
    UnknownTeamError,
    normalize_team,
    normalize_team_series,
    team_name,
    team_names,
)

SEASONS = range(2010, 2018)

# Every code in the 2010–2017 workbooks (LAD appears once, in 2016) and its key.
SBR_CODES = {
    "ARI": "ARI", "ATL": "ATL", "BAL": "BAL", "BOS": "BOS", "CIN": "CIN", "CLE": "CLE",
    "COL": "COL", "CUB": "CHN", "CWS": "CHA", "DET": "DET", "HOU": "HOU", "KAN": "KCA",
    "LAA": "ANA", "LAD": "LAN", "LOS": "LAN", "MIA": "MIA", "MIL": "MIL", "MIN": "MIN",
    "NYM": "NYN", "NYY": "NYA", "OAK": "OAK", "PHI": "PHI", "PIT": "PIT", "SDG": "SDN",
    "SEA": "SEA", "SFO": "SFN", "STL": "SLN", "TAM": "TBA", "TEX": "TEX", "TOR": "TOR",
    "WAS": "WAS",
}  # fmt: skip

# Every team name in MLB2016.rda.
PINNACLE_2016_NAMES = {
    "American League": "ALS", "Arizona Diamondbacks": "ARI", "Atlanta Braves": "ATL",
    "Baltimore Orioles": "BAL", "Boston Red Sox": "BOS", "Chicago Cubs": "CHN",
    "Chicago White Sox": "CHA", "Cincinnati Reds": "CIN", "Cleveland Indians": "CLE",
    "Colorado Rockies": "COL", "Detroit Tigers": "DET", "Houston Astros": "HOU",
    "Kansas City Royals": "KCA", "Los Angeles Angels of Anaheim": "ANA",
    "Los Angeles Dodgers": "LAN", "Miami Marlins": "MIA", "Milwaukee Brewers": "MIL",
    "Minnesota Twins": "MIN", "National League": "NLS", "New York Mets": "NYN",
    "New York Yankees": "NYA", "Oakland Athletics": "OAK", "Philadelphia Phillies": "PHI",
    "Pittsburgh Pirates": "PIT", "San Diego Padres": "SDN", "San Francisco Giants": "SFN",
    "Seattle Mariners": "SEA", "St. Louis Cardinals": "SLN", "Tampa Bay Rays": "TBA",
    "Texas Rangers": "TEX", "Toronto Blue Jays": "TOR", "Washington Nationals": "WAS",
}  # fmt: skip


@pytest.mark.parametrize(("code", "expected"), sorted(SBR_CODES.items()))
def test_every_workbook_code_maps(code: str, expected: str) -> None:
    assert normalize_team(code, "sbr", 2016) == expected


@pytest.mark.parametrize(("name", "expected"), sorted(PINNACLE_2016_NAMES.items()))
def test_every_pinnacle_name_maps(name: str, expected: str) -> None:
    assert normalize_team(name, "pinnacle", 2016) == expected


def test_marlins_key_follows_the_season_not_the_spelling() -> None:
    # The 2010-2011 workbooks already write MIA for the Florida Marlins.
    assert normalize_team("MIA", "sbr", 2010) == "FLO"
    assert normalize_team("MIA", "sbr", 2011) == "FLO"
    assert normalize_team("MIA", "sbr", 2012) == "MIA"
    assert normalize_team("FLA", "sbr", 2016) == "MIA"
    assert normalize_team("Florida Marlins", "pinnacle", 2011) == "FLO"
    assert normalize_team("FLO", "retrosheet", 2011) == "FLO"
    assert normalize_team("MIA", "retrosheet", 2011) == "FLO"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Cleveland Indians", "CLE"),
        ("Cleveland Guardians", "CLE"),
        ("Los Angeles Angels", "ANA"),
        ("LA Angels of Anaheim", "ANA"),
        ("Anaheim Angels", "ANA"),
        ("Oakland Athletics", "OAK"),
        ("Athletics", "OAK"),
        ("Tampa Bay Devil Rays", "TBA"),
        ("  new york   METS ", "NYN"),
        ("St Louis Cardinals", "SLN"),
    ],
)
def test_historical_and_loose_names(name: str, expected: str) -> None:
    assert normalize_team(name, "pinnacle", 2016) == expected


def test_expos_and_nationals() -> None:
    assert normalize_team("Montreal Expos", "pinnacle", 2004) == "MON"
    assert normalize_team("Washington Nationals", "pinnacle", 2005) == "WAS"


@pytest.mark.parametrize("season", SEASONS)
def test_round_trip_for_every_franchise(season: int) -> None:
    table = team_names(season)
    assert len(table) == 30
    assert table["code"].is_unique and table["name"].is_unique
    for row in table.itertuples():
        assert normalize_team(row.code, "retrosheet", season) == row.code
        assert normalize_team(row.name, "pinnacle", season) == row.code
        assert normalize_team(row.sbr_code, "sbr", season) == row.code
        assert team_name(row.code, season) == row.name


@pytest.mark.parametrize(("season", "al"), [(2012, 14), (2013, 15), (2017, 15)])
def test_leagues_follow_the_astros_move(season: int, al: int) -> None:
    leagues = team_names(season)["league"].value_counts()
    assert leagues["AL"] == al and leagues["NL"] == 30 - al


def test_latest_names_and_allstar_rows() -> None:
    latest = team_names()
    assert "Cleveland Guardians" in set(latest["name"])
    assert len(team_names(2016, include_allstar=True)) == 32


def test_no_alias_is_claimed_twice() -> None:
    # Building the index raises on a collision; touching it is the test.
    assert normalize_team("NYM", "sbr", 2016) == "NYN"
    keys = [f.key for f in FRANCHISES]
    assert len(keys) == len(set(keys))


def test_unknown_team_raises_with_a_clear_message() -> None:
    with pytest.raises(UnknownTeamError, match=r"unknown sbr team 'XYZ' for season 2016"):
        normalize_team("XYZ", "sbr", 2016)
    with pytest.raises(UnknownTeamError):
        normalize_team("NYM", "retrosheet", 2016)  # a workbook code is no Retrosheet code
    with pytest.raises(ValueError, match="unknown source"):
        normalize_team("NYM", "espn", 2016)  # type: ignore[arg-type]


def test_series_marks_unknown_as_none() -> None:
    values = pd.Series(["CUB", "XYZ", None, "MIA", "CUB"], index=[10, 11, 12, 13, 14])
    result = normalize_team_series(values, "sbr", 2011)
    assert result.tolist() == ["CHN", None, None, "FLO", "CHN"]
    assert result.index.tolist() == [10, 11, 12, 13, 14]
    assert result.dtype == object


# --- the real files ------------------------------------------------------------------


@pytest.mark.archive
def test_every_name_in_the_pinnacle_file_maps(pinnacle_2016) -> None:
    games = pinnacle_2016.games
    names = set(games["away_team_name"]) | set(games["home_team_name"])
    assert names == set(PINNACLE_2016_NAMES)
    assert pinnacle_2016.quarantine.empty


@pytest.mark.archive
def test_every_code_in_the_workbooks_maps(sbr_workbooks) -> None:
    assert sorted(sbr_workbooks) == list(SEASONS)
    for season, workbook in sbr_workbooks.items():
        reasons = workbook.quarantine["reason"]
        assert not reasons.str.contains("unknown team").any(), season
        teams = set(workbook.games["away_team"]) | set(workbook.games["home_team"])
        assert teams == set(team_names(season)["code"]), season


@pytest.mark.archive
@pytest.mark.parametrize("season", [2015, 2016])
def test_every_code_in_the_game_logs_maps(archive_dir: Path, season: int) -> None:
    with zipfile.ZipFile(archive_dir / "retrosheet" / f"gl{season}.zip") as archive:
        text = archive.read(f"GL{season}.TXT").decode("latin-1")
    logs = pd.read_csv(io.StringIO(text), header=None, usecols=[3, 6], dtype=str)
    codes = set(logs[3]) | set(logs[6])
    assert codes == set(team_names(season)["code"])
    assert all(normalize_team(code, "retrosheet", season) == code for code in codes)


def test_full_name_feeds_share_the_name_aliases() -> None:
    from mlb_assets.lib.teams import normalize_team

    assert normalize_team("Cleveland Guardians", "name", 2024) == "CLE"
    assert normalize_team("New York Mets", "name", 2016) == "NYN"
    assert normalize_team("Miami Marlins", "name", 2016) == "MIA"
    with pytest.raises(UnknownTeamError):
        normalize_team("NYM", "name", 2016)


# Spellings the workbooks of other seasons use or are likely to use, and their key.
LATER_SBR_SPELLINGS = {
    "CHC": "CHN", "CHW": "CHA", "KC": "KCA", "KCR": "KCA", "TB": "TBA", "TBR": "TBA",
    "SD": "SDN", "SDP": "SDN", "SF": "SFN", "SFG": "SFN", "WSH": "WAS", "WSN": "WAS",
    "AZ": "ARI", "ATH": "OAK", "ANA": "ANA", "FLA": "MIA", "NYA": "NYA", "K.C.": "KCA",
    "Kansas City Royals": "KCA", "Cleveland Guardians": "CLE", "Athletics": "OAK",
    "White Sox": "CHA", "St. Louis Cardinals": "SLN", "Arizona Diamondbacks": "ARI",
}  # fmt: skip


@pytest.mark.parametrize(("spelling", "expected"), sorted(LATER_SBR_SPELLINGS.items()))
def test_later_workbook_spellings_map(spelling: str, expected: str) -> None:
    assert normalize_team(spelling, "sbr", 2021) == expected


def test_ambiguous_city_names_stay_unknown() -> None:
    for city in ("Chicago", "New York", "Los Angeles", "LA", "NY"):
        with pytest.raises(UnknownTeamError):
            normalize_team(city, "sbr", 2021)
