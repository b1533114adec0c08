"""The replay server over real HTTP on 127.0.0.1: v4 shapes, point-in-time prices, controls."""

from __future__ import annotations

import json
import re
import socket
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest

from mlb_assets.replay import (
    Fault,
    OddsBoard,
    ReplayServer,
    SimulatedClock,
    event_id,
    main,
)
from mlb_assets.replay.cli import parse_args, server_from_args
from mlb_assets.replay.odds_board import snapshot_times
from mlb_assets_tests.replay.conftest import (
    REPLAY_NOW,
    TEST_KEY,
    crafted_games,
    crafted_quotes,
)

ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
HEX32 = re.compile(r"^[0-9a-f]{32}$")
ALL_MARKETS = "h2h,spreads,totals"


def _utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def get(server: ReplayServer, path: str, key: str | None = TEST_KEY, **params) -> httpx.Response:
    query = ({"apiKey": key} if key is not None else {}) | params
    return httpx.get(server.url + path, params=query, timeout=5)


def odds(server: ReplayServer, **params) -> list[dict]:
    params = {"regions": "us", "markets": ALL_MARKETS, "oddsFormat": "american"} | params
    response = get(server, "/v4/sports/baseball_mlb/odds", **params)
    assert response.status_code == 200, response.text
    return response.json()


def prices(events: list[dict]) -> dict[tuple, tuple]:
    """{(home team, book, market, outcome name): (price, point)} of an odds payload."""
    found = {}
    for event in events:
        for book in event["bookmakers"]:
            for market in book["markets"]:
                for outcome in market["outcomes"]:
                    key = (event["home_team"], book["key"], market["key"], outcome["name"])
                    found[key] = (outcome["price"], outcome.get("point"))
    return found


# --- /odds -------------------------------------------------------------------------------


def test_odds_have_the_v4_shape(replay: ReplayServer) -> None:
    events = odds(replay)
    assert [e["home_team"] for e in events] == [
        "Pittsburgh Pirates",
        "Tampa Bay Rays",
        "Kansas City Royals",
    ]
    for event in events:
        assert set(event) == {
            "id",
            "sport_key",
            "sport_title",
            "commence_time",
            "home_team",
            "away_team",
            "bookmakers",
        }
        assert HEX32.match(event["id"])
        assert (event["sport_key"], event["sport_title"]) == ("baseball_mlb", "MLB")
        assert ISO_Z.match(event["commence_time"])
        for book in event["bookmakers"]:
            assert set(book) == {"key", "title", "last_update", "markets"}
            assert ISO_Z.match(book["last_update"])
            assert book["last_update"] == max(m["last_update"] for m in book["markets"])
            for market in book["markets"]:
                assert list(market) == ["key", "last_update", "outcomes"]
                assert market["key"] in {"h2h", "spreads", "totals"}
                for outcome in market["outcomes"]:
                    assert isinstance(outcome["price"], int)
                    if market["key"] == "h2h":
                        assert set(outcome) == {"name", "price"}
                        assert outcome["name"] in {event["home_team"], event["away_team"]}
                    else:
                        assert set(outcome) == {"name", "price", "point"}
                        assert isinstance(outcome["point"], float)
                    if market["key"] == "totals":
                        assert outcome["name"] in {"Over", "Under"}
    pit = events[0]
    assert pit["id"] == event_id("PIT201604030")
    assert pit["commence_time"] == "2016-04-03T17:05:00Z"
    assert pit["away_team"] == "St. Louis Cardinals"
    assert [b["key"] for b in pit["bookmakers"]] == ["draftkings", "pinnacle"]
    assert [b["title"] for b in pit["bookmakers"]] == ["DraftKings", "Pinnacle"]


def test_odds_serve_the_prices_in_effect_at_simulated_now(replay: ReplayServer) -> None:
    found = prices(odds(replay))
    pit = "Pittsburgh Pirates"
    assert found[(pit, "pinnacle", "h2h", pit)] == (-115, None)
    assert found[(pit, "pinnacle", "h2h", "St. Louis Cardinals")] == (105, None)
    assert found[(pit, "pinnacle", "spreads", pit)] == (150, -1.5)
    assert found[(pit, "pinnacle", "spreads", "St. Louis Cardinals")] == (-165, 1.5)
    assert found[(pit, "pinnacle", "totals", "Over")] == (-110, 8.0)
    assert found[(pit, "pinnacle", "totals", "Under")] == (-100, 8.0)
    assert found[(pit, "draftkings", "h2h", pit)] == (-112, None)
    # A book shows only the markets it has priced: DraftKings never priced PIT's total.
    assert (pit, "draftkings", "totals", "Over") not in found
    assert found[("Tampa Bay Rays", "draftkings", "totals", "Under")] == (-110, 8.5)


