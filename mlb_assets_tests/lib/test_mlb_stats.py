"""MLB Stats API: the client over real HTTP, the schedule parser, the replay payloads."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from mlb_assets.lib.archives.reconcile import GAME_COLUMNS, reconcile_games
from mlb_assets.lib.mlb_stats import (
    SCHEDULE_GAME_COLUMNS,
    MlbStatsClient,
    MlbStatsPayloadError,
    MlbStatsRequestError,
    MlbStatsUnavailableError,
    schedule_to_games,
)
from mlb_assets.replay.mlb_schedule import schedule_payload

NOW = datetime(2016, 5, 9, 12, tzinfo=UTC)


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def games_frame(rows: list[dict]) -> pd.DataFrame:
    """A reconciled-style games frame; each row gives at least id, teams and start."""
    frame = pd.DataFrame(rows)
    frame["game_date"] = pd.to_datetime(frame["game_id"].str[3:11]).dt.date
    frame["season"] = [d.year for d in frame["game_date"]]
    frame["game_number"] = frame["game_id"].str[-1].astype(int)
    frame["home_team"] = frame["game_id"].str[:3]
    frame["start_time_utc"] = pd.to_datetime(frame["start_time_utc"], utc=True)
    for column in ("away_score", "home_score"):
        frame[column] = frame.get(column, pd.Series(pd.NA, index=frame.index)).astype("Int64")
    for column in ("away_pitcher", "home_pitcher", "day_night"):
        values = frame.get(column, pd.Series(None, index=frame.index)).astype(object)
        frame[column] = values.where(values.notna(), None)
    frame["status"] = frame.get("status", pd.Series("final", index=frame.index))
    frame["sources"] = "test"
    return frame.reindex(columns=GAME_COLUMNS)  # columns a row does not give stay null


GAMES = games_frame(
    [
        {
            "game_id": "BAL201605071",
            "away_team": "OAK",
            "start_time_utc": "2016-05-07 17:05",
            "away_score": 8,
            "home_score": 4,
            "away_pitcher": "Rich Hill",
            "home_pitcher": "Mike Wright",
            "day_night": "D",
        },
        {
            "game_id": "BAL201605072",
            "away_team": "OAK",
            "start_time_utc": "2016-05-07 23:05",
            "away_score": 2,
            "home_score": 5,
            "away_pitcher": "Jesse Hahn",
            "home_pitcher": "Ubaldo Jimenez",
            "day_night": "N",
        },
        {
            "game_id": "ANA201605070",  # 21:05 ET on 05-07 is 01:05 UTC on 05-08
            "away_team": "TBA",
            "start_time_utc": "2016-05-08 01:05",
            "away_score": 4,
            "home_score": 2,
        },
        {"game_id": "CLE201605070", "away_team": "KCA", "start_time_utc": "2016-05-07 20:10"},
        {
            "game_id": "NYA201605080",
            "away_team": "BOS",
            "start_time_utc": None,
            "away_score": 3,
            "home_score": 1,
        },
        {
            "game_id": "CLE201605080",  # the postponed 05-07 game, made up on 05-08
            "away_team": "KCA",
            "start_time_utc": "2016-05-08 17:10",
            "away_score": 1,
            "home_score": 0,
        },
    ]
)
GAMES.loc[GAMES["game_id"] == "CLE201605070", "status"] = "postponed"


# --- a small schedule server ------------------------------------------------------------


@dataclass
class Reply:
    """A scripted response served instead of the schedule (a fault)."""

    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    content_type: str = "application/json"


@dataclass
class FakeStatsApi:
    games: pd.DataFrame
    now: datetime = NOW
    faults: deque[Reply] = field(default_factory=deque)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    base_url: str = ""

    def reply(self, handler: BaseHTTPRequestHandler) -> Reply:
        url = urlsplit(handler.path)
        query = {key: values[0] for key, values in parse_qs(url.query).items()}
        self.requests.append((url.path, query))
        if self.faults:
            return self.faults.popleft()
        if url.path != "/api/v1/schedule" or "date" not in query:
            return Reply(404, b'{"messageNumber": 1, "message": "Object not found"}')
        payload = schedule_payload(self.games, date.fromisoformat(query["date"]), self.now)
        return Reply(200, json.dumps(payload).encode())


def _handler_for(api: FakeStatsApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            reply = api.reply(self)
            time.sleep(reply.delay)
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", reply.content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(reply.body)
            except OSError:  # the client gave up (timeout test)
                pass

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def api() -> Iterator[FakeStatsApi]:
    fake = FakeStatsApi(GAMES)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(fake))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    yield fake
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(api: FakeStatsApi, sleeps: list[float]) -> Iterator[MlbStatsClient]:
    with MlbStatsClient(api.base_url, sleep=sleeps.append, clock=lambda: NOW) as stats:
        yield stats


HTML = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head></html>"


# --- the client -------------------------------------------------------------------------------


def test_schedule_request_and_response(
    client: MlbStatsClient, api: FakeStatsApi, sleeps: list
) -> None:
    response = client.schedule(date(2016, 5, 7))
    assert api.requests == [
        (
            "/api/v1/schedule",
            {"sportId": "1", "date": "2016-05-07", "hydrate": "probablePitcher,linescore"},
        )
    ]
    assert response.path == "/api/v1/schedule" and response.status == 200
    assert response.params["date"] == "2016-05-07"
    assert json.loads(response.body) == response.payload
    assert response.fetched_at == NOW
    assert len(response.payload["dates"][0]["games"]) == 4
    assert sleeps == []


def test_server_error_then_success(client: MlbStatsClient, api: FakeStatsApi, sleeps: list) -> None:
    api.faults.append(Reply(500, b"internal error", content_type="text/plain"))
    response = client.schedule(date(2016, 5, 7))
    assert response.status == 200 and len(api.requests) == 2
    assert len(sleeps) == 1 and 0.5 <= sleeps[0] <= 0.75  # backoff_base with jitter


def test_rate_limit_honours_retry_after(
    client: MlbStatsClient, api: FakeStatsApi, sleeps: list
) -> None:
    api.faults.append(Reply(429, b"{}", {"Retry-After": "2"}))
    api.faults.append(Reply(429, b"{}", {"Retry-After": "Mon, 09 May 2016 12:00:07 GMT"}))
    client.schedule(date(2016, 5, 7))
    assert sleeps == [2.0, 7.0]
    assert len(api.requests) == 3


def test_retry_after_too_long_gives_up(client: MlbStatsClient, api: FakeStatsApi) -> None:
    api.faults.append(Reply(429, b"{}", {"Retry-After": "3600"}))
    with pytest.raises(MlbStatsUnavailableError, match="retry after 3600s") as caught:
        client.schedule(date(2016, 5, 7))
    assert caught.value.last_status == 429 and len(api.requests) == 1


def test_html_page_is_retried(client: MlbStatsClient, api: FakeStatsApi, sleeps: list) -> None:
    api.faults.append(Reply(200, HTML, content_type="text/html"))
    response = client.schedule(date(2016, 5, 7))
    assert response.payload["totalGames"] == 4
    assert len(sleeps) == 1


def test_html_every_time_is_a_payload_error(
    client: MlbStatsClient, api: FakeStatsApi, sleeps: list
) -> None:
    api.faults.extend(Reply(200, HTML, content_type="text/html") for _ in range(4))
    with pytest.raises(MlbStatsPayloadError, match="not JSON") as caught:
        client.schedule(date(2016, 5, 7))
    assert caught.value.body == HTML and caught.value.attempts == 4
    assert len(api.requests) == 4 and len(sleeps) == 3


def test_backoff_grows_and_gives_up(
    client: MlbStatsClient, api: FakeStatsApi, sleeps: list
) -> None:
    api.faults.extend(Reply(503, b"busy") for _ in range(4))
    with pytest.raises(MlbStatsUnavailableError, match="after 4 attempt") as caught:
        client.schedule(date(2016, 5, 7))
    assert caught.value.last_status == 503 and caught.value.attempts == 4
    for attempt, slept in enumerate(sleeps):
        assert 0.5 * 2**attempt <= slept <= 0.75 * 2**attempt


def test_client_error_is_not_retried(
    client: MlbStatsClient, api: FakeStatsApi, sleeps: list
) -> None:
    api.faults.append(Reply(400, b'{"message": "Invalid date"}'))
    with pytest.raises(MlbStatsRequestError, match="HTTP 400") as caught:
        client.schedule(date(2016, 5, 7))
    assert caught.value.status == 400
    assert len(api.requests) == 1 and sleeps == []


def test_unknown_path_is_a_request_error(client: MlbStatsClient) -> None:
    with pytest.raises(MlbStatsRequestError, match="404"):
        client.get("/api/v1/nothing", {})


def test_timeout_is_retried(api: FakeStatsApi, sleeps: list) -> None:
    api.faults.append(Reply(200, b"{}", delay=1.0))
    with MlbStatsClient(api.base_url, timeout=0.2, sleep=sleeps.append) as stats:
        response = stats.schedule(date(2016, 5, 7))
    assert response.payload["totalGames"] == 4 and len(sleeps) == 1


def test_connection_refused_is_retried_then_raised(sleeps: list) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed again when the block ends: nothing listens
    stats = MlbStatsClient(f"http://127.0.0.1:{port}", max_retries=2, sleep=sleeps.append)
    with stats, pytest.raises(MlbStatsUnavailableError, match="connection error") as caught:
        stats.schedule(date(2016, 5, 7))
    assert caught.value.attempts == 3 and caught.value.last_status is None
    assert len(sleeps) == 2


def test_negative_retries_rejected() -> None:
    with pytest.raises(ValueError):
        MlbStatsClient(max_retries=-1)


# --- round trip: games -> payload -> HTTP -> client -> games ----------------------------


def _fetch_days(client: MlbStatsClient, days: list[date]) -> pd.DataFrame:
    parsed = [schedule_to_games(client.schedule(day).payload) for day in days]
    assert all(p.quarantine.empty for p in parsed)
    return pd.concat([p.games for p in parsed], ignore_index=True)


ROUND_TRIP = [
    "game_id",
    "season",
    "game_date",
    "game_number",
    "away_team",
    "home_team",
    "away_score",
    "home_score",
    "away_pitcher",
    "home_pitcher",
    "status",
]


def assert_round_trip(original: pd.DataFrame, parsed: pd.DataFrame) -> None:
    assert list(parsed.columns) == SCHEDULE_GAME_COLUMNS
    expected = original.sort_values("game_id", ignore_index=True)
    got = parsed.sort_values("game_id", ignore_index=True)
    pd.testing.assert_frame_equal(got[ROUND_TRIP], expected[ROUND_TRIP], check_dtype=False)
    known = expected["start_time_utc"].notna()
    assert (got["start_time_utc"][known] == expected["start_time_utc"][known]).all()
    assert (got["sources"] == "mlb_stats").all() and got["mlb_game_pk"].is_unique


def test_round_trip_over_http(client: MlbStatsClient) -> None:
    parsed = _fetch_days(client, [date(2016, 5, 6), date(2016, 5, 7), date(2016, 5, 8)])
    assert_round_trip(GAMES, parsed)
    doubleheader = parsed[parsed["home_team"] == "BAL"]
    assert doubleheader[["game_id", "game_number", "day_night"]].values.tolist() == [
        ["BAL201605071", 1, "D"],
        ["BAL201605072", 2, "N"],
    ]


def test_before_the_games_no_scores(client: MlbStatsClient, api: FakeStatsApi) -> None:
    api.now = datetime(2016, 5, 7, 12, tzinfo=UTC)
    parsed = _fetch_days(client, [date(2016, 5, 7)])
    assert parsed["status"].tolist() == ["scheduled"] * 4  # the postponement not yet called
    assert parsed["away_score"].isna().all() and parsed["home_score"].isna().all()
    assert parsed["away_pitcher"].notna().sum() == 2


@pytest.mark.archive
def test_real_doubleheader_day_round_trips(
    api: FakeStatsApi, client: MlbStatsClient, retrosheet_2016: Any, pinnacle_2016: Any
) -> None:
    games = reconcile_games(retrosheet_2016.games, pinnacle_2016.games, None).games
    day = date(2016, 5, 7)
    api.games = games[games["game_date"] == day]
    parsed = _fetch_days(client, [day])
    assert len(parsed) == 16
    assert_round_trip(api.games, parsed)
    assert parsed.loc[parsed["game_number"] > 0, "game_id"].tolist() == [
        "BAL201605071",
        "BAL201605072",
    ]


# --- the replay payload ------------------------------------------------------------------------


def _listing(day: date, now: datetime, home: str, number: int = 1) -> dict:
    """The listing of ``home``'s game (``gameNumber``) in the replayed schedule of ``day``."""
    games = schedule_payload(GAMES, day, now)["dates"][0]["games"]
    return next(
        g for g in games if g["teams"]["home"]["team"]["name"] == home and g["gameNumber"] == number
    )


