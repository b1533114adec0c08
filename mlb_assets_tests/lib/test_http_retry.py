"""The shared retry loop: waits, gives up, and raises the client's own errors."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import pytest

from mlb_assets.lib.http_retry import Retryable, retry_after_seconds, with_retries


class Exhausted(Exception):
    pass


class TooLong(Exception):
    pass


def _run(outcomes: list[object], waits: list[float], **overrides: object) -> object:
    pending = list(outcomes)

    def attempt() -> object:
        outcome = pending.pop(0)
        if isinstance(outcome, Retryable):
            raise outcome
        return outcome

    options = {
        "path": "/x",
        "attempts": 3,
        "backoff": lambda n: float(10 * n),
        "max_wait": 60.0,
        "sleep": waits.append,
        "log": logging.getLogger("test"),
        "exhausted": lambda message, last: Exhausted(message, last.status),
        "too_long": lambda message, last, n: TooLong(message, n),
    }
    return with_retries(attempt, **{**options, **overrides})  # type: ignore[arg-type]


def test_backoff_between_failures_then_the_answer() -> None:
    waits: list[float] = []
    assert _run([Retryable("a"), Retryable("b"), "ok"], waits) == "ok"
    assert waits == [10.0, 20.0]


def test_the_servers_wait_wins_over_the_backoff() -> None:
    waits: list[float] = []
    assert _run([Retryable("429", wait=2.5), "ok"], waits) == "ok"
    assert waits == [2.5]


def test_every_attempt_failing_raises_the_clients_error_with_the_last_cause() -> None:
    waits: list[float] = []
    with pytest.raises(Exhausted, match=r"after 3 attempt.*last cause: c") as caught:
        _run([Retryable("a"), Retryable("b"), Retryable("c", status=503)], waits)
    assert caught.value.args[1] == 503 and len(waits) == 2
    assert caught.value.__suppress_context__


def test_a_wait_longer_than_accepted_gives_up_without_sleeping() -> None:
    waits: list[float] = []
    with pytest.raises(TooLong, match="retry after 120s"):
        _run([Retryable("429", wait=120.0), "ok"], waits)
    assert waits == []


def test_retry_after_reads_seconds_and_http_dates() -> None:
    now = datetime(2015, 10, 21, 7, 28, tzinfo=UTC)
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:30 GMT", now=now) == 30.0
    assert retry_after_seconds(" 2 ") == 2.0
    assert retry_after_seconds("-5") == 0.0
    assert retry_after_seconds("soon") is None and retry_after_seconds("") is None