def test_odds_follow_the_clock(replay: ReplayServer) -> None:
    pit = "Pittsburgh Pirates"
    replay.clock.set(datetime(2016, 4, 2, 13, 59, 59, tzinfo=UTC))
    assert prices(odds(replay))[(pit, "pinnacle", "h2h", pit)] == (-110, None)
    replay.clock.set(datetime(2016, 4, 2, 14, 0, tzinfo=UTC))  # a change applies at its instant
    assert prices(odds(replay))[(pit, "pinnacle", "h2h", pit)] == (-115, None)
    replay.clock.set(datetime(2016, 4, 3, 17, 2, tzinfo=UTC))
    assert prices(odds(replay))[(pit, "pinnacle", "h2h", pit)] == (-120, None)
    replay.clock.set(datetime(2016, 4, 2, 12, 10, tzinfo=UTC))  # before any total was priced
    markets = {m["key"] for b in odds(replay)[0]["bookmakers"] for m in b["markets"]}
    assert markets == {"h2h", "spreads"}


def test_only_games_not_yet_started_and_already_quoted_are_listed(replay: ReplayServer) -> None:
    replay.clock.set(datetime(2016, 4, 3, 17, 5, tzinfo=UTC))  # PIT's first pitch
    homes = [e["home_team"] for e in odds(replay)]
    assert homes == ["Tampa Bay Rays", "Kansas City Royals"]  # MIL not quoted until 18:00
    replay.clock.set(datetime(2016, 4, 3, 18, 0, tzinfo=UTC))
    assert [e["home_team"] for e in odds(replay)][-1] == "Milwaukee Brewers"


def test_markets_and_bookmakers_filters(replay: ReplayServer) -> None:
    only_totals = odds(replay, markets="totals")
    assert {m["key"] for e in only_totals for b in e["bookmakers"] for m in b["markets"]} == {
        "totals"
    }
    assert [e["home_team"] for e in only_totals] == ["Pittsburgh Pirates", "Tampa Bay Rays"]
    dk = odds(replay, bookmakers="draftkings", regions="")
    assert {b["key"] for e in dk for b in e["bookmakers"]} == {"draftkings"}
    assert [e["home_team"] for e in dk] == ["Pittsburgh Pirates", "Tampa Bay Rays"]


def test_commence_time_window(replay: ReplayServer) -> None:
    events = odds(
        replay, commenceTimeFrom="2016-04-03T20:05:00Z", commenceTimeTo="2016-04-03T23:00:00Z"
    )
    assert [e["home_team"] for e in events] == ["Tampa Bay Rays"]


def test_default_odds_format_is_decimal_like_the_api(replay: ReplayServer) -> None:
    response = get(replay, "/v4/sports/baseball_mlb/odds", regions="us", markets="h2h")
    found = prices(response.json())
    pit = "Pittsburgh Pirates"
    assert found[(pit, "pinnacle", "h2h", pit)] == (round(1 + 100 / 115, 2), None)
    assert found[(pit, "pinnacle", "h2h", "St. Louis Cardinals")] == (2.05, None)


def test_unix_date_format(replay: ReplayServer) -> None:
    events = odds(replay, dateFormat="unix")
    assert events[0]["commence_time"] == int(datetime(2016, 4, 3, 17, 5, tzinfo=UTC).timestamp())


# --- the board: prices at t are the last quote at or before t ----------------------------


def _last_quote_at(quotes: pd.DataFrame, t: pd.Timestamp) -> pd.DataFrame:
    known = quotes[quotes["captured_at"] <= t].sort_values("captured_at", kind="stable")
    last = known.groupby(["game_id", "book", "market", "side"]).tail(1)
    return last.sort_values(["game_id", "book", "market", "side"], ignore_index=True)


