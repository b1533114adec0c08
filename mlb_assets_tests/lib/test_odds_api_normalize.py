"""The Odds API payloads -> quotes: mapping to games, quarantine reasons, conservation."""

from __future__ import annotations

import json
import math
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mlb_assets.lib.odds_api.normalize import (
    EVENT_COLUMNS,
    OUTCOME_REF,
    odds_payload_to_quotes,
    parse_payload,
)
from mlb_assets.lib.snapshots import (
    MARKET_SIDES,
    QUARANTINE_COLUMNS,
    QUOTE_COLUMNS,
    normalize_quotes,
)

PIT, STL = "Pittsburgh Pirates", "St. Louis Cardinals"
BAL, OAK = "Baltimore Orioles", "Oakland Athletics"
CLE, BOS = "Cleveland Indians", "Boston Red Sox"
FETCHED = datetime(2016, 4, 3, 16, 0, tzinfo=UTC)
REF = "odds/2016-04-03T16:00:00Z"


def _utc(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


SCHEDULE = pd.DataFrame(
    {
        "game_id": ["PIT201604030", "CLE201604040", "BAL201605071", "BAL201605072"],
        "game_date": [date(2016, 4, 3), date(2016, 4, 4), date(2016, 5, 7), date(2016, 5, 7)],
        "game_number": [0, 0, 1, 2],
        "away_team": ["SLN", "BOS", "OAK", "OAK"],
        "home_team": ["PIT", "CLE", "BAL", "BAL"],
        "start_time_utc": [
            _utc("2016-04-03 17:05"),
            _utc("2016-04-04 20:10"),
            _utc("2016-05-07 17:05"),
            _utc("2016-05-07 23:05"),
        ],
        "status": ["scheduled", "postponed", "scheduled", "scheduled"],
    }
)


# --- payload builders ------------------------------------------------------------------


def outcome(name: str, price: Any = -110, point: Any = None) -> dict:
    body = {"name": name, "price": price}
    if point is not None:
        body["point"] = point
    return body


def market(key: str, outcomes: list, last_update: str | None = None) -> dict:
    body: dict = {"key": key, "outcomes": outcomes}
    if last_update is not None:
        body["last_update"] = last_update
    return body


def h2h(home: str = PIT, away: str = STL, prices: tuple = (-118, 108), **kw: Any) -> dict:
    return market("h2h", [outcome(home, prices[0]), outcome(away, prices[1])], **kw)


def book(key: str = "pinnacle", markets: list | None = None, last_update: Any = None) -> dict:
    body: dict = {
        "key": key,
        "title": key.title(),
        "markets": [h2h()] if markets is None else markets,
    }
    if last_update is not None:
        body["last_update"] = last_update
    return body


def event(
    event_id: str = "e1",
    home: str = PIT,
    away: str = STL,
    commence: str = "2016-04-03T17:05:00Z",
    bookmakers: list | None = None,
) -> dict:
    return {
        "id": event_id,
        "sport_key": "baseball_mlb",
        "sport_title": "MLB",
        "commence_time": commence,
        "home_team": home,
        "away_team": away,
        "bookmakers": [book()] if bookmakers is None else bookmakers,
    }


def run(payload: Any, schedule: pd.DataFrame | None = SCHEDULE, **kw: Any):
    result = odds_payload_to_quotes(
        payload, fetched_at=kw.pop("fetched_at", FETCHED), schedule=schedule, source_ref=REF, **kw
    )
    assert list(result.quotes.columns) == QUOTE_COLUMNS
    assert list(result.quarantine.columns) == QUARANTINE_COLUMNS
    assert list(result.events.columns) == EVENT_COLUMNS
    return result


def outcomes_in(payload: Any) -> int:
    """The outcomes of a payload as the module's docstring defines them (lists only)."""
    events = payload.get("data") if isinstance(payload, dict) else payload
    count = 0
    for e in events if isinstance(events, list) else []:
        books = e.get("bookmakers") if isinstance(e, dict) else None
        for b in books if isinstance(books, list) else []:
            markets = b.get("markets") if isinstance(b, dict) else None
            for m in markets if isinstance(markets, list) else []:
                found = m.get("outcomes") if isinstance(m, dict) else None
                count += len(found) if isinstance(found, list) else 0
    return count


def outcome_rows(quarantine: pd.DataFrame) -> pd.DataFrame:
    return quarantine[quarantine["source_ref"].str.contains(OUTCOME_REF, regex=False)]


def assert_conserved(payload: Any, result) -> None:
    assert outcomes_in(payload) == len(result.quotes) + len(outcome_rows(result.quarantine))


# --- the happy path ----------------------------------------------------------------------


def test_all_three_markets_become_quotes() -> None:
    markets = [
        h2h(last_update="2016-04-03T15:30:00Z"),
        market("spreads", [outcome(PIT, -190, -1.5), outcome(STL, 165, 1.5)]),
        market("totals", [outcome("Over", -105, 7.5), outcome("Under", -115, 7.5)]),
    ]
    payload = [event(bookmakers=[book("pinnacle", markets, "2016-04-03T15:00:00Z")])]
    result = run(payload)
    quotes = result.quotes
    assert result.quarantine.empty
    assert quotes[["market", "side", "point", "price_american"]].values.tolist() == [
        ["h2h", "home", pytest.approx(math.nan, nan_ok=True), -118.0],
        ["h2h", "away", pytest.approx(math.nan, nan_ok=True), 108.0],
        ["spreads", "home", -1.5, -190.0],
        ["spreads", "away", 1.5, 165.0],
        ["totals", "over", 7.5, -105.0],
        ["totals", "under", 7.5, -115.0],
    ]
    assert set(quotes["game_id"]) == {"PIT201604030"} and set(quotes["book"]) == {"pinnacle"}
    # market last_update, else the bookmaker's
    assert (
        quotes["captured_at"].tolist()
        == [_utc("2016-04-03 15:30")] * 2 + [_utc("2016-04-03 15:00")] * 4
    )
    assert str(quotes["captured_at"].dtype) == "datetime64[ns, UTC]"
    assert result.events[["event_id", "game_id", "match_status"]].values.tolist() == [
        ["e1", "PIT201604030", "matched"]
    ]
    snapshots = normalize_quotes(quotes, source="odds_api").snapshots
    assert len(snapshots) == 6


def test_captured_at_falls_back_to_fetched_at_and_never_exceeds_it() -> None:
    late_book = book("fanduel", [h2h(last_update="2016-04-03T16:30:00Z")])
    no_times = book("draftkings", [h2h()])
    result = run([event(bookmakers=[late_book, no_times])])
    assert result.quotes["captured_at"].tolist() == [_utc("2016-04-03 16:00")] * 4


def test_any_bookmaker_key_is_a_book() -> None:
    result = run([event(bookmakers=[book("betfair_ex_uk"), book("some_new_book")])])
    assert result.quotes["book"].tolist() == ["betfair_ex_uk"] * 2 + ["some_new_book"] * 2


def test_team_name_spelling_variants_still_match() -> None:
    markets = [h2h(home="Pittsburgh  Pirates", away="Saint Louis Cardinals")]
    result = run([event(bookmakers=[book(markets=markets)])])
    assert result.quotes["side"].tolist() == ["home", "away"]


def test_historical_snapshot_envelope_is_unwrapped() -> None:
    envelope = {"timestamp": "2016-04-03T16:00:00Z", "data": [event()]}
    assert len(run(envelope).quotes) == 2


def test_raw_body_is_parsed() -> None:
    assert len(run(json.dumps([event()]).encode()).quotes) == 2


def test_naive_fetched_at_is_a_caller_error() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        run([event()], fetched_at=datetime(2016, 4, 3, 16))


# --- structural problems -> quarantine ---------------------------------------------------


def _without(piece: dict, key: str) -> dict:
    return {k: v for k, v in piece.items() if k != key}


def in_books(*books: Any) -> list:
    return [event(bookmakers=list(books))]


def in_markets(*markets: Any) -> list:
    return in_books(book(markets=list(markets)))


def in_outcomes(*outcomes: Any) -> list:
    return in_markets(market("h2h", list(outcomes)))


NO_NAME, NO_PRICE = _without(outcome(PIT), "name"), _without(outcome(PIT), "price")


@pytest.mark.parametrize(
    ("payload", "reason", "level"),
    [
        ([_without(event(), "id")], "event lacks an id", "outcome"),
        ([_without(event(), "home_team")], "event lacks home_team or away_team", "outcome"),
        ([_without(event(), "commence_time")], "event lacks commence_time", "outcome"),
        ([event(commence="Sunday")], "unparseable commence_time 'Sunday'", "outcome"),
        ([event(commence="now")], "unparseable commence_time 'now'", "outcome"),
        ([_without(event(), "bookmakers")], "event lacks bookmakers", "event"),
        ([{**event(), "bookmakers": {"key": "x"}}], "bookmakers is an object, not a list", "event"),
        (["not an event"], "event is not an object", "event"),
        (in_books(_without(book(), "key")), "bookmaker lacks a key", "outcome"),
        (in_books(_without(book(), "markets")), "bookmaker lacks a markets list", "book"),
        (in_books(book(last_update="x")), "unparseable bookmaker last_update", "outcome"),
        (in_books(42), "bookmaker is not an object", "book"),
        (in_markets(_without(h2h(), "key")), "market lacks a key", "outcome"),
        (in_markets(_without(h2h(), "outcomes")), "market lacks an outcomes list", "market"),
        (in_markets(h2h(last_update="x")), "unparseable market last_update", "outcome"),
        (in_markets([h2h()]), "market is not an object", "market"),
        (in_outcomes(None, outcome(STL)), "outcome is not an object", "outcome"),
        (in_outcomes(NO_NAME, outcome(STL)), "outcome lacks a name", "outcome"),
        (in_outcomes(NO_PRICE, outcome(STL)), "outcome lacks a price", "outcome"),
    ],
)
def test_missing_fields_go_to_quarantine(payload: list, reason: str, level: str) -> None:
    result = run(payload)
    assert reason in set(result.quarantine["reason"])
    assert_conserved(payload, result)
    flagged = result.quarantine[result.quarantine["reason"] == reason]
    if level == "outcome":
        assert flagged["source_ref"].str.contains(OUTCOME_REF, regex=False).all()
    else:
        assert len(flagged) == 1
        assert OUTCOME_REF not in flagged["source_ref"].iloc[0]
    for record in result.quarantine["record"]:
        json.dumps(record, allow_nan=False)


def test_a_broken_outcome_spoils_only_itself() -> None:
    outcomes = [_without(outcome(PIT), "price"), outcome(STL, 105)]
    result = run([event(bookmakers=[book(markets=[market("h2h", outcomes)])])])
    assert result.quotes["side"].tolist() == ["away"]
    (row,) = result.quarantine.to_dict("records")
    assert row["source_ref"] == f"{REF}#event=e1/book=pinnacle/market=h2h/outcome=0"
    assert row["game_date"] == date(2016, 4, 3)
    assert row["record"]["outcome"] == {"name": PIT}
    assert row["record"]["event"]["id"] == "e1" and "bookmakers" not in row["record"]["event"]


@pytest.mark.parametrize("key", ["h2h_lay", "alternate_totals", "player_hits"])
def test_unknown_markets_are_quarantined(key: str) -> None:
    payload = [event(bookmakers=[book(markets=[h2h(), market(key, [outcome(PIT), outcome(STL)])])])]
    result = run(payload)
    assert len(result.quotes) == 2
    assert result.quarantine["reason"].tolist() == [f"unknown market {key!r}"] * 2
    assert result.quarantine["source_ref"].str.contains(f"/market={key}/outcome=").all()


def test_outcome_that_names_neither_team() -> None:
    markets = [
        market("h2h", [outcome("New York Mets"), outcome(STL)]),
        market("totals", [outcome("Over", -110, 8.5), outcome("Maybe", -110, 8.5)]),
    ]
    result = run([event(bookmakers=[book(markets=markets)])])
    assert result.quarantine["reason"].tolist() == [
        f"outcome 'New York Mets' is neither {PIT!r} nor {STL!r}",
        "totals outcome 'Maybe' is neither Over nor Under",
    ]
    assert result.quotes[["market", "side"]].values.tolist() == [
        ["h2h", "away"],
        ["totals", "over"],
    ]


def test_unknown_team_quarantines_the_event() -> None:
    payload = [event(home="Springfield Isotopes")]
    result = run(payload)
    assert set(result.quarantine["reason"]) == {"unknown team Springfield Isotopes"}
    assert result.events["match_status"].tolist() == ["unknown_team"]
    assert_conserved(payload, result)


def test_duplicate_event_second_copy_is_quarantined() -> None:
    payload = [event("e1"), event("e1", bookmakers=[book("fanduel")])]
    result = run(payload)
    assert set(result.quotes["book"]) == {"pinnacle"}
    assert set(result.quarantine["reason"]) == {"duplicate event id 'e1' (first at position 0)"}
    assert result.quarantine["source_ref"].str.contains("book=fanduel").all()
    assert result.events["match_status"].tolist() == ["matched", "duplicate"]
    assert_conserved(payload, result)


# --- prices and points are normalize_quotes's to judge -----------------------------------


@pytest.mark.parametrize(
    ("price", "point", "market_key", "reason"),
    [
        (0, None, "h2h", "price 0 is not an American price (|price| < 100)"),
        (-50, None, "h2h", "price -50 is not an American price (|price| < 100)"),
        (99, None, "h2h", "price 99 is not an American price (|price| < 100)"),
        (math.nan, None, "h2h", "price missing or not numeric"),
        (None, None, "h2h", "price missing or not numeric"),
        ("minus one ten", None, "h2h", "price missing or not numeric"),
        (True, None, "h2h", "price missing or not numeric"),
        (math.inf, None, "h2h", "price not finite"),
        (-110.5, None, "h2h", "price -110.5 is not a whole American price"),
        (-110, None, "spreads", "spreads/totals quote without a point"),
        (-110, 1.5, "h2h", "h2h quote with a point"),
        (-110, 7.25, "totals", "totals point 7.25 is not a multiple of 0.5"),
    ],
)
def test_bad_prices_pass_through_and_normalize_quotes_rejects_them(
    price: Any, point: Any, market_key: str, reason: str
) -> None:
    names = ("Over", "Under") if market_key == "totals" else (PIT, STL)
    other_point = None if point is None else -point if market_key == "spreads" else point
    bad = market(
        market_key, [outcome(names[0], price, point), outcome(names[1], -105, other_point)]
    )
    payload = [event(bookmakers=[book(markets=[bad])])]
    result = run(payload)
    assert result.quarantine.empty and len(result.quotes) == 2
    normalized = normalize_quotes(result.quotes, source="odds_api", game_dates=result.game_dates())
    assert len(normalized.quarantine) >= 1
    first = normalized.quarantine.iloc[0]
    assert reason in first["reason"]
    assert first["game_date"] == date(2016, 4, 3)


def test_numeric_text_prices_are_numbers() -> None:
    markets = [market("h2h", [outcome(PIT, "-118"), outcome(STL, " 108 ")])]
    result = run([event(bookmakers=[book(markets=markets)])])
    assert result.quotes["price_american"].tolist() == [-118.0, 108.0]


# --- whole payloads that are not usable ---------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<!DOCTYPE html><html><body>502 Bad Gateway</body></html>", "not JSON: an HTML/XML page"),
        (json.dumps([event()]).encode()[:-40], "not JSON, truncated or corrupt"),
        (b'{"message": "Usage quota has been reached"}', "API error: Usage quota has been reached"),
        (b'{"error": 1}', "expected a list of events, got an object"),
        (b'"events"', "expected a list of events, got a string"),
        (b"", "empty body"),
        (b"\xff\xfe\x00garbage", "body is not UTF-8 text"),
    ],
)
def test_unusable_payload_is_one_quarantine_row(body: bytes, reason: str) -> None:
    payload, problem = parse_payload(body)
    assert payload is None and problem is not None and problem.startswith(reason)
    result = run(body)
    assert result.quotes.empty and result.events.empty
    (row,) = result.quarantine.to_dict("records")
    assert row["source"] == "odds_api" and row["source_ref"] == REF
    assert row["reason"] == problem and row["game_date"] is None
    json.dumps(row["record"], allow_nan=False)


