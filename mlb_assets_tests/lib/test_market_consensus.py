"""Cross-book consensus and multi-book steam on hand-built line histories.

Times are minutes before first pitch START (17:05 UTC); the decision time is START - 60
min. Home no-vig probabilities used below, written as exact fractions:

* -110/-110: 1/2.
* -120/+100: implied 6/11 and 1/2, so (6/11) / (6/11 + 1/2) = 12/23.
* -105/-115: implied 21/41 and 23/43, so 21*43 / (21*43 + 23*41) = 903/1846.
* -125/+105: implied 5/9 and 20/41, so (5/9) / (5/9 + 20/41) = 205/385 (a rise of
  3.2 points from 1/2); +105/-125 mirrors it to 180/385.
* -112/-108: 0.5043, a rise of 0.43 points (below the 1-point steam threshold).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from mlb_assets.lib.consensus import (
    CONSENSUS_COLUMNS,
    STATE_COLUMNS,
    STEAM_COLUMNS,
    ConsensusParams,
    market_consensus,
    market_states,
    steam_events,
    summarize_market,
)
from mlb_assets.lib.odds import american_to_implied, no_vig_multiplicative
from mlb_assets.lib.snapshots import normalize_quotes

GAME = "PIT201604030"
START = pd.Timestamp("2016-04-03 17:05", tz="UTC")
GAMES = pd.DataFrame({"game_id": [GAME], "start_time_utc": [START]})
HALF = 1 / 2
BETA = 12 / 23  # -120/+100
SHARP = 903 / 1846  # -105/-115
UP = 205 / 385  # -125/+105


def at(minutes_before_start: float) -> pd.Timestamp:
    return START - pd.Timedelta(minutes=minutes_before_start)


def line(
    minutes: float,
    book: str,
    first: int,
    second: int,
    *,
    market: str = "h2h",
    point: float = np.nan,
    game_id: str = GAME,
) -> list[dict]:
    """Both sides of one book's market at one moment (spreads: home at ``point``)."""
    sides = ("over", "under") if market == "totals" else ("home", "away")
    second_point = -point if market == "spreads" else point
    return [
        {
            "game_id": game_id,
            "book": book,
            "market": market,
            "side": side,
            "point": side_point,
            "price_american": price,
            "captured_at": at(minutes),
        }
        for side, price, side_point in zip(
            sides, (first, second), (point, second_point), strict=True
        )
    ]


def snapshots(*lines: list[dict]) -> pd.DataFrame:
    rows = [row for pair in lines for row in pair]
    result = normalize_quotes(pd.DataFrame(rows), source="test")
    assert result.quarantine.empty
    return result.snapshots


def states(*lines: list[dict], **params: object) -> pd.DataFrame:
    return market_states(snapshots(*lines), GAMES, ConsensusParams(**params))


def row(frame: pd.DataFrame, side: str, when: pd.Timestamp | None = None) -> pd.Series:
    rows = frame[frame["side"] == side]
    if when is not None:
        rows = rows[rows["at"] == when]
    assert len(rows) == 1
    return rows.iloc[0]


THREE_BOOKS = [
    line(100, "alpha", -110, -110),
    line(100, "beta", -120, 100),
    line(100, "pinnacle", -105, -115),
]


# --- market_states -------------------------------------------------------------------


