"""Postgres dumps and restores with the client tools (``pg_dump -Fc``, ``pg_restore``).

Credentials travel to the tools in the ``PG*`` environment of the child process only, never
on its command line (visible to every user through ``ps``) and never in an error message.
"""

from __future__ import annotations

import secrets
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url

from mlb_assets.lib.warehouse.engine import safe_url, short_lived_engine

DUMP_TIMEOUT_SECONDS = 6 * 3600
# Restores and scratch databases are created from here: a database the server always has.
MAINTENANCE_DATABASE = "postgres"


class PostgresToolError(RuntimeError):
    """pg_dump or pg_restore failed or is missing; the message never holds a password."""


def libpq_env(url: str | URL) -> dict[str, str]:
    """The ``PG*`` variables that point libpq tools at ``url`` (the password included)."""
    parsed = make_url(url)
    values = {
        "PGHOST": parsed.host or "",
        "PGPORT": str(parsed.port or ""),
        "PGUSER": parsed.username or "",
        "PGPASSWORD": parsed.password or "",
        "PGDATABASE": parsed.database or "",
    }
    return {name: value for name, value in values.items() if value}


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise PostgresToolError(
            f"{name} is not installed: install the Postgres client tools (Debian: "
            "postgresql-client) in the same major version as the server or newer"
        )
    return path


def _run(arguments: list[str], url: str | URL, action: str) -> None:
    # The tool gets exactly the connection it needs and nothing else of this process's
    # environment (no unrelated secrets); its executable path is already absolute.
    env = libpq_env(url)
    result = subprocess.run(
        arguments, env=env, capture_output=True, text=True, timeout=DUMP_TIMEOUT_SECONDS
    )
    if result.returncode != 0:
        detail = result.stderr.strip().replace(make_url(url).password or "\0", "***")
        raise PostgresToolError(f"{action} {safe_url(url)} failed: {detail[-2000:]}")


def dump(url: str | URL, destination: Path, *, snapshot: str | None = None) -> Path:
    """``pg_dump -Fc`` of the database at ``url``; ``snapshot`` (from
    ``pg_export_snapshot()``) makes the dump see exactly what that transaction sees.

    The dump is written under a ``.partial`` name and renamed when complete, so a file with
    the final name is always a whole dump.
    """
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    arguments = [_tool("pg_dump"), "--format=custom", "--no-owner", f"--file={partial}"]
    if snapshot:
        arguments.append(f"--snapshot={snapshot}")
    try:
        _run(arguments, url, "pg_dump of")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(destination)
    return destination


def restore(dump_file: Path, url: str | URL, *, clean: bool = False, acl: bool = True) -> None:
    """``pg_restore`` of a custom-format dump into the database at ``url``.

    ``clean`` drops the objects the dump holds before recreating them (restoring over a
    damaged database); ``acl=False`` skips grants, for scratch copies on servers that lack
    the roles. Any error stops the restore: a half-restored database is never reported as
    good.
    """
    if not dump_file.is_file():
        raise FileNotFoundError(f"no dump at {dump_file}")
    arguments = [_tool("pg_restore"), "--no-owner", "--exit-on-error", "--single-transaction"]
    if clean:
        arguments += ["--clean", "--if-exists"]
    if not acl:
        arguments.append("--no-acl")
    arguments += [f"--dbname={make_url(url).database}", str(dump_file)]
    _run(arguments, url, f"pg_restore of {dump_file.name} into")


@contextmanager
def _maintenance(url: str | URL) -> Iterator[sa.Connection]:
    """A connection to the server's maintenance database, outside any transaction (CREATE
    and DROP DATABASE refuse to run inside one)."""
    admin = make_url(url).set(database=MAINTENANCE_DATABASE)
    with (
        short_lived_engine(admin, isolation_level="AUTOCOMMIT") as engine,
        engine.connect() as connection,
    ):
        yield connection


def create_database(url: str | URL) -> None:
    """Create the (empty) database ``url`` names, on the server ``url`` points at."""
    with _maintenance(url) as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{make_url(url).database}"')


def drop_database(url: str | URL) -> None:
    with _maintenance(url) as connection:
        connection.exec_driver_sql(
            f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)'
        )


def database_exists(url: str | URL) -> bool:
    with _maintenance(url) as connection:
        found = connection.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :name"),
            {"name": make_url(url).database},
        ).first()
    return found is not None


@contextmanager
def scratch_database(url: str | URL, purpose: str = "verify") -> Iterator[URL]:
    """A new, empty database beside ``url``'s (named after it and ``purpose``), dropped on
    exit whatever happens."""
    base = make_url(url)
    scratch = base.set(database=f"{base.database}_{purpose}_{secrets.token_hex(4)}")
    create_database(scratch)
    try:
        yield scratch
    finally:
        drop_database(scratch)
