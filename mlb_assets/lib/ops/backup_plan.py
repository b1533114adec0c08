"""What a backup covers, from explicit settings, and the nightly run over it.

The plan is the one place that decides which databases and folders are backed up and
where restores go, so the ``backup_job`` and ``mlb-assets backup`` / ``restore`` agree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from mlb_assets.lib.models.tracking import MlflowSettings
from mlb_assets.lib.ops.backup import apply_retention
from mlb_assets.lib.ops.backup_set import (
    BackupError,
    BackupManifest,
    DatabaseSource,
    Log,
    restore_archive,
    restore_database,
    sqlalchemy_url,
    sqlite_file,
    take_backup,
)
from mlb_assets.lib.warehouse.bi import grant_bi_role
from mlb_assets.lib.warehouse.engine import safe_url, short_lived_engine

# With an MLflow tracking *server*, its backend store and artifact folder are named by these
# variables (declared in mlb_assets.config); messages tell the user which one to set.
MLFLOW_BACKEND_ENV = "MLB_ASSETS_MLFLOW_BACKEND_URL"
MLFLOW_ARTIFACTS_ENV = "MLB_ASSETS_MLFLOW_ARTIFACTS_DIR"

WAREHOUSE, MLFLOW, MLFLOW_ARTIFACTS = "warehouse", "mlflow", "mlflow_artifacts"


@dataclass(frozen=True)
class BackupPlan:
    folder: Path
    databases: tuple[DatabaseSource, ...]
    folders: Mapping[str, Path]
    keep_daily: int = 7
    keep_weekly: int = 4
    skipped: tuple[str, ...] = field(default_factory=tuple)  # what is not covered, and why
    # Where each kind is restored to: also set for a store that does not exist yet (a new
    # machine being rebuilt from a backup has none of them).
    restore_targets: Mapping[str, str] = field(default_factory=dict)

    def restore_target(self, kind: str) -> str:
        if kind not in self.restore_targets:
            raise BackupError(f"this configuration has nowhere to restore {kind!r} to")
        return self.restore_targets[kind]

    def describe(self) -> list[str]:
        lines = [f"{s.kind}: {safe_url(s.url)}" for s in self.databases]
        lines += [f"{kind}: {path}" for kind, path in self.folders.items()]
        return lines + [f"not covered: {reason}" for reason in self.skipped]


def _present(url: str) -> bool:
    """A SQLite store that was never created has nothing to back up; a server always does."""
    if make_url(url).get_backend_name() != "sqlite":
        return True
    return sqlite_file(url).is_file()


def _mlflow_sources(
    mlflow: MlflowSettings, backend_url: str | None, artifacts_dir: str | None
) -> tuple[list[DatabaseSource], dict[str, Path], list[str], dict[str, str]]:
    databases, folders, skipped, targets = [], {}, [], {}
    store = backend_url or mlflow.resolved_tracking_uri
    if make_url(store).get_backend_name() in {"sqlite", "postgresql"}:
        targets[MLFLOW] = sqlalchemy_url(store).render_as_string(hide_password=False)
        if _present(store):
            databases.append(DatabaseSource(MLFLOW, targets[MLFLOW]))
        else:
            skipped.append("the MLflow store does not exist yet (no model trained)")
    else:
        skipped.append(f"MLflow's backend store: set {MLFLOW_BACKEND_ENV} to a database URL")
    artifacts = Path(artifacts_dir) if artifacts_dir else mlflow.artifact_root
    if artifacts is not None:
        targets[MLFLOW_ARTIFACTS] = str(artifacts)
    if artifacts is not None and artifacts.is_dir():
        folders[MLFLOW_ARTIFACTS] = artifacts
    else:
        skipped.append(f"MLflow artifacts: set {MLFLOW_ARTIFACTS_ENV} to the artifact folder")
    return databases, folders, skipped, targets


def backup_plan(
    *,
    home: Path,
    warehouse_url: str,
    mlflow: MlflowSettings,
    folder: str | None = None,
    mlflow_backend_url: str | None = None,
    mlflow_artifacts_dir: str | None = None,
    keep_daily: int = 7,
    keep_weekly: int = 4,
) -> BackupPlan:
    databases, folders, skipped, targets = _mlflow_sources(
        mlflow, mlflow_backend_url, mlflow_artifacts_dir
    )
    return BackupPlan(
        folder=Path(folder).expanduser() if folder else home / "backups",
        databases=(DatabaseSource(WAREHOUSE, warehouse_url), *databases),
        folders=folders,
        keep_daily=keep_daily,
        keep_weekly=keep_weekly,
        skipped=tuple(skipped),
        restore_targets={WAREHOUSE: warehouse_url, **targets},
    )


@dataclass(frozen=True)
class BackupOutcome:
    manifest: BackupManifest
    deleted: list[Path]


def run_backup(plan: BackupPlan, *, now: datetime | None = None, log: Log = print) -> BackupOutcome:
    """Take and verify a backup set, then apply retention, but only after a verified set:
    a failing night never costs an older good backup."""
    for reason in plan.skipped:
        log(f"not covered: {reason}")
    manifest = take_backup(plan.databases, plan.folders, plan.folder, now=now, log=log)
    if not manifest.ok:
        return BackupOutcome(manifest=manifest, deleted=[])
    deleted = apply_retention(plan.folder, daily=plan.keep_daily, weekly=plan.keep_weekly)
    for path in deleted:
        log(f"retention: deleted {path.name}")
    return BackupOutcome(manifest=manifest, deleted=deleted)


def restore_set(
    plan: BackupPlan,
    manifest: BackupManifest,
    *,
    kinds: Sequence[str] | None = None,
    force: bool = False,
    log: Log = print,
) -> dict[str, list[str]]:
    """Restore a backup set's copies to where the plan's sources live; returns, per kind,
    what differs from the manifest after the restore (empty lists: an exact restore)."""
    wanted = list(kinds) if kinds else [entry.kind for entry in manifest.entries]
    results: dict[str, list[str]] = {}
    for kind in wanted:
        entry = manifest.entry(kind)
        target = plan.restore_target(kind)
        log(f"restoring {entry.file} into {safe_url(target) if '://' in target else target}")
        if entry.format == "tar.gz":
            results[kind] = restore_archive(entry, plan.folder, Path(target))
            continue
        results[kind] = restore_database(entry, plan.folder, target, force=force)
        if kind == WAREHOUSE and make_url(target).get_backend_name() == "postgresql":
            _regrant(target)  # the dump carries no grants (roles belong to the server)
    return results


def _regrant(url: str) -> None:
    with short_lived_engine(sqlalchemy_url(url)) as engine, engine.begin() as connection:
        grant_bi_role(connection)