@pytest.mark.parametrize(
    ("now", "state", "scored"),
    [
        ("2016-05-07 15:00", "Scheduled", False),
        ("2016-05-07 16:00", "Pre-Game", False),
        ("2016-05-07 17:05", "In Progress", False),
        ("2016-05-07 20:04", "In Progress", False),
        ("2016-05-07 20:05", "Final", True),
    ],
)
def test_status_follows_the_clock(now: str, state: str, scored: bool) -> None:
    game = _listing(date(2016, 5, 7), _utc(now).to_pydatetime(), "Baltimore Orioles")
    assert game["status"]["detailedState"] == state
    assert ("score" in game["teams"]["home"]) is scored
    assert game["doubleHeader"] == "Y" and game["gameNumber"] == 1
    assert game["teams"]["away"]["probablePitcher"] == {"fullName": "Rich Hill"}


def test_postponement_shows_on_the_day() -> None:
    day = date(2016, 5, 7)
    early = _listing(day, datetime(2016, 5, 7, 12, tzinfo=UTC), "Cleveland Indians")
    late = _listing(day, datetime(2016, 5, 7, 18, tzinfo=UTC), "Cleveland Indians")
    assert early["status"]["detailedState"] == "Scheduled"
    assert (
        late["status"]["detailedState"] == "Postponed" and late["status"]["codedGameState"] == "D"
    )


