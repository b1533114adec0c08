"""The Odds API v4 odds payloads as quotes of the long quote format.

A payload (the body of ``/v4/sports/{sport}/odds`` or the ``data`` of a historical
snapshot) is a list of events, each with bookmakers, their markets and the markets'
outcomes. Every outcome becomes one quote row (see :mod:`mlb_assets.lib.snapshots`)
or one quarantine row with a reason; nothing is dropped silently.

Division of labour with :func:`~mlb_assets.lib.snapshots.normalize_quotes`: this
module rejects what is *structurally* wrong (a piece that is not an object, a missing
key, an unparseable time, an unknown market, team or outcome name, a second copy of an
event, an event that maps to no scheduled game). Whether a price or point is usable
(0, between -100 and +100, NaN, text, a spread without a point, a total of 0.5 sent under
the full-game key) is ``normalize_quotes``'s job, with the rules of
:mod:`mlb_assets.lib.plausibility`: such values pass through here as floats (NaN when not
numeric) so that one place owns the price and point rules for every source.

Counting (the conservation rule the tests hold the code to): an *outcome* is an
element of an ``outcomes`` list reached through lists only: payload -> events that are
objects -> their ``bookmakers`` list -> bookmakers that are objects -> their
``markets`` list -> markets that are objects -> their ``outcomes`` list. Each outcome
becomes exactly one quote row or exactly one *outcome-level* quarantine row (its
``source_ref`` contains ``/outcome=``). A broken piece that holds no outcome (an event
that is not an object, a bookmaker without markets, a payload that is no JSON) is
reported once on itself, in a *container-level* row.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from mlb_assets.lib.odds_api.matching import _Event, _match_events
from mlb_assets.lib.snapshots import MARKET_SIDES, QUARANTINE_COLUMNS, QUOTE_COLUMNS
from mlb_assets.lib.teams import normalize_team_series

SOURCE = "odds_api"
EASTERN = ZoneInfo("America/New_York")
OUTCOME_REF = "/outcome="
EVENT_COLUMNS = [
    "event_id",
    "game_id",
    "game_date",
    "commence_time",
    "home_team",
    "away_team",
    "home_name",
    "away_name",
    "match_status",
    "reason",
]
_TOTAL_SIDES = {"over": "over", "under": "under"}
_EXCERPT = 500
_MAX_DEPTH = 32


@dataclass(frozen=True)
class PayloadQuotes:
    """What one payload yields.

    ``quotes``: columns :data:`~mlb_assets.lib.snapshots.QUOTE_COLUMNS`, ready for
    ``normalize_quotes``. ``quarantine``: :data:`QUARANTINE_COLUMNS`. ``events``: one
    row per element of the payload's event list (:data:`EVENT_COLUMNS`), saying which
    game it was mapped to or why not (``match_status``: matched, derived, moved,
    unscheduled, conflict, unknown_team, duplicate, invalid).
    """

    quotes: pd.DataFrame
    quarantine: pd.DataFrame
    events: pd.DataFrame

    def game_dates(self) -> dict[str, date]:
        """game_id -> game date of the mapped events, for ``normalize_quotes(game_dates=)``."""
        mapped = self.events.dropna(subset=["game_id"])
        return dict(zip(mapped["game_id"], mapped["game_date"], strict=True))


# --- whole payload -------------------------------------------------------------------


def parse_payload(body: bytes) -> tuple[Any | None, str | None]:
    """``(payload, None)`` for a usable response body, else ``(None, reason)``.

    Usable means JSON holding a list of events, or a historical snapshot object whose
    ``data`` is that list. Error pages (HTML from a proxy), truncated downloads and the
    API's own ``{"message": ...}`` error objects are refused with a readable reason.
    """
    try:
        text = bytes(body).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return None, f"body is not UTF-8 text ({error.reason} at byte {error.start})"
    if not text.strip():
        return None, "empty body"
    if text.lstrip().startswith("<"):
        return None, f"not JSON: an HTML/XML page ({_excerpt(text, 80)!r})"
    try:
        payload = json.loads(text)
    except RecursionError:
        return None, "not JSON: nested too deeply"
    except ValueError as error:
        detail = error.msg if isinstance(error, json.JSONDecodeError) else str(error)
        return None, f"not JSON, truncated or corrupt ({detail}; {len(body)} bytes)"
    _, problem = _event_list(payload)
    return (None, problem) if problem else (payload, None)


def _event_list(payload: Any) -> tuple[list | None, str | None]:
    """The events of a payload (unwrapping a historical snapshot) or why there are none."""
    if isinstance(payload, list):
        return payload, None
    if isinstance(payload, dict):
        if isinstance(payload.get("data"), list):
            return payload["data"], None
        if "message" in payload:
            return None, f"API error: {_excerpt(str(payload['message']), 200)}"
    return None, f"expected a list of events, got {_json_type(payload)}"


def odds_payload_to_quotes(
    payload: Any,
    *,
    fetched_at: datetime,
    schedule: pd.DataFrame | None,
    source_ref: str,
    max_day_shift: int = 1,
) -> PayloadQuotes:
    """Flatten one odds payload into quotes, quarantine rows and an event report.

    ``payload`` is the decoded JSON, or the raw body (bytes/str, checked with
    :func:`parse_payload`); a payload that is unusable as a whole becomes one
    quarantine row. ``fetched_at`` is when the payload was received (for a historical
    snapshot: the snapshot's ``timestamp``). ``schedule`` is the games frame used to
    map events to ``game_id``; when it is empty or None ids are derived from the teams
    and the event's date (see :func:`_derive_ids`). ``source_ref`` prefixes every
    quarantine row's reference.

    ``captured_at`` is the market's ``last_update`` (when the book set the price), else
    the bookmaker's, else ``fetched_at``, and never later than ``fetched_at``. We
    provably held the price when the payload arrived; a later stamp can only come from
    the API's clock running ahead of ours, and would hide a price we held from a
    decision made in between and order it after quotes of later polls. Capping keeps
    the point-in-time rule (use quotes with ``captured_at`` <= decision time) true to
    what was on the board and in hand.

    Raises:
        ValueError: when ``fetched_at`` is timezone-naive (a caller error, not bad data).
    """
    fetched = _utc(fetched_at)
    if isinstance(payload, bytes | bytearray | str):
        raw_body = payload.encode() if isinstance(payload, str) else bytes(payload)
        payload, problem = parse_payload(raw_body)
        if problem:
            return _payload_failure(problem, raw_body.decode("utf-8", "replace"), source_ref)
    events_raw, problem = _event_list(payload)
    if problem or events_raw is None:
        return _payload_failure(problem or "no events", payload, source_ref)
    events = _read_events(events_raw)
    _resolve_teams(events)
    _match_events(events, schedule, max_day_shift)
    walk = _Walk(source_ref)
    for event in events:
        walk.event(event)
    quotes, outcome_rows = _split(walk.outcomes, source_ref, fetched)
    quarantine = _quarantine_frame(_in_payload_order(walk, outcome_rows))
    return PayloadQuotes(quotes=quotes, quarantine=quarantine, events=_events_frame(events))


def _payload_failure(reason: str, payload: Any, source_ref: str) -> PayloadQuotes:
    """One quarantine row for a payload unusable as a whole; big bodies as an excerpt."""
    text = payload if isinstance(payload, str) else json.dumps(_jsonable(payload))
    record = (
        {"payload": _jsonable(payload)} if len(text) <= _EXCERPT else {"excerpt": _excerpt(text)}
    )
    row = _quarantine_row(source_ref, None, reason, record)
    return PayloadQuotes(
        quotes=_empty_quotes(),
        quarantine=_quarantine_frame([row]),
        events=pd.DataFrame(columns=EVENT_COLUMNS),
    )


# --- events --------------------------------------------------------------------------


def _read_events(raw_events: list) -> list[_Event]:
    """Structural checks of each event; the second copy of an event id is a duplicate."""
    events, first_seen = [], {}
    for pos, raw in enumerate(raw_events):
        event = _read_event(pos, raw)
        if event.event_id is not None:
            first = first_seen.setdefault(event.event_id, pos)
            if first != pos:
                event.problem = f"duplicate event id {event.event_id!r} (first at position {first})"
                event.status = "duplicate"
        events.append(event)
    return events


def _read_event(pos: int, raw: Any) -> _Event:
    if not isinstance(raw, dict):
        return _Event(pos, raw, f"event=[{pos}]", problem="event is not an object")
    event_id = raw.get("id") if _text(raw.get("id")) else None
    event = _Event(pos, raw, f"event={event_id}" if event_id else f"event=[{pos}]")
    event.event_id = event_id
    event.home_name, event.away_name = _text(raw.get("home_team")), _text(raw.get("away_team"))
    event.commence = _parse_time(raw.get("commence_time"))
    if event.commence is not None:
        event.game_date = event.commence.tz_convert(EASTERN).date()
    bookmakers = raw.get("bookmakers")
    event.bookmakers = bookmakers if isinstance(bookmakers, list) else []
    event.problem = _event_problem(raw, event)
    return event


def _event_problem(raw: dict, event: _Event) -> str | None:
    """The first structural problem of an event object, or None."""
    if event.event_id is None:
        return "event lacks an id"
    if event.home_name is None or event.away_name is None:
        return "event lacks home_team or away_team"
    if "commence_time" not in raw:
        return "event lacks commence_time"
    if event.commence is None:
        return f"unparseable commence_time {_excerpt(str(raw['commence_time']), 60)!r}"
    if "bookmakers" not in raw:
        return "event lacks bookmakers"
    if not isinstance(raw["bookmakers"], list):
        return f"bookmakers is {_json_type(raw['bookmakers'])}, not a list"
    return None


def _resolve_teams(events: list[_Event]) -> None:
    """Canonical team codes for the season of each event's date (vectorized per season)."""
    live = [e for e in events if e.problem is None]
    by_season: dict[int, list[_Event]] = defaultdict(list)
    for event in live:
        by_season[event.game_date.year].append(event)
    for season, group in by_season.items():
        names = pd.Series([e.home_name for e in group] + [e.away_name for e in group])
        codes = normalize_team_series(names, "name", season).tolist()
        for event, home, away in zip(group, codes[: len(group)], codes[len(group) :], strict=True):
            event.home_code, event.away_code = home, away
            unknown = [
                n for n, c in ((event.home_name, home), (event.away_name, away)) if c is None
            ]
            if unknown:
                event.problem, event.status = f"unknown team {', '.join(unknown)}", "unknown_team"
            elif home == away:
                event.problem = f"home and away are the same team ({home})"


# --- bookmakers, markets, outcomes ----------------------------------------------------


@dataclass
class _Outcome:
    """One outcome with its path, the first problem on that path, and its raw pieces."""

    event: _Event
    ref: str
    problem: str | None
    book: dict
    market: dict
    raw: Any
    captured: pd.Timestamp | None


class _Walk:
    """Collects outcomes and container-level quarantine rows while walking one payload."""

    def __init__(self, source_ref: str) -> None:
        self.source_ref = source_ref
        self.outcomes: list[_Outcome] = []
        self.containers: list[tuple[int, dict]] = []  # (outcomes seen before it, row)

    def event(self, event: _Event) -> None:
        before = len(self.outcomes)
        for j, book in enumerate(event.bookmakers):
            self.book(event, j, book)
        if event.problem and len(self.outcomes) == before:
            self._container(event.ref, event, event.problem, {"event": event.raw})

    def book(self, event: _Event, j: int, book: Any) -> None:
        ref = f"{event.ref}/book={_label(book, j)}"
        own = _book_problem(book)
        before = len(self.outcomes)
        if isinstance(book, dict) and isinstance(book.get("markets"), list):
            book_time = _parse_time(book.get("last_update"))
            for k, market in enumerate(book["markets"]):
                self.market(event, ref, book, book_time, k, market, event.problem or own)
        if own and not event.problem and len(self.outcomes) == before:
            self._container(ref, event, own, {"event": _event_context(event), "bookmaker": book})

    def market(
        self,
        event: _Event,
        book_ref: str,
        book: dict,
        book_time: pd.Timestamp | None,
        k: int,
        market: Any,
        inherited: str | None,
    ) -> None:
        ref = f"{book_ref}/market={_label(market, k)}"
        own = _market_problem(market)
        if not isinstance(market, dict) or not isinstance(market.get("outcomes"), list):
            if own and not inherited:
                record = {"event": _event_context(event), "bookmaker": _shallow(book, "markets")}
                self._container(ref, event, own, {**record, "market": market})
            return
        captured = _parse_time(market.get("last_update"))
        captured = book_time if captured is None else captured
        for i, raw in enumerate(market["outcomes"]):
            self.outcomes.append(
                _Outcome(
                    event, f"{ref}{OUTCOME_REF}{i}", inherited or own, book, market, raw, captured
                )
            )

    def _container(self, ref: str, event: _Event, reason: str, record: Any) -> None:
        ref = f"{self.source_ref}#{ref}"
        row = _quarantine_row(ref, event.game_date, reason, record)
        self.containers.append((len(self.outcomes), row))


def _in_payload_order(walk: _Walk, outcome_rows: list[tuple[int, dict]]) -> list[dict]:
    """Container rows between the outcome rows they came between in the payload."""
    keyed = [(seen, 0, row) for seen, row in walk.containers]
    keyed += [(position, 1, row) for position, row in outcome_rows]
    return [row for *_, row in sorted(keyed, key=lambda item: item[:2])]


def _label(piece: Any, position: int) -> str:
    """A piece's ``key`` for references, else its position in brackets."""
    key = piece.get("key") if isinstance(piece, dict) else None
    return key if _text(key) else f"[{position}]"


def _book_problem(book: Any) -> str | None:
    if not isinstance(book, dict):
        return "bookmaker is not an object"
    if not _text(book.get("key")):
        return "bookmaker lacks a key"
    if book.get("last_update") is not None and _parse_time(book["last_update"]) is None:
        return "unparseable bookmaker last_update"
    if not isinstance(book.get("markets"), list):
        return "bookmaker lacks a markets list"
    return None


def _market_problem(market: Any) -> str | None:
    if not isinstance(market, dict):
        return "market is not an object"
    key = market.get("key")
    if not _text(key):
        return "market lacks a key"
    if key not in MARKET_SIDES:
        return f"unknown market {_excerpt(key, 60)!r}"
    if market.get("last_update") is not None and _parse_time(market["last_update"]) is None:
        return "unparseable market last_update"
    if not isinstance(market.get("outcomes"), list):
        return "market lacks an outcomes list"
    return None


def _outcome_problem(raw: Any) -> str | None:
    if not isinstance(raw, dict):
        return "outcome is not an object"
    if not _text(raw.get("name")):
        return "outcome lacks a name"
    if "price" not in raw:
        return "outcome lacks a price"
    return None


# --- outcomes to quotes ----------------------------------------------------------------


def _split(
    outcomes: list[_Outcome], source_ref: str, fetched: pd.Timestamp
) -> tuple[pd.DataFrame, list[tuple[int, dict]]]:
    """Quote rows for the sound outcomes, outcome-level quarantine rows for the rest."""
    problems = [o.problem or _outcome_problem(o.raw) for o in outcomes]
    sound = [o for o, p in zip(outcomes, problems, strict=True) if p is None]
    sides, side_problems = _sides(sound)
    side_problem = dict(zip(map(id, sound), side_problems, strict=True))
    problems = [p or side_problem.get(id(o)) for o, p in zip(outcomes, problems, strict=True)]
    kept = [(o, s) for o, s in zip(sound, sides, strict=True) if s is not None]
    rows = [
        (i, _quarantine_row(f"{source_ref}#{o.ref}", o.event.game_date, p, _outcome_record(o)))
        for i, (o, p) in enumerate(zip(outcomes, problems, strict=True))
        if p is not None
    ]
    return _quotes([o for o, _ in kept], [s for _, s in kept], fetched), rows


def _sides(outcomes: list[_Outcome]) -> tuple[list[str | None], list[str | None]]:
    """Each outcome's side, or (None, reason) when its name fits no side of its market.

    h2h and spreads outcomes are named after a team: the name is resolved to the code of
    the event's season, so spellings that differ from the event's own still match.
    """
    frame = pd.DataFrame(
        {
            "market": [o.market["key"] for o in outcomes],
            "name": [o.raw["name"] for o in outcomes],
            "season": [o.event.game_date.year for o in outcomes],
            "home": [o.event.home_code for o in outcomes],
            "away": [o.event.away_code for o in outcomes],
        },
        dtype=object,
    )
    codes = pd.Series(None, index=frame.index, dtype=object)
    for season, group in frame.groupby("season"):
        codes[group.index] = normalize_team_series(group["name"], "name", int(season))
    totals = frame["name"].str.strip().str.lower().map(_TOTAL_SIDES)
    team_side = np.where(
        codes == frame["home"], "home", np.where(codes == frame["away"], "away", None)
    )
    is_totals = (frame["market"] == "totals").to_numpy()
    side = np.where(is_totals, totals.to_numpy(dtype=object), team_side)
    sides = [None if pd.isna(s) else str(s) for s in side]
    reasons = [
        None if s is not None else _side_reason(o, total)
        for o, s, total in zip(outcomes, sides, is_totals, strict=True)
    ]
    return sides, reasons


def _side_reason(outcome: _Outcome, is_totals: bool) -> str:
    name = _excerpt(outcome.raw["name"], 60)
    if is_totals:
        return f"totals outcome {name!r} is neither Over nor Under"
    event = outcome.event
    return f"outcome {name!r} is neither {event.home_name!r} nor {event.away_name!r}"


def _quotes(outcomes: list[_Outcome], sides: list[str], fetched: pd.Timestamp) -> pd.DataFrame:
    """The long quote format; ``captured_at`` falls back to and is capped at ``fetched``."""
    if not outcomes:
        return _empty_quotes()
    captured = pd.Series(
        pd.to_datetime([o.captured for o in outcomes], utc=True), dtype="datetime64[ns, UTC]"
    )
    captured = captured.fillna(fetched).clip(upper=fetched)
    return pd.DataFrame(
        {
            "game_id": [o.event.game_id for o in outcomes],
            "book": [o.book["key"] for o in outcomes],
            "market": [o.market["key"] for o in outcomes],
            "side": sides,
            "point": [_number(o.raw.get("point")) for o in outcomes],
            "price_american": [_number(o.raw.get("price")) for o in outcomes],
            "captured_at": captured,
        },
        columns=QUOTE_COLUMNS,
    )


def _empty_quotes() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "game_id": pd.Series(dtype=object),
            "book": pd.Series(dtype=object),
            "market": pd.Series(dtype=object),
            "side": pd.Series(dtype=object),
            "point": pd.Series(dtype=float),
            "price_american": pd.Series(dtype=float),
            "captured_at": pd.Series(dtype="datetime64[ns, UTC]"),
        }
    )