def test_parse_payload_accepts_lists_and_snapshots() -> None:
    assert parse_payload(b"[]") == ([], None)
    assert parse_payload(b'{"timestamp": "x", "data": []}') == (
        {"timestamp": "x", "data": []},
        None,
    )


def test_decoded_error_object_is_one_row() -> None:
    result = run({"message": "Invalid sport"})
    assert result.quarantine["reason"].tolist() == ["API error: Invalid sport"]
    assert result.quarantine["record"].iloc[0] == {"payload": {"message": "Invalid sport"}}


# --- mapping events to games --------------------------------------------------------------


def test_doubleheader_events_split_by_start_time() -> None:
    late = event("g2", BAL, OAK, "2016-05-07T23:05:00Z", [book(markets=[h2h(BAL, OAK)])])
    early = event("g1", BAL, OAK, "2016-05-07T17:05:00Z", [book(markets=[h2h(BAL, OAK)])])
    result = run([late, early], fetched_at=datetime(2016, 5, 7, 16, tzinfo=UTC))
    assert result.events[["event_id", "game_id"]].values.tolist() == [
        ["g2", "BAL201605072"],
        ["g1", "BAL201605071"],
    ]
    assert result.quotes["game_id"].tolist() == ["BAL201605072"] * 2 + ["BAL201605071"] * 2


