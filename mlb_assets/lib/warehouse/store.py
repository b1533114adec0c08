"""Landing raw payloads and quarantined rows: the two tables every source writes to."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from datetime import UTC, date, datetime

import pandas as pd
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from mlb_assets.lib.warehouse.load import bulk_insert, existing_keys
from mlb_assets.lib.warehouse.schema import quarantine, raw_payloads

QUARANTINE_COLUMNS = ("source", "source_ref", "game_date", "reason", "record")


def stable_id(*parts: object) -> int:
    """A deterministic 63-bit id: the same parts give the same id in any process."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & ((1 << 63) - 1)


def content_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def land_payload(
    connection: sa.Connection,
    *,
    source: str,
    source_ref: str,
    body: bytes,
    media_type: str,
    request_params: Mapping[str, object] | None = None,
    fetched_at: datetime | None = None,
    game_date: date | None = None,
) -> int:
    """Store a payload verbatim once per (source, content hash); returns its payload_id.

    ``game_date`` is the partition the payload was fetched for (API polls), so a partition's
    payloads can be re-normalized on a rerun; archive files covering a season carry none.
    """
    digest = content_hash(body)
    payload_id = stable_id(source, digest)
    if existing_keys(connection, raw_payloads.c.payload_id, [payload_id]):
        return payload_id
    row = {
        "payload_id": payload_id,
        "source": source,
        "source_ref": source_ref,
        "content_hash": digest,
        "media_type": media_type,
        "request_params": dict(request_params or {}),
        "fetched_at": fetched_at or datetime.now(UTC),
        "byte_size": len(body),
        "body": body,
        "game_date": game_date,
    }
    # Two runs may land the same file at once (partitions materialized concurrently): the
    # loser of that race must find the row there, not fail on the key.
    connection.execute(insert_ignoring_duplicates(connection, raw_payloads), [row])
    return payload_id


def insert_ignoring_duplicates(connection: sa.Connection, table: sa.Table) -> sa.Insert:
    """An INSERT that skips rows whose key is already present (Postgres and SQLite)."""
    if connection.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def _quarantine_frame(asset: str, rows: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in QUARANTINE_COLUMNS if c not in rows.columns]
    if missing:
        raise ValueError(f"quarantine rows lack columns {missing}")
    frame = rows.loc[:, list(QUARANTINE_COLUMNS)].copy()
    frame["asset"] = asset
    frame["record"] = frame["record"].map(_json_safe)
    frame["quarantine_id"] = [
        stable_id(asset, s, ref, reason)
        for s, ref, reason in zip(
            frame["source"], frame["source_ref"], frame["reason"], strict=True
        )
    ]
    return frame.drop_duplicates("quarantine_id")


def _json_safe(value: object) -> object:
    """Plain JSON values: NaN and NaT become null, numpy scalars and timestamps plain types."""
    if isinstance(value, Mapping):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    if isinstance(value, int | float | str | bool):
        return value
    return str(value)


def write_quarantine(
    connection: sa.Connection, asset: str, rows: pd.DataFrame, start: date, end: date
) -> int:
    """Replace ``asset``'s quarantined rows dated in [start, end]; undated rows are added once.

    Rows whose date could not be read belong to no partition; their deterministic ids make
    re-runs add nothing twice.
    """
    connection.execute(
        sa.delete(quarantine).where(
            quarantine.c.asset == asset, quarantine.c.game_date.between(start, end)
        )
    )
    if rows.empty:
        return 0
    frame = _quarantine_frame(asset, rows)
    present = existing_keys(connection, quarantine.c.quarantine_id, frame["quarantine_id"])
    fresh = frame[~frame["quarantine_id"].isin(present)]
    undated = fresh["game_date"].isna()
    bulk_insert(connection, quarantine, fresh[~undated])
    # Undated rows belong to every run that meets them: runs of other partitions may be adding
    # the same ones right now, so these go in with a conflict-tolerant INSERT.
    if undated.any():
        rows = fresh[undated].astype(object)
        records = rows.where(rows.notna(), None).to_dict("records")
        connection.execute(insert_ignoring_duplicates(connection, quarantine), records)
    return len(frame)