def _number(value: Any) -> float:
    """A numeric-looking value as float, anything else as NaN (``normalize_quotes`` judges).

    Booleans are not numbers here, although Python treats them as such.
    """
    if value is None or isinstance(value, bool):
        return math.nan
    if isinstance(value, int | float):
        try:
            return float(value)
        except OverflowError:
            return math.inf if value > 0 else -math.inf
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return math.nan
    return math.nan


# --- reports ---------------------------------------------------------------------------


def _events_frame(events: list[_Event]) -> pd.DataFrame:
    rows = [
        {
            "event_id": e.event_id,
            "game_id": e.game_id if e.problem is None else None,
            "game_date": e.game_date,
            "commence_time": e.commence,
            "home_team": e.home_code,
            "away_team": e.away_code,
            "home_name": e.home_name,
            "away_name": e.away_name,
            "match_status": e.status,
            "reason": e.problem,
        }
        for e in events
    ]
    frame = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    frame["commence_time"] = pd.to_datetime(frame["commence_time"], utc=True)
    return frame


def _quarantine_frame(rows: list[dict]) -> pd.DataFrame:
    """Object columns throughout: inference would turn records such as ``0`` into floats."""
    return pd.DataFrame(
        {c: pd.Series([row[c] for row in rows], dtype=object) for c in QUARANTINE_COLUMNS}
    )


