"""Engines for the embedded SQLite warehouse and for Postgres, with safe URL rendering."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000


class WarehouseConfigError(ValueError):
    """The warehouse URL cannot be used."""


def dialect_of(url: str | URL) -> str:
    return make_url(url).get_backend_name()


def safe_url(url: str | URL) -> str:
    """The URL with any password masked, for logs and metadata."""
    return make_url(url).render_as_string(hide_password=True)


def _check_supported(url: URL) -> None:
    backend = url.get_backend_name()
    if backend not in {"sqlite", "postgresql"}:
        raise WarehouseConfigError(
            f"unsupported warehouse backend {backend!r} in {safe_url(url)}: use sqlite:///PATH "
            "or postgresql+psycopg://USER:PASSWORD@HOST:PORT/DB"
        )
    if backend == "postgresql" and url.get_driver_name() != "psycopg":
        raise WarehouseConfigError(
            f"Postgres URLs must use the psycopg (v3) driver: postgresql+psycopg://... "
            f"(got {safe_url(url)})"
        )


def _on_sqlite_connect(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets readers proceed while one writer commits; the busy timeout makes concurrent
    # step processes wait for the write lock instead of failing at once.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_warehouse_engine(url: str | URL) -> sa.Engine:
    """A new engine for the warehouse URL (SQLite files get their directory created)."""
    parsed = make_url(url)
    _check_supported(parsed)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = sa.create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        sa.event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    return sa.create_engine(parsed, pool_pre_ping=True)


@lru_cache(maxsize=16)
def cached_engine(url: str) -> sa.Engine:
    """One engine (and connection pool) per URL per process."""
    return create_warehouse_engine(url)


@contextmanager
def short_lived_engine(url: str | URL, **options: object) -> Iterator[sa.Engine]:
    """An engine without a pool for a one-off job (a backup, a restore, a scratch
    database), disposed on exit so no connection outlives it."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool, **options)
    try:
        yield engine
    finally:
        engine.dispose()
