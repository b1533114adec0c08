"""Bulk reads and writes of DataFrames, the same calls on SQLite and Postgres.

Postgres loads go through ``COPY ... FROM STDIN``, never row-by-row INSERTs: each column is
converted once into a typed Arrow array, then encoded with numpy in Postgres's binary COPY
format (``pg_binary``), or rendered as CSV by Arrow's C++ writer for a table with a column the
encoder does not handle (bytea). Rows are sent 20,000 at a time, so the server stores one chunk
while the next is encoded, and Python never touches a row (``benchmarks/load.py`` measures it
against a COPY of a ready file). SQLite loads use the driver's ``executemany`` with values
already in SQLAlchemy's storage format, all rows in the caller's transaction. A partition is
replaced inside the caller's transaction, so a crash leaves it either as it was or complete.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import sqlalchemy as sa

from mlb_assets.lib.warehouse import pg_binary

# Rows rendered and sent per COPY write (about 2 MB of odds snapshots).
COPY_CHUNK_ROWS = 20_000
SQLITE_DATETIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


class LoadError(ValueError):
    """A frame does not fit the table it is loaded into."""


def _check_columns(table: sa.Table, frame: pd.DataFrame) -> list[sa.Column]:
    missing_required = [
        c.name
        for c in table.columns
        if c.name not in frame.columns and not c.nullable and c.server_default is None
    ]
    if missing_required:
        raise LoadError(f"{table.name}: frame lacks required columns {missing_required}")
    unknown = sorted(set(frame.columns) - set(table.columns.keys()))
    if unknown:
        raise LoadError(f"{table.name}: frame has columns the table lacks: {unknown}")
    return [c for c in table.columns if c.name in frame.columns]


def _is_type(column: sa.Column, kind: type) -> bool:
    return isinstance(column.type, kind)


def _utc(series: pd.Series) -> pd.Series:
    values = pd.to_datetime(series, utc=True)
    return values


def _as_objects(values: pd.Series) -> list[object]:
    """Python values with every missing marker (NaN, NaT, pd.NA) turned into None."""
    return values.astype(object).where(values.notna(), None).tolist()


def _integers(series: pd.Series, column: sa.Column) -> pd.Series:
    numeric = pd.to_numeric(series, errors="raise")
    finite = numeric.dropna()
    if not np.all(np.equal(np.mod(finite, 1), 0)):
        raise LoadError(f"column {column.name}: non-integral values for an integer column")
    return numeric.astype("Int64")


def _sqlite_values(column: sa.Column, series: pd.Series) -> list[object]:
    if _is_type(column, sa.DateTime):
        return _as_objects(_utc(series).dt.strftime(SQLITE_DATETIME_FORMAT))
    if _is_type(column, sa.Date):
        return _as_objects(pd.to_datetime(series).dt.strftime("%Y-%m-%d"))
    if _is_type(column, sa.JSON):
        return [None if v is None else json.dumps(v, default=str) for v in series.tolist()]
    if _is_type(column, sa.Boolean):
        return _as_objects(series.astype("boolean").astype("Int64"))
    if _is_type(column, sa.Integer):
        return _as_objects(_integers(series, column))
    if _is_type(column, sa.Float):
        return _as_objects(pd.to_numeric(series).astype(float))
    return _as_objects(series)


def _text_array(series: pd.Series) -> pa.Array:
    """Strings as given (an empty string stays empty; only missing values become NULL)."""
    try:
        return pa.array(series, type=pa.string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError):  # numbers or mixed values in a text column
        return pa.array(series.astype("string"), type=pa.string(), from_pandas=True)


def _arrow_array(column: sa.Column, series: pd.Series) -> pa.Array:
    """One column as the Arrow type whose CSV rendering Postgres reads back unchanged."""
    if _is_type(column, sa.DateTime):
        # Postgres keeps microseconds; finer digits are dropped as before (safe=False).
        return pa.array(_utc(series), type=pa.timestamp("us", tz="UTC"), safe=False)
    if _is_type(column, sa.Date):
        days = pd.to_datetime(series).to_numpy().astype("datetime64[D]")
        return pa.array(days, type=pa.date32(), from_pandas=True)
    if _is_type(column, sa.JSON):
        return _text_array(series.map(lambda v: None if v is None else json.dumps(v, default=str)))
    if _is_type(column, sa.LargeBinary):
        return _text_array(series.map(lambda v: None if v is None else "\\x" + bytes(v).hex()))
    if _is_type(column, sa.Boolean):
        return pa.array(series.astype("boolean"), type=pa.bool_(), from_pandas=True)
    if _is_type(column, sa.Integer):
        return pa.array(_integers(series, column), type=pa.int64(), from_pandas=True)
    if _is_type(column, sa.Float):
        return pa.array(pd.to_numeric(series).astype(float), type=pa.float64(), from_pandas=True)
    return _text_array(series)


def _arrow_table(columns: list[sa.Column], frame: pd.DataFrame) -> pa.Table:
    arrays = [_arrow_array(c, frame[c.name]) for c in columns]
    return pa.Table.from_arrays(arrays, names=[c.name for c in columns])


def _csv_chunks(table: pa.Table) -> Iterator[bytes]:
    """The table as CSV, a batch of rows at a time: Postgres parses one chunk while the next
    is rendered."""
    options = pa_csv.WriteOptions(include_header=False)
    for batch in table.to_batches(max_chunksize=COPY_CHUNK_ROWS):
        sink = io.BytesIO()
        pa_csv.write_csv(batch, sink, options)
        yield sink.getvalue()


def csv_bytes(columns: list[sa.Column], frame: pd.DataFrame) -> bytes:
    """The whole frame as the CSV the Postgres load sends (benchmarks write it to a file)."""
    return b"".join(_csv_chunks(_arrow_table(columns, frame)))


def _copy_postgres(connection: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    """Binary COPY when every column's server type has an encoder, CSV otherwise (bytea)."""
    columns = _check_columns(table, frame)
    names = [c.name for c in columns]
    encoders = pg_binary.encoders_for(pg_binary.column_types(connection, table.name), names)
    if encoders is None:
        copy_csv(connection, table, columns, frame)
    else:
        copy_binary(connection, table, columns, frame, encoders)