def test_unknown_start_time_is_a_placeholder() -> None:
    game = _listing(date(2016, 5, 8), NOW, "New York Yankees")
    assert game["status"]["startTimeTBD"] is True
    assert game["gameDate"] == "2016-05-08T23:05:00Z"  # 19:05 ET


def test_day_without_games_and_naive_now() -> None:
    payload = schedule_payload(GAMES, date(2016, 5, 1), NOW)
    assert payload["dates"] == [] and payload["totalGames"] == 0
    with pytest.raises(ValueError, match="timezone-aware"):
        schedule_payload(GAMES, date(2016, 5, 7), datetime(2016, 5, 7))


# --- the parser on hand-written payloads ------------------------------------------------------


def api_game(
    pk: int = 1,
    *,
    home: str = "Pittsburgh Pirates",
    away: str = "St. Louis Cardinals",
    game_date: str = "2016-04-03T17:05:00Z",
    official: str | None = "2016-04-03",
    state: tuple[str, str, str] = ("Final", "F", "Final"),
    double_header: str = "N",
    number: int = 1,
    scores: tuple[int, int] | None = (1, 4),
    **extra: Any,
) -> dict:
    abstract, coded, detailed = state
    teams: dict = {"away": {"team": {"name": away}}, "home": {"team": {"name": home}}}
    if scores is not None:
        teams["away"]["score"], teams["home"]["score"] = scores
    game = {
        "gamePk": pk,
        "gameType": "R",
        "season": "2016",
        "gameDate": game_date,
        "status": {
            "abstractGameState": abstract,
            "codedGameState": coded,
            "detailedState": detailed,
        },
        "teams": teams,
        "doubleHeader": double_header,
        "gameNumber": number,
        "dayNight": "day",
        **extra,
    }
    if official is not None:
        game["officialDate"] = official
    return game