def test_board_at_equals_the_last_quote_at_or_before_t(crafted_board: OddsBoard) -> None:
    quotes = crafted_quotes()
    all_games = [g[0] for g in crafted_games().itertuples(index=False)]
    instants = set(quotes["captured_at"])
    instants |= {t - pd.Timedelta(milliseconds=1) for t in instants}
    rng = np.random.default_rng(7)
    start = pd.Timestamp("2016-04-02T11:00Z")
    instants |= {start + pd.Timedelta(minutes=int(m)) for m in rng.integers(0, 2200, 40)}
    columns = ["game_id", "book", "market", "side", "point", "price_american", "captured_at"]
    for t in sorted(instants):
        got = crafted_board.at(t.to_pydatetime(), game_ids=all_games)
        got = got.sort_values(["game_id", "book", "market", "side"], ignore_index=True)
        want = _last_quote_at(quotes, t)[columns]
        want["price_american"] = want["price_american"].astype("int64")
        pd.testing.assert_frame_equal(got[columns], want, check_dtype=False)


def test_board_at_lists_upcoming_games_by_default(crafted_board: OddsBoard) -> None:
    frame = crafted_board.at(datetime(2016, 4, 3, 17, 10, tzinfo=UTC))
    assert sorted(set(frame["game_id"])) == ["KCA201604030", "TBA201604030"]
    totals = crafted_board.at(REPLAY_NOW, books=["pinnacle"], markets=["totals"])
    assert list(totals["side"]) == ["over", "under"]
    assert list(totals["point"]) == [8.0, 8.0]
    with pytest.raises(KeyError, match="NOPE"):
        crafted_board.at(REPLAY_NOW, game_ids=["NOPE201604030"])


def test_board_rejects_naive_times_and_incomplete_games(crafted_board: OddsBoard) -> None:
    with pytest.raises(ValueError, match="naive"):
        crafted_board.at(datetime(2016, 4, 3, 12))
    with pytest.raises(ValueError, match="season"):
        OddsBoard.from_quotes(crafted_quotes(), crafted_games().drop(columns="season"))


def test_quotes_of_unknown_games_are_counted_not_served(caplog: pytest.LogCaptureFixture) -> None:
    games = crafted_games()
    board = OddsBoard.from_quotes(crafted_quotes(), games[games["game_id"] != "KCA201604030"])
    assert "2 line change(s) of 1 game(s)" in caplog.text
    assert "KCA201604030" not in set(board.at(REPLAY_NOW)["game_id"])


# --- /events, /scores, historical ---------------------------------------------------------


def test_events_are_free_and_shaped_like_v4(replay: ReplayServer) -> None:
    response = get(replay, "/v4/sports/baseball_mlb/events")
    assert response.status_code == 200
    events = response.json()
    assert [set(e) for e in events] == [
        {"id", "sport_key", "sport_title", "commence_time", "home_team", "away_team"}
    ] * 3
    assert response.headers["x-requests-last"] == "0"
    assert response.headers["x-requests-remaining"] == "500"
    windowed = get(replay, "/v4/sports/baseball_mlb/events", commenceTimeTo="2016-04-03T18:00:00Z")
    assert [e["home_team"] for e in windowed.json()] == ["Pittsburgh Pirates"]


def _scores(server: ReplayServer, **params) -> dict[str, dict]:
    response = get(server, "/v4/sports/baseball_mlb/scores", **params)
    assert response.status_code == 200, response.text
    return {event["home_team"]: event for event in response.json()}


def test_scores_complete_three_hours_after_first_pitch(replay: ReplayServer) -> None:
    before = _scores(replay)
    pit = before["Pittsburgh Pirates"]
    assert set(pit) == {
        "id",
        "sport_key",
        "sport_title",
        "commence_time",
        "completed",
        "home_team",
        "away_team",
        "scores",
        "last_update",
    }
    assert (pit["completed"], pit["scores"], pit["last_update"]) == (False, None, None)
    replay.clock.set(datetime(2016, 4, 3, 19, 0, tzinfo=UTC))  # in play
    assert _scores(replay)["Pittsburgh Pirates"]["scores"] is None
    replay.clock.set(datetime(2016, 4, 3, 20, 5, tzinfo=UTC))  # 3 h after first pitch
    assert "Pittsburgh Pirates" not in _scores(replay)  # completed games need daysFrom
    done = _scores(replay, daysFrom="1")["Pittsburgh Pirates"]
    assert done["completed"] is True
    assert done["scores"] == [
        {"name": "Pittsburgh Pirates", "score": "4"},
        {"name": "St. Louis Cardinals", "score": "1"},
    ]
    assert done["last_update"] == "2016-04-03T20:05:00Z"


