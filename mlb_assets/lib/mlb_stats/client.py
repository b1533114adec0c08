"""A small client for the public MLB Stats API schedule endpoint (no API key).

Failures are split by whether trying again can help: rate limiting (429), server
errors (5xx), connection errors, timeouts and bodies that are not JSON (a proxy's error
page) are retried with exponential backoff and jitter, honouring ``Retry-After``; any
other 4xx means the request itself is wrong and fails at once.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx

from mlb_assets.lib.http_retry import Retryable, retry_after_seconds, with_retries

DEFAULT_BASE_URL = "https://statsapi.mlb.com"
SCHEDULE_PATH = "/api/v1/schedule"
SCHEDULE_HYDRATE = "probablePitcher,linescore"
USER_AGENT = "mlb_assets/0.1 (schedule client)"
#: The longest ``Retry-After`` honoured; a server asking for more is treated as down.
MAX_RETRY_AFTER = 60.0


class MlbStatsError(Exception):
    """Base of every error this client raises."""


class MlbStatsRequestError(MlbStatsError):
    """The API rejected the request (a 4xx other than 429); retrying cannot help."""

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


class MlbStatsUnavailableError(MlbStatsError):
    """The API kept failing (429, 5xx, network, timeouts) through every retry."""

    def __init__(self, message: str, attempts: int, last_status: int | None) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.last_status = last_status


class MlbStatsPayloadError(MlbStatsUnavailableError):
    """Every attempt answered, but never with JSON (e.g. an HTML error page)."""

    def __init__(self, message: str, attempts: int, last_status: int | None, body: bytes) -> None:
        super().__init__(message, attempts, last_status)
        self.body = body


@dataclass(frozen=True)
class ScheduleResponse:
    """One successful response, verbatim (``body``) and decoded (``payload``).

    ``fetched_at`` is when the response arrived (UTC): the point in time the schedule
    was known, which downstream point-in-time logic relies on.
    """

    path: str
    params: dict[str, str]
    status: int
    body: bytes
    payload: Any
    fetched_at: datetime


class MlbStatsClient:
    """GETs the MLB Stats API with retries; ``transport``, ``sleep`` and ``clock`` are for tests.

    ``max_retries`` is the number of retries after the first attempt. Waits grow as
    ``backoff_base * 2**(attempt - 1)`` with up to 50% random jitter (so many pollers
    restarted together do not retry in lockstep); a ``Retry-After`` is used as given.
    """

    def __init__(
        self,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float = 10.0,
        max_retries: int = 3,
        backoff_base: float = 0.5,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        logger: logging.Logger | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if max_retries < 0:
            raise ValueError("max_retries must be >= 0")
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self._sleep = sleep
        self._clock = clock
        self._log = logger or logging.getLogger(__name__)
        self._rng = random.Random()
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            transport=transport,
            follow_redirects=True,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        )

    def __repr__(self) -> str:
        return f"MlbStatsClient(base_url={self.base_url!r})"

    def __enter__(self) -> MlbStatsClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the connection pool."""
        self._http.close()

    def schedule(self, day: date) -> ScheduleResponse:
        """The MLB schedule of one day, with probable pitchers and line scores."""
        params = {"sportId": "1", "date": day.isoformat(), "hydrate": SCHEDULE_HYDRATE}
        return self.get(SCHEDULE_PATH, params)

    def get(self, path: str, params: dict[str, str]) -> ScheduleResponse:
        """GET with retries; returns the first response that is a 2xx with a JSON body."""
        attempts = self.max_retries + 1

        def exhausted(message: str, last: Retryable) -> Exception:
            if last.body:
                return MlbStatsPayloadError(message, attempts, last.status, last.body)
            return MlbStatsUnavailableError(message, attempts, last.status)

        return with_retries(
            lambda: self._attempt(path, params),
            path=path,
            attempts=attempts,
            backoff=self._backoff,
            max_wait=MAX_RETRY_AFTER,
            sleep=self._sleep,
            log=self._log,
            exhausted=exhausted,
            too_long=lambda message, last, n: MlbStatsUnavailableError(message, n, last.status),
        )

    def _backoff(self, attempt: int) -> float:
        delay = self.backoff_base * 2 ** (attempt - 1)
        return delay * (1.0 + self._rng.uniform(0.0, 0.5))

    def _attempt(self, path: str, params: dict[str, str]) -> ScheduleResponse:
        """One request; raises :class:`_Retry` for failures another attempt may fix."""
        try:
            response = self._http.get(path, params=params)
        except httpx.TimeoutException as error:
            raise Retryable(f"timeout ({type(error).__name__})") from error
        except httpx.TransportError as error:
            raise Retryable(f"connection error ({type(error).__name__}: {error})") from error
        self._check_status(path, response)
        try:
            payload = json.loads(response.content)
        except (ValueError, RecursionError) as error:
            kind = response.headers.get("content-type", "no content type")
            cause = f"HTTP {response.status_code} body is not JSON ({kind})"
            raise Retryable(cause, response.status_code, body=response.content) from error
        return ScheduleResponse(
            path=path,
            params=dict(params),
            status=response.status_code,
            body=response.content,
            payload=payload,
            fetched_at=self._clock(),
        )

    def _check_status(self, path: str, response: httpx.Response) -> None:
        status = response.status_code
        if status == 429:
            wait = retry_after_seconds(response.headers.get("retry-after"), self._clock())
            raise Retryable("HTTP 429 rate limited", status=status, wait=wait)
        if status >= 500:
            raise Retryable(f"HTTP {status}", status)
        if status >= 400:
            excerpt = " ".join(response.text[:200].split())
            raise MlbStatsRequestError(f"GET {path} -> HTTP {status}: {excerpt}", status)
        if status >= 300:  # redirects are followed, so this is one without a target
            raise MlbStatsRequestError(f"GET {path} -> unexpected HTTP {status}", status)
