"""Migrations create exactly the schema that the code queries, on SQLite and Postgres."""

from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from mlb_assets.lib.warehouse import migrate
from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.lib.warehouse.schema import metadata


def _postgres_only(diff: tuple) -> bool:
    # Objects created from sql/postgres/*.sql are not in the SQLAlchemy metadata on purpose.
    return diff[0] == "remove_index" and diff[1].name.startswith("brin_")


def test_migrated_schema_matches_metadata(warehouse_url: str) -> None:
    engine = create_warehouse_engine(warehouse_url)
    assert migrate.ensure_schema(engine) is True
    with engine.connect() as connection:
        opts = {"compare_type": True, "include_object": migrate.include_object}
        context = MigrationContext.configure(connection, opts=opts)
        diffs = [d for d in compare_metadata(context, metadata) if not _postgres_only(d)]
    assert diffs == []
    assert migrate.current_revision(engine) == migrate.head_revision()
    assert migrate.ensure_schema(engine) is False, "a second upgrade must be a no-op"


def test_downgrade_removes_everything(warehouse_url: str) -> None:
    engine = create_warehouse_engine(warehouse_url)
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    remaining = set(sa.inspect(engine).get_table_names()) - {"alembic_version"}
    assert remaining == set()


def test_postgres_gets_its_own_ddl(postgres_url: str) -> None:
    engine = create_warehouse_engine(postgres_url)
    migrate.upgrade(engine)
    with engine.connect() as connection:
        views = connection.execute(
            sa.text(
                "SELECT table_name FROM information_schema.views WHERE table_schema='reporting'"
            )
        ).scalars()
        assert {"season_summary", "data_freshness"} <= set(views)