def payload_of(*blocks: tuple[str, list]) -> dict:
    return {"dates": [{"date": day, "games": games} for day, games in blocks]}


def test_parser_maps_every_field() -> None:
    game = api_game(77)
    game["teams"]["away"]["probablePitcher"] = {"id": 5, "fullName": "Adam Wainwright"}
    result = schedule_to_games(payload_of(("2016-04-03", [game])))
    (row,) = result.games.to_dict("records")
    assert row == {
        "game_id": "PIT201604030",
        "season": 2016,
        "game_date": date(2016, 4, 3),
        "game_number": 0,
        "away_team": "SLN",
        "home_team": "PIT",
        "start_time_utc": _utc("2016-04-03 17:05"),
        "away_pitcher": "Adam Wainwright",
        "home_pitcher": None,
        "away_score": 1,
        "home_score": 4,
        "day_night": "D",
        "status": "final",
        "sources": "mlb_stats",
        "mlb_game_pk": 77,
        **({"neutral_site": None} if "neutral_site" in GAME_COLUMNS else {}),
    }
    assert result.quarantine.empty and result.skipped == 0


@pytest.mark.parametrize(
    ("state", "status"),
    [
        (("Preview", "S", "Scheduled"), "scheduled"),
        (("Preview", "P", "Pre-Game"), "scheduled"),
        (("Preview", "S", "Delayed Start: Rain"), "scheduled"),
        (("Live", "I", "In Progress"), "in_progress"),
        (("Live", "M", "Manager challenge"), "in_progress"),
        (("Final", "F", "Final"), "final"),
        (("Final", "O", "Game Over"), "final"),
        (("Final", "F", "Completed Early: Rain"), "final"),
        (("Final", "D", "Postponed"), "postponed"),
        (("Final", "C", "Cancelled"), "cancelled"),
        (("Live", "T", "Suspended: Rain"), "suspended"),
    ],
)
def test_status_mapping(state: tuple[str, str, str], status: str) -> None:
    result = schedule_to_games(payload_of(("2016-04-03", [api_game(state=state)])))
    assert result.games["status"].tolist() == [status]