def test_scores_window_and_cost(replay: ReplayServer) -> None:
    replay.clock.set(datetime(2016, 4, 5, 0, 0, tzinfo=UTC))
    response = get(replay, "/v4/sports/baseball_mlb/scores", daysFrom="2")
    assert response.headers["x-requests-last"] == "2"
    homes = {e["home_team"] for e in response.json()}
    # MIL has no final score (postponed): past its duration it is not listed.
    assert homes == {"Pittsburgh Pirates", "Tampa Bay Rays", "Kansas City Royals"}
    response = get(replay, "/v4/sports/baseball_mlb/scores", daysFrom="1")
    assert {e["home_team"] for e in response.json()} == {"Kansas City Royals"}
    assert get(replay, "/v4/sports/baseball_mlb/scores").headers["x-requests-last"] == "1"


def test_snapshot_grid() -> None:
    now = datetime(2016, 4, 3, 12, 0, tzinfo=UTC)
    stamp, previous, following = snapshot_times(datetime(2016, 4, 3, 11, 7, 30, tzinfo=UTC), now)
    assert stamp == datetime(2016, 4, 3, 11, 5, tzinfo=UTC)
    assert previous == datetime(2016, 4, 3, 11, 0, tzinfo=UTC)
    assert following == datetime(2016, 4, 3, 11, 10, tzinfo=UTC)
    stamp, _, following = snapshot_times(datetime(2016, 4, 3, 11, 55, tzinfo=UTC), now)
    assert (stamp, following) == (datetime(2016, 4, 3, 11, 55, tzinfo=UTC), now)
    later = snapshot_times(datetime(2016, 4, 3, 11, 57, tzinfo=UTC), now)
    assert later == (datetime(2016, 4, 3, 11, 55, tzinfo=UTC), now - timedelta(minutes=10), now)
    stamp, _, following = snapshot_times(datetime(2016, 5, 1, tzinfo=UTC), now + timedelta(1, 90))
    assert (stamp, following) == (datetime(2016, 4, 4, 12, 0, tzinfo=UTC), None)


def test_historical_odds(replay: ReplayServer) -> None:
    response = get(
        replay,
        "/v4/historical/sports/baseball_mlb/odds",
        date="2016-04-02T14:03:00Z",
        regions="us",
        markets=ALL_MARKETS,
        oddsFormat="american",
    )
    assert response.status_code == 200, response.text
    snapshot = response.json()
    assert list(snapshot) == ["timestamp", "previous_timestamp", "next_timestamp", "data"]
    assert snapshot["timestamp"] == "2016-04-02T14:00:00Z"
    assert snapshot["previous_timestamp"] == "2016-04-02T13:55:00Z"
    assert snapshot["next_timestamp"] == "2016-04-02T14:05:00Z"
    pit = "Pittsburgh Pirates"
    found = prices(snapshot["data"])
    assert found[(pit, "pinnacle", "h2h", pit)] == (-115, None)  # changed at 14:00 exactly
    assert found[(pit, "pinnacle", "totals", "Over")] == (-105, 7.5)  # 8.0 comes at 15:00
    assert response.headers["x-requests-last"] == str(10 * 3)
    # Past simulated now: the latest snapshot before now, and no next one yet.
    future = get(
        replay, "/v4/historical/sports/baseball_mlb/odds", date="2016-04-05T00:00:00Z", regions="us"
    ).json()
    assert (future["timestamp"], future["next_timestamp"]) == ("2016-04-03T12:00:00Z", None)


# --- auth, quota, validation --------------------------------------------------------------


def test_auth(replay: ReplayServer, crafted_board: OddsBoard) -> None:
    missing = get(replay, "/v4/sports/baseball_mlb/odds", key=None, regions="us")
    assert missing.status_code == 401
    assert missing.json()["error_code"] == "MISSING_KEY"
    assert "message" in missing.json()
    wrong = get(replay, "/v4/sports/baseball_mlb/odds", key="nope", regions="us")
    assert (wrong.status_code, wrong.json()["error_code"]) == (401, "INVALID_KEY")
    assert wrong.headers["x-requests-remaining"] == "500"
    with ReplayServer(crafted_board, api_key=None, clock=SimulatedClock(REPLAY_NOW)) as open_:
        assert get(open_, "/v4/sports/baseball_mlb/events", key=None).status_code == 200


