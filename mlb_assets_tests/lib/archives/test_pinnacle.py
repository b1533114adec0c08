"""Pinnacle's MLB2016.rda: games, line changes, the cache and the long quote format."""

from __future__ import annotations

import time
import warnings
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.archives.pinnacle import (
    GAME_COLUMNS,
    LINE_COLUMNS,
    QUOTE_COLUMNS,
    _build,
    pinnacle_quotes,
    read_pinnacle,
)

# --- long quote format (synthetic) ---------------------------------------------------


def _lines(**overrides: list) -> pd.DataFrame:
    base = {
        "game_id": ["PIT201604030", "PIT201604030"],
        "line_seq": [0, 1],
        "captured_at": pd.to_datetime(["2016-04-01 12:00", "2016-04-02 12:00"], utc=True),
        "away_spread": [1.5, np.nan],
        "away_spread_price": [-200.0, np.nan],
        "home_spread_price": [170.0, np.nan],
        "away_ml": [np.nan, 110.0],
        "home_ml": [np.nan, -120.0],
        "total_points": [7.5, 8.0],
        "over_price": [-105.0, 100.0],
        "under_price": [-105.0, -110.0],
    }
    base.update(overrides)
    return pd.DataFrame(base)[LINE_COLUMNS]


def test_quotes_melt_each_market_and_skip_absent_prices() -> None:
    quotes = pinnacle_quotes(_lines())
    assert list(quotes.columns) == QUOTE_COLUMNS
    got = quotes.assign(t=quotes["captured_at"].dt.day)[
        ["t", "market", "side", "point", "price_american"]
    ]
    assert got.astype(object).where(got.notna(), None).values.tolist() == [
        [1, "spreads", "away", 1.5, -200.0],
        [1, "spreads", "home", -1.5, 170.0],
        [1, "totals", "over", 7.5, -105.0],
        [1, "totals", "under", 7.5, -105.0],
        [2, "h2h", "away", None, 110.0],
        [2, "h2h", "home", None, -120.0],
        [2, "totals", "over", 8.0, 100.0],
        [2, "totals", "under", 8.0, -110.0],
    ]
    assert (quotes["book"] == "pinnacle").all()
    assert str(quotes["captured_at"].dtype) == "datetime64[ns, UTC]"


def test_quotes_book_name_and_empty_input() -> None:
    assert set(pinnacle_quotes(_lines(), book="pin")["book"]) == {"pin"}
    empty = pinnacle_quotes(_lines().iloc[:0])
    assert list(empty.columns) == QUOTE_COLUMNS and empty.empty


def test_pick_run_line_home_point_is_not_negative_zero() -> None:
    quotes = pinnacle_quotes(_lines(away_spread=[0.0, np.nan]))
    home = quotes[(quotes["market"] == "spreads") & (quotes["side"] == "home")]
    assert np.signbit(home["point"]).sum() == 0


# --- normalization (synthetic raw frames) --------------------------------------------


def _raw(away: str, game_id: str = "PIT201604030") -> tuple[pd.DataFrame, pd.DataFrame]:
    games = pd.DataFrame(
        {
            "GameID": [game_id, "KCA201604030"],
            "EventDateTimeUTC": [1459703100.0, 1459730100.0],
            "AwayTeam": [away, "New York Mets"],
            "HomeTeam": ["Pittsburgh Pirates", "Kansas City Royals"],
            "DoubleHeaderGame": [0.0, 0.0],
            "AwayStartingPitcher": ["A WAINWRIGHT", "M HARVEY"],
            "HomeStartingPitcher": ["F LIRIANO", "E VOLQUEZ"],
            "FinalScoreAway": [1.0, np.nan],
            "FinalScoreHome": [4.0, np.nan],
        }
    )
    lines = pd.DataFrame(
        {
            "game_row": [0, 0, 1],
            "captured_at": [1459433808.047, 1459433856.923, 1459440000.0],
            **{c: [np.nan, -110.0, 120.0] for c in LINE_COLUMNS[3:]},
        }
    )
    return games, lines