def test_three_books_consensus_dispersion_best_price_and_sharp_gap() -> None:
    result = states(*THREE_BOOKS)
    assert list(result.columns) == STATE_COLUMNS
    assert len(result) == 2  # one moment, two sides
    home, away = row(result, "home"), row(result, "away")
    assert home["at"] == at(100) and home["n_books"] == 3
    mean = (HALF + BETA + SHARP) / 3
    assert home["consensus_prob_novig"] == pytest.approx(mean)  # 0.50364
    deviations = [(p - mean) ** 2 for p in (HALF, BETA, SHARP)]
    assert home["dispersion_prob"] == pytest.approx(math.sqrt(sum(deviations) / 2))  # 0.01659
    assert (home["best_price"], home["best_book"]) == (-105, "pinnacle")
    assert (away["best_price"], away["best_book"]) == (100, "beta")
    assert home["sharp_prob_novig"] == pytest.approx(SHARP)  # 0.48917
    assert home["sharp_gap_prob"] == pytest.approx(SHARP - (HALF + BETA) / 2)  # -0.02170
    assert away["consensus_prob_novig"] == pytest.approx(1 - mean)
    assert away["sharp_prob_novig"] == pytest.approx(1 - SHARP)
    assert away["sharp_gap_prob"] == pytest.approx(-(SHARP - (HALF + BETA) / 2))
    assert away["dispersion_prob"] == pytest.approx(home["dispersion_prob"])
    assert np.isnan(home["point"]) and np.isnan(away["point"])


def test_a_state_at_every_change_with_earlier_quotes_carried_forward() -> None:
    result = states(
        line(120, "alpha", -110, -110),
        line(110, "beta", -120, 100),
        line(100, "pinnacle", -105, -115),
        line(90, "alpha", -125, 105),  # beta and pinnacle stand
    )
    home = result[result["side"] == "home"]
    assert home["at"].tolist() == [at(120), at(110), at(100), at(90)]
    assert home["n_books"].tolist() == [1, 2, 3, 3]
    expected = [HALF, (HALF + BETA) / 2, (HALF + BETA + SHARP) / 3, (UP + BETA + SHARP) / 3]
    assert home["consensus_prob_novig"].tolist() == pytest.approx(expected)
    assert np.isnan(home["dispersion_prob"].iloc[0])  # one book
    assert home["sharp_prob_novig"].isna().tolist() == [True, True, False, False]
    last = row(result, "home", at(90))
    assert last["sharp_gap_prob"] == pytest.approx(SHARP - (UP + BETA) / 2)
    assert (last["best_price"], last["best_book"]) == (-105, "pinnacle")
    assert (
        row(result, "away", at(90))["best_price"],
        row(result, "away", at(90))["best_book"],
    ) == (
        105,
        "alpha",
    )


def test_best_price_ties_go_to_the_alphabetically_first_book() -> None:
    result = states(line(100, "zeta", -110, -110), line(100, "delta", -110, -110))
    assert (row(result, "home")["best_price"], row(result, "home")["best_book"]) == (-110, "delta")


def test_only_books_at_the_main_point_are_compared() -> None:
    result = states(
        line(100, "alpha", -110, -110, market="totals", point=8.5),
        line(100, "beta", -105, -115, market="totals", point=8.5),
        line(100, "gamma", 120, -140, market="totals", point=9.0),  # a different bet
    )
    over = row(result, "over")
    assert over["point"] == 8.5 and over["n_books"] == 2
    assert over["consensus_prob_novig"] == pytest.approx((HALF + SHARP) / 2)
    assert (over["best_price"], over["best_book"]) == (-105, "beta")  # not gamma's +120
    assert row(result, "under")["point"] == 8.5


def test_main_point_ties_go_to_the_sharp_book_then_to_the_balanced_line() -> None:
    sharp_tie = states(
        line(100, "alpha", -110, -110, market="totals", point=8.5),
        line(100, "pinnacle", -120, 100, market="totals", point=9.0),
    )
    assert row(sharp_tie, "over")["point"] == 9.0
    assert row(sharp_tie, "over")["consensus_prob_novig"] == pytest.approx(BETA)
    balanced = states(
        line(100, "alpha", -125, 105, market="totals", point=8.5),  # 0.532: off balance
        line(100, "beta", -110, -110, market="totals", point=9.0),  # 0.5: balanced
    )
    assert row(balanced, "over")["point"] == 9.0


