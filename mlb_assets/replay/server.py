"""A local stand-in for The Odds API v4 that replays archived odds over real HTTP.

The server answers the v4 endpoints the pipeline uses (``odds``, ``events``,
``scores``, historical ``odds``) from an :class:`OddsBoard` as of a simulated clock,
with the API's authentication, quota headers and error bodies. It exists so the
live ingestion path (client, sensors, schedules) can run end to end, offline and
repeatably, and so that failure handling can be exercised on purpose: faults queued
under ``/_replay/`` make the next responses fail the way the real service does.

API surface (``apiKey`` required when the server has one; quota charged as the API
publishes, see :func:`mlb_assets.lib.odds_api.client.request_cost`):

* ``GET /v4/sports`` (free), ``GET /v4/sports/{sport}/odds|events|scores``,
  ``GET /v4/historical/sports/{sport}/odds?date=...``.
* Odds calls cost (markets returned) x (regions, or one per 10 bookmakers), nothing
  when no event is returned; historical odds cost ten times that. Every API response
  carries ``x-requests-remaining/-used/-last``; a call costing more than what remains
  gets 429 with ``error_code`` ``OUT_OF_USAGE_CREDITS``.
* ``regions`` is validated but does not select books: a board's books are data, and
  all of them are served unless ``bookmakers`` narrows them.

Control surface (no key, never charged, not counted as API traffic):

* ``GET|POST /_replay/clock``: read, ``{"now": iso}`` set, ``{"advance_seconds": n}``,
  ``{"speed": n}`` (simulated seconds per wall second; 0 stops the clock).
* ``POST /_replay/faults``: queue one fault object or a list (see :class:`Fault`);
  ``DELETE /_replay/faults`` clears the queue.
* ``GET /_replay/stats``: requests per path, faults served, quota, simulated now.

Faults apply in queue order to the next API requests, before authentication (they
stand for the network and the service's front end). ``status`` and ``html`` and
``truncated`` responses are not charged; a ``slow`` response is a normal response
delivered late and is charged.
"""

from __future__ import annotations

import json
import logging
import math
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mlb_assets.lib.odds_api.client import redact, request_cost
from mlb_assets.replay.clock import SimulatedClock
from mlb_assets.replay.faults import Fault, _ApiProblem
from mlb_assets.replay.odds_board import (
    MARKETS,
    SPORT_KEY,
    SPORT_TITLE,
    DateFormat,
    ImplausibleQuote,
    OddsBoard,
    OddsFormat,
    v4_events,
    v4_historical_odds,
    v4_odds,
    v4_scores,
    with_implausible,
)

log = logging.getLogger(__name__)

DEFAULT_API_KEY = "replay-key"
REGIONS = frozenset({"us", "us2", "uk", "eu", "au", "us_dfs", "us_ex", "fr", "se"})
Query = dict[str, list[str]]
Reply = tuple[int, dict[str, str], bytes]
RouteHandler = Callable[[str, Query], Reply]

_KNOWN_STATUSES = frozenset(status.value for status in HTTPStatus)
_API_PATH = re.compile(r"^/v4/(?:(historical)/)?sports/([^/]+)/(odds|events|scores)/?$")
_HTML_PAGE = (
    b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head>"
    b"<body><h1>502 Bad Gateway</h1><p>The upstream server is temporarily unavailable."
    b"</p></body></html>"
)


# --- the server ----------------------------------------------------------------------