def test_quota_is_charged_per_call_and_exhausts(crafted_board: OddsBoard) -> None:
    clock = SimulatedClock(REPLAY_NOW)
    with ReplayServer(crafted_board, api_key=TEST_KEY, quota_total=7, clock=clock) as server:
        first = get(server, "/v4/sports/baseball_mlb/odds", regions="us,uk", markets="h2h,totals")
        assert first.status_code == 200
        assert [first.headers[f"x-requests-{h}"] for h in ("last", "used", "remaining")] == [
            "4",
            "4",
            "3",
        ]
        spreads = get(server, "/v4/sports/baseball_mlb/odds", regions="us", markets="spreads")
        assert spreads.headers["x-requests-last"] == "1"  # one market returned x one region
        nothing = get(
            server,
            "/v4/sports/baseball_mlb/odds",
            regions="us",
            commenceTimeFrom="2017-01-01T00:00:00Z",
        )
        assert (nothing.json(), nothing.headers["x-requests-last"]) == ([], "0")
        broke = get(server, "/v4/sports/baseball_mlb/odds", regions="us", markets=ALL_MARKETS)
        assert broke.status_code == 429
        assert broke.json()["error_code"] == "OUT_OF_USAGE_CREDITS"
        assert broke.headers["x-requests-remaining"] == "2"
        assert server.quota == {"total": 7, "used": 5, "remaining": 2}


@pytest.mark.parametrize(
    ("path", "params", "status", "fragment"),
    [
        ("/v4/sports/baseball_mlb/odds", {"regions": "us", "markets": "h2h,props"}, 422, "props"),
        ("/v4/sports/baseball_mlb/odds", {"markets": "h2h"}, 422, "regions"),
        ("/v4/sports/baseball_mlb/odds", {"regions": "mars"}, 422, "mars"),
        ("/v4/sports/baseball_mlb/odds", {"regions": "us", "commenceTimeFrom": "x"}, 422, "From"),
        ("/v4/sports/baseball_mlb/odds", {"regions": "us", "oddsFormat": "x"}, 422, "oddsFormat"),
        ("/v4/sports/baseball_mlb/scores", {"daysFrom": "4"}, 422, "daysFrom"),
        ("/v4/historical/sports/baseball_mlb/odds", {"regions": "us"}, 422, "date"),
        ("/v4/sports/soccer_epl/odds", {"regions": "us"}, 404, "soccer_epl"),
        ("/v4/nowhere", {}, 404, "Unknown route"),
    ],
)
def test_bad_requests(
    replay: ReplayServer, path: str, params: dict, status: int, fragment: str
) -> None:
    response = get(replay, path, **params)
    assert response.status_code == status
    assert fragment in response.json()["message"]
    assert replay.quota["used"] == 0


def test_sports_list_is_free(replay: ReplayServer) -> None:
    response = get(replay, "/v4/sports")
    assert response.json()[0]["key"] == "baseball_mlb"
    assert response.headers["x-requests-last"] == "0"


# --- faults and control endpoints -----------------------------------------------------------


