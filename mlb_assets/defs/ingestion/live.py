"""The live branch of the ingestion assets: poll, land verbatim, read back."""

from collections.abc import Iterator
from datetime import date, datetime, timedelta

import dagster as dg
import pandas as pd
import sqlalchemy as sa

from mlb_assets.lib.ingest.live import (
    DEFAULT_LOOKBACK_HOURS,
    MLB_STATS_SOURCE,
    ODDS_API_SOURCE,
    StoredPayload,
    day_window,
    historical_poll_times,
    local_date,
    overlapping_walk_days,
    shared_snapshot_window,
    snapshot_param,
)
from mlb_assets.lib.mlb_stats.schedule import schedule_to_games
from mlb_assets.lib.odds_api.client import ApiResponse, OddsApiClient
from mlb_assets.lib.warehouse.schema import raw_payloads
from mlb_assets.lib.warehouse.store import land_payload
from mlb_assets.resources.live import IngestionResource, MlbStatsResource, OddsApiResource
from mlb_assets.resources.warehouse import WarehouseResource


def days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def _day_payloads(
    warehouse: WarehouseResource, source: str, day: date, lookback_hours: int
) -> dict[int, datetime | None]:
    """payload_id -> snapshot time (None for live polls) of the payloads carrying a day's quotes.

    Those fetched for the day, and the historical snapshots stored for a nearby date that the
    day's own walk covers too: an identical body is stored once, under the first date that
    fetched it, and without these the other days would lose what it shows.
    """
    query = sa.select(
        raw_payloads.c.payload_id, raw_payloads.c.request_params, raw_payloads.c.game_date
    ).where(
        raw_payloads.c.source == source,
        raw_payloads.c.game_date.between(*overlapping_walk_days(day, lookback_hours)),
    )
    with warehouse.connect() as connection:
        rows = connection.execute(query).all()
    start, end = shared_snapshot_window(day, lookback_hours)
    found = {row.payload_id: (row.game_date, snapshot_param(row.request_params)) for row in rows}
    return {
        payload_id: moment
        for payload_id, (stored_for, moment) in found.items()
        if stored_for == day or (moment is not None and start <= moment <= end)
    }


def _landed_snapshot_times(
    warehouse: WarehouseResource, day: date, lookback_hours: int
) -> set[datetime]:
    """The historical snapshot times a day can already read (not fetched again on reruns)."""
    times = _day_payloads(warehouse, ODDS_API_SOURCE, day, lookback_hours).values()
    return {moment for moment in times if moment is not None}


def _land(warehouse: WarehouseResource, response: ApiResponse, source: str, day: date) -> int:
    # One short transaction per payload: a crash mid-walk keeps what was fetched.
    with warehouse.begin() as connection:
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


def _poll_day(
    client: OddsApiClient,
    odds_api: OddsApiResource,
    ingestion: IngestionResource,
    warehouse: WarehouseResource,
    day: date,
    now: datetime,
) -> list[ApiResponse]:
    markets, books = odds_api.market_list(), odds_api.bookmaker_list()
    if day == local_date(now):
        start, end = day_window(day)
        response = client.odds(
            regions=odds_api.regions,
            markets=markets,
            bookmakers=books,
            commence_time_from=start,
            commence_time_to=end,
        )
        _land(warehouse, response, ODDS_API_SOURCE, day)
        return [response]
    if day > local_date(now):
        return []
    done = _landed_snapshot_times(warehouse, day, ingestion.historical_lookback_hours)
    times = historical_poll_times(
        day,
        now=now,
        interval_minutes=ingestion.historical_interval_minutes,
        lookback_hours=ingestion.historical_lookback_hours,
    )
    pending = [t for t in times if t not in done]
    responses = []
    for moment in pending:
        response = client.historical_odds(
            moment, regions=odds_api.regions, markets=markets, bookmakers=books
        )
        _land(warehouse, response, ODDS_API_SOURCE, day)
        responses.append(response)
    return responses


def poll_odds_api(
    context: dg.AssetExecutionContext,
    odds_api: OddsApiResource,
    ingestion: IngestionResource,
    warehouse: WarehouseResource,
    start: date,
    end: date,
) -> dict[str, object]:
    """Poll live (today) or walk the historical endpoint (past days); land every payload."""
    now = ingestion.now()
    polls = 0
    with odds_api.client() as client:
        for day in days(start, end):
            responses = _poll_day(client, odds_api, ingestion, warehouse, day, now)
            polls += len(responses)
            context.log.info(f"odds_api {day}: {len(responses)} polls")
        quota = client.last_quota
    return {
        "polls": polls,
        "quota_remaining": quota.remaining if quota else None,
        "quota_used": quota.used if quota else None,
    }


def stored_payloads(
    warehouse: WarehouseResource,
    source: str,
    day: date,
    lookback_hours: int = DEFAULT_LOOKBACK_HOURS,
) -> list[StoredPayload]:
    """The payloads that carry a day's quotes (see :func:`_day_payloads`), in landing order.

    ``lookback_hours`` is the historical walk's (``IngestionResource``), which decides which
    snapshots stored for nearby dates this day's walk shares.
    """
    ids = list(_day_payloads(warehouse, source, day, lookback_hours))
    query = (
        sa.select(
            raw_payloads.c.payload_id,
            raw_payloads.c.body,
            raw_payloads.c.fetched_at,
            raw_payloads.c.source_ref,
        )
        .where(raw_payloads.c.payload_id.in_(ids))
        .order_by(raw_payloads.c.fetched_at, raw_payloads.c.payload_id)
    )
    with warehouse.connect() as connection:
        rows = connection.execute(query).all() if ids else []
    return [
        StoredPayload(
            row.payload_id,
            bytes(row.body),
            _as_utc(row.fetched_at),
            f"raw_payloads/{row.payload_id}",
        )
        for row in rows
    ]


def _as_utc(value: datetime) -> datetime:
    """SQLite hands timestamps back naive; they were stored as UTC."""
    moment = pd.Timestamp(value)
    return (
        moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    ).to_pydatetime()


def schedule_games(
    context: dg.AssetExecutionContext,
    mlb_stats: MlbStatsResource,
    warehouse: WarehouseResource,
    start: date,
    end: date,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The MLB Stats API schedule of each day, landed verbatim, as games and quarantine."""
    games, bad = [], []
    with mlb_stats.client() as client:
        for day in days(start, end):
            response = client.schedule(day)
            with warehouse.begin() as connection:
                payload_id = land_payload(
                    connection,
                    source=MLB_STATS_SOURCE,
                    source_ref=response.path,
                    body=response.body,
                    media_type="application/json",
                    request_params=response.params,
                    fetched_at=response.fetched_at,
                    game_date=day,
                )
            parsed = schedule_to_games(
                response.payload, season=day.year, source_ref=f"raw_payloads/{payload_id}"
            )
            context.log.info(f"mlb_stats {day}: {len(parsed.games)} games")
            games.append(parsed.games)
            bad.append(parsed.quarantine)
    frames = [g for g in games if not g.empty]
    quarantined = [b for b in bad if not b.empty]
    return (
        pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(),
        pd.concat(quarantined, ignore_index=True) if quarantined else pd.DataFrame(),
    )
