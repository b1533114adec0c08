"""compute_line_movements on hand-built line histories with hand-computed expectations.

Times are relative to first pitch START (17:05 UTC); the decision time is START - 60 min.
No-vig probabilities are written as exact fractions: for home -110 / away +100 the
implied probabilities are 110/210 = 11/21 and 100/200 = 1/2, so home's no-vig
probability is (11/21) / (11/21 + 1/2) = 22/43.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.line_movements import (
    MOVEMENT_COLUMNS,
    MovementParams,
    compute_line_movements,
)
from mlb_assets.lib.snapshots import normalize_quotes

GAME = "PIT201604030"
START = pd.Timestamp("2016-04-03 17:05", tz="UTC")
DECISION = START - pd.Timedelta(minutes=60)
GAMES = pd.DataFrame({"game_id": [GAME], "start_time_utc": [START]})


def at(minutes_before_start: float) -> pd.Timestamp:
    return START - pd.Timedelta(minutes=minutes_before_start)


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


def snapshots(*rows: dict) -> pd.DataFrame:
    result = normalize_quotes(pd.DataFrame(list(rows)), source="test")
    assert result.quarantine.empty
    return result.snapshots


def movements(*rows: dict, games: pd.DataFrame = GAMES, **params: object) -> pd.DataFrame:
    return compute_line_movements(snapshots(*rows), games, MovementParams(**params))


def side(frame: pd.DataFrame, name: str, market: str = "h2h") -> pd.Series:
    rows = frame[(frame["side"] == name) & (frame["market"] == market)]
    assert len(rows) == 1
    return rows.iloc[0]


# The moneyline story used by several tests; comments give home's no-vig probability.
MONEYLINE = [
    quote(at(30 * 60), "home", -110),  # open: 22/43
    quote(at(30 * 60), "away", 100),
    quote(DECISION - pd.Timedelta(hours=3), "home", -120),  # 6/11 vs 10/21: 126/236
    quote(DECISION - pd.Timedelta(hours=3), "away", 110),
    quote(DECISION - pd.Timedelta(hours=1), "away", 105),  # only away moves: 246/466
    quote(DECISION, "home", -125),  # 5/9 vs 20/41: 205/385
    quote(at(10), "home", -140),  # close, 7/12 vs 4/9: 21/37
    quote(at(10), "away", 125),
    quote(at(0), "home", -150),  # at first pitch: ignored
    quote(START + pd.Timedelta(hours=1), "home", -300),  # in play: ignored
    quote(START + pd.Timedelta(hours=1), "away", 250),
]


def test_open_decision_close_and_counts() -> None:
    result = movements(*MONEYLINE)
    assert list(result.columns) == MOVEMENT_COLUMNS
    assert len(result) == 2
    home = side(result, "home")
    assert (home["open_at"], home["open_price"]) == (at(30 * 60), -110)
    assert (home["decision_at"], home["decision_price"]) == (DECISION, -125)
    assert (home["close_at"], home["close_price"]) == (at(10), -140)
    assert np.isnan(home["open_point"]) and np.isnan(home["close_point"])
    assert home["n_moves"] == 3
    away = side(result, "away")
    assert (away["decision_price"], away["close_price"], away["n_moves"]) == (105, 125, 3)


def test_no_vig_probabilities_pair_with_the_opposite_side_in_effect() -> None:
    home = side(movements(*MONEYLINE), "home")
    assert home["open_prob_novig"] == pytest.approx(22 / 43)
    # at the decision only home changed; away's +105 from an hour earlier still stands
    assert home["decision_prob_novig"] == pytest.approx(205 / 385)
    assert home["close_prob_novig"] == pytest.approx(21 / 37)
    assert home["net_move_prob"] == pytest.approx(21 / 37 - 22 / 43)
    assert home["decision_move_prob"] == pytest.approx(205 / 385 - 22 / 43)
    # consecutive states: 22/43, 126/236, 246/466, 205/385, 21/37; largest step is the last
    assert home["largest_move_prob"] == pytest.approx(21 / 37 - 205 / 385)
    away = side(movements(*MONEYLINE), "away")
    assert away["decision_prob_novig"] == pytest.approx(1 - 205 / 385)
    assert away["largest_move_prob"] == pytest.approx(home["largest_move_prob"])


def test_only_one_side_changed_still_moves_both_probabilities() -> None:
    result = movements(
        quote(at(120), "home", -110),
        quote(at(120), "away", -110),
        quote(at(90), "away", 120),  # home never changes again
    )
    home = side(result, "home")
    assert home["n_moves"] == 0
    # 11/21 vs 100/220 = 5/11: home 121/226
    assert home["close_prob_novig"] == pytest.approx((11 / 21) / (11 / 21 + 5 / 11))
    assert home["largest_move_prob"] == pytest.approx(home["close_prob_novig"] - 0.5)


def test_move_windows_are_half_open_and_include_the_decision_time() -> None:
    result = movements(
        quote(at(10 * 60), "home", -110),  # opening: never counted as a move
        quote(DECISION - pd.Timedelta(hours=3), "home", -111),  # outside (D-3h, D]
        quote(DECISION - pd.Timedelta(minutes=179), "home", -112),  # 3h
        quote(DECISION - pd.Timedelta(hours=1), "home", -113),  # 3h only
        quote(DECISION - pd.Timedelta(minutes=59), "home", -114),  # 1h and 3h
        quote(DECISION, "home", -115),  # 1h and 3h
        quote(DECISION + pd.Timedelta(minutes=1), "home", -116),  # after the decision
    )
    home = side(result, "home")
    assert (home["moves_last_1h"], home["moves_last_3h"], home["n_moves"]) == (2, 4, 6)
    assert home["decision_price"] == -115
    assert home["close_price"] == -116


def test_opening_inside_the_window_is_not_a_move() -> None:
    home = side(movements(quote(at(90), "home", -110), quote(at(70), "home", -120)), "home")
    assert (home["moves_last_1h"], home["moves_last_3h"]) == (1, 1)


def test_steam_detected_with_its_time() -> None:
    result = movements(*MONEYLINE)
    home, away = side(result, "home"), side(result, "away")
    # 205/385 stood from the decision time; at START-10min home rose 3.5 points in 50 min,
    # but the state in effect when the 30-minute window opened (START-40min) is 205/385.
    assert bool(home["steam"]) is True
    assert home["steam_at"] == at(10)
    assert bool(away["steam"]) is False  # its probability fell: steam is directional
    assert pd.isna(away["steam_at"])


def test_steam_needs_the_move_inside_the_window() -> None:
    # home from -110/-110 (0.5) in 40-minute steps of about one point each
    rows = [
        quote(at(200), "home", -110),
        quote(at(200), "away", -110),
        quote(at(160), "home", -120),  # 6/11 vs 11/21 -> 0.5101
        quote(at(120), "home", -130),  # 13/23 vs 11/21 -> 0.5190
        quote(at(80), "home", -140),  # 7/12 vs 11/21 -> 0.5269
    ]
    slow = side(movements(*rows), "home")
    assert bool(slow["steam"]) is False
    assert pd.isna(slow["steam_at"])
    # 90 minutes, 2 points: at START-120 the window opens before the market did and
    # the rise from the opening 0.5 is 1.9 points; at START-80 the window opens at
    # START-170, when 0.5 still stood, and the rise is 2.7 points
    wide = side(movements(*rows, steam_window_minutes=90, steam_min_move_prob=0.02), "home")
    assert bool(wide["steam"]) is True
    assert wide["steam_at"] == at(80)


# home from -110/-110 (no-vig 0.5) to -130/+110: (13/23) / (13/23 + 10/21) = 273/503,
# a rise of 4.27 points, more than the 3-point threshold.
COARSE = [
    quote(at(240), "home", -110),
    quote(at(240), "away", -110),
    quote(at(180), "home", -130),
    quote(at(180), "away", 110),
]


def polls(*minutes_before_start: float, book: str = "pinnacle") -> pd.DataFrame:
    """Observations of the book's line for GAME at each given time."""
    times = [at(m) for m in minutes_before_start]
    return pd.DataFrame({"game_id": GAME, "book": book, "observed_at": times})


