"""A backup set: every database and artifact folder copied, verified, and described.

One backup run writes, under one UTC stamp, a file per source and a manifest:

- a database on SQLite is copied with the online backup API (``<kind>-<stamp>.sqlite``),
  one on Postgres with ``pg_dump -Fc`` (``<kind>-<stamp>.dump``);
- an artifact folder (MLflow's) is archived (``<kind>-<stamp>.tar.gz``);
- ``manifest-<stamp>.json`` records each file's size and sha256 and the fingerprints (row
  count and checksum per table, size and sha256 per archived file) of what was copied.

Fingerprints are read in the same snapshot the copy is taken from (one read transaction
on SQLite; an exported snapshot handed to ``pg_dump`` on Postgres), so writes during the
backup cannot make a good copy look bad. Each copy is then restored into a scratch database
(or re-read, for archives) and compared with them: a backup is good only when nothing
differs.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import tarfile
import tempfile
from collections.abc import Callable, Mapping, Sequence
from contextlib import closing
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import URL, make_url
from sqlalchemy.pool import StaticPool

from mlb_assets.lib.ops import postgres
from mlb_assets.lib.ops.backup import (
    TableFingerprint,
    backup_name,
    compare_fingerprints,
    parse_backup,
    table_fingerprints,
)
from mlb_assets.lib.warehouse.engine import safe_url, short_lived_engine

MANIFEST_KIND = "manifest"
Log = Callable[[str], None]


class BackupError(RuntimeError):
    """A backup or restore could not be done or did not verify."""


@dataclass(frozen=True)
class DatabaseSource:
    """A database to back up: ``kind`` names its files (warehouse, mlflow)."""

    kind: str
    url: str

    @property
    def dialect(self) -> str:
        return make_url(self.url).get_backend_name()


@dataclass
class BackupEntry:
    kind: str
    file: str
    format: str  # sqlite | pg_dump | tar.gz
    source: str  # password-free URL or folder
    bytes: int
    sha256: str
    fingerprints: dict[str, dict[str, object]]
    problems: list[str] = field(default_factory=list)

    @property
    def verified(self) -> bool:
        return not self.problems

    def prints(self) -> dict[str, TableFingerprint]:
        return {name: TableFingerprint(**value) for name, value in self.fingerprints.items()}


@dataclass
class BackupManifest:
    taken_at: datetime
    entries: list[BackupEntry]

    @property
    def ok(self) -> bool:
        return bool(self.entries) and all(entry.verified for entry in self.entries)

    @property
    def file_name(self) -> str:
        return backup_name(MANIFEST_KIND, self.taken_at, "json")

    def entry(self, kind: str) -> BackupEntry:
        for entry in self.entries:
            if entry.kind == kind:
                return entry
        raise BackupError(f"backup {self.file_name} holds no {kind!r} copy")

    def to_json(self) -> str:
        body = {"taken_at": self.taken_at.isoformat(), "ok": self.ok}
        body["entries"] = [asdict(entry) for entry in self.entries]
        return json.dumps(body, indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> BackupManifest:
        body = json.loads(text)
        entries = [BackupEntry(**entry) for entry in body["entries"]]
        return cls(taken_at=datetime.fromisoformat(body["taken_at"]), entries=entries)


def sqlalchemy_url(url: str | URL) -> URL:
    """``url`` with the project's Postgres driver (MLflow writes plain ``postgresql://``)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "postgresql":
        return parsed.set(drivername="postgresql+psycopg")
    return parsed


def sqlite_file(url: str | URL) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError(f"{safe_url(url)} is not a SQLite file")
    return Path(database).expanduser()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _as_dicts(prints: Mapping[str, TableFingerprint]) -> dict[str, dict[str, object]]:
    return {name: asdict(value) for name, value in prints.items()}


def _entry(kind: str, path: Path, fmt: str, source: str, prints: Mapping) -> BackupEntry:
    return BackupEntry(
        kind=kind,
        file=path.name,
        format=fmt,
        source=source,
        bytes=path.stat().st_size,
        sha256=file_sha256(path),
        fingerprints=_as_dicts(prints),
    )


# --- taking copies -------------------------------------------------------------------------


def _snapshot_sqlite(source: DatabaseSource, destination: Path) -> dict[str, TableFingerprint]:
    path = sqlite_file(source.url)
    if not path.is_file():
        raise BackupError(f"no SQLite database at {path}")
    raw = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    engine = sa.create_engine(
        "sqlite://", creator=lambda: raw, poolclass=StaticPool, pool_reset_on_return=None
    )
    partial = destination.with_name(destination.name + ".partial")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("BEGIN")  # one read snapshot for prints and copy
            prints = table_fingerprints(connection)
            with closing(sqlite3.connect(partial)) as copy:
                raw.backup(copy)
    finally:
        engine.dispose()
        raw.close()
    partial.replace(destination)
    return prints