def test_unknown_team_goes_to_quarantine_with_its_line_count() -> None:
    archive = _build(*_raw("Brooklyn Dodgers"), "MLB2016.rda")
    assert archive.games["game_id"].tolist() == ["KCA201604030"]
    assert archive.lines["game_id"].tolist() == ["KCA201604030"]
    (entry,) = archive.quarantine.to_dict("records")
    assert entry["source"] == "pinnacle"
    assert entry["source_ref"] == "MLB2016.rda:GameID PIT201604030"
    assert "Brooklyn Dodgers" in entry["reason"] and "2 line changes" in entry["reason"]
    assert entry["game_date"] == date(2016, 4, 3)
    assert entry["record"]["FinalScoreAway"] == 1.0


def test_game_without_start_time_goes_to_quarantine() -> None:
    games, lines = _raw("St. Louis Cardinals")
    games.loc[1, "EventDateTimeUTC"] = np.nan
    archive = _build(games, lines, "MLB2016.rda")
    assert archive.games["game_id"].tolist() == ["PIT201604030"]
    (entry,) = archive.quarantine.to_dict("records")
    assert entry["reason"].startswith("no start time")
    assert entry["game_date"] is None and entry["record"]["EventDateTimeUTC"] is None


def test_missing_scores_are_na_and_ids_are_rebuilt_when_inconsistent() -> None:
    archive = _build(*_raw("St. Louis Cardinals", game_id="PIT20160403"), "MLB2016.rda")
    games = archive.games.set_index("game_id")
    assert games.loc["PIT201604030", "source_game_id"] == "PIT20160403"
    assert games.loc["KCA201604030", "away_score"] is pd.NA
    assert str(games["away_score"].dtype) == "Int64"
    # 14:16:48 on the Pacific wall clock the file records is 21:16:48 UTC
    assert archive.lines["captured_at"].iloc[0] == pd.Timestamp("2016-03-31 21:16:48.047", tz="UTC")


# --- the real file -------------------------------------------------------------------


@pytest.mark.archive
def test_real_counts_and_columns(pinnacle_2016) -> None:
    games, lines = pinnacle_2016.games, pinnacle_2016.lines
    assert len(games) == 2462 and len(lines) == 241_039
    assert list(games.columns) == GAME_COLUMNS and list(lines.columns) == LINE_COLUMNS
    assert games["game_id"].is_unique
    assert str(games["start_time_utc"].dtype) == "datetime64[ns, UTC]"
    assert str(lines["captured_at"].dtype) == "datetime64[ns, UTC]"
    assert str(games["home_score"].dtype) == "Int64" and games["home_score"].notna().all()
    assert all(type(d) is date for d in games["game_date"])
    assert set(lines["game_id"]) == set(games["game_id"])
    assert games["game_number"].value_counts().to_dict() == {0: 2434, 1: 14, 2: 14}
    assert pinnacle_2016.quarantine.empty


@pytest.mark.archive
def test_real_dates_agree_with_the_game_ids(pinnacle_2016) -> None:
    """EventDateTimeET holds the same epoch seconds as EventDateTimeUTC (checked when the
    parser was written), so the local date comes from converting the UTC start. It
    agrees with the date inside every GameID: the list of mismatches is empty."""
    games = pinnacle_2016.games
    local = games["start_time_utc"].dt.tz_convert("America/New_York").dt.date
    assert (local == games["game_date"]).all()
    id_date = pd.to_datetime(games["game_id"].str[3:11], format="%Y%m%d").dt.date
    mismatches = games.loc[id_date != games["game_date"], "game_id"].tolist()
    assert mismatches == []
    assert games["game_date"].min() == date(2016, 4, 3)
    assert games["game_date"].max() == date(2016, 11, 2)


