"""Reporting views on both databases (materialized ledger aggregates on Postgres) and the
read-only BI role.

The views' SQL is read from ``sql/reporting``; a later change to a view ships as a new
revision that calls ``create_reporting_views`` again (it drops and recreates them all).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23
"""

from __future__ import annotations

from alembic import op

from mlb_assets.lib.warehouse.reporting import create_reporting_views, drop_reporting_views
from mlb_assets.migrations.sqlfiles import apply_postgres_sql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Undoes sql/postgres/0005_bi_role.sql in this database. The role itself stays: it is
# cluster-wide and other databases on the server may still grant it access.
_REVOKE_BI = """
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mlb_assets_bi') THEN
        ALTER DEFAULT PRIVILEGES IN SCHEMA reporting REVOKE SELECT ON TABLES FROM mlb_assets_bi;
        REVOKE SELECT ON ALL TABLES IN SCHEMA reporting FROM mlb_assets_bi;
        REVOKE USAGE ON SCHEMA reporting FROM mlb_assets_bi;
        EXECUTE 'REVOKE CONNECT ON DATABASE ' || quote_ident(current_database())
            || ' FROM mlb_assets_bi';
    END IF;
END
$$;
"""


def _is_postgres() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def upgrade() -> None:
    bind = op.get_bind()
    if _is_postgres():
        # 0001's Postgres-only versions; the portable ones below replace them.
        op.execute("DROP VIEW IF EXISTS reporting.season_summary")
        op.execute("DROP VIEW IF EXISTS reporting.data_freshness")
    create_reporting_views(bind)
    # After the views exist, so that GRANT ... ON ALL TABLES covers them.
    apply_postgres_sql("0005_bi_role.sql")


def downgrade() -> None:
    drop_reporting_views(op.get_bind())
    if _is_postgres():
        op.execute(_REVOKE_BI)
        # 0001's statements are idempotent and bring back its two views exactly.
        apply_postgres_sql("0001_foundation.sql")