def _snapshot_postgres(source: DatabaseSource, destination: Path) -> dict[str, TableFingerprint]:
    url = sqlalchemy_url(source.url)
    with (
        short_lived_engine(url, isolation_level="REPEATABLE READ") as engine,
        engine.connect() as connection,
    ):
        snapshot = connection.exec_driver_sql("SELECT pg_export_snapshot()").scalar_one()
        prints = table_fingerprints(connection)
        postgres.dump(url, destination, snapshot=snapshot)  # while the snapshot lives
    return prints


def copy_database(source: DatabaseSource, folder: Path, taken_at: datetime) -> BackupEntry:
    """The database copied into ``folder``, with the fingerprints of what was copied."""
    folder.mkdir(parents=True, exist_ok=True)
    if source.dialect == "sqlite":
        path = folder / backup_name(source.kind, taken_at, "sqlite")
        prints = _snapshot_sqlite(source, path)
        return _entry(source.kind, path, "sqlite", safe_url(source.url), prints)
    if source.dialect == "postgresql":
        path = folder / backup_name(source.kind, taken_at, "dump")
        prints = _snapshot_postgres(source, path)
        return _entry(source.kind, path, "pg_dump", safe_url(source.url), prints)
    raise BackupError(f"cannot back up {safe_url(source.url)}: only SQLite and Postgres")


