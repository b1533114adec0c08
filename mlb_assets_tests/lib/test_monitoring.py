from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd

from mlb_assets.lib.ingest.monitoring import dates_ready_to_settle, odds_staleness


def _games(rows: list[tuple[str, str]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["game_date", "status"])


def test_settles_finished_dates_in_order_and_stops_at_an_open_one() -> None:
    games = _games(
        [
            ("2016-04-03", "final"),
            ("2016-04-03", "postponed"),
            ("2016-04-04", "final"),
            ("2016-04-05", "in_progress"),
            ("2016-04-06", "final"),
        ]
    )
    today = date(2016, 4, 6)
    assert dates_ready_to_settle(games, after=None, today=today) == [
        date(2016, 4, 3),
        date(2016, 4, 4),
    ]
    assert dates_ready_to_settle(games, after=date(2016, 4, 4), today=today) == []
    assert dates_ready_to_settle(games, after=None, today=date(2016, 4, 3)) == [date(2016, 4, 3)]


def test_nothing_to_settle_without_games() -> None:
    assert dates_ready_to_settle(_games([]), after=None, today=date(2016, 4, 3)) == []


def test_stale_only_when_games_are_coming() -> None:
    now = datetime(2016, 4, 3, 16, 0, tzinfo=UTC)
    games = pd.DataFrame({"start_time_utc": [pd.Timestamp("2016-04-03 17:05", tz="UTC")]})
    fresh = odds_staleness(games, now - pd.Timedelta(minutes=5), now=now, max_age_minutes=30)
    stale = odds_staleness(games, now - pd.Timedelta(minutes=45), now=now, max_age_minutes=30)
    missing = odds_staleness(games, None, now=now, max_age_minutes=30)
    assert not fresh.stale and stale.stale and missing.stale
    assert stale.age_minutes == 45
    later = odds_staleness(games, None, now=now + pd.Timedelta(hours=2), max_age_minutes=30)
    assert not later.stale  # the game has started: nothing left to price