def test_postponed_game_and_its_makeup_keep_distinct_ids() -> None:
    postponed = api_game(
        9,
        official="2016-04-05",  # even if the API gave the postponed listing the new date
        state=("Final", "D", "Postponed"),
        scores=None,
        game_date="2016-04-04T23:05:00Z",
    )
    makeup = api_game(
        9, official="2016-04-05", double_header="Y", number=1, game_date="2016-04-05T17:05:00Z"
    )
    second = api_game(
        10, official="2016-04-05", double_header="Y", number=2, game_date="2016-04-05T23:05:00Z"
    )
    payload = payload_of(("2016-04-04", [postponed]), ("2016-04-05", [makeup, second]))
    games = schedule_to_games(payload).games
    assert games[["game_id", "status", "mlb_game_pk"]].values.tolist() == [
        ["PIT201604040", "postponed", 9],
        ["PIT201604051", "final", 9],
        ["PIT201604052", "final", 10],
    ]
    assert games["game_id"].is_unique
    assert games["away_score"].isna().tolist() == [True, False, False]


def test_suspended_game_listed_again_collapses_onto_its_final_listing() -> None:
    suspended = api_game(5, state=("Live", "T", "Suspended: Rain"), scores=(2, 2))
    resumed = api_game(5, game_date="2016-04-04T16:05:00Z", scores=(3, 2))
    games = schedule_to_games(
        payload_of(("2016-04-03", [suspended]), ("2016-04-04", [resumed]))
    ).games
    assert games[["game_id", "status", "away_score"]].values.tolist() == [
        ["PIT201604030", "final", 3]
    ]


