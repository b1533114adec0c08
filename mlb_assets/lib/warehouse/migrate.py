"""Run the Alembic migrations programmatically, on SQLite or Postgres."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from mlb_assets.lib.warehouse.partitions import is_partition

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def include_object(
    obj: object, name: str | None, type_: str, reflected: bool, compare_to: object
) -> bool:
    """Leave monthly partitions out of schema comparisons: the metadata names the parent.

    Partitions are created by the load path and the migration, never from the metadata, so
    they (and the indexes Postgres creates on them) are not drift.
    """
    table = getattr(obj, "table", None) if type_ == "index" else obj
    table_name = getattr(table, "name", name) if type_ in {"index", "table"} else None
    return not (table_name and is_partition(table_name))


def alembic_config(engine: sa.Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["engine"] = engine
    return config


def head_revision() -> str:
    script = ScriptDirectory.from_config(alembic_config(sa.create_engine("sqlite://")))
    head = script.get_current_head()
    assert head is not None, "the migrations folder has no revision"
    return head


def current_revision(engine: sa.Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Bring the warehouse schema to ``revision`` (idempotent)."""
    command.upgrade(alembic_config(engine), revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    command.downgrade(alembic_config(engine), revision)


def ensure_schema(engine: sa.Engine) -> bool:
    """Upgrade to head when behind; returns True when a migration ran."""
    if current_revision(engine) == head_revision():
        return False
    upgrade(engine)
    return True