def test_spread_sides_carry_opposite_points() -> None:
    result = states(
        line(100, "alpha", 150, -170, market="spreads", point=-1.5),
        line(100, "beta", 145, -165, market="spreads", point=-1.5),
    )
    assert row(result, "home")["point"] == -1.5
    assert row(result, "away")["point"] == 1.5
    assert row(result, "home")["n_books"] == 2


def test_books_without_a_paired_line_do_not_count() -> None:
    rows = [*line(100, "alpha", -110, -110), line(100, "beta", -120, 100)[0]]  # beta: home only
    result = market_states(snapshots(rows), GAMES)
    assert row(result, "home")["n_books"] == 1
    lonely = market_states(snapshots([line(100, "beta", -120, 100)[0]]), GAMES)
    home = row(lonely, "home")
    assert home["n_books"] == 0 and np.isnan(home["consensus_prob_novig"])
    assert pd.isna(home["best_price"]) and home["best_book"] is None


def test_only_snapshots_before_first_pitch_count() -> None:
    result = states(line(100, "alpha", -110, -110), line(0, "beta", -120, 100))
    assert result["at"].tolist() == [at(100), at(100)]
    assert result["n_books"].tolist() == [1, 1]


def test_single_book_history() -> None:
    result = states(line(100, "pinnacle", -110, -110), line(50, "pinnacle", -125, 105))
    assert (result["n_books"] == 1).all()
    assert result["dispersion_prob"].isna().all()
    assert result["sharp_gap_prob"].isna().all()  # no other book to compare with
    assert result["sharp_prob_novig"].tolist() == pytest.approx(
        result["consensus_prob_novig"].tolist()
    )
    assert (result["best_book"] == "pinnacle").all()


def test_empty_input() -> None:
    empty = snapshots([line(100, "alpha", -110, -110)[0]]).iloc[:0]
    assert list(market_states(empty, GAMES).columns) == STATE_COLUMNS
    assert market_consensus(empty, GAMES).empty
    assert steam_events(empty, GAMES).empty


# --- market_consensus ----------------------------------------------------------------


def test_consensus_at_open_decision_and_close() -> None:
    result = market_consensus(
        snapshots(
            line(300, "alpha", -110, -110),
            line(240, "beta", -120, 100),
            line(61, "pinnacle", -105, -115),
            line(30, "alpha", -125, 105),  # after the decision
        ),
        GAMES,
    )
    assert list(result.columns) == CONSENSUS_COLUMNS
    assert result["side"].tolist() == ["home", "away"]
    home = row(result, "home")
    assert home["decision_at"] == at(60)
    assert (home["open_at"], home["consensus_prob_novig_open"]) == (at(300), HALF)
    assert home["n_books"] == 3
    assert home["consensus_prob_novig"] == pytest.approx((HALF + BETA + SHARP) / 3)
    assert home["decision_move_prob"] == pytest.approx((HALF + BETA + SHARP) / 3 - HALF)
    assert home["close_at"] == at(30)
    assert home["consensus_prob_novig_close"] == pytest.approx((UP + BETA + SHARP) / 3)
    assert home["sharp_gap_prob_close"] == pytest.approx(SHARP - (UP + BETA) / 2)
    assert (home["best_price_close"], home["best_book_close"]) == (-105, "pinnacle")
    away = row(result, "away")
    assert (away["best_price_close"], away["best_book_close"]) == (105, "alpha")
    assert away["decision_move_prob"] == pytest.approx(-home["decision_move_prob"])


def test_a_market_opening_after_the_decision_has_no_decision_state() -> None:
    home = row(market_consensus(snapshots(line(30, "alpha", -110, -110)), GAMES), "home")
    assert pd.isna(home["n_books"]) and np.isnan(home["consensus_prob_novig"])
    assert pd.isna(home["best_price"]) and home["best_book"] is None
    assert np.isnan(home["decision_move_prob"])
    assert home["n_books_close"] == 1 and home["close_at"] == at(30)


