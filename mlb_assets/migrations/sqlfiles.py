"""Apply the Postgres-only DDL kept in the repository's sql/ folder from a migration."""

from __future__ import annotations

from alembic import op

from mlb_assets.lib.settings import SQL_DIR


def apply_postgres_sql(name: str) -> None:
    """Execute ``sql/postgres/<name>`` when migrating a Postgres warehouse; no-op on SQLite."""
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    path = SQL_DIR / "postgres" / name
    if not path.is_file():
        raise FileNotFoundError(f"Postgres DDL file missing: {path}")
    bind.exec_driver_sql(path.read_text())
