"""A small, framework-free client for The Odds API v4.

The API authenticates with an ``apiKey`` query parameter, so the key is part of every
request URL. httpx puts that URL into its own log lines and into the messages of its
exceptions; everything this module logs, raises or returns passes through
:func:`redact` first, and a filter on the ``httpx``/``httpcore`` loggers does the same
for their records. Stored request parameters (:attr:`ApiResponse.params`) never hold
the key.

Every call spends usage credits. :func:`request_cost` is the cost model the API
publishes; the client refuses a call that would take the remaining credits below
``quota_floor`` (:class:`QuotaFloorError`), so a runaway poller cannot spend the
credits an operator kept in reserve.

Failures are split by whether trying again can help: a bad key or plan (401/403), a
bad request (4xx) and exhausted credits fail at once; rate limiting (429), server
errors (5xx), connection errors, timeouts and unreadable bodies are retried with
exponential backoff and full jitter, honouring ``Retry-After``.
"""

from __future__ import annotations

import json
import logging
import math
import random
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx

from mlb_assets.lib.http_retry import Retryable, retry_after_seconds, with_retries

DEFAULT_BASE_URL = "https://api.the-odds-api.com"
API_KEY_ENV = "ODDS_API_KEY"
DEFAULT_MARKETS: tuple[str, ...] = ("h2h", "spreads", "totals")
REDACTED = "***"

Endpoint = Literal["odds", "historical_odds", "events", "scores"]

_KEY_IN_URL = re.compile(r"(?i)(api_?key=)[^&\s\"'<>#]*")
_QUOTA_HEADERS = {
    "remaining": "x-requests-remaining",
    "used": "x-requests-used",
    "last": "x-requests-last",
}
_EXHAUSTED_CODES = frozenset({"OUT_OF_USAGE_CREDITS"})


# --- errors --------------------------------------------------------------------------


class OddsApiError(Exception):
    """Base of every error this client raises; messages never contain the API key."""


class OddsApiAuthError(OddsApiError):
    """401/403: the key is missing, wrong, deactivated or its plan lacks the endpoint."""


class OddsApiRequestError(OddsApiError):
    """A request the API rejected as malformed (422 and other 4xx); retrying cannot help."""


class OddsApiQuotaError(OddsApiError):
    """A call refused because of usage credits."""


class QuotaFloorError(OddsApiQuotaError):
    """The call would take the remaining credits below the configured floor."""


class OddsApiQuotaExhaustedError(OddsApiQuotaError):
    """The API reports that the usage credits are spent."""


class OddsApiUnavailableError(OddsApiError):
    """The API stayed unreachable or kept failing after every retry."""


# --- redaction -----------------------------------------------------------------------


def redact(text: object, secrets: Iterable[str] = ()) -> str:
    """``text`` as a string with every ``apiKey=...`` value and every given secret masked.

    The pattern catches the key in any URL (also keys this process never saw, e.g. in
    an error page echoing a URL); the explicit secrets catch the key anywhere else.
    """
    result = _KEY_IN_URL.sub(rf"\g<1>{REDACTED}", str(text))
    for secret in secrets:
        if secret:
            result = result.replace(secret, REDACTED)
    return result


class _RedactingFilter(logging.Filter):
    """Masks API keys in records of the HTTP libraries, which log full request URLs."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


def _install_log_redaction() -> None:
    """Attach the redacting filter to httpx's loggers once per process."""
    for name in ("httpx", "httpcore"):
        target = logging.getLogger(name)
        if not any(isinstance(f, _RedactingFilter) for f in target.filters):
            target.addFilter(_RedactingFilter())


# --- data ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Quota:
    """The usage counters the API returns with each response (None when absent)."""

    remaining: int | None = None
    used: int | None = None
    last: int | None = None

    @classmethod
    def from_headers(cls, headers: Mapping[str, str]) -> Quota:
        """Read ``x-requests-remaining``/``-used``/``-last``; unreadable values become None."""
        values = {field: _header_int(headers.get(name)) for field, name in _QUOTA_HEADERS.items()}
        return cls(**values)


def _header_int(value: str | None) -> int | None:
    """Credits are sent as integers, sometimes written as floats ("480.0")."""
    if value is None:
        return None
    try:
        return int(float(value))
    except ValueError:
        return None


@dataclass(frozen=True)
class ApiResponse:
    """One successful response, kept verbatim so that it can be stored and replayed.

    ``params`` are the request parameters without the API key, safe to persist as
    lineage next to ``body``.
    """

    path: str
    params: dict[str, str]
    status: int
    body: bytes = field(repr=False)
    payload: Any = field(repr=False)
    fetched_at: datetime
    quota: Quota


