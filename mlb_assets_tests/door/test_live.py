"""Live mode at the door: The Odds API and the MLB Stats API played by the replay server.

``mlb-assets replay-server`` runs as its own process; ``dagster asset materialize`` is
pointed at it only through the README's variables (MLB_ASSETS_ODDS_SOURCE, ODDS_API_KEY,
ODDS_API_BASE_URL, MLB_STATS_BASE_URL and MLB_ASSETS_NOW or MLB_ASSETS_CLOCK_URL). A date
before the replay's "now" is walked through the historical endpoint; today's date (in
America/New_York) is polled live. The key never shows in what the run printed or stored.
The walked feed carries an implausible quote (``--implausible-total 0.5``): the run still
succeeds and the quote lands in quarantine with its reason.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from mlb_assets_tests.door.conftest import (
    DAY,
    GAMES_2016_04_04,
    REPLAY_DEFAULT_KEY,
    SIDES,
    Door,
    assert_no_secret,
    day_of,
    query,
    request_params,
)

pytestmark = [pytest.mark.archive, pytest.mark.slow]

SELECT = "*odds_snapshots"
LIVE_ENDPOINT = "/v4/sports/baseball_mlb/odds"
HISTORICAL_ENDPOINT = "/v4/historical/sports/baseball_mlb/odds"
SCHEDULE_ENDPOINT = "/api/v1/schedule"


def live_env(door: Door, replay_url: str, key: str, **clock: str) -> dict[str, str]:
    return door.env(
        MLB_ASSETS_ODDS_SOURCE="odds_api",
        ODDS_API_KEY=key,
        ODDS_API_BASE_URL=replay_url,
        MLB_STATS_BASE_URL=replay_url,
        **clock,
    )


def parse_time(value: object) -> datetime:
    """A UTC timestamp column (SQLite: naive text; Postgres: aware or naive datetime)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def assert_schedule_and_odds(url: str) -> list[dict]:
    """Games from the MLB Stats schedule and odds mapped onto them, all of 2016-04-04."""
    games = query(url, "SELECT game_id, game_date, sources, mlb_game_pk, status FROM games")
    assert {row["game_id"] for row in games} == GAMES_2016_04_04
    assert {day_of(row["game_date"]) for row in games} == {DAY}
    assert all("mlb_stats" in row["sources"] for row in games)
    assert all(row["mlb_game_pk"] for row in games)

    snapshots = query(
        url,
        "SELECT game_id, game_date, book, market, side, price_american, captured_at, source "
        "FROM odds_snapshots",
    )
    assert snapshots
    assert {day_of(row["game_date"]) for row in snapshots} == {DAY}
    assert {row["game_id"] for row in snapshots} <= GAMES_2016_04_04
    assert {row["source"] for row in snapshots} == {"odds_api"}
    assert {(row["market"], row["side"]) for row in snapshots} <= SIDES
    assert all(abs(row["price_american"]) >= 100 for row in snapshots)

    schedule = query(
        url,
        "SELECT source_ref, request_params FROM raw_payloads WHERE source = 'mlb_stats'",
    )
    assert schedule and {row["source_ref"] for row in schedule} == {SCHEDULE_ENDPOINT}
    assert all(request_params(row).get("date") == DAY for row in schedule)
    return games


def assert_key_kept_secret(door: Door, key: str, url: str) -> None:
    """No stored request parameter, printed line or file of the run holds the key."""
    for row in query(url, "SELECT request_params, source_ref FROM raw_payloads"):
        params = request_params(row)
        assert "apiKey" not in params and "api_key" not in params
        assert key not in str(params) and key not in str(row["source_ref"])
    assert_no_secret(key, [ran.output for ran in door.runs], [door.home, door.dagster_home])