def test_two_games_claiming_one_id() -> None:
    result = schedule_to_games(payload_of(("2016-04-03", [api_game(1), api_game(2)])))
    assert result.games["mlb_game_pk"].tolist() == [1]
    (row,) = result.quarantine.to_dict("records")
    assert row["reason"] == "game_id PIT201604030 already belongs to gamePk 1"
    assert row["source_ref"] == "mlb_stats/schedule#gamePk=2" and row["record"]["gamePk"] == 2


@pytest.mark.parametrize(
    ("game", "reason"),
    [
        (api_game(home="Springfield Isotopes"), "unknown team Springfield Isotopes (season 2016)"),
        ({**api_game(), "gamePk": "12"}, "game lacks an integer gamePk"),
        (api_game(game_date="soon"), "unparseable gameDate 'soon'"),
        (api_game(official="04/03/2016"), "unparseable officialDate '04/03/2016'"),
        (api_game(double_header="Y", number=3), "doubleheader game with gameNumber 3"),
        (api_game(double_header="?"), "unknown doubleHeader flag '?'"),
        ({**api_game(), "teams": {}}, "game lacks the away team's name"),
        ({**api_game(), "status": None}, "game lacks a status"),
        (api_game(state=("Other", "Z", "Mystery")), "unknown status 'Other'/'Z'/'Mystery'"),
        ("not a game", "game is not an object"),
    ],
)
def test_malformed_games_are_quarantined(game: Any, reason: str) -> None:
    payload = payload_of(("2016-04-03", [game, api_game(3, home="Cincinnati Reds")]))
    result = schedule_to_games(payload)
    assert result.games["game_id"].tolist() == ["CIN201604030"]
    (row,) = result.quarantine.to_dict("records")
    assert row["reason"] == reason and row["source"] == "mlb_stats"
    assert row["game_date"] == date(2016, 4, 3) and isinstance(row["record"], dict)
    json.dumps(row["record"], allow_nan=False)


@pytest.mark.parametrize("payload", [None, [], {"dates": "x"}, {"message": "error"}])
def test_payload_without_dates_is_one_row(payload: Any) -> None:
    result = schedule_to_games(payload)
    assert result.games.empty and list(result.games.columns) == SCHEDULE_GAME_COLUMNS
    assert result.quarantine["reason"].tolist() == ["payload has no dates list"]


def test_spring_training_is_skipped_and_counted() -> None:
    spring = {**api_game(1, home="Florida Southern Moccasins"), "gameType": "S"}
    result = schedule_to_games(payload_of(("2016-03-03", [spring, api_game(2)])))
    assert result.skipped == 1 and result.quarantine.empty and len(result.games) == 1


def test_season_override_resolves_team_codes() -> None:
    game = api_game(home="Florida Marlins", official="2011-04-03", game_date="2011-04-03T17:05:00Z")
    game["season"] = "2011"
    assert schedule_to_games(payload_of(("2011-04-03", [game]))).games["home_team"].tolist() == [
        "FLO"
    ]
    miami = schedule_to_games(payload_of(("2011-04-03", [game])), season=2012)
    assert miami.games["home_team"].tolist() == ["MIA"]


def test_empty_schedule_has_typed_columns() -> None:
    games = schedule_to_games({"dates": []}).games
    assert list(games.columns) == SCHEDULE_GAME_COLUMNS
    assert str(games["start_time_utc"].dtype) == "datetime64[ns, UTC]"
    assert str(games["home_score"].dtype) == "Int64"