def request_cost(
    endpoint: Endpoint,
    *,
    markets: int = 1,
    regions: int = 1,
    bookmakers: int | None = None,
    days_from: int | None = None,
) -> int:
    """The usage credits a call costs under the cost model The Odds API publishes.

    * ``odds``: markets x regions. With ``bookmakers`` instead of regions, every group
      of up to 10 bookmakers counts as one region.
    * ``historical_odds``: 10 x markets x regions (same region rule).
    * ``events``: free (0).
    * ``scores``: 1, or 2 when ``daysFrom`` asks for completed games.

    The API charges odds calls by the markets it actually returns and nothing when no
    event is returned, so this is the most a call can cost: the right figure for a
    floor check made before the call.
    """
    if endpoint == "events":
        return 0
    if endpoint == "scores":
        return 1 if days_from is None else 2
    if endpoint not in ("odds", "historical_odds"):
        raise ValueError(f"unknown endpoint {endpoint!r}")
    region_count = regions if bookmakers is None else math.ceil(bookmakers / 10)
    base = markets * region_count
    return 10 * base if endpoint == "historical_odds" else base


def iso_utc(moment: datetime) -> str:
    """The API's timestamp format (``YYYY-MM-DDTHH:MM:SSZ``) of an aware datetime."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} is naive; pass a timezone-aware (UTC) datetime")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# --- client --------------------------------------------------------------------------


class OddsApiClient:
    """Calls The Odds API v4 for one sport, with retries, quota tracking and no key leaks.

    ``transport`` and ``sleep`` exist so tests can run without waiting; ``quota_floor``
    keeps that many credits in reserve (0: no floor).
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        api_key: str | None = None,
        *,
        sport: str = "baseball_mlb",
        timeout: float = 10.0,
        max_retries: int = 4,
        backoff_base: float = 0.5,
        backoff_max: float = 30.0,
        quota_floor: int = 0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        logger: logging.Logger | None = None,
    ) -> None:
        key = api_key or ""
        if not key:
            raise OddsApiAuthError(f"no API key: set {API_KEY_ENV}")
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self._api_key = key
        self.base_url = redact(base_url.rstrip("/"), (key,))
        self.sport = sport
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.backoff_max = backoff_max
        self.quota_floor = quota_floor
        self.last_quota = Quota()
        self._sleep = sleep
        self._log = logger or logging.getLogger(__name__)
        self._rng = random.Random()
        _install_log_redaction()
        self._http = httpx.Client(base_url=base_url, timeout=timeout, transport=transport)

    def __repr__(self) -> str:
        return f"OddsApiClient(base_url={self.base_url!r}, sport={self.sport!r})"

    def __enter__(self) -> OddsApiClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    # --- endpoints -------------------------------------------------------------------

    def odds(
        self,
        *,
        regions: str = "us",
        markets: Sequence[str] = DEFAULT_MARKETS,
        bookmakers: Sequence[str] | None = None,
        commence_time_from: datetime | None = None,
        commence_time_to: datetime | None = None,
    ) -> ApiResponse:
        """Upcoming and live events with each bookmaker's current prices."""
        params = _odds_params(regions, markets, bookmakers)
        params.update(_window(commence_time_from, commence_time_to))
        cost = request_cost("odds", **_cost_args(regions, markets, bookmakers))
        return self._get(f"/v4/sports/{self.sport}/odds", params, cost)

    def events(
        self,
        *,
        commence_time_from: datetime | None = None,
        commence_time_to: datetime | None = None,
    ) -> ApiResponse:
        """Upcoming and live events without odds (free)."""
        params = {"dateFormat": "iso", **_window(commence_time_from, commence_time_to)}
        return self._get(f"/v4/sports/{self.sport}/events", params, 0)

    def scores(self, days_from: int | None = None) -> ApiResponse:
        """Live and upcoming games, plus games completed in the last ``days_from`` days."""
        params = {"dateFormat": "iso"}
        if days_from is not None:
            if not 1 <= days_from <= 3:
                raise ValueError(f"days_from must be 1, 2 or 3 (the API's range), not {days_from}")
            params["daysFrom"] = str(days_from)
        cost = request_cost("scores", days_from=days_from)
        return self._get(f"/v4/sports/{self.sport}/scores", params, cost)

    def historical_odds(
        self,
        at: datetime,
        *,
        regions: str = "us",
        markets: Sequence[str] = DEFAULT_MARKETS,
        bookmakers: Sequence[str] | None = None,
    ) -> ApiResponse:
        """The odds snapshot at or before ``at`` (``{"timestamp", ..., "data": [...]}``)."""
        params = _odds_params(regions, markets, bookmakers)
        params["date"] = iso_utc(at)
        cost = request_cost("historical_odds", **_cost_args(regions, markets, bookmakers))
        return self._get(f"/v4/historical/sports/{self.sport}/odds", params, cost)

    # --- transport, retries and classification --------------------------------------

    def _get(self, path: str, params: dict[str, str], cost: int) -> ApiResponse:
        """GET with the floor check and retries; returns the first good response."""
        self._check_floor(path, cost)
        return with_retries(
            lambda: self._attempt(path, params),
            path=path,
            attempts=self.max_retries + 1,
            backoff=self._backoff,
            max_wait=self.backoff_max,
            sleep=self._sleep,
            log=self._log,
            exhausted=lambda message, last: OddsApiUnavailableError(message),
            too_long=lambda message, last, n: OddsApiUnavailableError(message),
        )

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter, capped at ``backoff_max``."""
        ceiling = min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1))
        return self._rng.uniform(0.0, ceiling)

    def _attempt(self, path: str, params: dict[str, str]) -> ApiResponse:
        """One request; raises :class:`Retryable` for failures another attempt may fix."""
        self._log.debug("GET %s %s", path, params)
        response = self._send(path, params)
        quota = Quota.from_headers(response.headers)
        if quota != Quota():
            self.last_quota = quota
        self._raise_for_status(path, response, quota)
        payload = _json_or_none(response.content)
        if payload is None:
            kind = response.headers.get("content-type", "unknown content type")
            cause = f"HTTP {response.status_code} body is not valid JSON ({kind})"
            raise Retryable(cause, status=response.status_code)
        return ApiResponse(
            path=path,
            params=dict(params),
            status=response.status_code,
            body=response.content,
            payload=payload,
            fetched_at=datetime.now(UTC),
            quota=quota,
        )

    def _send(self, path: str, params: dict[str, str]) -> httpx.Response:
        """The raw exchange; transport failures become :class:`Retryable`.

        The httpx error (its message and chained context name the URL, key included) is
        dropped here: only a redacted description travels on, raised outside the
        ``except`` block so no exception chain keeps the original.
        """
        try:
            return self._http.get(path, params={**params, "apiKey": self._api_key})
        except httpx.TimeoutException as error:
            cause = f"timeout ({type(error).__name__})"
        except httpx.RequestError as error:
            cause = f"{type(error).__name__}: {self._redact(error)}"
        raise Retryable(cause)

    def _raise_for_status(self, path: str, response: httpx.Response, quota: Quota) -> None:
        """Raise the error a non-2xx status means: a final one, or :class:`Retryable`."""
        status = response.status_code
        if status < 400:
            return
        message, code = self._api_message(response)
        detail = f"GET {path} -> HTTP {status}" + (f": {message}" if message else "")
        if code in _EXHAUSTED_CODES or (status == 429 and quota.remaining == 0):
            raise OddsApiQuotaExhaustedError(
                f"{detail}. The usage credits are spent (remaining {quota.remaining}); wait for "
                "the monthly reset or upgrade the plan"
            )
        if status in (401, 403):
            raise OddsApiAuthError(
                f"{detail}. Check {API_KEY_ENV} and that the plan covers this endpoint"
            )
        if status == 429:
            wait = retry_after_seconds(response.headers.get("retry-after"))
            cause = f"HTTP 429 rate limited{': ' + message if message else ''}"
            raise Retryable(cause, status=status, wait=wait)
        if status >= 500:
            raise Retryable(f"HTTP {status}{': ' + message if message else ''}", status=status)
        raise OddsApiRequestError(detail)

    def _api_message(self, response: httpx.Response) -> tuple[str, str | None]:
        """The API's ``message`` and ``error_code`` from a JSON error body, redacted."""
        body = _json_or_none(response.content)
        if not isinstance(body, dict):
            return "", None
        message = body.get("message")
        code = body.get("error_code")
        text = self._redact(message)[:500] if message else ""
        return text, code if isinstance(code, str) else None

    def _check_floor(self, path: str, cost: int) -> None:
        """Refuse a paid call that would leave fewer credits than ``quota_floor``."""
        remaining = self.last_quota.remaining
        if cost <= 0 or self.quota_floor <= 0 or remaining is None:
            return
        if remaining - cost < self.quota_floor:
            raise QuotaFloorError(
                f"GET {path} refused: {remaining} credits remain, this call costs up to {cost}, "
                f"and quota_floor keeps {self.quota_floor} in reserve. Lower quota_floor "
                "(or raise the plan's quota) to poll further"
            )

    def _redact(self, text: object) -> str:
        return redact(text, (self._api_key,))