def test_single_book_consensus_has_no_dispersion_gap_or_steam() -> None:
    result = market_consensus(
        snapshots(
            line(300, "pinnacle", -110, -110),
            line(200, "pinnacle", -125, 105),
            line(100, "pinnacle", -140, 120),
        ),
        GAMES,
    )
    assert (result["n_books"] == 1).all() and (result["n_books_close"] == 1).all()
    assert result["dispersion_prob"].isna().all() and result["sharp_gap_prob"].isna().all()
    assert (result["steam_events"] == 0).all() and result["first_steam_at"].isna().all()


# --- steam ---------------------------------------------------------------------------

OPEN = [line(200, book, -110, -110) for book in ("alpha", "beta", "gamma", "delta")]


def steam(*moves: list[dict], games: pd.DataFrame = GAMES, **params: object) -> pd.DataFrame:
    return steam_events(snapshots(*OPEN, *moves), games, ConsensusParams(**params))


def test_three_books_moving_together_are_one_event() -> None:
    result = steam(
        line(30, "alpha", -125, 105),
        line(26, "beta", -125, 105),
        line(22, "gamma", -125, 105),
    )
    assert list(result.columns) == STEAM_COLUMNS
    assert result["side"].tolist() == ["home", "away"]
    home, away = row(result, "home"), row(result, "away")
    assert home["direction"] == 1 and away["direction"] == -1
    for event in (home, away):
        assert (event["started_at"], event["confirmed_at"], event["ended_at"]) == (
            at(30),
            at(22),
            at(22),
        )
        assert event["n_books"] == 3 and event["books"] == "alpha,beta,gamma"
    assert home["total_move_prob"] == pytest.approx(3 * (UP - HALF))
    assert away["total_move_prob"] == pytest.approx(-3 * (UP - HALF))


def test_the_window_includes_its_end_and_absorbs_later_books() -> None:
    result = steam(
        line(30, "alpha", -125, 105),
        line(25, "beta", -125, 105),
        line(21, "gamma", -125, 105),  # confirms
        line(20, "delta", -125, 105),  # exactly 10 minutes after the start: absorbed
    )
    home = row(result, "home")
    assert (home["confirmed_at"], home["ended_at"], home["n_books"]) == (at(21), at(20), 4)
    assert home["books"] == "alpha,beta,delta,gamma"


def polls(*minutes_before_start: float) -> pd.DataFrame:
    """Every book's line for GAME read at each given time (one poll reads the whole board)."""
    books = ("alpha", "beta", "gamma", "delta")
    times = [at(m) for m in minutes_before_start]
    return pd.DataFrame(
        [{"game_id": GAME, "book": b, "observed_at": t} for b in books for t in times]
    )


BURST = [line(30, "alpha", -125, 105), line(26, "beta", -125, 105), line(22, "gamma", -125, 105)]


def test_books_polled_an_hour_apart_make_no_steam() -> None:
    # Each move was first seen by the poll at START-20, the old line last by the one at
    # START-80: every book's repricing could have happened anywhere in that hour.
    snaps = snapshots(*OPEN, *BURST)
    hourly = summarize_market(snaps, GAMES, ConsensusParams(), polls(200, 140, 80, 20))
    assert hourly.steam.empty and hourly.unbracketed_moves == 3
    assert hourly.consensus["steam_events"].sum() == 0


def test_books_polled_every_few_minutes_make_steam_with_its_gap() -> None:
    snaps = snapshots(*OPEN, *BURST)
    dense = summarize_market(snaps, GAMES, ConsensusParams(), polls(200, *range(40, 0, -4)))
    home = row(dense.steam, "home")
    assert home["n_books"] == 3 and dense.unbracketed_moves == 0
    assert home["observation_gap_minutes"] == 4.0  # each move between polls 4 minutes apart
    assert row(steam(*BURST), "home")["observation_gap_minutes"] == 0.0  # continuous


