"""Backup retention by hand, and a SQLite backup that restores every table exactly."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from mlb_assets.lib.ops.backup import (
    apply_retention,
    backup_name,
    backup_sqlite,
    compare_fingerprints,
    parse_backup,
    retained,
    table_fingerprints,
)

# Sunday 2026-11-22 03:00 UTC is the newest backup in these tests.
NEWEST = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)


def _nightly(folder: Path, nights: int, kind: str = "warehouse") -> list[Path]:
    paths = []
    for n in range(nights):
        path = folder / backup_name(kind, NEWEST - timedelta(days=n), "sqlite")
        path.write_text("x")
        paths.append(path)
    return paths


def test_names_round_trip_and_foreign_files_are_ignored(tmp_path: Path) -> None:
    name = backup_name("mlflow_artifacts", NEWEST, "tar.gz")
    assert name == "mlflow_artifacts-20261122T030000Z.tar.gz"
    parsed = parse_backup(tmp_path / name)
    assert parsed is not None and parsed.taken_at == NEWEST and parsed.kind == "mlflow_artifacts"
    assert parse_backup(tmp_path / "notes.txt") is None


def test_seven_daily_and_four_weekly_by_hand(tmp_path: Path) -> None:
    paths = _nightly(tmp_path, 40)  # 2026-11-22 back to 2026-10-14, one a night
    keep = retained([parse_backup(p) for p in paths], daily=7, weekly=4)
    # Daily: the last seven nights, Nov 22..16. Weekly (ISO weeks end on Sunday): the newest
    # of week 47 (Nov 22, already daily), week 46 (Sun Nov 15), week 45 (Sun Nov 8) and
    # week 44 (Sun Nov 1).
    expected = {NEWEST - timedelta(days=n) for n in range(7)}
    expected |= {datetime(2026, 11, d, 3, tzinfo=UTC) for d in (15, 8, 1)}
    assert {parse_backup(p).taken_at for p in keep} == expected
    foreign = tmp_path / "README.txt"
    foreign.write_text("not a backup")
    deleted = apply_retention(tmp_path, daily=7, weekly=4)
    assert len(deleted) == 40 - 10
    assert sorted(p.name for p in tmp_path.iterdir() if p not in keep) == ["README.txt"]


def test_retention_counts_each_kind_apart_and_keeps_the_newest_of_a_day(tmp_path: Path) -> None:
    _nightly(tmp_path, 3, kind="warehouse")
    _nightly(tmp_path, 3, kind="mlflow")
    earlier_same_day = tmp_path / backup_name("warehouse", NEWEST - timedelta(hours=2), "sqlite")
    earlier_same_day.write_text("x")
    deleted = apply_retention(tmp_path, daily=2, weekly=0)
    assert earlier_same_day in deleted
    left = sorted(p.name for p in tmp_path.iterdir())
    assert left == [
        "mlflow-20261121T030000Z.sqlite",
        "mlflow-20261122T030000Z.sqlite",
        "warehouse-20261121T030000Z.sqlite",
        "warehouse-20261122T030000Z.sqlite",
    ]
    with pytest.raises(ValueError):
        retained([], daily=0)


def _warehouse(path: Path) -> sa.Engine:
    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(sa.text("CREATE TABLE games (game_id TEXT PRIMARY KEY, runs INTEGER)"))
        connection.execute(sa.text("CREATE TABLE notes (body TEXT)"))  # no primary key
        connection.execute(
            sa.text("INSERT INTO games VALUES (:g, :r)"),
            [{"g": f"G{i:04d}", "r": i % 11} for i in range(500)],
        )
        connection.execute(sa.text("INSERT INTO notes VALUES ('a'), ('b')"))
    return engine


def test_sqlite_backup_restores_every_table_and_a_change_is_caught(tmp_path: Path) -> None:
    source = tmp_path / "warehouse.sqlite"
    engine = _warehouse(source)
    copy = backup_sqlite(source, tmp_path / "backups" / backup_name("warehouse", NEWEST, "sqlite"))
    restored = sa.create_engine(f"sqlite:///{copy}")
    original = table_fingerprints(engine)
    assert original["games"].rows == 500 and original["notes"].rows == 2
    assert compare_fingerprints(original, table_fingerprints(restored)) == []
    assert not list(copy.parent.glob("*.partial"))
    with restored.begin() as connection:
        connection.execute(sa.text("UPDATE games SET runs = 99 WHERE game_id = 'G0007'"))
        connection.execute(sa.text("DELETE FROM notes WHERE body = 'a'"))
    problems = compare_fingerprints(original, table_fingerprints(restored))
    assert problems == [
        "games: same 500 rows but different contents",
        "notes: 2 rows, 1 restored",
    ]
    with pytest.raises(FileNotFoundError):
        backup_sqlite(tmp_path / "missing.sqlite", tmp_path / "x.sqlite")