def _copy_statement(table: sa.Table, columns: list[sa.Column], form: str) -> str:
    listed = ", ".join(f'"{c.name}"' for c in columns)
    return f"COPY {table.name} ({listed}) FROM STDIN WITH (FORMAT {form})"


def copy_csv(
    connection: sa.Connection, table: sa.Table, columns: list[sa.Column], frame: pd.DataFrame
) -> None:
    """``frame`` as CSV rendered by Arrow, a chunk of rows per write."""
    driver_connection = connection.connection.driver_connection
    statement = _copy_statement(table, columns, "csv")
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        for chunk in _csv_chunks(_arrow_table(columns, frame)):
            copy.write(chunk)


def copy_binary(
    connection: sa.Connection,
    table: sa.Table,
    columns: list[sa.Column],
    frame: pd.DataFrame,
    encoders: list[pg_binary.Encoder],
) -> None:
    """``frame`` in Postgres's binary COPY format, a chunk of rows per write."""
    driver_connection = connection.connection.driver_connection
    statement = _copy_statement(table, columns, "binary")
    with driver_connection.cursor() as cursor, cursor.copy(statement) as copy:
        copy.write(pg_binary.HEADER)
        for batch in _arrow_table(columns, frame).to_batches(max_chunksize=COPY_CHUNK_ROWS):
            copy.write(pg_binary.encode_rows(batch, encoders))
        copy.write(pg_binary.TRAILER)


def _insert_sqlite(connection: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> None:
    columns = _check_columns(table, frame)
    value_lists = [_sqlite_values(c, frame[c.name]) for c in columns]
    rows = list(zip(*value_lists, strict=True))
    names = ", ".join(f'"{c.name}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.executemany(f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', rows)
    finally:
        cursor.close()


def bulk_insert(connection: sa.Connection, table: sa.Table, frame: pd.DataFrame) -> int:
    """Append ``frame`` to ``table`` (COPY on Postgres); returns the number of rows."""
    if frame.empty:
        return 0
    if connection.dialect.name == "postgresql":
        _copy_postgres(connection, table, frame)
    else:
        _insert_sqlite(connection, table, frame)
    return len(frame)


def delete_dates(
    connection: sa.Connection,
    table: sa.Table,
    start: date,
    end: date,
    *,
    where: Sequence[sa.ColumnElement[bool]] = (),
) -> int:
    """Delete the rows of ``table`` whose game_date lies in [start, end]."""
    statement = sa.delete(table).where(table.c.game_date.between(start, end), *where)
    return connection.execute(statement).rowcount


def replace_dates(
    connection: sa.Connection, table: sa.Table, frame: pd.DataFrame, start: date, end: date
) -> int:
    """Replace a date range's rows with ``frame`` (idempotent re-materialization)."""
    inside = frame.empty or pd.to_datetime(frame["game_date"]).dt.date.between(start, end).all()
    if not inside:
        raise LoadError(f"{table.name}: rows outside the partition range {start}..{end}")
    delete_dates(connection, table, start, end)
    return bulk_insert(connection, table, frame)


def replace_keys(connection: sa.Connection, table: sa.Table, frame: pd.DataFrame, key: str) -> int:
    """Replace the rows of ``table`` whose ``key`` appears in ``frame`` with ``frame``'s rows."""
    if frame.empty:
        return 0
    keys = list(dict.fromkeys(frame[key]))
    for start in range(0, len(keys), 5_000):
        connection.execute(sa.delete(table).where(table.c[key].in_(keys[start : start + 5_000])))
    return bulk_insert(connection, table, frame)


def existing_keys(
    connection: sa.Connection, column: sa.Column, values: Iterable[object]
) -> set[object]:
    """Which of ``values`` are already present in ``column`` (queried in chunks)."""
    wanted = list(dict.fromkeys(values))
    found: set[object] = set()
    for start in range(0, len(wanted), 5_000):
        chunk = wanted[start : start + 5_000]
        found.update(connection.execute(sa.select(column).where(column.in_(chunk))).scalars())
    return found


def read_frame(connection: sa.Connection, statement: sa.Select) -> pd.DataFrame:
    """Run a SELECT into a DataFrame, with UTC-aware timestamps and python dates."""
    result = connection.execute(statement)
    frame = pd.DataFrame(result.fetchall(), columns=list(result.keys()))
    for column in statement.selected_columns:
        if column.name not in frame.columns:
            continue
        if isinstance(column.type, sa.DateTime):
            frame[column.name] = pd.to_datetime(frame[column.name], utc=True)
        elif isinstance(column.type, sa.Date):
            frame[column.name] = pd.to_datetime(frame[column.name]).dt.date
    return frame