def test_doubleheader_without_start_times_follows_commence_order() -> None:
    schedule = SCHEDULE.assign(start_time_utc=pd.NaT)
    late = event("g2", BAL, OAK, "2016-05-07T23:05:00Z")
    early = event("g1", BAL, OAK, "2016-05-07T17:05:00Z")
    result = run([late, early], schedule=schedule)
    assert result.events["game_id"].tolist() == ["BAL201605072", "BAL201605071"]


def test_time_change_on_the_same_day_still_matches() -> None:
    result = run([event(commence="2016-04-03T23:35:00Z")])  # scheduled 17:05 UTC
    assert result.events["game_id"].tolist() == ["PIT201604030"]
    assert len(result.quotes) == 2


def test_late_game_belongs_to_its_eastern_date() -> None:
    schedule = SCHEDULE.assign(start_time_utc=_utc("2016-04-04 02:05"))  # 22:05 ET on 04-03
    result = run([event(commence="2016-04-04T02:05:00Z")], schedule=schedule)
    assert result.events["game_id"].tolist() == ["PIT201604030"]


def test_game_moved_to_another_day_is_quarantined() -> None:
    payload = [event("m1", CLE, BOS, "2016-04-05T17:10:00Z")]  # CLE201604040 was postponed
    result = run(payload)
    assert result.quotes.empty
    assert set(result.quarantine["reason"]) == {
        "game moved from 2016-04-04 to 2016-04-05 (CLE201604040 is postponed)"
    }
    assert set(result.quarantine["game_date"]) == {date(2016, 4, 5)}
    assert result.events["match_status"].tolist() == ["moved"]
    assert_conserved(payload, result)