def observed(*rows: dict, observations: pd.DataFrame) -> pd.DataFrame:
    return compute_line_movements(snapshots(*rows), GAMES, MovementParams(), observations)


def test_hourly_polls_do_not_make_steam_of_an_hours_moves() -> None:
    # Read as continuous, the jump at START-180 is steam: the window opening at START-210
    # still shows 0.5. Polled hourly, the move happened somewhere in the hour between the
    # poll that showed -110 and the one that showed -130: it cannot be placed in 30 minutes.
    continuous = side(movements(*COARSE), "home")
    assert bool(continuous["steam"]) is True and continuous["steam_gap_minutes"] == 0.0
    hourly = side(observed(*COARSE, observations=polls(240, 180, 120, 60)), "home")
    assert bool(hourly["steam"]) is False and pd.isna(hourly["steam_at"])
    assert hourly["steam_gap_minutes"] == 60.0  # recorded: a move lost to coarse polling
    assert pd.isna(
        side(observed(*COARSE, observations=polls(240, 180)), "away")["steam_gap_minutes"]
    )


def test_dense_polls_find_steam_with_its_gap() -> None:
    rows = [
        quote(at(240), "home", -110),
        quote(at(240), "away", -110),
        quote(at(125), "home", -120),  # 6/11 vs 1/2: 12/23, up 2.17 points
        quote(at(125), "away", 100),
        quote(at(115), "home", -130),  # 273/503, up 4.27 points from 0.5 in 10 minutes
        quote(at(115), "away", 110),
    ]
    every_five = polls(*range(240, 55, -5))
    home = side(observed(*rows, observations=every_five), "home")
    assert bool(home["steam"]) is True and home["steam_at"] == at(115)
    assert home["steam_gap_minutes"] == 5.0
    # another book's polls say nothing about this one: it stays continuously observed
    other = side(observed(*rows, observations=polls(240, 60, book="other")), "home")
    assert bool(other["steam"]) is True and other["steam_gap_minutes"] == 0.0