def test_two_books_are_not_steam() -> None:
    assert steam(line(30, "alpha", -125, 105), line(28, "beta", -125, 105)).empty


def test_moves_in_opposite_directions_are_not_steam() -> None:
    result = steam(
        line(30, "alpha", -125, 105),
        line(28, "beta", -125, 105),
        line(26, "gamma", 105, -125),  # towards away
    )
    assert result.empty


def test_moves_spread_over_more_than_the_window_are_not_steam() -> None:
    result = steam(
        line(30, "alpha", -125, 105),
        line(25, "beta", -125, 105),
        line(19, "gamma", -125, 105),  # 11 minutes after alpha, 6 after beta: only 2 within
    )
    assert result.empty


def test_moves_at_or_after_first_pitch_are_not_steam() -> None:
    result = steam(
        line(8, "alpha", -125, 105),
        line(4, "beta", -125, 105),
        line(0, "gamma", -125, 105),  # at first pitch
        line(-2, "delta", -125, 105),  # in play
    )
    assert result.empty


def test_small_moves_and_point_changes_are_not_moves() -> None:
    result = steam(
        line(30, "alpha", -125, 105),
        line(28, "beta", -125, 105),
        line(26, "gamma", -112, -108),  # 0.43 points: below the threshold
    )
    assert result.empty
    totals = steam_events(
        snapshots(
            *(line(200, b, -110, -110, market="totals", point=8.5) for b in ("a", "b", "c")),
            line(30, "a", -125, 105, market="totals", point=8.5),
            line(28, "b", -125, 105, market="totals", point=8.5),
            line(26, "c", -125, 105, market="totals", point=9.0),  # new line: not a move
        ),
        GAMES,
    )
    assert totals.empty


def test_an_isolated_early_move_does_not_hide_a_later_burst() -> None:
    result = steam(
        line(60, "alpha", -125, 105),  # alone in its window
        line(45, "beta", -125, 105),
        line(44, "gamma", -125, 105),
        line(43, "delta", -125, 105),
    )
    home = row(result, "home")
    assert (home["started_at"], home["ended_at"], home["books"]) == (
        at(45),
        at(43),
        "beta,delta,gamma",
    )


def test_events_do_not_overlap() -> None:
    result = steam(
        line(60, "alpha", -125, 105),
        line(59, "beta", -125, 105),
        line(58, "gamma", -125, 105),
        line(52, "delta", -125, 105),  # inside the first window: absorbed, not a new event
        line(40, "alpha", -140, 120),
        line(39, "beta", -140, 120),
        line(38, "gamma", -140, 120),
    )
    home = result[result["side"] == "home"]
    assert home["started_at"].tolist() == [at(60), at(40)]
    assert home["ended_at"].tolist() == [at(52), at(38)]
    assert home["n_books"].tolist() == [4, 3]


def test_the_thresholds_are_parameters() -> None:
    moves = [line(30, "alpha", -125, 105), line(28, "beta", -125, 105)]
    assert len(steam(*moves, steam_min_books=2)) == 2
    assert steam(*moves, steam_min_books=2, steam_min_move_prob=0.05).empty
    spread = [*moves, line(15, "gamma", -125, 105)]
    assert steam(*spread).empty
    assert len(steam(*spread, steam_window_minutes=15)) == 2


def test_consensus_counts_steam_towards_each_side() -> None:
    result = market_consensus(
        snapshots(
            *OPEN,
            line(90, "alpha", -125, 105),
            line(89, "beta", -125, 105),
            line(88, "gamma", -125, 105),  # confirmed before the decision
            line(30, "alpha", -110, -110),
            line(29, "beta", -110, -110),
            line(28, "gamma", -110, -110),  # back towards away, after the decision
        ),
        GAMES,
    )
    home, away = row(result, "home"), row(result, "away")
    assert (home["steam_events"], home["steam_events_before_decision"]) == (1, 1)
    assert home["first_steam_at"] == at(88)
    assert (away["steam_events"], away["steam_events_before_decision"]) == (1, 0)
    assert away["first_steam_at"] == at(28)


