"""The BI role reads the reporting schema and nothing else (Postgres only)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from mlb_assets.lib.warehouse import migrate
from mlb_assets.lib.warehouse.bi import BI_ROLE, BiRoleError, ensure_bi_login
from mlb_assets.lib.warehouse.engine import create_warehouse_engine

pytestmark = pytest.mark.postgres


@pytest.fixture
def warehouse(postgres_url: str) -> sa.Engine:
    engine = create_warehouse_engine(postgres_url)
    migrate.upgrade(engine)
    return engine


@pytest.fixture
def login_name(warehouse: sa.Engine) -> Iterator[str]:
    """A role name unique to this test; the role is dropped afterwards (roles outlive DBs)."""
    name = f"mlb_bi_test_{uuid.uuid4().hex[:10]}"
    yield name
    with warehouse.connect() as connection:
        connection.execute(sa.text(f'DROP ROLE IF EXISTS "{name}"'))
        connection.commit()


@pytest.fixture
def bi_engine(postgres_url: str, warehouse: sa.Engine, login_name: str) -> Iterator[sa.Engine]:
    """An engine connected as a fresh BI login (the test server trusts local logins)."""
    with warehouse.begin() as connection:
        ensure_bi_login(connection, login_name)
    url = make_url(postgres_url).set(username=login_name, password=None)
    engine = sa.create_engine(url)
    yield engine
    engine.dispose()


def _denied(engine: sa.Engine, statement: str) -> None:
    with engine.connect() as connection, pytest.raises(sa.exc.ProgrammingError) as caught:
        connection.exec_driver_sql(statement)
    assert "permission denied" in str(caught.value.orig)
    assert caught.value.orig.sqlstate == "42501"


def test_reads_reporting_views(bi_engine: sa.Engine) -> None:
    with bi_engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT current_user").scalar() != "postgres"
        connection.exec_driver_sql("SELECT * FROM reporting.roi_daily").all()
        connection.exec_driver_sql("SELECT * FROM reporting.season_summary").all()
        rows = connection.exec_driver_sql("SELECT * FROM reporting.data_freshness").all()
    assert len(rows) == 5, "a plain view reads raw tables with its owner's rights"


@pytest.mark.parametrize("table", ["bet_ledger", "games", "odds_snapshots", "roi_summary"])
def test_cannot_read_raw_tables(bi_engine: sa.Engine, table: str) -> None:
    _denied(bi_engine, f"SELECT * FROM {table}")


@pytest.mark.parametrize(
    "statement",
    [
        "INSERT INTO bet_ledger (bet_id) VALUES (1)",
        "DELETE FROM games",
        "INSERT INTO reporting.roi_daily (game_date) VALUES ('2016-04-03')",
        "UPDATE reporting.roi_by_tier SET bets = 0",
        "REFRESH MATERIALIZED VIEW reporting.roi_daily",
        "CREATE TABLE public.bi_scratch (x int)",
        "CREATE TABLE reporting.bi_scratch (x int)",
        "CREATE VIEW reporting.bi_scratch AS SELECT 1 AS x",
    ],
)
def test_cannot_write_or_create(bi_engine: sa.Engine, statement: str) -> None:
    with bi_engine.connect() as connection, pytest.raises(sa.exc.ProgrammingError) as caught:
        connection.exec_driver_sql(statement)
    # insufficient_privilege: "permission denied ..." or, for REFRESH, "must be owner ...".
    assert caught.value.orig.sqlstate == "42501", caught.value.orig


def test_views_recreated_later_stay_readable(warehouse: sa.Engine, bi_engine: sa.Engine) -> None:
    from mlb_assets.lib.warehouse.reporting import create_reporting_views

    with warehouse.begin() as connection:
        create_reporting_views(connection)
    with bi_engine.connect() as connection:
        connection.exec_driver_sql("SELECT * FROM reporting.roi_by_tier").all()


def test_login_is_a_member_and_not_privileged(warehouse: sa.Engine, login_name: str) -> None:
    with warehouse.begin() as connection:
        ensure_bi_login(connection, login_name)
        ensure_bi_login(connection, login_name)  # updating an existing login is fine
        row = connection.execute(
            sa.text(
                "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, "
                "pg_has_role(rolname, :group, 'MEMBER') FROM pg_roles WHERE rolname = :name"
            ),
            {"name": login_name, "group": BI_ROLE},
        ).one()
    assert tuple(row) == (True, False, False, False, True)


def test_password_never_in_logs_and_stored_hashed(
    warehouse: sa.Engine, login_name: str, caplog: pytest.LogCaptureFixture
) -> None:
    password = f"s3cret-{uuid.uuid4().hex}"
    warehouse.echo = True
    with caplog.at_level(logging.DEBUG), warehouse.begin() as connection:
        ensure_bi_login(connection, login_name, password)
        stored = connection.execute(
            sa.text("SELECT rolpassword FROM pg_authid WHERE rolname = :name"),
            {"name": login_name},
        ).scalar_one()
    assert password not in caplog.text
    assert stored.startswith("SCRAM-SHA-256$") and password not in stored


def test_refuses_superusers_without_leaking_the_password(warehouse: sa.Engine) -> None:
    password = f"s3cret-{uuid.uuid4().hex}"
    with warehouse.begin() as connection, pytest.raises(BiRoleError) as caught:
        ensure_bi_login(connection, "postgres", password)
    assert password not in str(caught.value)
    assert caught.value.__cause__ is None


@pytest.mark.parametrize("name", ['odd"name; DROP ROLE postgres; --', "Mixed Case"])
def test_names_are_quoted(warehouse: sa.Engine, name: str) -> None:
    try:
        with warehouse.begin() as connection:
            ensure_bi_login(connection, name)
            exists = connection.execute(
                sa.text("SELECT count(*) FROM pg_roles WHERE rolname = :name"), {"name": name}
            ).scalar_one()
        assert exists == 1
    finally:
        with warehouse.begin() as connection:
            quoted = connection.dialect.identifier_preparer.quote_identifier(name)
            connection.exec_driver_sql(f"DROP ROLE IF EXISTS {quoted}")


def test_rejects_invalid_names(warehouse: sa.Engine) -> None:
    with warehouse.begin() as connection:
        for name in ("", "x" * 64):
            with pytest.raises(BiRoleError):
                ensure_bi_login(connection, name)