def test_faults_over_http(replay: ReplayServer) -> None:
    control = replay.url + "/_replay/faults"
    queued = httpx.post(control, json=[{"kind": "status", "status": 429, "retry_after": 2}])
    assert queued.json() == {"queued": 1, "faults_pending": 1}
    httpx.post(control, json={"kind": "truncated"})
    httpx.post(control, json={"kind": "html", "count": 1})
    httpx.post(control, json={"kind": "status", "status": 503, "count": 2})
    limited = get(replay, "/v4/sports/baseball_mlb/events")
    assert (limited.status_code, limited.headers["retry-after"]) == (429, "2")
    assert limited.json()["error_code"] == "EXCEEDED_FREQ_LIMIT"
    truncated = get(replay, "/v4/sports/baseball_mlb/odds", regions="us")
    assert truncated.status_code == 200
    assert int(truncated.headers["content-length"]) == len(truncated.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(truncated.content)
    html = get(replay, "/v4/sports/baseball_mlb/odds", regions="us")
    assert (html.status_code, html.headers["content-type"][:9]) == (200, "text/html")
    assert [get(replay, "/v4/sports").status_code for _ in range(3)] == [503, 503, 200]
    stats = httpx.get(replay.url + "/_replay/stats").json()
    assert stats["faults_served"] == {"status": 3, "truncated": 1, "html": 1}
    assert stats["requests"] == {
        "/v4/sports/baseball_mlb/events": 1,
        "/v4/sports/baseball_mlb/odds": 2,
        "/v4/sports": 3,
    }
    assert stats["faults_pending"] == 0
    assert stats["quota"]["used"] == 0  # faulted answers are not charged


def test_slow_fault_delays_the_answer(replay: ReplayServer) -> None:
    replay.inject(Fault("slow", seconds=0.5))
    with pytest.raises(httpx.ReadTimeout):
        httpx.get(replay.url + "/v4/sports", params={"apiKey": TEST_KEY}, timeout=0.1)
    assert get(replay, "/v4/sports").status_code == 200


def test_fault_queue_can_be_cleared_and_rejects_bad_specs(replay: ReplayServer) -> None:
    replay.inject(Fault("status", status=500, count=5))
    assert httpx.delete(replay.url + "/_replay/faults").json() == {"faults_pending": 0}
    bad = httpx.post(replay.url + "/_replay/faults", json={"kind": "meteor"})
    assert bad.status_code == 400 and "meteor" in bad.json()["message"]
    assert (
        httpx.post(replay.url + "/_replay/faults", json={"kind": "html", "x": 1}).status_code == 400
    )
    with pytest.raises(ValueError):
        Fault("status", status=200)
    assert get(replay, "/v4/sports").status_code == 200


def test_clock_over_http(replay: ReplayServer) -> None:
    clock = replay.url + "/_replay/clock"
    assert httpx.get(clock).json() == {"now": "2016-04-03T12:00:00Z", "speed": 0.0}
    assert httpx.post(clock, json={"now": "2016-04-03T17:00:00Z"}).json()["now"] == (
        "2016-04-03T17:00:00Z"
    )
    assert httpx.post(clock, json={"advance_seconds": 600}).json()["now"] == "2016-04-03T17:10:00Z"
    assert replay.clock.now() == datetime(2016, 4, 3, 17, 10, tzinfo=UTC)
    assert httpx.post(clock, json={"now": "2016-04-03T17:00:00"}).status_code == 400
    assert httpx.post(clock, json={}).status_code == 400
    assert httpx.post(clock, content=b"{not json").status_code == 400
    assert httpx.post(clock, json={"speed": -1}).status_code == 400
    assert httpx.post(clock, json={"speed": 3600}).json()["speed"] == 3600.0
    assert replay.clock.now() > datetime(2016, 4, 3, 17, 10, tzinfo=UTC)  # it runs
    assert httpx.post(clock, json={"speed": 0}).json()["speed"] == 0.0
    stopped = httpx.get(clock).json()["now"]
    time.sleep(0.05)
    assert httpx.get(clock).json()["now"] == stopped


def test_simulated_clock() -> None:
    wall = [100.0]
    clock = SimulatedClock(REPLAY_NOW, speed=60, timer=lambda: wall[0])
    wall[0] += 10
    assert clock.now() == REPLAY_NOW + timedelta(minutes=10)
    clock.advance(timedelta(hours=1))
    wall[0] += 1
    assert clock.now() == REPLAY_NOW + timedelta(minutes=71)
    clock.set(REPLAY_NOW)
    clock.speed = 0
    wall[0] += 100
    assert clock.now() == REPLAY_NOW
    with pytest.raises(ValueError, match="naive"):
        SimulatedClock(datetime(2016, 4, 3))


def test_add_route(replay: ReplayServer) -> None:
    seen = []

    def schedule(path: str, query: dict[str, list[str]]) -> tuple[int, dict[str, str], bytes]:
        seen.append((path, query))
        return 200, {"Content-Type": "application/json"}, b'{"dates": []}'

    replay.add_route("/api/v1/schedule", schedule)
    response = httpx.get(replay.url + "/api/v1/schedule", params={"date": "2016-04-03"})
    assert (response.status_code, response.json()) == (200, {"dates": []})
    assert seen == [("/api/v1/schedule", {"date": ["2016-04-03"]})]
    assert replay.stats()["requests"]["/api/v1/schedule"] == 1
    with pytest.raises(ValueError):
        replay.add_route("/v4/sports", schedule)


def test_server_lifecycle(crafted_board: OddsBoard) -> None:
    server = ReplayServer(crafted_board)
    with pytest.raises(RuntimeError):
        _ = server.url
    server.start()
    url = server.url
    assert url.startswith("http://127.0.0.1:")
    server.stop()
    server.stop()
    with pytest.raises(httpx.ConnectError):
        httpx.get(url + "/v4/sports", timeout=1)


# --- command line -------------------------------------------------------------------------


def test_parse_args() -> None:
    args = parse_args(["--archive-dir", "/x", "--start", "2016-04-03T12:00:00Z", "--speed", "60"])
    assert args.start == REPLAY_NOW
    assert (args.port, args.speed, args.api_key, args.season) == (8765, 60.0, "replay-key", 2016)
    with pytest.raises(SystemExit):
        parse_args(["--start", "2016-04-03T12:00:00"])  # no timezone


def test_server_from_args_needs_an_archive(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="archive"):
        server_from_args(parse_args(["--archive-dir", str(tmp_path / "missing")]))


def test_main_serves_until_stopped(
    tmp_path: Path,
    crafted_board: OddsBoard,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setattr(OddsBoard, "from_archive", classmethod(lambda *_, **__: crafted_board))
    argv = ["--archive-dir", str(tmp_path), "--port", str(port), "--start", "2016-04-03T12:00:00Z"]
    stop = threading.Event()
    runner = threading.Thread(target=main, args=(argv,), kwargs={"stop": stop}, daemon=True)
    runner.start()
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 5
    while True:
        try:
            response = httpx.get(url + "/v4/sports", params={"apiKey": "replay-key"}, timeout=1)
            break
        except httpx.ConnectError:
            assert time.monotonic() < deadline, "the server did not come up"
            time.sleep(0.02)
    assert response.status_code == 200
    stop.set()
    runner.join(timeout=5)
    assert not runner.is_alive()
    assert f"at {url} (apiKey=replay-key)" in capsys.readouterr().out


# --- the real 2016 archive ----------------------------------------------------------------


@pytest.mark.archive
def test_archive_board_replays_pinnacle_2016(
    archive_dir: Path, pinnacle_2016, pinnacle_cache_dir: Path
) -> None:
    from mlb_assets.lib.archives.pinnacle import pinnacle_quotes

    quotes = pinnacle_quotes(pinnacle_2016.lines)
    pit = quotes[(quotes["game_id"] == "PIT201604030") & (quotes["market"] == "h2h")]
    argv = ["--archive-dir", str(archive_dir), "--port", "0", "--start", "2016-04-03T12:00:00Z"]
    args = parse_args([*argv, "--cache-dir", str(pinnacle_cache_dir)])
    pinned = {  # read off the quote frame; the loop below re-derives them from it
        "2016-04-03T12:00:00Z": {"home": -120, "away": 111},
        "2016-04-03T17:02:00Z": {"home": -116, "away": 107},
    }
    with server_from_args(args) as server:
        assert server.board.books == ("pinnacle",)
        for moment in ("2016-04-02T12:00:00Z", *pinned):
            t = pd.Timestamp(moment)
            known = pit[pit["captured_at"] <= t]
            want = known.groupby("side")["price_american"].last().astype(int).to_dict()
            assert want == pinned.get(moment, want)
            got = server.board.at(t.to_pydatetime(), game_ids=["PIT201604030"], markets=["h2h"])
            assert dict(zip(got["side"], got["price_american"], strict=True)) == want
            server.clock.set(t.to_pydatetime())
            events = get(
                server,
                "/v4/sports/baseball_mlb/odds",
                key="replay-key",
                regions="us",
                markets="h2h",
                oddsFormat="american",
            ).json()
            pit_events = [e for e in events if e["id"] == event_id("PIT201604030")]
            home, away = "Pittsburgh Pirates", "St. Louis Cardinals"
            assert prices(pit_events) == {
                (home, "pinnacle", "h2h", home): (want["home"], None),
                (home, "pinnacle", "h2h", away): (want["away"], None),
            }
