"""``mlb-assets backup`` and ``mlb-assets restore``: backups for people, beside the nightly
``backup_job`` (both use the same plan, read from the same environment variables)."""

from __future__ import annotations

import argparse
import sys
from dataclasses import replace
from pathlib import Path

from mlb_assets.config import Config
from mlb_assets.lib.ops.backup_plan import BackupPlan, restore_set, run_backup
from mlb_assets.lib.ops.backup_set import BackupError, find_manifest, manifests

BACKUP_DIR_ENV = "MLB_ASSETS_BACKUP_DIR"


def _plan(args: argparse.Namespace, config: Config) -> BackupPlan:
    """The plan the nightly backup_job uses: the same resource, from the same configuration."""
    from mlb_assets.resources import build_resources

    plan = build_resources(config, in_dagster=False)["operations"].backup_plan(config.warehouse_url)
    if args.backup_dir:
        plan = replace(plan, folder=Path(args.backup_dir).expanduser())
    return plan


def cmd_backup(args: argparse.Namespace, config: Config) -> int:
    plan = _plan(args, config)
    if args.list:
        return _list(plan)
    print(f"backup into {plan.folder}")
    for line in plan.describe():
        print(f"  {line}")
    outcome = run_backup(plan)
    manifest = outcome.manifest
    if not manifest.ok:
        print(
            f"backup {manifest.file_name} FAILED verification; older backups kept", file=sys.stderr
        )
        return 1
    print(f"backup {manifest.file_name}: every copy restored and verified")
    return 0


def _list(plan: BackupPlan) -> int:
    found = manifests(plan.folder) if plan.folder.is_dir() else []
    if not found:
        print(f"no backups in {plan.folder}")
        return 0
    for path, manifest in found:
        size = sum(entry.bytes for entry in manifest.entries) / 1e6
        state = "verified" if manifest.ok else "FAILED"
        kinds = ", ".join(entry.kind for entry in manifest.entries)
        print(f"  {path.name}  {state:<8}  {size:,.1f} MB  {kinds}")
    return 0


def cmd_restore(args: argparse.Namespace, config: Config) -> int:
    plan = _plan(args, config)
    try:
        manifest = find_manifest(plan.folder, args.backup)
        if not manifest.ok and not args.force:
            raise BackupError(f"{manifest.file_name} failed verification: pass --force to use it")
        results = restore_set(plan, manifest, kinds=args.only, force=args.force)
    except BackupError as error:
        print(f"restore failed: {error}", file=sys.stderr)
        return 1
    problems = [f"{kind}: {p}" for kind, found in results.items() for p in found]
    for problem in problems:
        print(f"  differs: {problem}", file=sys.stderr)
    if problems:
        return 1
    print(f"restored {', '.join(results)} from {manifest.file_name}: every table and file equal")
    return 0


def add_commands(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    backup = sub.add_parser(
        "backup", help="back up the warehouse and MLflow now, verify by restoring, apply retention"
    )
    backup.add_argument("--backup-dir", help=f"backup folder (default {BACKUP_DIR_ENV})")
    backup.add_argument("--list", action="store_true", help="list the backups instead")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="restore a backup set (stop the daemon first)")
    restore.add_argument("backup", help="'latest', a stamp like 20261122T033000Z, or a manifest")
    restore.add_argument("--backup-dir", help=f"backup folder (default {BACKUP_DIR_ENV})")
    restore.add_argument(
        "--only", action="append", help="restore only this kind (warehouse, mlflow, ...)"
    )
    restore.add_argument(
        "--force", action="store_true", help="replace databases that already hold tables"
    )
    restore.set_defaults(func=cmd_restore)
