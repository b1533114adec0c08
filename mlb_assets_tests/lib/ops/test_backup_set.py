"""Backup sets on a migrated warehouse (SQLite and a real Postgres): every copy restores
into scratch space with equal row counts and checksums, and damage is caught."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from mlb_assets.lib.ops import postgres
from mlb_assets.lib.ops.backup import table_fingerprints
from mlb_assets.lib.ops.backup_set import (
    BackupError,
    DatabaseSource,
    find_manifest,
    last_good_backup,
    restore_archive,
    restore_database,
    take_backup,
    verify_entry,
)
from mlb_assets.lib.warehouse import migrate
from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.lib.warehouse.partitions import ensure_partitions
from mlb_assets.lib.warehouse.schema import games, odds_snapshots, quarantine

TAKEN = datetime(2016, 5, 2, 7, 0, tzinfo=UTC)


def _fill(url: str) -> sa.Engine:
    """A migrated warehouse with a few hand-made rows (fixtures, not market truth)."""
    engine = create_warehouse_engine(url)
    migrate.ensure_schema(engine)
    day = date(2016, 5, 1)
    ensure_partitions(engine, [day])  # odds_snapshots is partitioned by month on Postgres
    with engine.begin() as connection:
        connection.execute(
            games.insert(),
            [
                {
                    "game_id": f"NYA20160501{n}",
                    "season": 2016,
                    "game_date": day,
                    "game_number": n,
                    "away_team": "BOS",
                    "home_team": "NYA",
                    "status": "final",
                    "sources": "retrosheet",
                    "away_score": 3 + n,
                    "home_score": 4,
                }
                for n in range(3)
            ],
        )
        connection.execute(
            odds_snapshots.insert(),
            [
                {
                    "snapshot_id": i,
                    "game_id": "NYA201605010",
                    "game_date": day,
                    "book": "pinnacle",
                    "market": "h2h",
                    "side": "home",
                    "price_american": -110 - i,
                    "captured_at": datetime(2016, 5, 1, 12, i, tzinfo=UTC),
                    "source": "fixture",
                }
                for i in range(5)
            ],
        )
        connection.execute(
            quarantine.insert(),
            [
                {
                    "quarantine_id": 1,
                    "asset": "odds_snapshots",
                    "source": "fixture",
                    "source_ref": "hand-made",
                    "game_date": day,
                    "reason": "price is not American odds",
                    "record": {"price": "abc", "book": "x"},
                }
            ],
        )
    return engine


def _artifacts(tmp_path: Path) -> Path:
    folder = tmp_path / "artifacts"
    (folder / "1" / "run" / "model").mkdir(parents=True)
    (folder / "1" / "run" / "model" / "model.bin").write_bytes(bytes(range(256)) * 40)
    (folder / "1" / "run" / "metrics.json").write_text('{"log_loss": 0.68}')
    return folder


def _target_url(source_url: str, tmp_path: Path) -> str:
    if source_url.startswith("sqlite"):
        return f"sqlite:///{tmp_path / 'restored' / 'warehouse.sqlite'}"
    name = f"{make_url(source_url).database}_restored"
    return make_url(source_url).set(database=name).render_as_string(hide_password=False)


def test_backup_then_restore_reproduces_every_table(warehouse_url: str, tmp_path: Path) -> None:
    engine = _fill(warehouse_url)
    original = table_fingerprints(engine)
    folder = tmp_path / "backups"
    lines: list[str] = []
    manifest = take_backup(
        [DatabaseSource("warehouse", warehouse_url)],
        {"mlflow_artifacts": _artifacts(tmp_path)},
        folder,
        now=TAKEN,
        log=lines.append,
    )
    assert manifest.ok, manifest.to_json()
    warehouse = manifest.entry("warehouse")
    assert warehouse.prints() == original  # the fingerprints are of what was copied
    assert warehouse.fingerprints["games"]["rows"] == 3
    assert warehouse.fingerprints["odds_snapshots"]["rows"] == 5
    assert any("verified" in line for line in lines)
    assert (folder / "manifest-20160502T070000Z.json").is_file()
    assert last_good_backup(folder) == TAKEN

    target = _target_url(warehouse_url, tmp_path)
    try:
        assert restore_database(warehouse, folder, target) == []
        restored = create_warehouse_engine(target)
        assert table_fingerprints(restored) == original
        restored.dispose()
    finally:
        if target.startswith("postgresql"):
            postgres.drop_database(target)

    out = tmp_path / "restored_artifacts"
    assert restore_archive(manifest.entry("mlflow_artifacts"), folder, out) == []
    assert (out / "1" / "run" / "metrics.json").read_text() == '{"log_loss": 0.68}'
    engine.dispose()


def test_damaged_or_mismatched_backups_fail_verification(sqlite_url: str, tmp_path: Path) -> None:
    _fill(sqlite_url).dispose()
    folder = tmp_path / "backups"
    manifest = take_backup([DatabaseSource("warehouse", sqlite_url)], {}, folder, now=TAKEN)
    entry = manifest.entry("warehouse")

    # A manifest that promises a row the copy lacks: restored counts must catch it.
    entry.fingerprints["games"] = {**entry.fingerprints["games"], "rows": 4}
    assert verify_entry(entry, folder) == ["games: 4 rows, 3 restored"]

    # A changed row with the same count: the checksum catches it.
    entry.fingerprints["games"] = {"rows": 3, "checksum": "0" * 64}
    assert verify_entry(entry, folder) == ["games: same 3 rows but different contents"]

    # Bytes changed on disk after the backup: the file's sha256 catches it.
    with (folder / entry.file).open("r+b") as handle:
        handle.seek(200)
        handle.write(b"garbage")
    problems = verify_entry(entry, folder)
    assert len(problems) == 1 and "sha256 differs" in problems[0]
    with pytest.raises(BackupError, match="differs from its manifest"):
        restore_database(entry, folder, f"sqlite:///{tmp_path / 'x.sqlite'}")


def test_restore_refuses_an_occupied_target_unless_forced(sqlite_url: str, tmp_path: Path) -> None:
    _fill(sqlite_url).dispose()
    folder = tmp_path / "backups"
    manifest = take_backup([DatabaseSource("warehouse", sqlite_url)], {}, folder, now=TAKEN)
    with pytest.raises(BackupError, match="pass force"):
        restore_database(manifest.entry("warehouse"), folder, sqlite_url)
    engine = create_warehouse_engine(sqlite_url)
    with engine.begin() as connection:  # a lost day of work, then the restore brings it back
        connection.execute(games.delete())
    engine.dispose()
    assert restore_database(manifest.entry("warehouse"), folder, sqlite_url, force=True) == []


def test_find_manifest_by_stamp_latest_and_path(sqlite_url: str, tmp_path: Path) -> None:
    _fill(sqlite_url).dispose()
    folder = tmp_path / "backups"
    first = take_backup([DatabaseSource("warehouse", sqlite_url)], {}, folder, now=TAKEN)
    later = TAKEN.replace(day=3)
    take_backup([DatabaseSource("warehouse", sqlite_url)], {}, folder, now=later)
    assert find_manifest(folder, "latest").taken_at == later
    assert find_manifest(folder, "20160502T070000Z").taken_at == TAKEN
    assert find_manifest(folder, str(folder / first.file_name)).taken_at == TAKEN
    # A set that failed verification is never "latest".
    bad = json.loads((folder / "manifest-20160503T070000Z.json").read_text())
    bad["entries"][0]["problems"] = ["games: 4 rows, 3 restored"]
    (folder / "manifest-20160503T070000Z.json").write_text(json.dumps(bad))
    assert find_manifest(folder, "latest").taken_at == TAKEN
    assert last_good_backup(folder) == TAKEN
    with pytest.raises(BackupError, match="no backup"):
        find_manifest(folder, "20990101T000000Z")


def test_backup_of_a_missing_database_is_a_clear_error(tmp_path: Path) -> None:
    missing = DatabaseSource("warehouse", f"sqlite:///{tmp_path / 'nope.sqlite'}")
    with pytest.raises(BackupError, match="no SQLite database"):
        take_backup([missing], {}, tmp_path / "backups", now=TAKEN)