@pytest.mark.archive
def test_real_allstar_game_gets_a_well_formed_id(pinnacle_2016) -> None:
    games = pinnacle_2016.games
    rebuilt = games[games["source_game_id"] != games["game_id"]]
    assert rebuilt[["source_game_id", "game_id", "away_team", "home_team"]].values.tolist() == [
        ["NL201607120", "NLS201607120", "ALS", "NLS"]
    ]
    assert games["game_id"].str.fullmatch(r"[A-Z]{3}\d{8}[0-2]").all()
    assert (games["game_id"].str[:3] == games["home_team"]).all()


@pytest.mark.archive
def test_real_line_order_and_markets(pinnacle_2016) -> None:
    lines = pinnacle_2016.lines
    per_game = lines.groupby("game_id", sort=False)
    assert (
        per_game["line_seq"].transform("max") + 1 == per_game["line_seq"].transform("size")
    ).all()
    assert (per_game["captured_at"].diff().dropna() >= pd.Timedelta(0)).all()
    assert lines[["away_ml", "home_ml"]].isna().sum().tolist() == [630, 630]
    assert lines["away_spread"].isna().sum() == 12_662
    assert lines["total_points"].isna().sum() == 4_148
    assert per_game.size().median() == 89
    prices = lines[["away_ml", "home_ml", "over_price", "under_price"]].stack()
    assert (prices.abs() >= 100).all()


@pytest.mark.archive
def test_real_quotes(pinnacle_2016) -> None:
    quotes = pinnacle_quotes(pinnacle_2016.lines)
    counts = quotes.groupby(["market", "side"]).size().to_dict()
    assert counts == {
        ("h2h", "away"): 240_409,
        ("h2h", "home"): 240_409,
        ("spreads", "away"): 228_377,
        ("spreads", "home"): 228_377,
        ("totals", "over"): 236_891,
        ("totals", "under"): 236_891,
    }
    assert quotes["price_american"].notna().all()
    spreads = quotes[quotes["market"] == "spreads"]
    assert set(spreads["point"].abs()) == {1.5}


@pytest.mark.archive
def test_cache_is_reused_and_warnings_do_not_leak(
    pinnacle_2016, archive_dir: Path, pinnacle_cache_dir: Path
) -> None:
    # The session fixture parsed the file: rdata's warnings were silenced only locally.
    assert not [f for f in warnings.filters if "Missing constructor" in str(f[1])]
    cached = sorted(p.name for p in pinnacle_cache_dir.iterdir())
    assert cached == [
        "pinnacle-de5052a9431ff0a767b2c16cd01717ff-v1-games.parquet",
        "pinnacle-de5052a9431ff0a767b2c16cd01717ff-v1-lines.parquet",
    ]
    path = archive_dir / "cran-pinnacle.data" / "MLB2016.rda"
    started = time.perf_counter()
    again = read_pinnacle(path, cache_dir=pinnacle_cache_dir)
    assert time.perf_counter() - started < 2.0  # parsing the .rda takes several seconds
    pd.testing.assert_frame_equal(pinnacle_2016.games, again.games)
    pd.testing.assert_frame_equal(pinnacle_2016.lines, again.lines)


@pytest.mark.archive
def test_line_times_close_at_first_pitch(pinnacle_2016) -> None:
    """The evidence for reading line times as Pacific wall-clock: the market closes at first
    pitch. Read as UTC, the median last pre-game change would sit 7 hours before it."""
    lines = pinnacle_2016.lines
    start = lines["game_id"].map(pinnacle_2016.games.set_index("game_id")["start_time_utc"])
    lead_hours = (start - lines["captured_at"]).dt.total_seconds() / 3600
    pregame = lead_hours[lead_hours >= 0]
    last_lead = pregame.groupby(lines.loc[pregame.index, "game_id"]).min()
    first_lead = lead_hours.groupby(lines["game_id"]).max()
    assert last_lead.median() < 5 / 60
    assert (last_lead < 5 / 60).sum() == 1957
    assert 27 < first_lead.median() < 29
    assert int((lead_hours < 0).sum()) == 1067
