"""Market features on hand-built line histories and on a real 2016 game.

Times are relative to first pitch START (17:05 UTC); the decision time is START - 60 min.
No-vig probabilities are exact fractions: for home -110 / away +100 the implied
probabilities are 11/21 and 1/2, so home's multiplicative no-vig probability is
(11/21) / (11/21 + 1/2) = 22/43, and Shin's (two outcomes: the margin split equally)
11/21 - (11/21 + 1/2 - 1) / 2.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.features.market import (
    CROSS_BOOK_COLUMNS,
    MARKET_COLUMNS,
    closing_probabilities,
    cross_book_features,
    market_features,
    workbook_market_features,
)
from mlb_assets.lib.snapshots import normalize_quotes

GAME = "PIT201604030"
START = pd.Timestamp("2016-04-03 17:05", tz="UTC")
DECISION = START - pd.Timedelta(minutes=60)


def games_frame(*rows: tuple[str, pd.Timestamp | None]) -> pd.DataFrame:
    ids = [game for game, _ in rows]
    starts = pd.to_datetime(pd.Series([start for _, start in rows], dtype=object), utc=True)
    return pd.DataFrame({"game_id": ids, "start_time_utc": starts})


GAMES = games_frame((GAME, START))


def before_decision(minutes: float) -> pd.Timestamp:
    return DECISION - pd.Timedelta(minutes=minutes)


def quote(
    when: pd.Timestamp,
    side: str,
    price: int,
    *,
    market: str = "h2h",
    point: float = np.nan,
    game_id: str = GAME,
    book: str = "pinnacle",
) -> dict:
    return {
        "game_id": game_id,
        "book": book,
        "market": market,
        "side": side,
        "point": point,
        "price_american": price,
        "captured_at": when,
    }


def moneyline(when: pd.Timestamp, home: int, away: int, **kwargs: object) -> list[dict]:
    return [quote(when, "home", home, **kwargs), quote(when, "away", away, **kwargs)]


def total(when: pd.Timestamp, point: float, over: int, under: int, **kwargs: object) -> list[dict]:
    return [
        quote(when, "over", over, market="totals", point=point, **kwargs),
        quote(when, "under", under, market="totals", point=point, **kwargs),
    ]


def snapshots(*groups: list[dict]) -> pd.DataFrame:
    rows = [row for group in groups for row in group]
    result = normalize_quotes(pd.DataFrame(rows), source="test")
    assert result.quarantine.empty
    return result.snapshots


def implied(price: int) -> float:
    return 100 / (price + 100) if price > 0 else -price / (-price + 100)


def mult(home: int, away: int) -> float:
    return implied(home) / (implied(home) + implied(away))


def shin(home: int, away: int) -> float:
    return implied(home) - (implied(home) + implied(away) - 1) / 2


def row(frame: pd.DataFrame, game: str = GAME) -> pd.Series:
    rows = frame[frame["game_id"] == game]
    assert len(rows) == 1
    return rows.iloc[0]


STORY = snapshots(
    moneyline(before_decision(20 * 60), -110, 100),  # open
    moneyline(before_decision(5 * 60), -120, 110),  # 5 h before: a move outside 3 h
    [quote(before_decision(100), "away", 105)],  # only away moves: still a market move
    moneyline(before_decision(30), -125, 115),  # inside the last hour
    moneyline(DECISION, -130, 120),  # exactly at the decision time: visible
    moneyline(DECISION + pd.Timedelta(seconds=1), -200, 170),  # after: invisible
    total(before_decision(600), 8.5, 100, -110),
    total(before_decision(90), 9.0, -105, -105),
    total(DECISION + pd.Timedelta(minutes=5), 9.5, 100, -120),  # after: invisible
    moneyline(before_decision(60), 400, -500, book="otherbook"),  # another book
)


def test_columns_and_one_row_per_game() -> None:
    games = games_frame((GAME, START), ("NYA201604050", START), ("BOS201004040", None))
    features = market_features(STORY, games)
    assert list(features.columns) == MARKET_COLUMNS
    assert list(features["game_id"]) == list(games["game_id"])
    assert features.loc[1:, MARKET_COLUMNS[1:20]].isna().all().all()
    assert list(features["market_source"]) == ["pinnacle", None, None]


def test_open_and_decision_use_only_snapshots_up_to_the_decision_time() -> None:
    got = row(market_features(STORY, GAMES))
    assert got["ml_open_home_prob_mult"] == pytest.approx(mult(-110, 100))
    assert got["ml_open_home_prob_shin"] == pytest.approx(shin(-110, 100))
    assert got["ml_decision_home_prob_mult"] == pytest.approx(mult(-130, 120))
    assert got["ml_decision_home_prob_shin"] == pytest.approx(shin(-130, 120))
    assert got["ml_move_prob"] == pytest.approx(mult(-130, 120) - mult(-110, 100))
    assert got["ml_overround_decision"] == pytest.approx(implied(-130) + implied(120) - 1)
    assert (got["decision_price_home"], got["decision_price_away"]) == (-130, 120)
    assert got["decision_at"] == DECISION


def test_move_counts_and_age_of_the_line() -> None:
    got = row(market_features(STORY, GAMES))
    assert got["ml_n_moves"] == 4  # 5 h, 100 min (away only), 30 min, at decision
    assert got["ml_moves_last_1h"] == 2  # 30 min before and exactly at the decision
    assert got["ml_moves_last_3h"] == 3
    assert got["ml_minutes_since_last_move"] == 0


def test_move_window_excludes_its_open_end() -> None:
    history = snapshots(
        moneyline(before_decision(600), -110, 100),
        moneyline(before_decision(60), -115, 105),  # exactly 1 h before: outside (d-1h, d]
        moneyline(before_decision(59), -120, 110),
    )
    got = row(market_features(history, GAMES))
    assert (got["ml_moves_last_1h"], got["ml_moves_last_3h"], got["ml_n_moves"]) == (1, 2, 2)
    assert got["ml_minutes_since_last_move"] == pytest.approx(59)


def test_an_unmoved_line_ages_from_its_opening() -> None:
    got = row(market_features(snapshots(moneyline(before_decision(75), -110, 100)), GAMES))
    assert got["ml_n_moves"] == 0
    assert got["ml_move_prob"] == 0
    assert got["ml_minutes_since_last_move"] == pytest.approx(75)


def test_totals_open_decision_and_moves() -> None:
    got = row(market_features(STORY, GAMES))
    assert got["total_open_line"] == 8.5
    assert got["total_decision_line"] == 9.0
    assert got["total_line_move"] == 0.5
    assert got["total_over_prob_open"] == pytest.approx(mult(100, -110))
    assert got["total_over_prob_decision"] == pytest.approx(0.5)
    assert got["total_juice_move"] == pytest.approx(0.5 - mult(100, -110))
    assert (got["decision_total_over_price"], got["decision_total_under_price"]) == (-105, -105)


def test_decision_snapshot_ids_name_the_snapshots_priced() -> None:
    got = row(market_features(STORY, GAMES))
    visible = STORY[(STORY["book"] == "pinnacle") & (STORY["captured_at"] <= DECISION)]
    for side, column in [("home", "home"), ("away", "away"), ("over", "over")]:
        last = visible[visible["side"] == side].sort_values("captured_at").iloc[-1]
        assert got[f"decision_snapshot_id_{column}"] == last["snapshot_id"]


def test_steam_up_to_the_decision_only() -> None:
    # home's no-vig probability rises by more than 3 points within 20 minutes
    early = snapshots(
        moneyline(before_decision(600), -110, 100),
        moneyline(before_decision(40), -115, 105),
        moneyline(before_decision(20), -135, 125),
    )
    got = row(market_features(early, GAMES))
    assert (got["ml_steam"], got["ml_steam_home"], got["ml_steam_away"]) == (1, 1, 0)
    late = snapshots(
        moneyline(before_decision(600), -110, 100),
        moneyline(DECISION + pd.Timedelta(minutes=5), -135, 125),  # after the decision
    )
    got = row(market_features(late, GAMES))
    assert (got["ml_steam"], got["ml_steam_home"], got["ml_steam_away"]) == (0, 0, 0)


def test_decision_minutes_before_moves_the_cut_off() -> None:
    got = row(market_features(STORY, GAMES, decision_minutes_before=90))
    # the 30-minutes-before-decision move lands exactly on the earlier cut-off: visible
    assert got["ml_decision_home_prob_mult"] == pytest.approx(mult(-125, 115))
    got = row(market_features(STORY, GAMES, decision_minutes_before=91))
    assert got["ml_decision_home_prob_mult"] == pytest.approx(mult(-120, 105))
    assert got["decision_at"] == START - pd.Timedelta(minutes=91)


def test_shin_takes_more_of_the_margin_from_the_longshot() -> None:
    fav = snapshots(moneyline(before_decision(60), -200, 170))
    got = row(market_features(fav, GAMES))
    assert got["ml_decision_home_prob_shin"] > got["ml_decision_home_prob_mult"] > 0.5
    dog = snapshots(moneyline(before_decision(60), 170, -200))
    got = row(market_features(dog, GAMES))
    assert got["ml_decision_home_prob_shin"] < got["ml_decision_home_prob_mult"] < 0.5
    even = snapshots(moneyline(before_decision(60), -110, -110))
    got = row(market_features(even, GAMES))
    assert got["ml_decision_home_prob_shin"] == pytest.approx(got["ml_decision_home_prob_mult"])


# --- workbook (opening line only) ------------------------------------------------------


def open_close_rows(game: str = GAME, **overrides: float) -> pd.DataFrame:
    values = {
        "home": -120.0,
        "away": 110.0,
        "close_home": -150.0,
        "close_away": 140.0,
        "over_point": 8.5,
        "under_point": 8.5,
        "over": -105.0,
        "under": -115.0,
        **overrides,
    }
    rows = [
        ("h2h", "home", np.nan, values["home"], np.nan, values["close_home"]),
        ("h2h", "away", np.nan, values["away"], np.nan, values["close_away"]),
        ("totals", "over", values["over_point"], values["over"], 9.0, -110.0),
        ("totals", "under", values["under_point"], values["under"], 9.0, -110.0),
    ]
    columns = ["market", "side", "open_point", "open_price", "close_point", "close_price"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.assign(game_id=game, source="sbr_archive")


def test_workbook_features_use_the_opening_line_only() -> None:
    games = games_frame((GAME, None), ("NYA201604050", None))
    got = workbook_market_features(open_close_rows(), games)
    assert list(got.columns) == MARKET_COLUMNS
    first = row(got)
    assert first["ml_open_home_prob_mult"] == pytest.approx(mult(-120, 110))
    assert first["ml_open_home_prob_shin"] == pytest.approx(shin(-120, 110))
    assert first["total_open_line"] == 8.5
    assert first["total_over_prob_open"] == pytest.approx(mult(-105, -115))
    assert first["market_source"] == "workbook"
    decision_columns = [c for c in MARKET_COLUMNS[1:20] if "open" not in c]
    assert first[decision_columns].isna().all()
    assert row(got, "NYA201604050")[MARKET_COLUMNS[1:20]].isna().all()


def test_workbook_features_ignore_the_close() -> None:
    games = games_frame((GAME, None))
    base = workbook_market_features(open_close_rows(), games)
    changed = workbook_market_features(open_close_rows(close_home=-300, close_away=250), games)
    pd.testing.assert_frame_equal(base, changed)


def test_workbook_over_probability_needs_one_opening_total() -> None:
    games = games_frame((GAME, None))
    got = row(workbook_market_features(open_close_rows(under_point=9.0), games))
    assert np.isnan(got["total_over_prob_open"])


def test_workbook_refuses_ambiguous_sources() -> None:
    games = games_frame((GAME, None))
    twice = pd.concat([open_close_rows(), open_close_rows().assign(source="other")])
    with pytest.raises(ValueError, match="more than once"):
        workbook_market_features(twice, games)
    got = row(workbook_market_features(twice, games, source="sbr_archive"))
    assert got["ml_open_home_prob_mult"] == pytest.approx(mult(-120, 110))


# --- the close (not a feature) ----------------------------------------------------------


def test_close_is_the_last_line_before_first_pitch_else_the_workbook() -> None:
    other = "NYA201604050"
    games = games_frame((GAME, START), (other, START))
    open_close = pd.concat([open_close_rows(GAME), open_close_rows(other)])
    closes = closing_probabilities(STORY, open_close, games)
    timed = row(closes)
    assert timed["close_home_prob_mult"] == pytest.approx(mult(-200, 170))
    assert (timed["close_price_home"], timed["close_source"]) == (-200, "pinnacle")
    assert timed["close_total_line"] == 9.5
    workbook = row(closes, other)
    assert workbook["close_home_prob_mult"] == pytest.approx(mult(-150, 140))
    assert (workbook["close_total_line"], workbook["close_source"]) == (9.0, "workbook")


# --- cross-book ---------------------------------------------------------------------------


def test_cross_book_features_pivot_the_moneyline() -> None:
    consensus = pd.DataFrame(
        {
            "game_id": [GAME, GAME, GAME],
            "market": ["h2h", "h2h", "totals"],
            "side": ["home", "away", "over"],
            "n_books": [5, 5, 4],
            "consensus_prob_novig": [0.55, 0.45, 0.5],
            "dispersion_prob": [0.01, 0.01, 0.02],
            "sharp_gap_prob": [0.004, -0.004, 0.0],
            "steam_events_before_decision": [2, 1, 0],
        }
    )
    got = row(cross_book_features(consensus))
    assert got[CROSS_BOOK_COLUMNS].tolist() == [5, 0.55, 0.01, 0.004, 2, 1]
    empty = cross_book_features(None)
    assert list(empty.columns) == ["game_id", *CROSS_BOOK_COLUMNS]
    assert empty.empty


# --- real data ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def season_2016(archive_dir: Path, pinnacle_cache_dir: Path):
    from mlb_assets.lib.archives.season import load_season

    season = load_season(archive_dir, 2016, cache_dir=pinnacle_cache_dir)
    snaps = normalize_quotes(season.quotes, source="pinnacle_archive").snapshots
    return season, snaps


@pytest.mark.archive
def test_pit_2016_04_03_by_hand(season_2016) -> None:
    """PIT201604030 (SLN at PIT, first pitch 17:05 UTC, decision 16:05 UTC).

    Read from MLB2016.rda: the moneyline opened home +102 / away -110 (2016-03-31
    21:16:48) and stood at home -125 / away +115 from 14:38:55 until 16:16:43, after the
    decision; 13 changes before the decision, two of them (13:26:56, 14:38:55) in its
    last three hours. The total opened 6.5 over +100 / under -110 and stood at 6.0
    over -125 / under +113 from 15:32:32 to 16:05:26.
    """
    season, snaps = season_2016
    got = row(market_features(snaps, season.games))
    assert got["ml_open_home_prob_mult"] == pytest.approx(mult(102, -110))
    assert got["ml_open_home_prob_shin"] == pytest.approx(shin(102, -110))
    assert (got["decision_price_home"], got["decision_price_away"]) == (-125, 115)
    assert got["ml_decision_home_prob_mult"] == pytest.approx(mult(-125, 115))
    assert got["ml_decision_home_prob_mult"] == pytest.approx(0.544304, abs=1e-6)
    assert got["ml_decision_home_prob_shin"] == pytest.approx(shin(-125, 115))
    assert got["ml_overround_decision"] == pytest.approx(implied(-125) + implied(115) - 1)
    assert (got["ml_n_moves"], got["ml_moves_last_1h"], got["ml_moves_last_3h"]) == (13, 0, 2)
    age = pd.Timestamp("2016-04-03 16:05", tz="UTC") - pd.Timestamp(
        "2016-04-03 14:38:55.347", tz="UTC"
    )
    assert got["ml_minutes_since_last_move"] == pytest.approx(age.total_seconds() / 60)
    assert got["ml_steam"] == 0
    assert got["decision_snapshot_id_home"] == 787751132328180387
    assert (got["total_open_line"], got["total_decision_line"]) == (6.5, 6.0)
    assert got["total_line_move"] == -0.5
    assert (got["decision_total_over_price"], got["decision_total_under_price"]) == (-125, 113)
    assert got["total_over_prob_open"] == pytest.approx(mult(100, -110))
    assert got["total_over_prob_decision"] == pytest.approx(mult(-125, 113))
    assert got["total_juice_move"] == pytest.approx(mult(-125, 113) - mult(100, -110))


@pytest.mark.archive
def test_pit_2016_04_03_close_and_workbook(season_2016) -> None:
    """The close is Pinnacle's last line before first pitch (17:04:19: home -118 / away
    +109); the workbook's opening moneyline is home -105 / away -115, total 6.5."""
    season, snaps = season_2016
    closes = row(closing_probabilities(snaps, season.workbook_lines, season.games))
    assert closes["close_home_prob_mult"] == pytest.approx(mult(-118, 109))
    assert closes["close_source"] == "pinnacle"
    workbook = row(workbook_market_features(season.workbook_lines, season.games))
    assert workbook["ml_open_home_prob_mult"] == pytest.approx(mult(-105, -115))
    assert workbook["total_open_line"] == 6.5
    assert np.isnan(workbook["ml_decision_home_prob_mult"])
