"""The Odds API client against the replay server over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from mlb_assets.lib.odds_api import (
    ApiResponse,
    OddsApiAuthError,
    OddsApiClient,
    OddsApiError,
    OddsApiQuotaExhaustedError,
    OddsApiRequestError,
    OddsApiUnavailableError,
    Quota,
    QuotaFloorError,
    redact,
    request_cost,
)
from mlb_assets.lib.odds_api.client import iso_utc, retry_after_seconds
from mlb_assets.replay import Fault, OddsBoard, ReplayServer, SimulatedClock
from mlb_assets_tests.lib.odds_api.conftest import SleepRecorder
from mlb_assets_tests.replay.conftest import REPLAY_NOW, TEST_KEY

MakeClient = Callable[..., OddsApiClient]
ODDS_PATH = "/v4/sports/baseball_mlb/odds"
EDT = timezone(timedelta(hours=-4))


@pytest.fixture(autouse=True)
def _capture_everything(caplog: pytest.LogCaptureFixture) -> None:
    """Every test sees all log records, httpx's own request lines included."""
    caplog.set_level(logging.DEBUG)


def _exception_chain(error: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        current = current.__cause__ or current.__context__


def assert_no_key(caplog: pytest.LogCaptureFixture, *things: object) -> None:
    """The key appears in no log record, no exception (or its chain) and no repr."""
    for record in caplog.records:
        assert TEST_KEY not in record.getMessage(), record.getMessage()
        if record.exc_info:
            assert TEST_KEY not in logging.Formatter().formatException(record.exc_info)
    for thing in things:
        texts = [repr(thing), str(thing)]
        if isinstance(thing, BaseException):
            texts += [f"{e!s} {e!r}" for e in _exception_chain(thing)]
        for text in texts:
            assert TEST_KEY not in text, text


# --- a poll cycle ---------------------------------------------------------------------------


def test_full_poll_cycle_reads_and_spends_the_quota(
    server: ReplayServer, make_client: MakeClient, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client()
    assert client.last_quota == Quota()

    odds = client.odds()
    assert odds.status == 200 and odds.path == ODDS_PATH
    assert odds.params == {
        "markets": "h2h,spreads,totals",
        "oddsFormat": "american",
        "dateFormat": "iso",
        "regions": "us",
    }
    assert json.loads(odds.body) == odds.payload
    assert odds.payload[0]["home_team"] == "Pittsburgh Pirates"
    assert odds.fetched_at.tzinfo is UTC
    cost = request_cost("odds", markets=3, regions=1)
    assert odds.quota == Quota(remaining=500 - cost, used=cost, last=cost)

    events = client.events()
    assert events.quota.last == 0 and len(events.payload) == 3

    scores = client.scores(days_from=1)
    assert scores.params == {"dateFormat": "iso", "daysFrom": "1"}
    assert scores.quota.last == request_cost("scores", days_from=1) == 2

    history = client.historical_odds(datetime(2016, 4, 3, 11, 7, tzinfo=UTC))
    assert history.params["date"] == "2016-04-03T11:07:00Z"
    assert history.payload["timestamp"] == "2016-04-03T11:05:00Z"
    assert history.quota.last == request_cost("historical_odds", markets=3) == 30

    assert client.last_quota == Quota(remaining=500 - 35, used=35, last=30)
    assert server.quota["remaining"] == 465
    assert any("apiKey=***" in r.getMessage() for r in caplog.records if r.name == "httpx")
    assert_no_key(caplog, client, odds, events, scores, history, odds.params, history.params)


def test_bookmakers_replace_regions_and_windows_are_iso(
    server: ReplayServer, make_client: MakeClient
) -> None:
    client = make_client()
    response = client.odds(
        markets=["h2h"],
        bookmakers=["draftkings"],
        commence_time_from=datetime(2016, 4, 3, 13, 5, tzinfo=EDT),
        commence_time_to=datetime(2016, 4, 3, 18, tzinfo=UTC),
    )
    assert "regions" not in response.params
    assert response.params["bookmakers"] == "draftkings"
    assert response.params["commenceTimeFrom"] == "2016-04-03T17:05:00Z"
    assert response.params["commenceTimeTo"] == "2016-04-03T18:00:00Z"
    assert [b["key"] for e in response.payload for b in e["bookmakers"]] == ["draftkings"]
    assert response.quota.last == 1


def test_request_cost_model() -> None:
    assert request_cost("odds", markets=3, regions=2) == 6
    assert request_cost("odds", markets=2, bookmakers=11) == 4  # 11 books = 2 regions
    assert request_cost("odds", markets=1, bookmakers=10) == 1
    assert request_cost("historical_odds", markets=3, regions=1) == 30
    assert request_cost("events") == 0
    assert (request_cost("scores"), request_cost("scores", days_from=3)) == (1, 2)
    with pytest.raises(ValueError):
        request_cost("sports")  # type: ignore[arg-type]


def test_argument_validation(make_client: MakeClient, monkeypatch: pytest.MonkeyPatch) -> None:
    client = make_client()
    with pytest.raises(ValueError, match="days_from"):
        client.scores(days_from=4)
    with pytest.raises(ValueError, match="naive"):
        client.historical_odds(datetime(2016, 4, 3))
    with pytest.raises(TypeError):
        client.odds(markets="h2h")
    with pytest.raises(OddsApiAuthError, match="ODDS_API_KEY"):
        OddsApiClient("http://127.0.0.1:9")  # lib never falls back to the environment
    with OddsApiClient("http://127.0.0.1:9", TEST_KEY) as explicit:
        assert TEST_KEY not in repr(explicit)


# --- the quota floor ------------------------------------------------------------------------


def test_quota_floor_refuses_a_poll(board: OddsBoard, make_client: MakeClient) -> None:
    clock = SimulatedClock(REPLAY_NOW)
    with ReplayServer(board, api_key=TEST_KEY, quota_total=10, clock=clock) as small:
        client = make_client(base_url=small.url, quota_floor=5)
        assert client.odds().quota.remaining == 7  # unknown before: the first call may go
        with pytest.raises(QuotaFloorError) as refused:
            client.odds()
        message = str(refused.value)
        for fragment in ("7 credits remain", "costs up to 3", "keeps 5", "quota_floor"):
            assert fragment in message
        assert small.stats()["requests"] == {ODDS_PATH: 1}  # refused without a request
        assert client.odds(markets=["h2h"]).quota.remaining == 6  # 6 - 1 >= 5
        assert client.events().status == 200  # free calls always go


def test_spent_credits_fail_without_retry(
    board: OddsBoard, make_client: MakeClient, sleeps: SleepRecorder
) -> None:
    clock = SimulatedClock(REPLAY_NOW)
    with ReplayServer(board, api_key=TEST_KEY, quota_total=2, clock=clock) as small:
        with pytest.raises(OddsApiQuotaExhaustedError, match="usage credits are spent"):
            make_client(base_url=small.url).odds()
        assert small.stats()["requests"] == {ODDS_PATH: 1}
    assert sleeps.waits == []


# --- faults ---------------------------------------------------------------------------------


def test_429_honours_retry_after(
    server: ReplayServer,
    make_client: MakeClient,
    sleeps: SleepRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.inject(Fault("status", status=429, retry_after=1))
    response = make_client().odds()
    assert response.status == 200
    assert sleeps.waits == [1.0]
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "attempt 1/4" in warnings[0].getMessage()
    assert "retrying in 1.00s" in warnings[0].getMessage()
    assert "429" in warnings[0].getMessage()
    assert_no_key(caplog, response)


def test_retry_after_longer_than_backoff_max_fails_fast(
    server: ReplayServer, make_client: MakeClient, sleeps: SleepRecorder
) -> None:
    server.inject(Fault("status", status=429, retry_after=120))
    with pytest.raises(OddsApiUnavailableError, match="retry after 120s"):
        make_client(backoff_max=30).odds()
    assert sleeps.waits == []


def test_retry_after_parsing() -> None:
    now = datetime(2015, 10, 21, 7, 28, 0, tzinfo=UTC)
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:30 GMT", now=now) == 30.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:27:00 GMT", now=now) == 0.0
    assert retry_after_seconds("2") == 2.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


def test_server_errors_are_retried_with_jittered_backoff(
    server: ReplayServer,
    make_client: MakeClient,
    sleeps: SleepRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.inject(Fault("status", status=500, count=2), Fault("status", status=503))
    response = make_client(backoff_base=0.01).odds()
    assert response.status == 200
    assert len(sleeps.waits) == 3
    for attempt, wait in enumerate(sleeps.waits):
        assert 0.0 <= wait <= 0.01 * 2**attempt
    assert server.stats()["requests"] == {ODDS_PATH: 4}
    assert_no_key(caplog, response)


def test_slow_response_times_out_and_is_retried(
    server: ReplayServer,
    make_client: MakeClient,
    sleeps: SleepRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.inject(Fault("slow", seconds=1.0))
    response = make_client(timeout=0.2).events()
    assert response.status == 200
    assert len(sleeps.waits) == 1
    assert any("timeout" in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert_no_key(caplog, response)


@pytest.mark.parametrize("kind", ["truncated", "html"])
def test_unreadable_bodies_are_retried(
    kind: str,
    server: ReplayServer,
    make_client: MakeClient,
    sleeps: SleepRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.inject(Fault(kind))  # type: ignore[arg-type]
    response = make_client().odds()
    assert response.status == 200 and isinstance(response.payload, list)
    assert len(sleeps.waits) == 1
    warning = next(r for r in caplog.records if r.levelno == logging.WARNING).getMessage()
    assert "not valid JSON" in warning
    assert server.quota["used"] == 3  # only the good answer was charged
    assert_no_key(caplog, response)


def test_bad_key_is_not_retried(
    server: ReplayServer,
    make_client: MakeClient,
    sleeps: SleepRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    wrong = TEST_KEY[::-1]
    with pytest.raises(OddsApiAuthError) as failure:
        make_client(api_key=wrong).odds()
    message = str(failure.value)
    assert "HTTP 401" in message and "ODDS_API_KEY" in message
    assert wrong not in message
    assert all(wrong not in r.getMessage() for r in caplog.records)
    assert sleeps.waits == []
    assert server.stats()["requests"] == {ODDS_PATH: 1}


def test_invalid_request_is_not_retried(
    server: ReplayServer,
    make_client: MakeClient,
    sleeps: SleepRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with pytest.raises(OddsApiRequestError, match="Invalid markets: player_props") as failure:
        make_client().odds(markets=["h2h", "player_props"])
    assert "HTTP 422" in str(failure.value)
    assert sleeps.waits == []
    assert server.stats()["requests"] == {ODDS_PATH: 1}
    assert_no_key(caplog, failure.value)


@pytest.mark.parametrize(
    ("status", "error"),
    [(401, OddsApiAuthError), (403, OddsApiAuthError), (404, OddsApiRequestError)],
)
def test_client_errors_are_final(
    status: int,
    error: type[OddsApiError],
    server: ReplayServer,
    make_client: MakeClient,
    sleeps: SleepRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.inject(Fault("status", status=status, count=3))
    with pytest.raises(error, match=f"HTTP {status}") as failure:
        make_client().events()
    assert sleeps.waits == []
    assert server.stats()["faults_served"] == {"status": 1}
    assert_no_key(caplog, failure.value)


def test_gives_up_after_max_retries_naming_path_and_cause(
    server: ReplayServer,
    make_client: MakeClient,
    sleeps: SleepRecorder,
    caplog: pytest.LogCaptureFixture,
) -> None:
    server.inject(Fault("status", status=503, count=10))
    with pytest.raises(OddsApiUnavailableError) as failure:
        make_client(max_retries=2).scores()
    message = str(failure.value)
    assert "/v4/sports/baseball_mlb/scores" in message
    assert "3 attempt(s)" in message and "HTTP 503" in message
    assert len(sleeps.waits) == 2
    assert_no_key(caplog, failure.value)


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_errors_are_retried_then_reported(
    make_client: MakeClient, sleeps: SleepRecorder, caplog: pytest.LogCaptureFixture
) -> None:
    client = make_client(base_url=f"http://127.0.0.1:{_unused_port()}", max_retries=1)
    with pytest.raises(OddsApiUnavailableError, match="ConnectError") as failure:
        client.odds()
    assert len(sleeps.waits) == 1
    assert_no_key(caplog, failure.value, client)


def test_every_error_is_an_odds_api_error() -> None:
    for error in (
        OddsApiAuthError,
        OddsApiRequestError,
        QuotaFloorError,
        OddsApiQuotaExhaustedError,
        OddsApiUnavailableError,
    ):
        assert issubclass(error, OddsApiError)


# --- redaction ------------------------------------------------------------------------------


def test_redact() -> None:
    url = f"http://h/v4/sports/x/odds?apiKey={TEST_KEY}&regions=us"
    assert redact(url) == "http://h/v4/sports/x/odds?apiKey=***&regions=us"
    assert redact(f"GET /odds?regions=us&apikey={TEST_KEY}") == "GET /odds?regions=us&apikey=***"
    assert redact(f"key {TEST_KEY} echoed", [TEST_KEY]) == "key *** echoed"
    assert redact("nothing secret", ["", TEST_KEY]) == "nothing secret"


def test_response_and_client_reprs_hold_no_key(make_client: MakeClient) -> None:
    client = make_client()
    response = client.events()
    assert isinstance(response, ApiResponse)
    assert "apiKey" not in response.params
    for text in (repr(client), repr(response), str(response.params)):
        assert TEST_KEY not in text


def test_iso_utc() -> None:
    assert iso_utc(datetime(2016, 4, 3, 12, 0, 0, 999, tzinfo=UTC)) == "2016-04-03T12:00:00Z"