def test_params_are_validated() -> None:
    with pytest.raises(ValueError):
        ConsensusParams(sharp_books="pinnacle")  # a string, not a tuple of keys
    with pytest.raises(ValueError):
        ConsensusParams(steam_min_books=0)
    with pytest.raises(ValueError):
        ConsensusParams(steam_window_minutes=0)
    with pytest.raises(ValueError):
        ConsensusParams(steam_min_move_prob=0)
    assert ConsensusParams(sharp_books=["pinnacle", "circa"]).sharp_books == ("pinnacle", "circa")


# --- agreement with a direct (slow) reading of the definitions ------------------------


def _reference_states(snaps: pd.DataFrame, sharp: set[str]) -> pd.DataFrame:
    """market_states recomputed moment by moment with plain Python, for small inputs."""
    rows = []
    pregame = snaps[snaps["captured_at"] < START]
    for (game, market), group in pregame.groupby(["game_id", "market"]):
        first, second = ("over", "under") if market == "totals" else ("home", "away")
        for moment in sorted(group["captured_at"].unique()):
            quotes = []
            for book, history in group[group["captured_at"] <= moment].groupby("book"):
                latest = history.sort_values("captured_at").groupby("side").last()
                if first not in latest.index or second not in latest.index:
                    continue
                a, b = latest.loc[first], latest.loc[second]
                same = a["point"] == (-b["point"] if market == "spreads" else b["point"])
                if market != "h2h" and not same:
                    continue
                q = no_vig_multiplicative(
                    american_to_implied(float(a["price_american"])),
                    american_to_implied(float(b["price_american"])),
                )[0]
                quotes.append((book, a["point"], q, a["price_american"], b["price_american"]))
            if not quotes:
                continue
            points = {}
            for book, point, q, *_ in quotes:
                key = -np.inf if np.isnan(point) else point
                n, n_sharp, balance = points.get(key, (0, 0, []))
                points[key] = (n + 1, n_sharp + (book in sharp), [*balance, abs(q - 0.5)])
            main = min(
                points, key=lambda p: (-points[p][0], -points[p][1], np.mean(points[p][2]), p)
            )
            kept = [x for x in quotes if (-np.inf if np.isnan(x[1]) else x[1]) == main]
            probs = [q for _, _, q, *_ in kept]
            sharp_probs = [q for book, _, q, *_ in kept if book in sharp]
            other = [q for book, _, q, *_ in kept if book not in sharp]
            sharp_prob = np.mean(sharp_probs) if sharp_probs else np.nan
            best = max(kept, key=lambda x: (x[3], [-ord(c) for c in x[0]]))
            rows.append(
                {
                    "game_id": game,
                    "market": market,
                    "at": moment,
                    "n_books": len(kept),
                    "consensus_prob_novig": np.mean(probs),
                    "dispersion_prob": np.std(probs, ddof=1) if len(probs) > 1 else np.nan,
                    "best_price": best[3],
                    "sharp_gap_prob": sharp_prob - np.mean(other) if other else np.nan,
                }
            )
    return pd.DataFrame(rows)


def _plausible_pair(rng: np.random.Generator) -> tuple[int, int]:
    """Random home/away prices whose margin a book could quote (normalization keeps them)."""
    while True:
        home = int(rng.choice([-140, -125, -115, -110, -105, 100, 110]))
        away = int(rng.choice([-120, -110, -105, 100, 105, 120]))
        if 0.97 <= american_to_implied(home) + american_to_implied(away) <= 1.12:
            return home, away