class ReplayServer:
    """A threaded HTTP server on ``host:port`` (0: any free port) serving ``board``.

    ``api_key=None`` turns authentication off. ``quota_total`` is the credit
    allowance of the simulated plan. ``implausible`` quotes are served off the board's
    data in every odds payload (see :class:`ImplausibleQuote`; none by default). Use as a
    context manager or ``start``/``stop``.
    """

    def __init__(
        self,
        board: OddsBoard,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_key: str | None = DEFAULT_API_KEY,
        quota_total: int = 500,
        clock: SimulatedClock | None = None,
        implausible: Sequence[ImplausibleQuote] = (),
    ) -> None:
        self.board = board
        self.implausible = tuple(implausible)
        self.host, self.port = host, port
        self.clock = clock or SimulatedClock(board.first_quote_at or datetime.now(UTC))
        self.quota_total = quota_total
        self._api_key = api_key
        self._lock = threading.Lock()
        self._used = 0
        self._faults: deque[list[Any]] = deque()  # [fault, uses left]
        self._requests: Counter[str] = Counter()
        self._faults_served: Counter[str] = Counter()
        self._routes: list[tuple[str, RouteHandler]] = []
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def __repr__(self) -> str:
        where = self.url if self._httpd else "not started"
        return f"ReplayServer({where}, board={self.board!r})"

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> ReplayServer:
        """Bind and serve in a daemon thread; returns self."""
        if self._httpd is not None:
            raise RuntimeError("the replay server is already running")
        httpd = ThreadingHTTPServer((self.host, self.port), _Handler)
        httpd.daemon_threads = True
        httpd.replay = self  # type: ignore[attr-defined]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.name = f"replay-server-{httpd.server_address[1]}"
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket (idempotent)."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> ReplayServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._httpd is None:
            raise RuntimeError("the replay server is not running")
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # --- Python control API ----------------------------------------------------------

    def inject(self, *faults: Fault) -> None:
        """Queue faults for the next API requests, in order."""
        with self._lock:
            self._faults.extend([fault, fault.count] for fault in faults)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()

    def add_route(self, path_prefix: str, handler: RouteHandler) -> None:
        """Serve GET requests under ``path_prefix`` with ``handler(path, query)``.

        For endpoints beside the odds API (an MLB schedule, say): no key, no quota,
        counted in the stats; the longest matching prefix wins.
        """
        if not path_prefix.startswith("/") or path_prefix.startswith(("/v4", "/_replay")):
            raise ValueError("a route prefix starts with '/' and not with /v4 or /_replay")
        with self._lock:
            self._routes.append((path_prefix, handler))
            self._routes.sort(key=lambda route: len(route[0]), reverse=True)

    @property
    def quota(self) -> dict[str, int]:
        """The simulated plan's credits: total, used, remaining."""
        with self._lock:
            return self._quota_locked()

    def _quota_locked(self) -> dict[str, int]:
        remaining = max(0, self.quota_total - self._used)
        return {"total": self.quota_total, "used": self._used, "remaining": remaining}

    def stats(self) -> dict[str, Any]:
        """Requests per path, faults served per kind, pending faults, quota and now."""
        with self._lock:
            return {
                "now": _iso(self.clock.now()),
                "requests": dict(self._requests),
                "faults_served": dict(self._faults_served),
                "faults_pending": sum(uses for _, uses in self._faults),
                "quota": self._quota_locked(),
            }

    # --- dispatch --------------------------------------------------------------------

    def handle(self, method: str, target: str, body: bytes) -> Reply:
        """Answer one request (the HTTP handler's only entry point)."""
        parts = urlsplit(target)
        path, query = parts.path, parse_qs(parts.query, keep_blank_values=True)
        if path.startswith("/_replay/"):
            return self._control(method, path, body)
        route = self._route_for(path)
        if route is not None:
            return self._custom(route, method, path, query)
        if method != "GET":
            return _json_reply(405, {"message": f"{method} is not supported"})
        match = _API_PATH.match(path)
        if match is None and path.rstrip("/") != "/v4/sports":
            return _json_reply(404, {"message": f"Unknown route {path}"})
        self._count(path)
        return self._api(path, query, match)

    def _count(self, path: str) -> None:
        with self._lock:
            self._requests[path] += 1

    def _route_for(self, path: str) -> RouteHandler | None:
        with self._lock:
            routes = list(self._routes)
        return next((handler for prefix, handler in routes if path.startswith(prefix)), None)

    def _custom(self, handler: RouteHandler, method: str, path: str, query: Query) -> Reply:
        if method != "GET":
            return _json_reply(405, {"message": f"{method} is not supported"})
        self._count(path)
        try:
            return handler(path, query)
        except Exception:  # a broken plug-in route must not take the server down
            log.exception("replay route %s failed", path)
            return _json_reply(500, {"message": "route handler failed"})

    def _take_fault(self) -> Fault | None:
        with self._lock:
            if not self._faults:
                return None
            entry = self._faults[0]
            entry[1] -= 1
            if entry[1] <= 0:
                self._faults.popleft()
            self._faults_served[entry[0].kind] += 1
            return entry[0]

    def _api(self, path: str, query: Query, match: re.Match[str] | None) -> Reply:
        """An odds API request: faults first, then auth, the answer and the charge."""
        fault = self._take_fault()
        if fault is not None and fault.kind == "status":
            return self._status_fault(fault)
        if fault is not None and fault.kind == "slow":
            time.sleep(fault.seconds)
        charge = fault is None or fault.kind == "slow"
        status, headers, body = self._answer(path, query, match, charge)
        if fault is not None and fault.kind == "truncated":
            body = body[: len(body) // 2]
        elif fault is not None and fault.kind == "html":
            status, body = 200, _HTML_PAGE
            headers["Content-Type"] = "text/html; charset=utf-8"
        return status, headers, body

    def _status_fault(self, fault: Fault) -> Reply:
        messages = {429: "Too many requests. Please retry later."}
        phrase = HTTPStatus(fault.status).phrase if fault.status in _KNOWN_STATUSES else "Error"
        payload = {"message": messages.get(fault.status, f"{phrase}.")}
        if fault.status == 429:
            payload["error_code"] = "EXCEEDED_FREQ_LIMIT"
        status, headers, body = _json_reply(fault.status, payload)
        headers.update(self._quota_headers(0))
        if fault.retry_after is not None:
            headers["Retry-After"] = f"{fault.retry_after:g}"
        return status, headers, body

    def _answer(self, path: str, query: Query, match: re.Match[str] | None, charge: bool) -> Reply:
        """Authenticate, compute the payload and its cost, charge it, and shape the reply."""
        try:
            self._authenticate(query)
            payload, cost = self._payload(path, query, match)
        except _ApiProblem as problem:
            body = {"message": problem.message, "error_code": problem.error_code}
            status, headers, data = _json_reply(problem.status, body)
            headers.update(self._quota_headers(0))
            return status, headers, data
        with self._lock:
            remaining = self.quota_total - self._used
            if cost > remaining:
                exhausted = {
                    "message": "Usage quota has been reached.",
                    "error_code": "OUT_OF_USAGE_CREDITS",
                }
                status, headers, data = _json_reply(429, exhausted)
                headers.update(self._quota_headers_locked(0))
                return status, headers, data
            if charge:
                self._used += cost
            status, headers, data = _json_reply(200, payload)
            headers.update(self._quota_headers_locked(cost if charge else 0))
        return status, headers, data

    def _quota_headers(self, last: int) -> dict[str, str]:
        with self._lock:
            return self._quota_headers_locked(last)

    def _quota_headers_locked(self, last: int) -> dict[str, str]:
        quota = self._quota_locked()
        return {
            "x-requests-remaining": str(quota["remaining"]),
            "x-requests-used": str(quota["used"]),
            "x-requests-last": str(last),
        }

    def _authenticate(self, query: Query) -> None:
        if self._api_key is None:
            return
        given = _one(query, "apiKey")
        if not given:
            raise _ApiProblem(
                401,
                "API key is missing. Pass it as the apiKey query parameter.",
                "MISSING_KEY",
            )
        if given != self._api_key:
            raise _ApiProblem(
                401,
                "API key is not valid or not associated with a subscription.",
                "INVALID_KEY",
            )

    def _payload(self, path: str, query: Query, match: re.Match[str] | None) -> tuple[Any, int]:
        """The endpoint's JSON payload and its credit cost."""
        if match is None:
            return [_sport_entry()], 0
        historical, sport, endpoint = match.groups()
        if sport != SPORT_KEY:
            raise _ApiProblem(404, f"Unknown sport {sport!r}.", "UNKNOWN_SPORT")
        now = self.clock.now()
        date_format = _date_format(query)
        if historical:
            if endpoint != "odds":
                raise _ApiProblem(404, f"Unknown route {path}", "UNKNOWN_ROUTE")
            return self._historical(query, now, date_format)
        if endpoint == "odds":
            return self._odds(query, now, date_format)
        window = _window(query)
        if endpoint == "events":
            return v4_events(self.board, now, date_format=date_format, **window), 0
        days = _days_from(query)
        scores = v4_scores(self.board, now, days_from=days, date_format=date_format)
        return scores, request_cost("scores", days_from=days)

    def _odds(self, query: Query, now: datetime, date_format: DateFormat) -> tuple[Any, int]:
        markets, books, regions = _market_selection(query)
        events = v4_odds(
            self.board,
            now,
            books=books,
            markets=markets,
            date_format=date_format,
            odds_format=_odds_format(query),
            **_window(query),
        )
        with_implausible(events, self.implausible)
        return events, _markets_returned(events) * regions

    def _historical(self, query: Query, now: datetime, date_format: DateFormat) -> tuple[Any, int]:
        date = _time_param(query, "date")
        if date is None:
            raise _ApiProblem(422, "Missing date parameter.", "MISSING_HISTORICAL_DATE")
        markets, books, regions = _market_selection(query)
        snapshot = v4_historical_odds(
            self.board,
            date,
            now,
            books=books,
            markets=markets,
            date_format=date_format,
            odds_format=_odds_format(query),
        )
        with_implausible(snapshot["data"], self.implausible)
        return snapshot, 10 * _markets_returned(snapshot["data"]) * regions

    # --- control endpoints -----------------------------------------------------------

    def _control(self, method: str, path: str, body: bytes) -> Reply:
        """The ``/_replay/`` endpoints; bad input is a 400 with a message."""
        try:
            spec = json.loads(body) if body.strip() else {}
            return self._control_action(method, path.rstrip("/"), spec)
        except (ValueError, TypeError) as error:
            return _json_reply(400, {"message": str(error)})

    def _control_action(self, method: str, path: str, spec: Any) -> Reply:
        if path == "/_replay/clock" and method in ("GET", "POST"):
            if method == "POST":
                self._set_clock(spec)
            return _json_reply(200, {"now": _iso(self.clock.now()), "speed": self.clock.speed})
        if path == "/_replay/faults" and method == "POST":
            specs = spec if isinstance(spec, list) else [spec]
            faults = [Fault.from_json(item) for item in specs]
            self.inject(*faults)
            return _json_reply(200, {"queued": len(faults), **self._pending()})
        if path == "/_replay/faults" and method == "DELETE":
            self.clear_faults()
            return _json_reply(200, self._pending())
        if path == "/_replay/stats" and method == "GET":
            return _json_reply(200, self.stats())
        return _json_reply(404, {"message": f"Unknown control route {method} {path}"})

    def _pending(self) -> dict[str, int]:
        return {"faults_pending": self.stats()["faults_pending"]}

    def _set_clock(self, spec: Any) -> None:
        if not isinstance(spec, dict) or not {"now", "advance_seconds", "speed"} & set(spec):
            raise ValueError(
                'expected {"now": "<ISO 8601 with offset>"}, {"advance_seconds": n} or {"speed": n}'
            )
        if "now" in spec:
            self.clock.set(_parse_time(str(spec["now"])))
        if "advance_seconds" in spec:
            seconds = float(spec["advance_seconds"])
            if not math.isfinite(seconds):
                raise ValueError("advance_seconds must be finite")
            self.clock.advance(seconds)
        if "speed" in spec:
            speed = float(spec["speed"])
            if not math.isfinite(speed):
                raise ValueError("speed must be finite")
            self.clock.speed = speed  # the clock refuses a negative speed


class _Handler(BaseHTTPRequestHandler):
    """Thin HTTP adapter: everything is decided in :meth:`ReplayServer.handle`."""

    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections are dropped after this many seconds
    # Headers and body go out in two writes; with Nagle's algorithm the body waits for
    # the client's delayed ACK (~40 ms per response on Linux).
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _dispatch(self, method: str) -> None:
        replay: ReplayServer = self.server.replay  # type: ignore[attr-defined]
        try:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            status, headers, data = replay.handle(method, self.path, body)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            # A client that timed out (a ``slow`` fault) has gone; nothing to answer.
            self.close_connection = True

    def log_message(self, format: str, *args: Any) -> None:
        log.debug("%s %s", self.address_string(), redact(format % args))


# --- request parsing -----------------------------------------------------------------


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_reply(status: int, payload: Any) -> Reply:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return status, {"Content-Type": "application/json; charset=utf-8"}, body


def _sport_entry() -> dict[str, Any]:
    return {
        "key": SPORT_KEY,
        "group": "Baseball",
        "title": SPORT_TITLE,
        "description": "Major League Baseball",
        "active": True,
        "has_outrights": False,
    }


def _one(query: Query, name: str) -> str | None:
    values = query.get(name)
    return values[-1] if values else None


def _parse_time(text: str) -> datetime:
    """An ISO 8601 instant with ``Z`` or an offset (naive times are ambiguous: refused)."""
    moment = datetime.fromisoformat(text.strip())
    if moment.tzinfo is None:
        raise ValueError(f"{text!r} has no timezone; use e.g. 2016-04-03T12:00:00Z")
    return moment.astimezone(UTC)


def _time_param(query: Query, name: str) -> datetime | None:
    value = _one(query, name)
    if value is None or value == "":
        return None
    try:
        return _parse_time(value)
    except ValueError:
        raise _ApiProblem(
            422,
            f"Invalid {name} parameter. The expected format is YYYY-MM-DDTHH:MM:SSZ.",
            f"INVALID_{_snake(name).upper()}",
        ) from None


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)([A-Z])", r"_\1", name)


