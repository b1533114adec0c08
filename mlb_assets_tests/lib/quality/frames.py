"""Hand-built valid frames of the tables the quality suites check, shared by the tests.

Each frame is small and internally consistent: one NYA home game on 2016-04-05 with its
quotes, line summaries, features, picks and settled bets.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from mlb_assets.lib.quality.rules import QualityRules

RULES = QualityRules(
    known_teams=frozenset({"NYA", "BOS", "TOR", "BAL"}),
    known_books=frozenset({"pinnacle", "draftkings"}),
    max_stake_fraction=0.05,
)
GAME = "NYA201604050"
FIRST_PITCH = pd.Timestamp("2016-04-05 17:05", tz="UTC")
DECISION = FIRST_PITCH - pd.Timedelta(minutes=60)
CAPTURED = pd.Timestamp("2016-04-05 15:00", tz="UTC")
GAME_DATE = pd.Timestamp("2016-04-05").date()


def odds_snapshots() -> pd.DataFrame:
    rows = [
        # snapshot_id, book, market, side, point, price
        (11, "pinnacle", "h2h", "home", None, -150),
        (12, "pinnacle", "h2h", "away", None, 130),
        (13, "pinnacle", "totals", "over", 8.5, -110),
        (14, "pinnacle", "spreads", "home", -1.5, 120),
        (15, "pinnacle", "totals", "under", 8.5, -110),
        (16, "draftkings", "spreads", "away", 1.5, -140),
    ]
    frame = pd.DataFrame(
        rows, columns=["snapshot_id", "book", "market", "side", "point", "price_american"]
    )
    return frame.assign(
        game_id=GAME,
        game_date=GAME_DATE,
        captured_at=CAPTURED,
        source="pinnacle_archive",
        payload_id=None,
        start_time_utc=FIRST_PITCH,
    )


def games() -> pd.DataFrame:
    rows = [
        # game_id, number, away, home, away_score, home_score, status
        (GAME, 0, "BOS", "NYA", 3, 5, "final"),
        ("TOR201604051", 1, "BAL", "TOR", None, None, "postponed"),
        ("TOR201604052", 2, "BAL", "TOR", None, None, "scheduled"),
    ]
    columns = ["game_id", "game_number", "away_team", "home_team", "away_score", "home_score"]
    frame = pd.DataFrame(rows, columns=[*columns, "status"])
    return frame.assign(
        season=2016, game_date=GAME_DATE, start_time_utc=FIRST_PITCH, sources="retrosheet"
    )


def line_movements() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "game_id": [GAME, GAME],
            "book": ["pinnacle", "pinnacle"],
            "market": ["h2h", "h2h"],
            "side": ["home", "away"],
            "game_date": [GAME_DATE, GAME_DATE],
            "open_at": [DECISION - pd.Timedelta(hours=20)] * 2,
            "open_price": [-140, 120],
            "decision_at": [DECISION] * 2,
            "decision_price": pd.array([-150, 130], dtype="Int64"),
            "close_at": [FIRST_PITCH - pd.Timedelta(minutes=5)] * 2,
            "close_price": [-160, 140],
            "n_moves": [3, 3],
            "open_prob_novig": [0.56, 0.44],
            "decision_prob_novig": [0.58, 0.42],
            "close_prob_novig": [0.60, 0.40],
            "moves_last_1h": [1, 1],
            "moves_last_3h": [2, 2],
            "steam": [False, False],
        }
    )


def game_features() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "game_id": [GAME, GAME, GAME],
            "feature_set": ["market", "market", "form"],
            "name": ["open_prob_home", "n_books", "home_win_pct_10"],
            "game_date": [GAME_DATE] * 3,
            "value": [0.55, 4.0, None],
        }
    )


def picks() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "pick_id": [101, 102],
            "game_id": [GAME, GAME],
            "market": ["h2h", "h2h"],
            "side": ["home", "away"],
            "model_prob": [0.62, 0.38],
            "market_prob": [0.57, 0.43],
            "stake_fraction": [0.02, 0.0],
            "tier": ["B", None],
            "is_bet": [True, False],
            "paper": [False, False],
            "price_american": [-130, 120],
            "book": ["pinnacle", "pinnacle"],
            "quoted_at": [DECISION - pd.Timedelta(minutes=5)] * 2,
            "decision_at": [DECISION] * 2,
        }
    )


def bet_ledger() -> pd.DataFrame:
    rows = [
        # bet_id, market, price, stake, result, profit
        (201, "h2h", 130, 10.0, "win", 13.0),
        (202, "h2h", -150, 15.0, "loss", -15.0),
        (203, "totals", -110, 11.0, "push", 0.0),
        (204, "h2h", 110, 10.0, None, None),
    ]
    columns = ["bet_id", "market", "price_american", "stake", "result", "profit"]
    return pd.DataFrame(rows, columns=columns).assign(
        game_id=GAME, game_date=GAME_DATE, stake_fraction=0.01, book="pinnacle"
    )


FRAMES: dict[str, Callable[[], pd.DataFrame]] = {
    "odds_snapshots": odds_snapshots,
    "games": games,
    "line_movements": line_movements,
    "game_features": game_features,
    "picks": picks,
    "bet_ledger": bet_ledger,
}
