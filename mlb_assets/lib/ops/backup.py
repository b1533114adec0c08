"""Warehouse backups: taking them, proving they restore, and keeping the right ones.

A backup counts only once it has been restored and compared: :func:`table_fingerprints`
gives every table's row count and a checksum of its rows in primary-key order, and
:func:`compare_fingerprints` lists what differs between the original and the restore.

Retention keeps the newest backup of each of the last ``daily`` days that have one and the
newest of each of the last ``weekly`` ISO weeks (grandfather-father-son, two levels);
everything else in the backup folder that follows the naming scheme is deleted. Files not
named by the scheme are never touched.
"""

from __future__ import annotations

import hashlib
import re
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa

BACKUP_NAME = re.compile(r"^(?P<kind>[a-z0-9_]+)-(?P<stamp>\d{8}T\d{6}Z)\.(?P<ext>[a-z0-9.]+)$")
STAMP_FORMAT = "%Y%m%dT%H%M%SZ"


@dataclass(frozen=True)
class BackupFile:
    """A backup file named ``<kind>-<UTC stamp>.<ext>``, e.g. warehouse-20160401T030000Z.sqlite."""

    path: Path
    kind: str
    taken_at: datetime


def backup_name(kind: str, taken_at: datetime, ext: str) -> str:
    return f"{kind}-{taken_at.astimezone(UTC).strftime(STAMP_FORMAT)}.{ext}"


def parse_backup(path: Path) -> BackupFile | None:
    """The backup a file name describes, or None for a file outside the scheme."""
    match = BACKUP_NAME.match(path.name)
    if match is None:
        return None
    taken = datetime.strptime(match["stamp"], STAMP_FORMAT).replace(tzinfo=UTC)
    return BackupFile(path=path, kind=match["kind"], taken_at=taken)


def retained(backups: Iterable[BackupFile], *, daily: int = 7, weekly: int = 4) -> set[Path]:
    """The backups to keep among one kind's backups (see the module docstring)."""
    if daily < 1 or weekly < 0:
        raise ValueError("keep at least one daily backup, and a non-negative number of weekly")
    newest_first = sorted(backups, key=lambda b: b.taken_at, reverse=True)
    keep: set[Path] = set()
    days: list[object] = []
    weeks: list[object] = []
    for backup in newest_first:
        day = backup.taken_at.date()
        week = backup.taken_at.isocalendar()[:2]
        if day not in days and len(days) < daily:
            days.append(day)
            keep.add(backup.path)
        if week not in weeks and len(weeks) < weekly:
            weeks.append(week)
            keep.add(backup.path)
    return keep


def apply_retention(folder: Path, *, daily: int = 7, weekly: int = 4) -> list[Path]:
    """Delete the backups retention does not keep, per kind; returns what was deleted."""
    found = [b for b in map(parse_backup, sorted(folder.iterdir())) if b is not None]
    deleted: list[Path] = []
    for kind in sorted({b.kind for b in found}):
        of_kind = [b for b in found if b.kind == kind]
        keep = retained(of_kind, daily=daily, weekly=weekly)
        for backup in of_kind:
            if backup.path not in keep:
                backup.path.unlink()
                deleted.append(backup.path)
    return deleted


def backup_sqlite(source: Path, destination: Path) -> Path:
    """A consistent copy of a live SQLite database (the online backup API, not a file copy,
    so a write in progress never leaves a torn page in the backup)."""
    if not source.is_file():
        raise FileNotFoundError(f"no SQLite database at {source}")
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".partial")
    with closing(sqlite3.connect(source)) as live, closing(sqlite3.connect(partial)) as copy:
        live.backup(copy)
    partial.replace(destination)  # only a complete backup ever carries the final name
    return destination


@dataclass(frozen=True)
class TableFingerprint:
    rows: int
    checksum: str


def table_fingerprints(
    bind: sa.Engine | sa.Connection, tables: Iterable[str] | None = None
) -> dict[str, TableFingerprint]:
    """Row count and sha256 of every row (in primary-key order) for each table.

    Given a connection, everything is read inside its current transaction: the fingerprints
    of a backup are taken in the very snapshot the backup copies.
    """
    if isinstance(bind, sa.Engine):
        with bind.connect() as connection:
            return table_fingerprints(connection, tables)
    metadata = sa.MetaData()
    metadata.reflect(bind, only=list(tables) if tables is not None else None)
    return {name: _fingerprint(bind, table) for name, table in sorted(metadata.tables.items())}


def _fingerprint(connection: sa.Connection, table: sa.Table) -> TableFingerprint:
    order = list(table.primary_key.columns) or list(table.columns)
    digest = hashlib.sha256()
    rows = 0
    result = connection.execution_options(yield_per=10_000).execute(
        sa.select(table).order_by(*order)
    )
    for row in result:
        digest.update(_row_bytes(row))
        rows += 1
    return TableFingerprint(rows=rows, checksum=digest.hexdigest())


def _row_bytes(row: sa.Row) -> bytes:
    # repr of each value: the same on both sides of a restore into the same kind of database.
    return ("\x1f".join(repr(value) for value in row) + "\x1e").encode()


def compare_fingerprints(
    original: dict[str, TableFingerprint], restored: dict[str, TableFingerprint]
) -> list[str]:
    """Human-readable differences; empty when the restore reproduces every table."""
    problems = []
    for name in sorted(set(original) | set(restored)):
        before, after = original.get(name), restored.get(name)
        if before is None or after is None:
            problems.append(
                f"{name}: {'missing from the restore' if after is None else 'only in the restore'}"
            )
        elif before.rows != after.rows:
            problems.append(f"{name}: {before.rows} rows, {after.rows} restored")
        elif before.checksum != after.checksum:
            problems.append(f"{name}: same {before.rows} rows but different contents")
    return problems