def _window(query: Query) -> dict[str, datetime | None]:
    return {
        "commence_from": _time_param(query, "commenceTimeFrom"),
        "commence_to": _time_param(query, "commenceTimeTo"),
    }


def _date_format(query: Query) -> DateFormat:
    value = _one(query, "dateFormat") or "iso"
    if value not in ("iso", "unix"):
        raise _ApiProblem(422, "Invalid dateFormat. Use iso or unix.", "INVALID_DATE_FORMAT")
    return value  # type: ignore[return-value]


def _odds_format(query: Query) -> OddsFormat:
    value = _one(query, "oddsFormat") or "decimal"  # the API's default
    if value not in ("american", "decimal"):
        raise _ApiProblem(
            422, "Invalid oddsFormat. Use american or decimal.", "INVALID_ODDS_FORMAT"
        )
    return value  # type: ignore[return-value]


def _csv(query: Query, name: str) -> list[str]:
    value = _one(query, name) or ""
    return [item.strip() for item in value.split(",") if item.strip()]


def _market_selection(query: Query) -> tuple[list[str], list[str] | None, int]:
    """(markets, bookmakers or None, regions charged) with the API's validation.

    ``bookmakers`` takes precedence over ``regions``; every 10 bookmakers count as one
    region for the charge.
    """
    markets = _csv(query, "markets") or ["h2h"]
    unknown = [m for m in markets if m not in MARKETS]
    if unknown:
        raise _ApiProblem(422, f"Invalid markets: {','.join(unknown)}.", "INVALID_MARKET")
    books = _csv(query, "bookmakers")
    if books:
        return markets, books, math.ceil(len(books) / 10)
    regions = _csv(query, "regions")
    if not regions:
        raise _ApiProblem(422, "Missing regions parameter (or bookmakers).", "MISSING_REGION")
    bad = [r for r in regions if r not in REGIONS]
    if bad:
        raise _ApiProblem(422, f"Invalid regions: {','.join(bad)}.", "INVALID_REGION")
    return markets, None, len(set(regions))


def _days_from(query: Query) -> int | None:
    value = _one(query, "daysFrom")
    if value is None or value == "":
        return None
    if not value.isdigit() or not 1 <= int(value) <= 3:
        raise _ApiProblem(
            422, "Invalid daysFrom parameter. Use an integer from 1 to 3.", "INVALID_DAYS_FROM"
        )
    return int(value)


def _markets_returned(events: list[dict[str, Any]]) -> int:
    """Distinct market keys in a response: what an odds call is charged for."""
    return len({market["key"] for e in events for b in e["bookmakers"] for market in b["markets"]})