def _quarantine_row(ref: str, game_date: date | None, reason: str, record: Any) -> dict:
    return {
        "source": SOURCE,
        "source_ref": ref,
        "game_date": game_date,
        "reason": reason,
        "record": _jsonable(record),
    }


def _event_context(event: _Event) -> Any:
    """The event without its bookmakers: enough to find it again in the payload."""
    return _shallow(event.raw, "bookmakers")


def _outcome_record(outcome: _Outcome) -> dict:
    return {
        "event": _event_context(outcome.event),
        "bookmaker": _shallow(outcome.book, "markets"),
        "market": _shallow(outcome.market, "outcomes"),
        "outcome": outcome.raw,
    }


def _shallow(piece: Any, children: str) -> Any:
    """An object without its list of children (records stay small); non-objects as is."""
    if not isinstance(piece, dict):
        return piece
    return {key: value for key, value in piece.items() if key != children}


def _jsonable(value: Any, depth: int = 0) -> Any:
    """A value ``json.dumps(..., allow_nan=False)`` accepts.

    Non-finite floats become the strings "NaN"/"Infinity"/"-Infinity" (a null would hide
    what the feed sent); nesting is cut at a fixed depth.
    """
    if depth > _MAX_DEPTH:
        return "..."
    if isinstance(value, dict):
        return {str(key): _jsonable(item, depth + 1) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(item, depth + 1) for item in value]
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if value is None or isinstance(value, str | int | float):
        return value
    return repr(value)


