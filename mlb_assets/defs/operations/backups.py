"""The nightly backup: warehouse, MLflow store and artifacts copied, each restored into
scratch space and compared, retention applied; a failed verification alerts."""

import dagster as dg

from mlb_assets.defs.jobs import KIND_TAG
from mlb_assets.lib.ops.alerts import Alert, AlertDeliveryError
from mlb_assets.lib.ops.backup_plan import run_backup
from mlb_assets.lib.ops.backup_set import BackupManifest
from mlb_assets.resources.operations import OperationsResource
from mlb_assets.resources.warehouse import WarehouseResource


def _manifest_metadata(manifest: BackupManifest, folder: str) -> dict[str, object]:
    rows = [
        f"| {e.kind} | {e.file} | {e.bytes / 1e6:,.1f} | {len(e.fingerprints)} | "
        f"{'yes' if e.verified else 'NO: ' + '; '.join(e.problems)[:300]} |"
        for e in manifest.entries
    ]
    table = "| kind | file | MB | tables/files | verified |\n|---|---|---|---|---|\n"
    return {
        "manifest": manifest.file_name,
        "folder": dg.MetadataValue.path(folder),
        "verified": manifest.ok,
        "bytes": sum(entry.bytes for entry in manifest.entries),
        "copies": dg.MetadataValue.md(table + "\n".join(rows)),
    }


def _alert_failed_verification(
    context: dg.AssetExecutionContext, operations: OperationsResource, manifest: BackupManifest
) -> None:
    problems = [f"{e.file}: {p}" for e in manifest.entries for p in e.problems]
    alert = Alert(
        kind="backup_failure",
        title=f"Backup {manifest.file_name} failed verification",
        reason="; ".join(problems),
        asset="warehouse_backup",
        job=context.run.job_name,
        run_id=context.run.run_id,
        run_url=operations.run_url(context.run.run_id),
    )
    try:
        operations.sink(context.log).send(alert)
    except AlertDeliveryError as error:  # the run fails anyway; the failure sensor retries
        context.log.error(f"could not deliver the backup alert: {error}")


@dg.asset(
    group_name="operations",
    kinds={"backup"},
    description=(
        "Nightly backup set: the warehouse and the MLflow store (SQLite online backup or "
        "pg_dump -Fc), MLflow's artifacts as tar.gz, and a manifest. Every copy is restored "
        "into scratch space and compared table by table (row counts and checksums); only "
        "a verified set lets retention (7 daily, 4 weekly) delete older ones."
    ),
)
def warehouse_backup(
    context: dg.AssetExecutionContext,
    warehouse: WarehouseResource,
    operations: OperationsResource,
) -> dg.MaterializeResult:
    warehouse.engine()  # migrated (created, on a fresh machine) before it is copied
    plan = operations.backup_plan(warehouse.url)
    outcome = run_backup(plan, log=context.log.info)
    metadata = _manifest_metadata(outcome.manifest, str(plan.folder))
    metadata["retention_deleted"] = len(outcome.deleted)
    metadata["not_covered"] = "; ".join(plan.skipped) or "nothing"
    if not outcome.manifest.ok:
        _alert_failed_verification(context, operations, outcome.manifest)
        raise dg.Failure(
            description=f"backup {outcome.manifest.file_name} failed verification",
            metadata=metadata,
        )
    return dg.MaterializeResult(metadata=metadata)


backup_job = dg.define_asset_job(
    name="backup_job",
    selection=dg.AssetSelection.assets(warehouse_backup),
    tags={KIND_TAG: "backup"},
    description="Back up and verify the warehouse and MLflow, then apply retention.",
)