def test_a_wide_gap_only_blocks_the_rise_across_it() -> None:
    rows = [
        quote(at(300), "home", -110),
        quote(at(300), "away", -110),
        quote(at(240), "home", -120),  # 12/23, first seen by the poll an hour after 0.5
        quote(at(240), "away", 100),
        quote(at(225), "home", -130),  # 273/503: 4.3 points above 0.5, 2.1 above 12/23
        quote(at(225), "away", 110),
        quote(at(200), "home", -145),  # 29/49 vs 10/21: 0.5541, 3.2 points above 12/23
        quote(at(200), "away", 110),
    ]
    assert side(movements(*rows), "home")["steam_at"] == at(225)
    observations = pd.concat([polls(300, 240), polls(*range(235, 55, -5))])
    home = side(observed(*rows, observations=observations), "home")
    # the rise is measured from 12/23, the first line seen after the hour-wide gap
    assert bool(home["steam"]) is True and home["steam_at"] == at(200)
    assert home["steam_gap_minutes"] == 5.0


def test_steam_threshold_is_inclusive() -> None:
    rise = 21 / 37 - 205 / 385
    hit = side(movements(*MONEYLINE, steam_min_move_prob=rise), "home")
    miss = side(movements(*MONEYLINE, steam_min_move_prob=rise + 1e-6), "home")
    assert bool(hit["steam"]) is True
    assert bool(miss["steam"]) is False


def test_spread_probability_only_when_both_sides_quote_the_same_line() -> None:
    rows = [
        quote(at(300), "home", 150, market="spreads", point=-1.5),
        quote(at(300), "away", -170, market="spreads", point=1.5),
        quote(at(200), "home", -200, market="spreads", point=1.5),  # away still +1.5
        quote(at(100), "away", 170, market="spreads", point=-1.5),  # paired again
    ]
    result = movements(*rows)
    home = side(result, "home", "spreads")
    # home +150 = 0.4, away -170 = 17/27: home (0.4)/(0.4 + 17/27) = 10.8/27.8
    assert home["open_prob_novig"] == pytest.approx(10.8 / 27.8)
    # home -200 = 2/3 with away +170 = 10/27: (2/3)/(2/3 + 10/27) = 18/28
    assert home["close_prob_novig"] == pytest.approx(18 / 28)
    assert (home["open_point"], home["close_point"]) == (-1.5, 1.5)
    # the unpaired state at START-200min has no probability; moves across points don't count
    assert np.isnan(home["largest_move_prob"])
    assert bool(home["steam"]) is False


def test_totals_point_change_is_not_a_probability_move() -> None:
    rows = [
        quote(at(100), "over", 100, market="totals", point=8.5),
        quote(at(100), "under", -120, market="totals", point=8.5),
        quote(at(95), "over", -130, market="totals", point=8.0),  # new point: big prob jump
        quote(at(95), "under", 110, market="totals", point=8.0),
        quote(at(90), "over", -135, market="totals", point=8.0),  # small move at 8.0
    ]
    over = side(movements(*rows), "over", "totals")
    assert bool(over["steam"]) is False
    # 8.0: -130/+110 -> (13/23)/(13/23 + 10/21); -135/+110 -> (27/47)/(27/47 + 10/21)
    before = (13 / 23) / (13 / 23 + 10 / 21)
    after = (27 / 47) / (27 / 47 + 10 / 21)
    assert over["largest_move_prob"] == pytest.approx(after - before)
    assert over["net_move_prob"] == pytest.approx(after - 0.5 / (0.5 + 12 / 22))
    assert (over["open_point"], over["close_point"], over["n_moves"]) == (8.5, 8.0, 2)


