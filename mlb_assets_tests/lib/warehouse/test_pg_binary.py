"""The binary COPY encoder alone: bytes as Postgres documents the format, checked by hand."""

from __future__ import annotations

import struct
from datetime import UTC, date, datetime

import pyarrow as pa
import pytest

from mlb_assets.lib.warehouse import pg_binary


def _row(*fields: bytes | None) -> bytes:
    out = struct.pack(">h", len(fields))
    for value in fields:
        out += struct.pack(">i", -1) if value is None else struct.pack(">i", len(value)) + value
    return out


def test_rows_are_counted_fields_with_lengths_and_nulls() -> None:
    batch = pa.record_batch(
        {
            "id": pa.array([7, None], type=pa.int64()),
            "book": pa.array(["pinnacle", None], type=pa.string()),
            "side": pa.array(["", "under"], type=pa.string()),
        }
    )
    encoders = pg_binary.encoders_for(
        {"id": "int4", "book": "varchar", "side": "text"}, batch.schema.names
    )
    assert encoders is not None
    assert pg_binary.encode_rows(batch, encoders) == _row(
        struct.pack(">i", 7), b"pinnacle", b""
    ) + _row(None, None, b"under")


def test_dates_and_timestamps_count_from_2000() -> None:
    batch = pa.record_batch(
        {
            "day": pa.array([date(2000, 1, 2), date(1999, 12, 31)], type=pa.date32()),
            "at": pa.array(
                [datetime(2000, 1, 1, 0, 0, 1, 5, tzinfo=UTC), None],
                type=pa.timestamp("us", tz="UTC"),
            ),
            "price": pa.array([-112.5, None], type=pa.float64()),
            "flag": pa.array([True, False]),
        }
    )
    types = {"day": "date", "at": "timestamptz", "price": "float8", "flag": "bool"}
    encoders = pg_binary.encoders_for(types, batch.schema.names)
    assert pg_binary.encode_rows(batch, encoders) == _row(
        struct.pack(">i", 1), struct.pack(">q", 1_000_005), struct.pack(">d", -112.5), b"\x01"
    ) + _row(struct.pack(">i", -1), None, None, b"\x00")


def test_jsonb_carries_its_version_byte_and_unknown_types_fall_back() -> None:
    batch = pa.record_batch({"doc": pa.array(['{"a": 1}'])})
    encoders = pg_binary.encoders_for({"doc": "jsonb"}, ["doc"])
    assert pg_binary.encode_rows(batch, encoders) == _row(b'\x01{"a": 1}')
    assert pg_binary.encoders_for({"doc": "bytea"}, ["doc"]) is None
    assert pg_binary.encoders_for({}, ["doc"]) is None


def test_an_integer_too_wide_for_its_column_is_refused() -> None:
    batch = pa.record_batch({"n": pa.array([40_000], type=pa.int64())})
    with pytest.raises(ValueError, match="16-bit"):
        pg_binary.encode_rows(batch, pg_binary.encoders_for({"n": "int2"}, ["n"]))
