"""The one retry loop of the HTTP clients (The Odds API, the MLB Stats API).

A client sends one attempt at a time; an attempt that failed in a way another attempt may
fix raises :class:`Retryable` (with the server's ``Retry-After`` when it gave one). The
loop waits the server's delay when given, else the client's backoff, logs each retry, and
turns the last failure, or a delay longer than the client accepts, into the client's own
exception.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import TypeVar

T = TypeVar("T")


class Retryable(Exception):
    """An attempt failed in a way another attempt may fix."""

    def __init__(
        self, cause: str, status: int | None = None, wait: float | None = None, body: bytes = b""
    ) -> None:
        super().__init__(cause)
        self.cause, self.status, self.wait, self.body = cause, status, wait, body


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delay seconds or an HTTP-date)."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        return max(0.0, float(text))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:  # an HTTP-date is GMT by definition
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def with_retries(
    attempt: Callable[[], T],
    *,
    path: str,
    attempts: int,
    backoff: Callable[[int], float],
    max_wait: float,
    sleep: Callable[[float], None],
    log: logging.Logger,
    exhausted: Callable[[str, Retryable], Exception],
    too_long: Callable[[str, Retryable, int], Exception],
) -> T:
    """``attempt()`` until it returns, at most ``attempts`` times.

    ``backoff(n)`` is the wait after the n-th failed attempt when the server named none;
    a server's wait above ``max_wait`` raises ``too_long(message, failure, n)`` (retrying
    sooner only earns another refusal); after the last attempt ``exhausted(message,
    failure)`` is raised.
    """
    last = Retryable("no attempt made")
    for number in range(1, attempts + 1):
        try:
            return attempt()
        except Retryable as failure:
            last = failure
            if number == attempts:
                break
            if failure.wait is not None and failure.wait > max_wait:
                message = (
                    f"GET {path}: the server asked to retry after {failure.wait:.0f}s, longer "
                    f"than the {max_wait:.0f}s this client waits ({failure.cause})"
                )
                raise too_long(message, failure, number) from None
            wait = backoff(number) if failure.wait is None else failure.wait
            log.warning(
                "GET %s attempt %d/%d failed (%s); retrying in %.2fs",
                path,
                number,
                attempts,
                failure.cause,
                wait,
            )
            sleep(wait)
    message = f"GET {path} failed after {attempts} attempt(s); last cause: {last.cause}"
    raise exhausted(message, last) from None