def test_move_beyond_max_day_shift_is_just_unscheduled() -> None:
    result = run([event("m1", CLE, BOS, "2016-04-07T17:10:00Z")], max_day_shift=1)
    assert set(result.quarantine["reason"]) == {"no scheduled game for BOS at CLE on 2016-04-07"}
    assert result.events["match_status"].tolist() == ["unscheduled"]


def test_final_game_nearby_is_not_a_move() -> None:
    schedule = SCHEDULE.assign(status="final")
    result = run([event("m1", CLE, BOS, "2016-04-05T17:10:00Z")], schedule=schedule)
    assert result.events["match_status"].tolist() == ["unscheduled"]


def test_schedule_missing_the_game() -> None:
    result = run([event(home=BAL, away=STL, bookmakers=[book(markets=[h2h(BAL, STL)])])])
    assert set(result.quarantine["reason"]) == {"no scheduled game for SLN at BAL on 2016-04-03"}


def test_two_events_for_one_game_keep_the_first() -> None:
    payload = [event("a"), event("b", commence="2016-04-03T17:06:00Z")]
    result = run(payload)
    assert result.events["match_status"].tolist() == ["matched", "conflict"]
    assert set(result.quarantine["reason"]) == {"event 'a' already maps to PIT201604030"}
    assert_conserved(payload, result)