def _json_or_none(content: bytes) -> Any:
    """Parsed JSON, or None when the body is not JSON (a JSON ``null`` is no payload either)."""
    try:
        return json.loads(content)
    except ValueError:
        return None


def _odds_params(
    regions: str, markets: Sequence[str], bookmakers: Sequence[str] | None
) -> dict[str, str]:
    """Parameters shared by the live and historical odds endpoints.

    The API takes either ``regions`` or ``bookmakers``; when both are sent it uses the
    bookmakers, so regions are left out to keep the stored parameters honest.
    """
    if isinstance(markets, str):
        raise TypeError("markets must be a sequence of market keys, not a string")
    params = {"markets": ",".join(markets), "oddsFormat": "american", "dateFormat": "iso"}
    if bookmakers:
        params["bookmakers"] = ",".join(bookmakers)
    else:
        params["regions"] = regions
    return params


def _cost_args(
    regions: str, markets: Sequence[str], bookmakers: Sequence[str] | None
) -> dict[str, int | None]:
    region_count = len([r for r in regions.split(",") if r.strip()])
    return {
        "markets": len(markets),
        "regions": region_count,
        "bookmakers": len(bookmakers) if bookmakers else None,
    }


def _window(start: datetime | None, end: datetime | None) -> dict[str, str]:
    params = {}
    if start is not None:
        params["commenceTimeFrom"] = iso_utc(start)
    if end is not None:
        params["commenceTimeTo"] = iso_utc(end)
    return params