def _random_snapshots(seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    books = ["alpha", "beta", "gamma", "pinnacle"]
    lines = []
    for book in books:
        for minute in np.sort(rng.choice(np.arange(1, 300), size=12, replace=False))[::-1]:
            home, away = _plausible_pair(rng)
            lines.append(line(float(minute), book, home, away))
            point = float(rng.choice([8.0, 8.5, 9.0]))
            lines.append(line(float(minute), book, home, away, market="totals", point=point))
        lines.append(line(-5, book, -200, 170))  # in play: ignored
    return snapshots(*lines)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_states_agree_with_a_direct_computation(seed: int) -> None:
    snaps = _random_snapshots(seed)
    result = market_states(snaps, GAMES)
    first_side = result[result["side"].isin(["home", "over"])]
    first_side = first_side[first_side["n_books"] > 0].reset_index(drop=True)
    expected = _reference_states(snaps, {"pinnacle"})
    assert len(first_side) == len(expected)
    for column in ("n_books", "consensus_prob_novig", "dispersion_prob", "sharp_gap_prob"):
        np.testing.assert_allclose(
            first_side[column].to_numpy(float), expected[column].to_numpy(float), atol=1e-12
        )
    assert first_side["best_price"].tolist() == expected["best_price"].tolist()
    assert first_side["at"].tolist() == expected["at"].tolist()


def _reference_steam(snaps: pd.DataFrame, params: ConsensusParams) -> list[tuple]:
    """steam_events' home/over rows recomputed with plain Python loops, for small inputs."""
    moves = []
    pregame = snaps[snaps["captured_at"] < START]
    for (game, market, book), history in pregame.groupby(["game_id", "market", "book"]):
        first, second = ("over", "under") if market == "totals" else ("home", "away")
        state: dict[str, tuple] = {}
        previous = None
        for moment, changes in history.groupby("captured_at"):
            for change in changes.itertuples():
                state[change.side] = (change.point, change.price_american)
            lines = tuple(None if s not in state else str(state[s][0]) for s in (first, second))
            q = np.nan
            if None not in lines:
                (point_a, price_a), (point_b, price_b) = state[first], state[second]
                paired = market == "h2h" or point_a == (
                    -point_b if market == "spreads" else point_b
                )
                if paired:
                    q = no_vig_multiplicative(
                        american_to_implied(float(price_a)), american_to_implied(float(price_b))
                    )[0]
            if previous is not None and previous[1] == lines and not np.isnan(q - previous[0]):
                move = q - previous[0]
                if abs(move) >= params.steam_min_move_prob - 1e-9:
                    moves.append((game, market, int(np.sign(move)), moment, book, move))
            previous = (q, lines)
    window = pd.Timedelta(minutes=params.steam_window_minutes)
    events = []
    by_group: dict[tuple, list] = {}
    for move in moves:
        by_group.setdefault(move[:3], []).append(move)
    for key, group in sorted(by_group.items()):
        group.sort(key=lambda m: (m[3], m[4]))
        i = 0
        while i < len(group):
            inside = [m for m in group[i:] if m[3] <= group[i][3] + window]
            books = sorted({m[4] for m in inside})
            if len(books) >= params.steam_min_books:
                events.append((*key, group[i][3], inside[-1][3], len(books), ",".join(books)))
                i += len(inside)
            else:
                i += 1
    return sorted(events, key=lambda e: (e[0], e[1], e[3]))


@pytest.mark.parametrize(
    ("seed", "books", "window"), [(1, 2, 30), (2, 2, 20), (3, 3, 60), (4, 2, 10)]
)
def test_steam_agrees_with_a_direct_computation(seed: int, books: int, window: int) -> None:
    snaps = _random_snapshots(seed)
    params = ConsensusParams(steam_min_books=books, steam_window_minutes=window)
    result = steam_events(snaps, GAMES, params)
    first_side = result[result["side"].isin(["home", "over"])]
    got = [
        (r.game_id, r.market, r.direction, r.started_at, r.ended_at, r.n_books, r.books)
        for r in first_side.itertuples()
    ]
    expected = _reference_steam(snaps, params)
    assert len(expected) > 0  # the case exercises the detector
    assert got == expected