@pytest.mark.parametrize("schedule", [None, SCHEDULE.iloc[0:0]])
def test_without_a_schedule_ids_are_derived(schedule: pd.DataFrame | None) -> None:
    payload = [
        event("x", PIT, STL, "2016-04-03T17:05:00Z"),
        event("g2", BAL, OAK, "2016-05-07T23:05:00Z"),
        event("g1", BAL, OAK, "2016-05-07T17:05:00Z"),
        event("late", CLE, BOS, "2016-04-05T01:10:00Z"),  # 21:10 ET on 04-04
    ]
    result = run(payload, schedule=schedule)
    assert result.events[["event_id", "game_id", "match_status"]].values.tolist() == [
        ["x", "PIT201604030", "derived"],
        ["g2", "BAL201605072", "derived"],
        ["g1", "BAL201605071", "derived"],
        ["late", "CLE201604040", "derived"],
    ]


def test_game_dates_feed_normalize_quotes() -> None:
    result = run([event()])
    assert result.game_dates() == {"PIT201604030": date(2016, 4, 3)}


# --- properties ------------------------------------------------------------------------------

_LEAF = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**20), 10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=6),
)
JUNK = st.recursive(
    _LEAF,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3)
    ),
    max_leaves=6,
)
TIMES = st.one_of(
    st.sampled_from(
        [
            "2016-04-03T17:05:00Z",
            "2016-04-04T20:10:00Z",
            "2016-04-05T17:10:00Z",
            "2016-05-07T17:05:00Z",
            "2016-05-07T23:05:00+00:00",
            "2016-05-07T19:05:00-04:00",
            "2016-05-07 23:05:00",
            "not a time",
            "now",
        ]
    ),
    st.datetimes(datetime(2016, 3, 1), datetime(2016, 11, 30), timezones=st.just(UTC)).map(
        lambda moment: moment.isoformat()
    ),
)
TEAMS = st.sampled_from([PIT, STL, BAL, OAK, CLE, BOS, "Nowhere Nine"])


