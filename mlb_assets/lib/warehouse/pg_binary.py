"""Postgres's binary COPY format, written from Arrow columns with numpy: no Python per row.

Postgres parses binary COPY faster than CSV (no text to number, date or timestamp parsing).
Each column is encoded as the exact type the server holds (``int4`` is four bytes, ``int8``
eight), so the encoders are chosen from the table's columns as the server reports them
(:func:`column_types`); a column of another type makes :func:`encoders_for` return None and
the load falls back to CSV.

Format (PostgreSQL docs, "COPY", binary format): a signature and two zero words, then per row
a 16-bit field count and per field a 32-bit length (-1 for NULL) and the bytes, all in network
byte order; a 16-bit -1 ends the data.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import sqlalchemy as sa

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00\x00\x00\x00" + b"\x00\x00\x00\x00"
TRAILER = b"\xff\xff"
# Postgres counts dates and timestamps from 2000-01-01 (UTC for timestamptz).
PG_EPOCH_DAYS = 10_957  # days from 1970-01-01 to 2000-01-01
PG_EPOCH_MICROS = PG_EPOCH_DAYS * 86_400 * 1_000_000


@dataclass(frozen=True)
class Field:
    """One column of a chunk: per row its byte length (-1 for NULL) and its bytes.

    Fixed-width values are a (rows, width) byte matrix; variable-width ones the concatenated
    bytes with their (rows + 1) offsets.
    """

    lengths: np.ndarray
    fixed: np.ndarray | None = None
    data: np.ndarray | None = None
    offsets: np.ndarray | None = None


Encoder = Callable[[pa.Array], Field]


def _valid(array: pa.Array) -> np.ndarray:
    return np.asarray(pc.is_valid(array).to_numpy(zero_copy_only=False), dtype=bool)


def _fixed(array: pa.Array, values: np.ndarray, big_endian: str) -> Field:
    valid = _valid(array)
    raw = np.ascontiguousarray(values.astype(big_endian)).view(np.uint8)
    width = np.dtype(big_endian).itemsize
    lengths = np.where(valid, width, -1).astype(np.int64)
    return Field(lengths=lengths, fixed=raw.reshape(len(array), width))


def _numbers(array: pa.Array, numpy_type: str) -> np.ndarray:
    return array.fill_null(0).to_numpy(zero_copy_only=False).astype(numpy_type)


def _integer(width: int) -> Encoder:
    bounds = np.iinfo(f"int{8 * width}")

    def encode(array: pa.Array) -> Field:
        values = _numbers(array, "int64")
        if len(values) and (values.min() < bounds.min or values.max() > bounds.max):
            raise ValueError(f"a value is out of range for a {8 * width}-bit integer column")
        return _fixed(array, values, f">i{width}")

    return encode


def _float(width: int) -> Encoder:
    return lambda array: _fixed(array, _numbers(array, "float64"), f">f{width}")


def _boolean(array: pa.Array) -> Field:
    return _fixed(array, array.fill_null(False).to_numpy(zero_copy_only=False), ">u1")


def _date(array: pa.Array) -> Field:
    days = array.cast(pa.int32()).fill_null(0).to_numpy(zero_copy_only=False)
    return _fixed(array, days.astype("int64") - PG_EPOCH_DAYS, ">i4")


def _timestamp(array: pa.Array) -> Field:
    micros = array.cast(pa.timestamp("us", tz="UTC")).cast(pa.int64()).fill_null(0)
    return _fixed(array, micros.to_numpy(zero_copy_only=False) - PG_EPOCH_MICROS, ">i8")


def _text(array: pa.Array, prefix: bytes = b"") -> Field:
    """UTF-8 bytes as Arrow holds them (``prefix``: jsonb's version byte)."""
    strings = array.cast(pa.large_string())
    if prefix:
        text = pa.large_string()
        lead, separator = pa.scalar(prefix.decode(), type=text), pa.scalar("", type=text)
        strings = pc.binary_join_element_wise(lead, strings, separator)
    raw = strings.cast(pa.large_binary())
    _, offset_buffer, data_buffer = raw.buffers()
    n = len(raw)
    offsets = np.frombuffer(offset_buffer, dtype=np.int64)[raw.offset : raw.offset + n + 1]
    data = np.frombuffer(data_buffer, dtype=np.uint8) if data_buffer else np.empty(0, np.uint8)
    lengths = np.where(_valid(array), np.diff(offsets), -1)
    return Field(lengths=lengths, data=data, offsets=offsets)


ENCODERS: dict[str, Encoder] = {
    "int2": _integer(2),
    "int4": _integer(4),
    "int8": _integer(8),
    "float4": _float(4),
    "float8": _float(8),
    "bool": _boolean,
    "date": _date,
    "timestamptz": _timestamp,
    "timestamp": _timestamp,
    "text": _text,
    "varchar": _text,
    "bpchar": _text,
    "json": _text,
    "jsonb": lambda array: _text(array, prefix=b"\x01"),
}


def column_types(connection: sa.Connection, table: str) -> dict[str, str]:
    """The server's type (``udt_name``) of each column of ``table``."""
    rows = connection.execute(
        sa.text(
            "SELECT column_name, udt_name FROM information_schema.columns "
            "WHERE table_schema = current_schema() AND table_name = :table"
        ),
        {"table": table},
    )
    return {name: kind for name, kind in rows}


def encoders_for(server_types: dict[str, str], names: Sequence[str]) -> list[Encoder] | None:
    """An encoder per column, or None when a column's type has none here (load as CSV)."""
    chosen = [ENCODERS.get(server_types.get(name, "")) for name in names]
    return None if any(e is None for e in chosen) else chosen  # type: ignore[return-value]


def encode_rows(batch: pa.RecordBatch, encoders: Sequence[Encoder]) -> bytes:
    """The rows of ``batch`` in the binary COPY format (without header or trailer)."""
    n = batch.num_rows
    fields = [encode(batch.column(i)) for i, encode in enumerate(encoders)]
    widths = [4 + np.maximum(f.lengths, 0) for f in fields]
    row_sizes = 2 + np.sum(widths, axis=0)
    row_starts = np.concatenate([[0], np.cumsum(row_sizes)[:-1]])
    out = np.zeros(int(row_sizes.sum()), dtype=np.uint8)
    _put(out, row_starts, np.full(n, len(fields), dtype=">i2").view(np.uint8).reshape(n, 2))
    position = row_starts + 2
    for field, width in zip(fields, widths, strict=True):
        _put(out, position, field.lengths.astype(">i4").view(np.uint8).reshape(n, 4))
        _put_values(out, position + 4, field)
        position = position + width
    return out.tobytes()


def _put(out: np.ndarray, starts: np.ndarray, matrix: np.ndarray) -> None:
    """Write row i of ``matrix`` at ``out[starts[i]:]``."""
    out[starts[:, None] + np.arange(matrix.shape[1])] = matrix


def _put_values(out: np.ndarray, starts: np.ndarray, field: Field) -> None:
    present = field.lengths > 0
    if field.fixed is not None:
        _put(out, starts[present], field.fixed[present])
        return
    offsets, data = field.offsets, field.data
    lengths = np.maximum(field.lengths, 0)
    total = int(lengths.sum())
    if total == 0:
        return
    # Byte k of row i's value: from data[offsets[i] + k] to out[starts[i] + k].
    within = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    out[np.repeat(starts, lengths) + within] = data[np.repeat(offsets[:-1], lengths) + within]
