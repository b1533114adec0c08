"""The live path: which polls a game date needs, and stored payloads -> quotes.

A partition (an America/New_York game date) is polled live when it is today and walked
through the historical endpoint when it is past. Every response is stored verbatim first
(``raw_payloads``); normalization reads the stored payloads back, so a rerun re-derives the
same snapshots from the same bytes, and the archive path meets the same normalizer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pandas as pd

from mlb_assets.lib.odds_api.normalize import odds_payload_to_quotes, parse_payload
from mlb_assets.lib.settings import GAME_TIMEZONE

GAME_ZONE = ZoneInfo(GAME_TIMEZONE)
ODDS_API_SOURCE = "odds_api"
MLB_STATS_SOURCE = "mlb_stats"


def day_window(day: date) -> tuple[datetime, datetime]:
    """The UTC instants bounding a game date's local (America/New_York) day."""
    start = datetime.combine(day, time(0), GAME_ZONE)
    return start.astimezone(UTC), (start + timedelta(days=1)).astimezone(UTC)


def local_date(moment: datetime) -> date:
    return moment.astimezone(GAME_ZONE).date()


def days_between(start: date, end: date) -> Iterator[date]:
    """Every date from ``start`` to ``end``, both included."""
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


#: How long before a game date its historical walk starts unless configured otherwise.
DEFAULT_LOOKBACK_HOURS = 24


def shared_snapshot_window(
    day: date, lookback_hours: int = DEFAULT_LOOKBACK_HOURS
) -> tuple[datetime, datetime]:
    """The snapshot times a day's historical walk covers.

    A historical snapshot shows the whole board, and the warehouse stores a body once, under
    the first game date that fetched it. Walks of nearby game dates overlap (each starts a
    ``lookback_hours`` before its date), so a snapshot stored for another date inside this
    window is one this day's walk fetches too, and carries this day's games.
    """
    start, end = day_window(day)
    return start - timedelta(hours=lookback_hours), end


def overlapping_walk_days(
    day: date, lookback_hours: int = DEFAULT_LOOKBACK_HOURS
) -> tuple[date, date]:
    """The first and last game date whose walk can share a snapshot with ``day``'s."""
    reach = timedelta(days=1 + math.ceil(lookback_hours / 24))
    return day - reach, day + reach


def snapshot_param(request_params: object) -> datetime | None:
    """The ``date`` a stored historical request asked for (None for other requests)."""
    if not isinstance(request_params, dict) or not isinstance(request_params.get("date"), str):
        return None
    try:
        moment = datetime.fromisoformat(request_params["date"].replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else None


def historical_poll_times(
    day: date, *, now: datetime, interval_minutes: int, lookback_hours: int
) -> list[datetime]:
    """Snapshot times to request for a past day, on a grid of ``interval_minutes``.

    From ``lookback_hours`` before the day starts (lines open a day or more ahead) to the
    end of the day, never past ``now``.
    """
    if interval_minutes <= 0:
        raise ValueError("interval_minutes must be positive")
    day_start, day_end = day_window(day)
    first = day_start - timedelta(hours=lookback_hours)
    last = min(day_end, now)
    step = timedelta(minutes=interval_minutes)
    times, moment = [], first
    while moment <= last:
        times.append(moment)
        moment += step
    return times


@dataclass(frozen=True)
class StoredPayload:
    """A payload row read back from ``raw_payloads``."""

    payload_id: int
    body: bytes
    fetched_at: datetime
    source_ref: str


@dataclass
class DayQuotes:
    quotes: pd.DataFrame
    quarantine: pd.DataFrame
    payloads: int
    events: int


def _snapshot_time(payload: object, fetched_at: datetime) -> datetime:
    """A historical snapshot describes the market at its ``timestamp``, not at fetch time."""
    if isinstance(payload, dict) and isinstance(payload.get("timestamp"), str):
        try:
            return datetime.fromisoformat(payload["timestamp"].replace("Z", "+00:00"))
        except ValueError:
            return fetched_at
    return fetched_at


def _events_of_day(payload: object, day: date) -> object:
    """Keep the events that start on ``day``; other days' games belong to other partitions.

    Events without a readable start time are kept, so the normalizer can quarantine them.
    """
    events = payload.get("data") if isinstance(payload, dict) else payload
    if not isinstance(events, list):
        return payload
    kept = [e for e in events if _event_day(e) in (None, day)]
    return {**payload, "data": kept} if isinstance(payload, dict) else kept


def _event_day(event: object) -> date | None:
    if not isinstance(event, dict) or not isinstance(event.get("commence_time"), str):
        return None
    try:
        start = datetime.fromisoformat(event["commence_time"].replace("Z", "+00:00"))
    except ValueError:
        return None
    return local_date(start) if start.tzinfo else None


def _payload_failure(stored: StoredPayload, reason: str, day: date) -> pd.DataFrame:
    preview = stored.body[:200].decode("utf-8", errors="replace")
    return pd.DataFrame(
        [
            {
                "source": ODDS_API_SOURCE,
                "source_ref": stored.source_ref,
                "game_date": day,
                "reason": reason,
                "record": {"payload_id": stored.payload_id, "body_start": preview},
            }
        ]
    )


def quotes_from_payloads(
    payloads: Iterable[StoredPayload], day: date, schedule: pd.DataFrame
) -> DayQuotes:
    """Normalize a day's stored Odds API payloads into quotes (with ``payload_id``)."""
    quotes, quarantine, count, events = [], [], 0, 0
    for stored in payloads:
        count += 1
        payload, failure = parse_payload(stored.body)
        if failure is not None:
            quarantine.append(_payload_failure(stored, failure, day))
            continue
        result = odds_payload_to_quotes(
            _events_of_day(payload, day),
            fetched_at=_snapshot_time(payload, stored.fetched_at),
            schedule=schedule,
            source_ref=stored.source_ref,
        )
        events += len(result.events)
        quotes.append(result.quotes.assign(payload_id=stored.payload_id))
        quarantine.append(result.quarantine)
    return DayQuotes(_concat(quotes), _concat(quarantine), count, events)


def _concat(frames: Sequence[pd.DataFrame]) -> pd.DataFrame:
    kept = [f for f in frames if not f.empty]
    return pd.concat(kept, ignore_index=True) if kept else pd.DataFrame()


class ReplayClockError(RuntimeError):
    """The replay server's clock could not be read."""


def replay_clock_now(clock_url: str, *, timeout: float = 5.0) -> datetime:
    """The simulated "now" of ``mlb-assets replay-server`` (``GET /_replay/clock``)."""
    import httpx

    try:
        response = httpx.get(clock_url, timeout=timeout)
        response.raise_for_status()
        moment = datetime.fromisoformat(str(response.json()["now"]).replace("Z", "+00:00"))
    except (httpx.HTTPError, KeyError, ValueError, TypeError) as error:
        raise ReplayClockError(
            f"cannot read the replay clock at {clock_url} (MLB_ASSETS_CLOCK_URL): "
            f"{type(error).__name__}"
        ) from None
    if moment.tzinfo is None:
        raise ReplayClockError(f"the replay clock at {clock_url} returned a naive time")
    return moment.astimezone(UTC)