def assert_implausible_total_quarantined(url: str) -> None:
    """The replayed first-inning total is in quarantine with its reason; the game's other
    markets, and other games' totals, are stored."""
    bad = query(
        url,
        "SELECT source_ref, reason, game_date FROM quarantine WHERE asset = 'odds_snapshots'",
    )
    totals = [row for row in bad if "/pinnacle/totals/" in row["source_ref"]]
    assert totals, "the replayed total of 0.5 was not quarantined"
    assert all(
        row["reason"].startswith("totals point 0.5 is outside the full-game range 4.5..20")
        for row in totals
    )
    assert {day_of(row["game_date"]) for row in totals} == {DAY}
    games = {row["source_ref"].split("/", 1)[0] for row in totals}
    stored = query(url, "SELECT game_id, market FROM odds_snapshots")
    assert all(
        {"h2h", "spreads"} <= {r["market"] for r in stored if r["game_id"] == g} for g in games
    )
    assert any(r["market"] == "totals" for r in stored if r["game_id"] not in games)


def test_a_past_date_is_walked_through_the_historical_endpoint(door: Door, replay_server) -> None:
    # A key of the test's own, so that finding it anywhere can only be a leak.
    key = "door-key-7f3a9c2e5b"
    now = "2016-04-05T20:00:00Z"  # the day after: 2016-04-04 is in the past
    # The feed also carries one implausible quote: the first listed game's total as 0.5.
    replay = replay_server(now, "--api-key", key, "--implausible-total", "0.5")
    door.materialize(SELECT, DAY, live_env(door, replay.url, key, MLB_ASSETS_NOW=now))
    url = door.sqlite_url

    assert_implausible_total_quarantined(url)
    games = assert_schedule_and_odds(url)
    assert {row["status"] for row in games} == {"final"}  # seen from the next day
    odds = query(
        url,
        "SELECT source_ref, request_params, game_date FROM raw_payloads WHERE source = 'odds_api'",
    )
    assert len(odds) > 1, "a walk over the day takes several historical snapshots"
    assert {row["source_ref"] for row in odds} == {HISTORICAL_ENDPOINT}
    assert {day_of(row["game_date"]) for row in odds} == {DAY}
    asked = sorted(request_params(row)["date"] for row in odds)
    assert asked[0] < f"{DAY}T04:00:00Z" <= asked[-1], "the walk starts before the day"
    assert all(request_params(row)["markets"] == "h2h,spreads,totals" for row in odds)
    served = replay.stats()["requests"]
    assert served.get(HISTORICAL_ENDPOINT, 0) >= len(odds)
    assert LIVE_ENDPOINT not in served
    assert_key_kept_secret(door, key, url)


@pytest.mark.parametrize("clock", ["MLB_ASSETS_NOW", "MLB_ASSETS_CLOCK_URL"])
def test_today_is_polled_live(door: Door, replay_server, clock: str) -> None:
    now = "2016-04-04T22:00:00Z"  # 18:00 in New York: 2016-04-04 is today
    replay = replay_server(now)
    value = now if clock == "MLB_ASSETS_NOW" else f"{replay.url}/_replay/clock"
    env = live_env(door, replay.url, REPLAY_DEFAULT_KEY, **{clock: value})
    door.materialize(SELECT, DAY, env)
    url = door.sqlite_url

    games = assert_schedule_and_odds(url)
    # As of 18:00 in New York some games are over and some have not started.
    statuses = {row["status"] for row in games}
    assert "scheduled" in statuses and statuses != {"final"}
    odds = query(
        url,
        "SELECT source_ref, request_params, game_date FROM raw_payloads WHERE source = 'odds_api'",
    )
    assert len(odds) == 1, "today is one live poll"
    assert odds[0]["source_ref"] == LIVE_ENDPOINT
    params = request_params(odds[0])
    assert params["markets"] == "h2h,spreads,totals"
    assert params["oddsFormat"] == "american"
    # Today's window in New York (EDT, UTC-4) and no historical "date".
    assert params.get("commenceTimeFrom") == f"{DAY}T04:00:00Z"
    assert params.get("commenceTimeTo") == "2016-04-05T04:00:00Z"
    assert "date" not in params
    served = replay.stats()["requests"]
    assert served.get(LIVE_ENDPOINT) == 1 and HISTORICAL_ENDPOINT not in served
    # Nothing from after the replay's "now" was served or stored.
    captured = [
        parse_time(row["captured_at"])
        for row in query(url, "SELECT captured_at FROM odds_snapshots")
    ]
    assert max(captured) <= datetime(2016, 4, 4, 22, tzinfo=UTC)
    assert_key_kept_secret(door, REPLAY_DEFAULT_KEY, url)
