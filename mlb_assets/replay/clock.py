"""The replay's simulated clock: set, advanced, or running at a chosen speed."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

# --- the simulated clock -------------------------------------------------------------


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"{moment!r} is naive; the replay clock runs in UTC-aware datetimes")
    return moment.astimezone(UTC)


class SimulatedClock:
    """The replay's "now": fixed unless set or advanced, or running at ``speed`` x wall time.

    ``speed=60`` plays an hour of the archive per wall minute (soak tests); 0 stops
    the clock so tests decide every instant. Thread-safe.
    """

    def __init__(
        self,
        start: datetime,
        speed: float = 0.0,
        *,
        timer: Callable[[], float] = time.monotonic,
    ) -> None:
        if speed < 0:
            raise ValueError("speed must be >= 0")
        self._lock = threading.Lock()
        self._timer = timer
        self._base = _aware(start)
        self._anchor = timer()
        self._speed = float(speed)

    def __repr__(self) -> str:
        return f"SimulatedClock(now={self.now().isoformat()}, speed={self._speed})"

    def _now_locked(self) -> datetime:
        elapsed = (self._timer() - self._anchor) * self._speed
        return self._base + timedelta(seconds=elapsed)

    def now(self) -> datetime:
        """The simulated current time (UTC)."""
        with self._lock:
            return self._now_locked()

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (backwards too: a replay may rewind)."""
        with self._lock:
            self._base, self._anchor = _aware(moment), self._timer()

    def advance(self, delta: timedelta | float) -> datetime:
        """Move forward by a timedelta or seconds; returns the new now."""
        step = delta if isinstance(delta, timedelta) else timedelta(seconds=float(delta))
        with self._lock:
            self._base, self._anchor = self._now_locked() + step, self._timer()
            return self._base

    @property
    def speed(self) -> float:
        return self._speed

    @speed.setter
    def speed(self, value: float) -> None:
        if value < 0:
            raise ValueError("speed must be >= 0")
        with self._lock:
            self._base, self._anchor = self._now_locked(), self._timer()
            self._speed = float(value)