def test_market_opening_after_the_decision_has_no_decision_line() -> None:
    result = movements(quote(at(30), "home", -110), quote(at(30), "away", 100))
    home = side(result, "home")
    assert pd.isna(home["decision_price"])
    assert np.isnan(home["decision_point"])
    assert np.isnan(home["decision_prob_novig"])
    assert np.isnan(home["decision_move_prob"])
    assert pd.isna(home["decision_snapshot_id"])
    assert home["open_price"] == -110


def test_decision_snapshot_id_names_the_line_in_effect() -> None:
    snaps = snapshots(*MONEYLINE)
    result = compute_line_movements(snaps, GAMES)
    home = side(result, "home")
    chosen = snaps[snaps["snapshot_id"] == home["decision_snapshot_id"]].iloc[0]
    assert (chosen["captured_at"], chosen["price_american"]) == (DECISION, -125)
    assert result["decision_snapshot_id"].dtype == "Int64"
    assert result["decision_price"].dtype == "Int64"


def test_games_without_pre_game_snapshots_produce_no_rows() -> None:
    games = pd.DataFrame(
        {
            "game_id": [GAME, "NYA201604040", "BOS201604040"],
            "start_time_utc": [START, START + pd.Timedelta(days=1), START],
        }
    )
    result = movements(
        *MONEYLINE,
        quote(START + pd.Timedelta(hours=2), "home", -110, game_id="BOS201604040"),  # in play
        quote(at(60), "home", -110, game_id="CHN201604040"),  # not in games
        games=games,
    )
    assert set(result["game_id"]) == {GAME}


def test_rows_are_sorted_per_key_and_books_are_independent() -> None:
    result = movements(
        quote(at(100), "home", -110, book="zbook"),
        quote(at(100), "home", -105, book="abook"),
        quote(at(50), "over", -110, market="totals", point=9.0),
    )
    keys = list(zip(result["book"], result["market"], result["side"], strict=True))
    assert keys == [
        ("abook", "h2h", "home"),
        ("pinnacle", "totals", "over"),
        ("zbook", "h2h", "home"),
    ]
    # a side with no opposite price has no no-vig probability
    assert result["open_prob_novig"].isna().all()


def test_nothing_before_first_pitch_gives_an_empty_typed_frame() -> None:
    result = movements(quote(START, "home", -110))
    assert result.empty
    assert list(result.columns) == MOVEMENT_COLUMNS
    assert str(result["open_at"].dtype) == "datetime64[ns, UTC]"
    assert result["steam"].dtype == bool


def test_decision_offset_is_configurable() -> None:
    home = side(movements(*MONEYLINE, decision_minutes_before=0), "home")
    assert home["decision_at"] == START
    assert home["decision_price"] == -140  # the line at first pitch is the close


def test_invalid_inputs_raise() -> None:
    with pytest.raises(ValueError):
        MovementParams(decision_minutes_before=-1)
    with pytest.raises(ValueError):
        MovementParams(steam_window_minutes=0)
    with pytest.raises(ValueError):
        MovementParams(steam_min_move_prob=0)
    twice = pd.concat([GAMES, GAMES])
    with pytest.raises(ValueError, match="duplicate"):
        compute_line_movements(snapshots(*MONEYLINE), twice)
    naive = GAMES.assign(start_time_utc=START.tz_localize(None))
    with pytest.raises(ValueError, match="timezone-aware"):
        compute_line_movements(snapshots(*MONEYLINE), naive)


def test_games_without_a_start_time_or_unknown_to_games_produce_no_rows() -> None:
    games = pd.DataFrame(
        {"game_id": [GAME, "NYA201604040"], "start_time_utc": [pd.NaT, START]}
    ).astype({"start_time_utc": "datetime64[ns, UTC]"})
    result = movements(*MONEYLINE, games=games)
    assert result.empty
    unknown = movements(*MONEYLINE, games=games.iloc[1:])
    assert unknown.empty
