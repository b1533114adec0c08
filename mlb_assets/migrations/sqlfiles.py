"""Apply the Postgres-only DDL kept in the repository's sql/ folder from a migration."""

from __future__ import annotations

from alembic import op

from mlb_assets.lib.settings import sql_dir


def apply_postgres_sql(name: str) -> None:
    """Execute ``sql/postgres/<name>`` when migrating a Postgres warehouse; no-op on SQLite."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    path = sql_dir() / "postgres" / name
    if not path.is_file():
        raise FileNotFoundError(f"Postgres DDL file missing: {path}")
    bind.exec_driver_sql(path.read_text())


# Default privileges (revision 0005) grant recreated views to the BI role only when the role
# that set them recreates them; granting once more covers a migration run by another role.
_GRANT_BI = """
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'mlb_assets_bi') THEN
        GRANT SELECT ON ALL TABLES IN SCHEMA reporting TO mlb_assets_bi;
    END IF;
END
$$;
"""


def grant_reporting_to_bi() -> None:
    """Grant every reporting relation to the BI role when it exists; no-op on SQLite."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_GRANT_BI)