def _maybe_broken(valid: st.SearchStrategy[dict]) -> st.SearchStrategy[Any]:
    """Mostly valid objects; some with a key dropped or replaced by junk; some junk."""

    def damage(piece: dict) -> st.SearchStrategy[dict]:
        if not piece:
            return st.just(piece)
        key = st.sampled_from(sorted(piece))
        dropped = key.map(lambda k: {n: v for n, v in piece.items() if n != k})
        replaced = st.tuples(key, JUNK).map(lambda kv: {**piece, kv[0]: kv[1]})
        return st.one_of(dropped, replaced)

    return st.one_of(*[valid] * 6, valid.flatmap(damage), JUNK)


PRICES = st.one_of(
    st.integers(-400, 400),
    st.integers(-400, 400),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from(["-110", "abc", None, True]),
)
POINTS = st.one_of(st.sampled_from([-1.5, 1.5, 7.5, 8.0]), st.floats(), st.none())
MARKET_KEYS = st.sampled_from(["h2h", "spreads", "totals", "h2h", "totals", "h2h_lay"])
# (home, away, commence): the first four are (or are near) games of SCHEDULE.
FIXTURES = st.sampled_from(
    [
        (PIT, STL, "2016-04-03T17:05:00Z"),
        (BAL, OAK, "2016-05-07T17:05:00Z"),
        (BAL, OAK, "2016-05-07T23:05:00Z"),
        (CLE, BOS, "2016-04-05T17:10:00Z"),
        (STL, PIT, "2016-04-03T17:05:00Z"),
        (PIT, "Nowhere Nine", "2016-04-03T17:05:00Z"),
    ]
)


def _some(element: st.SearchStrategy[Any]) -> st.SearchStrategy[list]:
    """Lists of up to three, mostly not empty (empty ones are valid but test little)."""
    return st.one_of(st.lists(element, min_size=1, max_size=3), st.lists(element, max_size=3))