# --- small helpers ---------------------------------------------------------------------


def _text(value: Any) -> str | None:
    """A non-blank string, else None."""
    return value if isinstance(value, str) and value.strip() else None


def _parse_time(value: Any) -> pd.Timestamp | None:
    """An ISO 8601 time as a UTC timestamp; no offset means UTC (the API's convention).

    ``datetime.fromisoformat`` rather than ``pd.Timestamp``: the latter also accepts
    words such as "now", which must not become a capture time.
    """
    if not isinstance(value, str):
        return None
    try:
        parsed = pd.Timestamp(datetime.fromisoformat(value.strip()))
    except (ValueError, OverflowError):
        return None
    return parsed.tz_localize("UTC") if parsed.tzinfo is None else parsed.tz_convert("UTC")


def _utc(moment: datetime) -> pd.Timestamp:
    stamp = pd.Timestamp(moment)
    if stamp.tzinfo is None:
        raise ValueError("fetched_at must be timezone-aware")
    return stamp.tz_convert("UTC")


def _excerpt(text: str, limit: int = _EXCERPT) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else f"{flat[: limit - 1]}…"


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean"}
    if value is None:
        return "null"
    if isinstance(value, int | float) and not isinstance(value, bool):
        return "a number"
    return names.get(type(value), type(value).__name__)
