"""The client under test talks to a real replay server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from mlb_assets.lib.odds_api import OddsApiClient
from mlb_assets.replay import OddsBoard, ReplayServer, SimulatedClock
from mlb_assets_tests.replay.conftest import (
    REPLAY_NOW,
    TEST_KEY,
    crafted_games,
    crafted_quotes,
)


@pytest.fixture(scope="session")
def board() -> OddsBoard:
    return OddsBoard.from_quotes(crafted_quotes(), crafted_games())


@pytest.fixture
def server(board: OddsBoard) -> Iterator[ReplayServer]:
    with ReplayServer(board, api_key=TEST_KEY, clock=SimulatedClock(REPLAY_NOW)) as running:
        yield running


class SleepRecorder:
    """Stands in for ``time.sleep``: records each wait and returns at once."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_client(
    server: ReplayServer, sleeps: SleepRecorder
) -> Iterator[Callable[..., OddsApiClient]]:
    """Clients of the running server with tiny backoff and a recorded sleep."""
    clients: list[OddsApiClient] = []

    def make(**overrides: Any) -> OddsApiClient:
        options: dict[str, Any] = {
            "api_key": TEST_KEY,
            "timeout": 2.0,
            "max_retries": 3,
            "backoff_base": 0.01,
            "backoff_max": 5.0,
            "sleep": sleeps,
        }
        options.update(overrides)
        base_url = options.pop("base_url", server.url)
        client = OddsApiClient(base_url, **options)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
