"""Team form, pitcher form and context on hand-built schedules and on real 2016 games."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.features.form import (
    context_features,
    normalize_pitcher,
    pitcher_form,
    team_form,
    team_form_columns,
)

COLUMNS = [
    "game_id",
    "season",
    "game_date",
    "game_number",
    "away_team",
    "home_team",
    "start_time_utc",
    "away_pitcher",
    "home_pitcher",
    "away_score",
    "home_score",
    "day_night",
    "status",
]


def game(
    day: str,
    away: str,
    home: str,
    away_score: int | None,
    home_score: int | None,
    *,
    number: int = 0,
    status: str = "final",
    start: str | None = None,
    away_pitcher: str | None = None,
    home_pitcher: str | None = None,
    day_night: str | None = "N",
) -> dict:
    when = date.fromisoformat(day)
    return {
        "game_id": f"{home}{when:%Y%m%d}{number}",
        "season": when.year,
        "game_date": when,
        "game_number": number,
        "away_team": away,
        "home_team": home,
        "start_time_utc": pd.Timestamp(start, tz="UTC") if start else pd.NaT,
        "away_pitcher": away_pitcher,
        "home_pitcher": home_pitcher,
        "away_score": away_score,
        "home_score": home_score,
        "day_night": day_night,
        "status": status,
    }


def games_frame(*rows: dict) -> pd.DataFrame:
    frame = pd.DataFrame(list(rows), columns=COLUMNS)
    frame["start_time_utc"] = pd.to_datetime(frame["start_time_utc"], utc=True)
    for column in ("away_score", "home_score"):
        frame[column] = frame[column].astype("Int64")
    return frame


def row(frame: pd.DataFrame, game_id: str) -> pd.Series:
    rows = frame[frame["game_id"] == game_id]
    assert len(rows) == 1
    return rows.iloc[0]


# AAA's season 2015 ends with one game; 2016: four games, a doubleheader, a postponement.
SCHEDULE = games_frame(
    game("2015-10-04", "BBB", "AAA", 1, 9),  # AAA +8, win
    game("2016-04-04", "AAA", "BBB", 2, 5),  # AAA -3, loss (away)
    game("2016-04-05", "AAA", "BBB", 6, 1),  # AAA +5, win (away)
    game("2016-04-07", "CCC", "AAA", 4, 4),  # AAA 0, tie (home)
    game("2016-04-08", "CCC", "AAA", None, None, status="postponed"),
    game("2016-04-09", "CCC", "AAA", 3, 2, number=1),  # AAA -1, loss (home)
    game("2016-04-09", "CCC", "AAA", 0, 7, number=2),  # AAA +7, win (home)
    game("2016-04-10", "DDD", "AAA", 1, 2),  # AAA +1
)


def test_columns() -> None:
    form = team_form(SCHEDULE, windows=(2, 10))
    assert list(form.columns) == ["game_id", *team_form_columns((2, 10))]
    assert list(form["game_id"]) == list(SCHEDULE["game_id"])


def test_first_game_of_a_team_has_no_form() -> None:
    first = row(team_form(SCHEDULE, windows=(2,)), "AAA201510040")
    assert np.isnan(first["home_rd_2"]) and np.isnan(first["home_wr_2"])
    assert np.isnan(first["home_wr_season"]) and np.isnan(first["home_rest_days"])
    assert first["home_games_played"] == 0


def test_windows_span_seasons_while_season_to_date_resets() -> None:
    opener = row(team_form(SCHEDULE, windows=(2,)), "BBB201604040")
    assert opener["away_rd_2"] == 8 and opener["away_wr_2"] == 1  # 2015's last game
    assert opener["away_games_played"] == 0
    assert np.isnan(opener["away_wr_season"])
    assert np.isnan(opener["away_rest_days"])  # across the winter: no rest figure


def test_window_boundaries() -> None:
    form = team_form(SCHEDULE, windows=(2, 3))
    got = row(form, "AAA201604070")  # AAA before 04-07: +8 W, -3 L, +5 W
    assert got["home_rd_2"] == pytest.approx((-3 + 5) / 2)
    assert got["home_wr_2"] == pytest.approx(0.5)
    assert got["home_rd_3"] == pytest.approx((8 - 3 + 5) / 3)
    assert got["home_wr_3"] == pytest.approx(2 / 3)
    assert got["home_games_played"] == 2
    assert got["home_wr_season"] == pytest.approx(0.5)
    assert got["home_rd_season"] == pytest.approx(1.0)
    assert got["home_rest_days"] == 1  # played 04-05, off 04-06
    assert np.isnan(got["home_wr_venue_season"])  # no home game yet this season


def test_ties_count_half_and_postponed_games_count_nothing() -> None:
    got = row(team_form(SCHEDULE, windows=(3,)), "AAA201604091")
    # before 04-09: -3 L, +5 W, 0 tie (04-07); 04-08 was postponed
    assert got["home_wr_3"] == pytest.approx(1.5 / 3)
    assert got["home_games_played"] == 3
    assert got["home_rest_days"] == 1  # last game played 04-07
    assert got["home_wr_venue_season"] == pytest.approx(0.5)  # one home game, a tie


def test_doubleheader_game_one_does_not_feed_game_two() -> None:
    form = team_form(SCHEDULE, windows=(3,)).set_index("game_id")
    first, second = form.loc["AAA201604091"], form.loc["AAA201604092"]
    pd.testing.assert_series_equal(first, second, check_names=False)
    after = form.loc["AAA201604100"]
    assert after["home_games_played"] == 5
    assert after["home_rd_3"] == pytest.approx((0 - 1 + 7) / 3)  # tie, then game 1, game 2
    assert after["home_rest_days"] == 0


def test_diff_columns_are_home_minus_away() -> None:
    form = team_form(SCHEDULE, windows=(2,))
    got = row(form, "AAA201604091")
    # AAA's last two: +5, tie; CCC's only game: the tie
    assert got["diff_rd_2"] == pytest.approx((5 + 0) / 2 - 0)
    assert got["diff_wr_2"] == pytest.approx(1.5 / 2 - 0.5)
    assert np.isnan(row(form, "AAA201604100")["diff_rd_2"])  # DDD's first game


def test_earlier_date_game_must_have_started_well_before_the_decision() -> None:
    late_night = games_frame(
        game("2016-05-01", "AAA", "BBB", 3, 2, start="2016-05-02 05:00"),  # 01:00 ET next day
        game("2016-05-02", "AAA", "BBB", 1, 0, start="2016-05-02 14:00"),  # decision 13:00
        game("2016-05-03", "AAA", "BBB", 1, 0, start="2016-05-03 23:00"),
    )
    form = team_form(late_night, windows=(5,))
    assert row(form, "BBB201605020")["away_games_played"] == 1  # 05:00 + 8 h <= 13:00
    assert row(form, "BBB201605030")["away_games_played"] == 2
    earlier = team_form(late_night, windows=(5,), decision_minutes_before=61)
    assert row(earlier, "BBB201605020")["away_games_played"] == 0  # 13:00 > 12:59
    assert np.isnan(row(earlier, "BBB201605020")["away_rd_5"])
    assert row(earlier, "BBB201605030")["away_games_played"] == 2


def test_scores_on_the_same_or_later_dates_do_not_matter() -> None:
    changed = SCHEDULE.copy()
    later = changed["game_date"] >= date(2016, 4, 9)
    changed.loc[later, "home_score"] = 0
    changed.loc[later, "away_score"] = 20
    changed.loc[later, "status"] = "postponed"
    base = team_form(SCHEDULE).set_index("game_id")
    after = team_form(changed).set_index("game_id")
    ids = SCHEDULE.loc[SCHEDULE["game_date"] <= date(2016, 4, 9), "game_id"]
    pd.testing.assert_frame_equal(base.loc[ids], after.loc[ids])


# --- pitchers ------------------------------------------------------------------------------

STARTS = games_frame(
    game("2015-09-30", "BBB", "AAA", 2, 1, home_pitcher="Ann Arbor"),  # Ann allows 2
    game("2016-04-04", "AAA", "BBB", 5, 4, away_pitcher="ann  ARBOR"),  # allows 4
    game("2016-04-09", "CCC", "AAA", 6, 0, home_pitcher=" Ann Arbor "),  # allows 6
    game("2016-04-10", "CCC", "AAA", None, None, home_pitcher="Ann Arbor", status="postponed"),
    game("2016-04-15", "AAA", "CCC", 1, 0, away_pitcher="Ann Arbor", home_pitcher=None),
)


def test_pitcher_names_are_normalized() -> None:
    names = normalize_pitcher(pd.Series([" Ann  ARBOR", "ann arbor", None, "  "]))
    assert names.tolist() == ["ann arbor", "ann arbor", None, None]


def test_pitcher_form_windows_rest_and_starts() -> None:
    form = pitcher_form(STARTS, windows=(1, 2)).set_index("game_id")
    opener = form.loc["BBB201604040"]
    assert (opener["away_sp_ra_1"], opener["away_sp_ra_2"]) == (2, 2)  # 2015 start
    assert np.isnan(opener["away_sp_rest_days"])  # previous start last season
    assert opener["away_sp_starts"] == 0
    second = form.loc["AAA201604090"]
    assert (second["home_sp_ra_1"], second["home_sp_ra_2"]) == (4, 3)
    assert second["home_sp_rest_days"] == 4  # started 04-04: four full days off
    assert second["home_sp_starts"] == 1
    third = form.loc["CCC201604150"]  # the postponed start does not count
    assert (third["away_sp_ra_1"], third["away_sp_ra_2"]) == (6, 5)
    assert third["away_sp_rest_days"] == 5
    assert third["away_sp_starts"] == 2
    assert np.isnan(third["home_sp_ra_2"]) and np.isnan(third["home_sp_starts"])  # unknown


def test_pitcher_form_restarts_when_the_spelling_changes() -> None:
    renamed = STARTS.copy()
    renamed.loc[renamed["season"] == 2015, "home_pitcher"] = "AARBOR-R"
    opener = row(pitcher_form(renamed, windows=(1,)), "BBB201604040")
    assert np.isnan(opener["away_sp_ra_1"])


# --- context -------------------------------------------------------------------------------


def test_context_features() -> None:
    frame = games_frame(
        game("2016-04-09", "CCC", "AAA", 3, 2, number=2, day_night="D"),
        game("2016-07-04", "CCC", "AAA", 3, 2, day_night=None),
    )
    got = context_features(frame)
    assert got.iloc[0][1:].tolist() == [2, 4, 0, 5]  # Saturday
    assert "season" not in got  # a calendar trend would extrapolate into the scored season
    assert got.iloc[1][1:].tolist()[:2] == [0, 7]
    assert np.isnan(got.iloc[1]["day_night"]) and got.iloc[1]["day_of_week"] == 0


# --- real data -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def games_2016(archive_dir: Path, pinnacle_cache_dir: Path) -> pd.DataFrame:
    from mlb_assets.lib.archives.season import load_season

    return load_season(archive_dir, 2016, cache_dir=pinnacle_cache_dir).games


@pytest.mark.archive
def test_yankees_form_on_2016_04_22_by_hand(games_2016: pd.DataFrame) -> None:
    """NYA201604220 (TBA at NYA). The Yankees' 2016 games before it (runs for-against):

    04-05 3-5 H, 04-06 16-6 H, 04-07 8-5 H, 04-08 0-4 A, 04-09 8-4 A, 04-12 3-2 A,
    04-13 2-7 A, 04-14 2-4 A, 04-15 1-7 H, 04-16 2-3 H, 04-17 4-3 H, 04-19 2-3 H,
    04-20 2-5 H, 04-21 3-7 H: 5 wins in 14, run differential -9; the last ten (from
    04-09) +4 +1 -5 -2 -6 -1 +1 -1 -3 -4 = -16 with 3 wins; 3 wins in 9 home games.
    """
    got = row(team_form(games_2016), "NYA201604220")
    assert got["home_games_played"] == 14
    assert got["home_wr_season"] == pytest.approx(5 / 14)
    assert got["home_rd_season"] == pytest.approx(-9 / 14)
    assert got["home_rd_10"] == pytest.approx(-1.6)
    assert got["home_wr_10"] == pytest.approx(0.3)
    assert got["home_wr_30"] == pytest.approx(5 / 14)  # only 2016 in the input
    assert got["home_wr_venue_season"] == pytest.approx(3 / 9)
    assert got["home_rest_days"] == 0


@pytest.mark.archive
def test_doubleheader_2016_05_07_game_two_sees_what_game_one_saw(games_2016) -> None:
    form = team_form(games_2016).set_index("game_id")
    first, second = form.loc["BAL201605071"], form.loc["BAL201605072"]
    pd.testing.assert_series_equal(first, second, check_names=False)


@pytest.mark.archive
def test_chris_archer_rest_days_2016(games_2016: pd.DataFrame) -> None:
    """Archer started 04-03 (TOR 5 at TBA), 04-08 (TBA at BAL 6) and 04-14 (CLE 6 at TBA)."""
    form = pitcher_form(games_2016).set_index("game_id")
    second = form.loc["BAL201604080"]
    assert second["away_sp_rest_days"] == 4
    assert (second["away_sp_starts"], second["away_sp_ra_3"]) == (1, 5)
    third = form.loc["TBA201604140"]
    assert third["home_sp_rest_days"] == 5
    assert (third["home_sp_starts"], third["home_sp_ra_3"]) == (2, 5.5)


@pytest.mark.parametrize("windows", [(), (0,), (2.5,)])
def test_windows_must_be_positive_game_counts(windows) -> None:
    with pytest.raises(ValueError, match="windows"):
        team_form(SCHEDULE, windows=windows)
    with pytest.raises(ValueError, match="windows"):
        pitcher_form(STARTS, windows=windows)
