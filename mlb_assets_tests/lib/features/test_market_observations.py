"""Steam features read the same polls as line_movements, as they stood at decision time.

One Pinnacle game, first pitch 17:05Z, decision 16:05Z: the line opens -110/-110 at
10:00Z and the home side jumps to -130/+110 at 15:00Z (no-vig 0.5 -> 0.565, a 6.5-point
move, steam when the move can be placed within 30 minutes). Continuously observed (no
polls listed), that is steam; polled at 14:00 and 15:10 it lies somewhere in 70 minutes,
and neither ``line_movements`` nor the features may claim it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.features.market import market_features, visible_observations
from mlb_assets.lib.features.training_set import build_training_set
from mlb_assets.lib.line_movements import (
    OBSERVATION_COLUMNS,
    MovementParams,
    compute_line_movements,
    observation_gaps,
)
from mlb_assets_tests.lib.features.test_form import game, games_frame
from mlb_assets_tests.lib.features.test_market_features import moneyline, snapshots

GAME = "PIT201604030"
OTHER = "PIT201604040"
START = pd.Timestamp("2016-04-03 17:05", tz="UTC")
DECISION = START - pd.Timedelta(minutes=60)
GAMES = pd.DataFrame({"game_id": [GAME], "start_time_utc": [START]})
STEAM_COLUMNS = ["ml_steam", "ml_steam_home", "ml_steam_away"]


def at(clock: str) -> pd.Timestamp:
    return pd.Timestamp(f"2016-04-03 {clock}", tz="UTC")


def polls(*clocks: str, game_id: str = GAME, book: str = "pinnacle") -> pd.DataFrame:
    return pd.DataFrame(
        {
            "game_id": game_id,
            "book": book,
            "observed_at": pd.to_datetime([at(c) for c in clocks], utc=True),
        },
        columns=OBSERVATION_COLUMNS,
    )


def jump(move_at: str = "15:00") -> pd.DataFrame:
    return snapshots(moneyline(at("10:00"), -110, -110), moneyline(at(move_at), -130, 110))


def steam(snaps: pd.DataFrame, observations: pd.DataFrame | None) -> pd.Series:
    features = market_features(snaps, GAMES, observations=observations)
    return features.set_index("game_id").loc[GAME, STEAM_COLUMNS]


def test_hourly_polls_withhold_the_steam_feature() -> None:
    assert steam(jump(), None).tolist() == [1.0, 1.0, 0.0]
    assert steam(jump(), polls("14:00", "15:10")).tolist() == [0.0, 0.0, 0.0]
    # Polls 9 minutes apart place the jump inside the window: steam again.
    assert steam(jump(), polls("14:58", "15:07")).tolist() == [1.0, 1.0, 0.0]


def test_features_agree_with_line_movements_on_the_same_polls() -> None:
    snaps, observed = jump(), polls("14:00", "15:10")
    movements = compute_line_movements(snaps, GAMES, MovementParams(), observed)
    home = movements.query("market == 'h2h' and side == 'home'").iloc[0]
    assert not home["steam"] and home["steam_gap_minutes"] == 70.0
    assert steam(snaps, observed)["ml_steam"] == 0.0


def test_other_books_polls_leave_this_book_continuous() -> None:
    assert steam(jump(), polls("14:00", "15:10", book="otherbook"))["ml_steam"] == 1.0
    assert steam(jump(), polls("14:00", "15:10", game_id=OTHER))["ml_steam"] == 1.0


def test_polls_after_the_decision_do_not_move_features() -> None:
    # The jump at 16:04, a minute before the decision, is seen by a poll at 16:06 only.
    snaps, before = jump("16:04"), polls("16:00")
    base = market_features(snaps, GAMES, observations=before)
    assert base.loc[0, "ml_steam"] == 0.0
    for later in (["16:06"], ["16:06", "16:30"], ["17:00"]):
        observed = pd.concat([before, polls(*later)], ignore_index=True)
        changed = market_features(snaps, GAMES, observations=observed)
        pd.testing.assert_frame_equal(changed, base)
    # Control: the unfiltered polls would bracket the jump within 6 minutes.
    unfiltered = pd.concat([before, polls("16:06")], ignore_index=True)
    movements = compute_line_movements(snaps, GAMES, MovementParams(), unfiltered)
    assert movements.query("side == 'home'")["steam"].item()


def test_a_game_polled_only_after_the_decision_is_not_continuous() -> None:
    # Every poll came after the decision: the jump cannot be placed by then. Dropping the
    # polls outright would make the game read as observed continuously, and claim steam.
    assert steam(jump(), polls("16:10", "16:20"))["ml_steam"] == 0.0
    assert steam(jump(), polls("16:10", "16:20").iloc[:0])["ml_steam"] == 1.0


def test_visible_observations_hide_later_polls_but_keep_the_book_polled() -> None:
    games = pd.DataFrame({"game_id": [GAME, OTHER], "start_time_utc": [START, pd.NaT]}).astype(
        {"start_time_utc": "datetime64[ns, UTC]"}
    )
    observed = pd.concat(
        [
            polls("15:00", "16:05", "16:06", "16:30"),  # decision 16:05: the last two hidden
            polls("12:00", game_id=OTHER),  # no start time: no decision time
            polls("12:00", game_id="NYA201604030"),  # not a game of ``games``
        ],
        ignore_index=True,
    )
    got = visible_observations(observed, games, decision_minutes_before=60)
    assert list(got.columns) == OBSERVATION_COLUMNS
    assert got["game_id"].tolist() == [GAME] * 3
    assert got["observed_at"].iloc[:2].tolist() == [at("15:00"), at("16:05")]
    assert pd.isna(got["observed_at"].iloc[2])  # one row stands for the hidden polls
    earlier = visible_observations(observed, games, decision_minutes_before=90)
    assert earlier["observed_at"].iloc[0] == at("15:00")
    assert earlier["observed_at"].isna().sum() == 1
    assert visible_observations(None, games) is None


def test_a_hidden_poll_leaves_a_change_unplaced() -> None:
    t = np.array([at("15:00").value, at("15:00").value])
    observed = pd.concat([polls("14:55"), polls("15:02")], ignore_index=True)
    hidden = observed.assign(observed_at=pd.to_datetime([at("14:55"), pd.NaT], utc=True))
    only_hidden = observed.assign(observed_at=pd.to_datetime([pd.NaT, pd.NaT], utc=True))
    books = np.array(["pinnacle", "otherbook"], dtype=object)
    games = np.array([GAME, GAME], dtype=object)
    assert observation_gaps(games, books, t, observed).tolist() == [7 * 60e9, 0.0]
    assert observation_gaps(games, books, t, hidden).tolist() == [np.inf, 0.0]
    assert observation_gaps(games, books, t, only_hidden).tolist() == [np.inf, 0.0]


def test_training_set_passes_observations_to_the_market_features() -> None:
    games = games_frame(game("2016-04-03", "SLN", "PIT", 1, 4, start="2016-04-03 17:05"))
    empty = pd.DataFrame(columns=["game_id", "source", "market", "side"])
    continuous = build_training_set(games, jump(), empty).frame
    hourly = build_training_set(games, jump(), empty, observations=polls("14:00", "15:10"))
    assert continuous["ml_steam"].tolist() == [1.0]
    assert hourly.frame["ml_steam"].tolist() == [0.0]
    assert "ml_steam" in hourly.feature_columns


@pytest.mark.parametrize("observations", [None, polls().iloc[:0]])
def test_no_polls_means_observed_continuously(observations: pd.DataFrame | None) -> None:
    assert steam(jump(), observations)["ml_steam"] == 1.0
