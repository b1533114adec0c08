"""The Odds API v4 for odds and the MLB Stats API for the schedule, as a source.

Landing polls: today's game date is polled live (the odds endpoint, one call); a past date
walks the historical endpoint at ``historical_interval_minutes`` from
``historical_lookback_hours`` before the date begins, skipping the snapshot times already
stored (a rerun spends no credits twice); a future date is not polled. Every response is
stored verbatim in ``raw_payloads`` before anything parses it, one transaction each, so a
crash mid-walk keeps what was fetched.

Reading quotes: the stored payloads that carry each date's games, matched to the stored
schedule, with the polls that observed each (game, book) line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
import sqlalchemy as sa

from mlb_assets.lib.archives.season import concat, in_dates
from mlb_assets.lib.ingest.live import (
    MLB_STATS_SOURCE,
    ODDS_API_SOURCE,
    StoredPayload,
    day_window,
    days_between,
    historical_poll_times,
    local_date,
    quotes_from_payloads,
)
from mlb_assets.lib.mlb_stats.client import MlbStatsClient, ScheduleResponse
from mlb_assets.lib.mlb_stats.schedule import schedule_to_games
from mlb_assets.lib.odds_api.client import ApiResponse, OddsApiClient
from mlb_assets.lib.odds_api.normalize import parse_payload
from mlb_assets.lib.sources.base import Log, Quotes, Schedule
from mlb_assets.lib.warehouse.load import read_frame
from mlb_assets.lib.warehouse.payloads import landed_snapshot_times, stored_payloads
from mlb_assets.lib.warehouse.schema import games as games_table
from mlb_assets.lib.warehouse.schema import odds_observations
from mlb_assets.lib.warehouse.store import land_payload


@dataclass(frozen=True)
class OddsRequest:
    """What each Odds API call asks for."""

    regions: str
    markets: tuple[str, ...]
    bookmakers: tuple[str, ...] | None


@dataclass
class OddsApiSource:
    """Odds from The Odds API (``odds_client``), games from the MLB Stats API."""

    engine: sa.Engine
    odds_client: Callable[[], OddsApiClient]
    mlb_client: Callable[[], MlbStatsClient]
    request: OddsRequest
    clock: Callable[[], datetime]
    historical_interval_minutes: int
    historical_lookback_hours: int
    log: Log
    name: str = ODDS_API_SOURCE

    # --- landing --------------------------------------------------------------------

    def land(self, start: date, end: date) -> dict[str, object]:
        """Poll live (today) or walk the historical endpoint (past days); land every payload."""
        now = self.clock()
        polls = 0
        with self.odds_client() as client:
            for day in days_between(start, end):
                responses = self._poll_day(client, day, now)
                polls += len(responses)
                self.log.info(f"odds_api {day}: {len(responses)} polls")
            quota = client.last_quota
        return {
            "polls": polls,
            "quota_remaining": quota.remaining if quota else None,
            "quota_used": quota.used if quota else None,
        }

    def _poll_day(self, client: OddsApiClient, day: date, now: datetime) -> list[ApiResponse]:
        ask = self.request
        if day == local_date(now):
            start, end = day_window(day)
            response = client.odds(
                regions=ask.regions,
                markets=ask.markets,
                bookmakers=ask.bookmakers,
                commence_time_from=start,
                commence_time_to=end,
            )
            self._land(response, ODDS_API_SOURCE, day)
            return [response]
        if day > local_date(now):
            return []
        with self.engine.connect() as connection:
            done = landed_snapshot_times(
                connection, ODDS_API_SOURCE, day, self.historical_lookback_hours
            )
        times = historical_poll_times(
            day,
            now=now,
            interval_minutes=self.historical_interval_minutes,
            lookback_hours=self.historical_lookback_hours,
        )
        responses = []
        for moment in (t for t in times if t not in done):
            response = client.historical_odds(
                moment, regions=ask.regions, markets=ask.markets, bookmakers=ask.bookmakers
            )
            self._land(response, ODDS_API_SOURCE, day)
            responses.append(response)
        return responses

    def _land(self, response: ApiResponse | ScheduleResponse, source: str, day: date) -> int:
        # One short transaction per payload: a crash mid-walk keeps what was fetched.
        with self.engine.begin() as connection:
            return land_payload(
                connection,
                source=source,
                source_ref=response.path,
                body=response.body,
                media_type="application/json",
                request_params=response.params,
                fetched_at=response.fetched_at,
                game_date=day,
            )

    # --- the schedule ---------------------------------------------------------------

    def schedule(self, start: date, end: date) -> Schedule:
        """The MLB Stats API schedule of each day, landed verbatim, as games and quarantine."""
        games, bad = [], []
        with self.mlb_client() as client:
            for day in days_between(start, end):
                response = client.schedule(day)
                payload_id = self._land(response, MLB_STATS_SOURCE, day)
                parsed = schedule_to_games(
                    response.payload, season=day.year, source_ref=f"raw_payloads/{payload_id}"
                )
                self.log.info(f"mlb_stats {day}: {len(parsed.games)} games")
                games.append(parsed.games)
                bad.append(parsed.quarantine)
        return Schedule(games=concat(games), quarantine=concat(bad))

    # --- quotes ---------------------------------------------------------------------

    def quotes(self, start: date, end: date) -> Quotes:
        """Quotes from the stored payloads of each day, matched to the stored schedule, the
        payloads' quarantine, and the observations the payloads make (see
        :func:`observations_of`)."""
        with self.engine.connect() as connection:
            schedule = _stored_games(connection, start - timedelta(days=1), end + timedelta(days=1))
        dates = schedule.set_index("game_id")["game_date"]
        quotes, bad, polls = [], [], {}
        # One day's payloads in memory at a time: a historical range holds many snapshots.
        for day in days_between(start, end):
            with self.engine.connect() as connection:
                stored = stored_payloads(
                    connection, ODDS_API_SOURCE, day, self.historical_lookback_hours
                )
            result = quotes_from_payloads(stored, day, schedule)
            if not result.quotes.empty:
                quotes.append(result.quotes.assign(game_date=result.quotes["game_id"].map(dates)))
                carried = set(result.quotes["payload_id"])
                # A snapshot shared by nearby dates is read for each: its poll time once.
                for payload in stored:
                    if payload.payload_id in carried and payload.payload_id not in polls:
                        polls[payload.payload_id] = poll_time(payload)
            bad.append(result.quarantine)
        frame = concat(quotes)
        frame = frame.assign(source=ODDS_API_SOURCE) if not frame.empty else frame
        return Quotes(frame, concat(bad), observations_of(frame, polls, start, end))

    def open_close(self, start: date, end: date) -> pd.DataFrame:
        # Live feeds carry timestamps: their open and close are in line_movements instead.
        return pd.DataFrame()


def observations_of(
    quotes: pd.DataFrame, polls: dict[int, pd.Timestamp], start: date, end: date
) -> pd.DataFrame:
    """When each (game, book) line was read: every stored Odds API poll that carried it.

    One row per game, book and poll time (``polls``: payload id -> :func:`poll_time`),
    with the payload as lineage, for the games dated in [start, end]. A poll whose body
    repeats an earlier one byte for byte is stored once (raw_payloads keeps one row per
    content hash), so a board that did not change at all between polls loses those
    observations: gaps can only come out wider, which withholds a steam claim rather than
    inventing one.
    """
    columns = [c.name for c in odds_observations.columns]
    if quotes.empty:
        return pd.DataFrame(columns=columns)
    seen = quotes[["game_id", "book", "game_date", "payload_id"]].drop_duplicates()
    seen = seen[in_dates(seen, start, end)]
    observed_at = pd.to_datetime(seen["payload_id"].map(polls), utc=True)
    return seen.assign(observed_at=observed_at).reindex(columns=columns)


def poll_time(stored: StoredPayload) -> pd.Timestamp:
    """When a payload read the board: a historical snapshot's ``timestamp``, else fetch time.

    A live poll's body is the bare event list, which carries no timestamp: only a
    snapshot object is decoded again, for its ``timestamp``.
    """
    if stored.body.lstrip(b" \t\r\n\xef\xbb\xbf")[:1] == b"[":
        return pd.Timestamp(stored.fetched_at)
    payload, _ = parse_payload(stored.body)
    stamp = payload.get("timestamp") if isinstance(payload, dict) else None
    moment = pd.to_datetime(stamp, utc=True, errors="coerce") if isinstance(stamp, str) else None
    return moment if moment is not None and not pd.isna(moment) else pd.Timestamp(stored.fetched_at)


def _stored_games(connection: sa.Connection, start: date, end: date) -> pd.DataFrame:
    query = sa.select(games_table).where(games_table.c.game_date.between(start, end))
    return read_frame(connection, query)