def _member_prints(folder: Path) -> dict[str, TableFingerprint]:
    return {
        path.relative_to(folder).as_posix(): TableFingerprint(
            rows=path.stat().st_size, checksum=file_sha256(path)
        )
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def archive_folder(kind: str, source: Path, folder: Path, taken_at: datetime) -> BackupEntry:
    """``source`` archived as tar.gz; each file's size and sha256 are its fingerprint."""
    if not source.is_dir():
        raise BackupError(f"no folder to archive at {source}")
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / backup_name(kind, taken_at, "tar.gz")
    partial = path.with_name(path.name + ".partial")
    prints = _member_prints(source)
    with tarfile.open(partial, "w:gz") as archive:
        for name in prints:
            archive.add(source / name, arcname=name, recursive=False)
    partial.replace(path)
    return _entry(kind, path, "tar.gz", str(source), prints)


# --- verifying copies ----------------------------------------------------------------------


def _restored_sqlite_prints(backup: Path) -> dict[str, TableFingerprint]:
    with tempfile.TemporaryDirectory(prefix="mlb_assets_verify_") as scratch:
        target = Path(scratch) / "restored.sqlite"
        with closing(sqlite3.connect(backup)) as copy, closing(sqlite3.connect(target)) as out:
            copy.backup(out)
        with short_lived_engine(f"sqlite:///{target}") as engine:
            return table_fingerprints(engine)


def _restored_postgres_prints(backup: Path, server_url: str) -> dict[str, TableFingerprint]:
    with postgres.scratch_database(sqlalchemy_url(server_url)) as scratch:
        postgres.restore(backup, scratch, acl=False)
        with short_lived_engine(scratch) as engine:
            return table_fingerprints(engine)


def _archive_prints(backup: Path) -> dict[str, TableFingerprint]:
    prints = {}
    with tarfile.open(backup, "r:gz") as archive:
        for member in archive.getmembers():
            handle = archive.extractfile(member)
            if handle is None:
                continue
            digest = hashlib.sha256(handle.read()).hexdigest()
            prints[member.name] = TableFingerprint(rows=member.size, checksum=digest)
    return prints


def verify_entry(entry: BackupEntry, folder: Path, server_url: str | None = None) -> list[str]:
    """Restore the copy into scratch space and list what differs from its fingerprints."""
    path = folder / entry.file
    if not path.is_file():
        return [f"{entry.file}: file missing"]
    if file_sha256(path) != entry.sha256:
        return [f"{entry.file}: sha256 differs from the manifest (file changed or truncated)"]
    try:
        if entry.format == "sqlite":
            restored = _restored_sqlite_prints(path)
        elif entry.format == "pg_dump":
            if server_url is None:
                raise BackupError("verifying a pg_dump needs a Postgres server URL")
            restored = _restored_postgres_prints(path, server_url)
        else:
            restored = _archive_prints(path)
    except (
        BackupError,
        postgres.PostgresToolError,
        sa.exc.SQLAlchemyError,  # e.g. no right to create the scratch database
        sqlite3.DatabaseError,
        tarfile.TarError,
    ) as e:
        return [f"{entry.file}: restore failed: {str(e).splitlines()[0]}"]
    return compare_fingerprints(entry.prints(), restored)


# --- the whole set -------------------------------------------------------------------------


def take_backup(
    databases: Sequence[DatabaseSource],
    folders: Mapping[str, Path],
    destination: Path,
    *,
    now: datetime | None = None,
    log: Log = print,
) -> BackupManifest:
    """Copy and verify every source; the manifest is written whatever the outcome."""
    taken_at = (now or datetime.now(UTC)).astimezone(UTC).replace(microsecond=0)
    manifest = BackupManifest(taken_at=taken_at, entries=[])
    for source in databases:
        log(f"backing up {source.kind} ({safe_url(source.url)})")
        entry = copy_database(source, destination, taken_at)
        entry.problems = verify_entry(entry, destination, source.url)
        manifest.entries.append(entry)
        log(_verdict(entry))
    for kind, source_folder in folders.items():
        log(f"archiving {kind} ({source_folder})")
        entry = archive_folder(kind, source_folder, destination, taken_at)
        entry.problems = verify_entry(entry, destination)
        manifest.entries.append(entry)
        log(_verdict(entry))
    (destination / manifest.file_name).write_text(manifest.to_json())
    return manifest


def _verdict(entry: BackupEntry) -> str:
    size = f"{entry.bytes / 1e6:,.1f} MB"
    if entry.verified:
        return f"  {entry.file}: {size}, {len(entry.fingerprints)} tables/files verified"
    return f"  {entry.file}: {size}, VERIFICATION FAILED: " + "; ".join(entry.problems)


def manifests(folder: Path) -> list[tuple[Path, BackupManifest]]:
    """Every manifest in ``folder``, newest first (unreadable ones are skipped)."""
    found = []
    for path in sorted(folder.glob(f"{MANIFEST_KIND}-*.json"), reverse=True):
        parsed = parse_backup(path)
        if parsed is None or parsed.kind != MANIFEST_KIND:
            continue
        try:
            found.append((path, BackupManifest.from_json(path.read_text())))
        except (ValueError, KeyError, TypeError):
            continue
    return found


def last_good_backup(folder: Path) -> datetime | None:
    """When the newest verified backup set was taken (None: there is none)."""
    if not folder.is_dir():
        return None
    return next((m.taken_at for _, m in manifests(folder) if m.ok), None)


def find_manifest(folder: Path, ref: str) -> BackupManifest:
    """A backup set by ``latest`` (newest verified), its stamp, or its manifest path."""
    if ref.endswith(".json") and Path(ref).is_file():
        return BackupManifest.from_json(Path(ref).read_text())
    candidates = manifests(folder) if folder.is_dir() else []
    for path, manifest in candidates:
        if (ref == "latest" and manifest.ok) or ref in path.name:
            return manifest
    raise BackupError(f"no backup {ref!r} in {folder} ({len(candidates)} manifests there)")


# --- restoring -----------------------------------------------------------------------------


def _has_tables(engine: sa.Engine) -> bool:
    return bool(sa.inspect(engine).get_table_names())


def _restore_sqlite(backup: Path, target_url: str, force: bool) -> None:
    target = sqlite_file(target_url)
    if target.exists() and target.stat().st_size > 0 and not force:
        raise BackupError(f"{target} exists: pass force to overwrite it")
    target.parent.mkdir(parents=True, exist_ok=True)
    # Through the backup API, not a file copy: the target's WAL and locks stay consistent.
    with closing(sqlite3.connect(backup)) as copy, closing(sqlite3.connect(target)) as out:
        copy.backup(out)


def _restore_postgres(backup: Path, target_url: str, force: bool) -> None:
    url = sqlalchemy_url(target_url)
    if not postgres.database_exists(url):
        postgres.create_database(url)
    with short_lived_engine(url) as engine:
        occupied = _has_tables(engine)
    if occupied and not force:
        raise BackupError(f"{safe_url(url)} already has tables: pass force to replace them")
    # Grants are left out: roles are per server, and the caller re-applies its own.
    postgres.restore(backup, url, clean=occupied, acl=False)


def restore_database(
    entry: BackupEntry, folder: Path, target_url: str, *, force: bool = False
) -> list[str]:
    """Restore one database copy into ``target_url`` and compare the result with the
    manifest's fingerprints; returns the differences (empty: an exact restore)."""
    path = folder / entry.file
    if not path.is_file() or file_sha256(path) != entry.sha256:
        raise BackupError(f"{path} is missing or differs from its manifest: not restoring it")
    if entry.format == "sqlite":
        _restore_sqlite(path, target_url, force)
    elif entry.format == "pg_dump":
        _restore_postgres(path, target_url, force)
    else:
        raise BackupError(f"{entry.file} is not a database copy")
    with short_lived_engine(sqlalchemy_url(target_url)) as engine:
        restored = table_fingerprints(engine, tables=list(entry.fingerprints))
    return compare_fingerprints(entry.prints(), restored)


def restore_archive(entry: BackupEntry, folder: Path, target: Path) -> list[str]:
    """Unpack an archived folder into ``target`` (files there with other names are kept);
    returns the files whose restored content differs from the manifest."""
    path = folder / entry.file
    if not path.is_file() or file_sha256(path) != entry.sha256:
        raise BackupError(f"{path} is missing or differs from its manifest: not restoring it")
    target.mkdir(parents=True, exist_ok=True)
    with tarfile.open(path, "r:gz") as archive:
        archive.extractall(target, filter="data")  # refuses absolute paths and '..'
    restored = _member_prints(target)
    return [
        f"{name}: restored content differs"
        for name, expected in entry.prints().items()
        if restored.get(name) != expected
    ]