def _outcomes_named(names: list[str]) -> st.SearchStrategy[Any]:
    name = st.one_of(*[st.sampled_from(names)] * 4, TEAMS, st.just("Over"))
    return _maybe_broken(
        st.fixed_dictionaries({"name": name, "price": PRICES}, optional={"point": POINTS})
    )


def _market_for(home: str, away: str) -> st.SearchStrategy[Any]:
    def build(key: str) -> st.SearchStrategy[dict]:
        names = ["Over", "Under"] if key == "totals" else [home, away]
        return st.fixed_dictionaries(
            {"key": st.just(key), "outcomes": _some(_outcomes_named(names))},
            optional={"last_update": TIMES},
        )

    return _maybe_broken(MARKET_KEYS.flatmap(build))


def _book_for(home: str, away: str) -> st.SearchStrategy[Any]:
    return _maybe_broken(
        st.fixed_dictionaries(
            {
                "key": st.sampled_from(["pinnacle", "fanduel", "draftkings"]),
                "markets": _some(_market_for(home, away)),
            },
            optional={"last_update": TIMES, "title": st.text(max_size=5)},
        )
    )


def _event_for(fixture: tuple[str, str, str]) -> st.SearchStrategy[dict]:
    home, away, commence = fixture
    return st.fixed_dictionaries(
        {
            "id": st.sampled_from([f"e{i}" for i in range(12)]),
            "commence_time": st.one_of(st.just(commence), st.just(commence), TIMES),
            "home_team": st.one_of(st.just(home), st.just(home), TEAMS),
            "away_team": st.one_of(st.just(away), st.just(away), TEAMS),
            "bookmakers": _some(_book_for(home, away)),
        }
    )


EVENTS = _maybe_broken(FIXTURES.flatmap(_event_for))
PAYLOADS = st.one_of(
    st.lists(EVENTS, max_size=5),
    st.lists(EVENTS, min_size=1, max_size=5),
    st.lists(EVENTS, max_size=3).map(
        lambda data: {"timestamp": "2016-04-03T16:00:00Z", "data": data}
    ),
    JUNK,
)
FETCH_TIMES = st.datetimes(datetime(2016, 3, 1), datetime(2016, 12, 1), timezones=st.just(UTC))


@pytest.mark.slow
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(payload=PAYLOADS, fetched_at=FETCH_TIMES, with_schedule=st.booleans())
def test_any_payload_is_conserved_and_well_formed(
    payload: Any, fetched_at: datetime, with_schedule: bool
) -> None:
    result = run(payload, schedule=SCHEDULE if with_schedule else None, fetched_at=fetched_at)
    quotes, quarantine = result.quotes, result.quarantine
    assert_conserved(payload, result)
    assert str(quotes["captured_at"].dtype) == "datetime64[ns, UTC]"
    assert (quotes["captured_at"] <= pd.Timestamp(fetched_at)).all()
    assert quotes["game_id"].notna().all() and quotes["book"].notna().all()
    pairs = set(zip(quotes["market"], quotes["side"], strict=True))
    assert all(side in MARKET_SIDES[m] for m, side in pairs)
    assert (quarantine["source"] == "odds_api").all()
    assert quarantine["reason"].map(lambda r: isinstance(r, str) and r != "").all()
    for record in quarantine["record"]:
        assert isinstance(record, dict)
        json.dumps(record, allow_nan=False)
    if isinstance(payload, list):
        assert len(result.events) == len(payload)
    elif not (isinstance(payload, dict) and isinstance(payload.get("data"), list)):
        assert quotes.empty and len(quarantine) == 1  # unusable as a whole: one row
    normalized = normalize_quotes(quotes, source="odds_api", game_dates=result.game_dates())
    assert len(normalized.snapshots) + len(normalized.quarantine) <= len(quotes)


@settings(max_examples=100, deadline=None)
@given(payload=st.lists(EVENTS, max_size=3), cut=st.integers(min_value=0))
def test_truncated_body_never_raises(payload: list, cut: int) -> None:
    body = json.dumps(payload).encode()
    truncated = body[: cut % (len(body) + 1)]
    result = run(truncated)
    if truncated != body:
        assert result.quotes.empty and len(result.quarantine) == 1
    else:
        assert_conserved(payload, result)
