"""Logins for BI tools on a Postgres warehouse: members of the read-only ``mlb_assets_bi``.

The group role (created by migration 0005) may read the ``reporting`` schema only. A login
per tool or analyst keeps connections attributable and revocable one at a time.

A password is hashed here (SCRAM-SHA-256, as ``psql``'s ``\\password`` does) and only the
verifier is sent, through the driver's own cursor: the clear text never reaches the
server's statement log, SQLAlchemy's echo log or an exception's statement text.
"""

from __future__ import annotations

import sqlalchemy as sa
from psycopg import sql

from mlb_assets.lib.settings import sql_dir

BI_ROLE = "mlb_assets_bi"
_MAX_IDENTIFIER_BYTES = 63


class BiRoleError(ValueError):
    """A BI login cannot be created or updated as asked."""


def _check_name(name: str) -> None:
    if not name or len(name.encode()) > _MAX_IDENTIFIER_BYTES or "\x00" in name:
        raise BiRoleError(f"invalid role name {name!r}: 1 to 63 bytes, no NUL")


def _role_flags(connection: sa.Connection, name: str) -> tuple[bool, bool] | None:
    """(is superuser, is the current user) for an existing role; None when it is absent."""
    row = connection.execute(
        sa.text("SELECT rolsuper, rolname = current_user FROM pg_roles WHERE rolname = :name"),
        {"name": name},
    ).first()
    return None if row is None else (bool(row[0]), bool(row[1]))


def _bi_role_exists(connection: sa.Connection) -> bool:
    statement = sa.text("SELECT 1 FROM pg_roles WHERE rolname = :name")
    return connection.execute(statement, {"name": BI_ROLE}).first() is not None


def _execute(connection: sa.Connection, statement: sql.Composable) -> None:
    # Straight to the psycopg cursor: nothing passes through SQLAlchemy's statement logging.
    driver_connection = connection.connection.driver_connection
    with driver_connection.cursor() as cursor:
        cursor.execute(statement)


def _set_password(connection: sa.Connection, name: str, password: str) -> None:
    driver_connection = connection.connection.driver_connection
    verifier = driver_connection.pgconn.encrypt_password(
        password.encode(), name.encode(), b"scram-sha-256"
    )
    statement = sql.SQL("ALTER ROLE {} PASSWORD {}").format(
        sql.Identifier(name), sql.Literal(verifier.decode())
    )
    try:
        _execute(connection, statement)
    except Exception as error:
        # Not chained: a server message may quote the statement, and with it the verifier.
        sqlstate = getattr(error, "sqlstate", None)
        message = f"could not set the password of role {name!r} (SQLSTATE {sqlstate})"
        raise BiRoleError(message) from None


def ensure_bi_login(connection: sa.Connection, name: str, password: str | None = None) -> None:
    """Create login role ``name`` (or update it) as a member of ``mlb_assets_bi``.

    An existing role keeps its password when ``password`` is None. Superusers and the
    connected role are refused: making them BI logins would only blur who can do what.
    Needs a Postgres warehouse migrated to 0005 and a connection allowed to manage roles.
    """
    if connection.dialect.name != "postgresql":
        raise BiRoleError("BI logins exist on a Postgres warehouse only")
    _check_name(name)
    if not _bi_role_exists(connection):
        raise BiRoleError(f"role {BI_ROLE} is missing: migrate the warehouse first")
    flags = _role_flags(connection, name)
    role = sql.Identifier(name)
    if flags is None:
        _execute(
            connection,
            sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE INHERIT").format(
                role
            ),
        )
    elif any(flags):
        raise BiRoleError(f"role {name!r} is a superuser or the current user; not a BI login")
    else:
        _execute(connection, sql.SQL("ALTER ROLE {} LOGIN INHERIT").format(role))
    _execute(connection, sql.SQL("GRANT {} TO {}").format(sql.Identifier(BI_ROLE), role))
    if password is not None:
        _set_password(connection, name, password)


def grant_bi_role(connection: sa.Connection) -> None:
    """(Re)apply the BI role and its grants, as migration 0005 does: after a restore, which
    leaves grants out because roles belong to the server, not to the dump."""
    connection.exec_driver_sql((sql_dir() / "postgres" / "0005_bi_role.sql").read_text())
