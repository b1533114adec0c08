"""A small crafted two-book board and a running replay server over it.

The quotes are chosen so every rule has a witness: a side that moves several times,
a market that appears late, a line change after first pitch, a book that quotes only
one market, a game nobody has quoted yet and a game without a final score.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pandas as pd
import pytest

from mlb_assets.replay import OddsBoard, ReplayServer, SimulatedClock

TEST_KEY = "test-key-5f3a9c"
REPLAY_NOW = datetime(2016, 4, 3, 12, 0, tzinfo=UTC)

GAMES = [
    # game_id, away, home, first pitch (UTC), away score, home score
    ("PIT201604030", "SLN", "PIT", "2016-04-03T17:05:00Z", 1, 4),
    ("TBA201604030", "TOR", "TBA", "2016-04-03T20:05:00Z", 5, 3),
    ("KCA201604030", "NYN", "KCA", "2016-04-04T00:35:00Z", 3, 4),
    ("MIL201604040", "SFN", "MIL", "2016-04-04T18:10:00Z", None, None),
]

QUOTES = [
    # game, book, market, side, point, price, captured_at (UTC)
    ("PIT201604030", "pinnacle", "h2h", "home", None, -110, "2016-04-02T12:00:00Z"),
    ("PIT201604030", "pinnacle", "h2h", "away", None, 100, "2016-04-02T12:00:00Z"),
    ("PIT201604030", "pinnacle", "spreads", "home", -1.5, 150, "2016-04-02T12:00:00Z"),
    ("PIT201604030", "pinnacle", "spreads", "away", 1.5, -165, "2016-04-02T12:00:00Z"),
    ("PIT201604030", "draftkings", "h2h", "home", None, -112, "2016-04-02T12:30:00Z"),
    ("PIT201604030", "draftkings", "h2h", "away", None, -102, "2016-04-02T12:30:00Z"),
    ("PIT201604030", "pinnacle", "totals", "over", 7.5, -105, "2016-04-02T13:00:00Z"),
    ("PIT201604030", "pinnacle", "totals", "under", 7.5, -105, "2016-04-02T13:00:00Z"),
    ("PIT201604030", "pinnacle", "h2h", "home", None, -115, "2016-04-02T14:00:00Z"),
    ("PIT201604030", "pinnacle", "h2h", "away", None, 105, "2016-04-02T14:00:00Z"),
    ("PIT201604030", "pinnacle", "totals", "over", 8.0, -110, "2016-04-02T15:00:00Z"),
    ("PIT201604030", "pinnacle", "totals", "under", 8.0, -100, "2016-04-02T15:00:00Z"),
    ("PIT201604030", "pinnacle", "h2h", "home", None, -120, "2016-04-03T17:00:00Z"),
    ("PIT201604030", "pinnacle", "h2h", "away", None, 110, "2016-04-03T17:00:00Z"),
    ("PIT201604030", "pinnacle", "h2h", "home", None, -200, "2016-04-03T17:30:00Z"),
    ("PIT201604030", "pinnacle", "h2h", "away", None, 170, "2016-04-03T17:30:00Z"),
    ("TBA201604030", "pinnacle", "h2h", "home", None, 120, "2016-04-03T08:00:00Z"),
    ("TBA201604030", "pinnacle", "h2h", "away", None, -130, "2016-04-03T08:00:00Z"),
    ("TBA201604030", "draftkings", "totals", "over", 8.5, -110, "2016-04-03T09:00:00Z"),
    ("TBA201604030", "draftkings", "totals", "under", 8.5, -110, "2016-04-03T09:00:00Z"),
    ("KCA201604030", "pinnacle", "h2h", "home", None, -140, "2016-04-03T10:00:00Z"),
    ("KCA201604030", "pinnacle", "h2h", "away", None, 130, "2016-04-03T10:00:00Z"),
    ("MIL201604040", "pinnacle", "h2h", "home", None, 101, "2016-04-03T18:00:00Z"),
    ("MIL201604040", "pinnacle", "h2h", "away", None, -111, "2016-04-03T18:00:00Z"),
]


def crafted_games() -> pd.DataFrame:
    """The reconciled-games columns the board needs."""
    rows = [
        {
            "game_id": game_id,
            "home_team": home,
            "away_team": away,
            "start_time_utc": pd.Timestamp(start),
            "season": 2016,
            "home_score": home_score,
            "away_score": away_score,
        }
        for game_id, away, home, start, away_score, home_score in GAMES
    ]
    games = pd.DataFrame(rows)
    for column in ("home_score", "away_score"):
        games[column] = games[column].astype("Int64")
    return games


def crafted_quotes() -> pd.DataFrame:
    """The quotes in the long quote format."""
    columns = ["game_id", "book", "market", "side", "point", "price_american", "captured_at"]
    quotes = pd.DataFrame(QUOTES, columns=columns)
    quotes["point"] = quotes["point"].astype(float)
    quotes["price_american"] = quotes["price_american"].astype(float)
    quotes["captured_at"] = pd.to_datetime(quotes["captured_at"], utc=True)
    return quotes


@pytest.fixture(scope="session")
def crafted_board() -> OddsBoard:
    return OddsBoard.from_quotes(crafted_quotes(), crafted_games())


@pytest.fixture
def replay(crafted_board: OddsBoard) -> Iterator[ReplayServer]:
    """A running server over the crafted board, simulated now 2016-04-03 12:00 UTC."""
    server = ReplayServer(
        crafted_board, api_key=TEST_KEY, quota_total=500, clock=SimulatedClock(REPLAY_NOW)
    )
    with server:
        yield server
