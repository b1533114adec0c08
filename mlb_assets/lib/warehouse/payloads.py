"""Reading the landed Odds API payloads back: which carry a day's quotes, and their bodies."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import sqlalchemy as sa

from mlb_assets.lib.ingest.live import (
    DEFAULT_LOOKBACK_HOURS,
    StoredPayload,
    overlapping_walk_days,
    shared_snapshot_window,
    snapshot_param,
)
from mlb_assets.lib.warehouse.schema import raw_payloads


def day_payloads(
    connection: sa.Connection, source: str, day: date, lookback_hours: int
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
    rows = connection.execute(query).all()
    start, end = shared_snapshot_window(day, lookback_hours)
    found = {row.payload_id: (row.game_date, snapshot_param(row.request_params)) for row in rows}
    return {
        payload_id: moment
        for payload_id, (stored_for, moment) in found.items()
        if stored_for == day or (moment is not None and start <= moment <= end)
    }


def landed_snapshot_times(
    connection: sa.Connection, source: str, day: date, lookback_hours: int
) -> set[datetime]:
    """The historical snapshot times a day can already read (not fetched again on reruns)."""
    times = day_payloads(connection, source, day, lookback_hours).values()
    return {moment for moment in times if moment is not None}


def stored_payloads(
    connection: sa.Connection,
    source: str,
    day: date,
    lookback_hours: int = DEFAULT_LOOKBACK_HOURS,
) -> list[StoredPayload]:
    """The payloads that carry a day's quotes (see :func:`day_payloads`), in landing order.

    ``lookback_hours`` is the historical walk's (``IngestionResource``), which decides which
    snapshots stored for nearby dates this day's walk shares.
    """
    ids = list(day_payloads(connection, source, day, lookback_hours))
    if not ids:
        return []
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
    return [
        StoredPayload(
            row.payload_id,
            bytes(row.body),
            _as_utc(row.fetched_at),
            f"raw_payloads/{row.payload_id}",
        )
        for row in connection.execute(query).all()
    ]


def _as_utc(value: datetime) -> datetime:
    """SQLite hands timestamps back naive; they were stored as UTC."""
    moment = pd.Timestamp(value)
    return (
        moment.tz_localize("UTC") if moment.tzinfo is None else moment.tz_convert("UTC")
    ).to_pydatetime()
