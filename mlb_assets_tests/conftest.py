"""Shared fixtures: the real archive mirror and the test databases."""

from __future__ import annotations

import os
from pathlib import Path

import pytest


def _in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


@pytest.fixture(scope="session")
def archive_dir() -> Path:
    """The local mirror of the public archives (``MLB_ASSETS_ARCHIVE_DIR``).

    Outside CI a missing mirror skips the tests that need real data; in CI it fails them,
    because CI always has the mirror beside the clone.
    """
    raw = os.environ.get("MLB_ASSETS_ARCHIVE_DIR")
    path = Path(raw).expanduser() if raw else None
    if path is None or not path.is_dir():
        message = f"MLB_ASSETS_ARCHIVE_DIR is not a directory: {raw!r}"
        if _in_ci():
            pytest.fail(message)
        pytest.skip(message)
    return path


TEST_DATABASE_ENV = "MLB_ASSETS_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def postgres_admin_url() -> str:
    """The Postgres server the tests may use (``MLB_ASSETS_TEST_DATABASE_URL``).

    Unset or unreachable: skipped outside CI, a failure under CI.
    """
    import sqlalchemy as sa

    url = os.environ.get(TEST_DATABASE_ENV)
    problem = None if url else f"{TEST_DATABASE_ENV} is not set"
    if url:
        try:
            engine = sa.create_engine(url)
            with engine.connect() as connection:
                connection.execute(sa.text("SELECT 1"))
            engine.dispose()
        except Exception as error:  # any failure to connect means the tests cannot run
            problem = f"Postgres at {TEST_DATABASE_ENV} is unreachable: {type(error).__name__}"
    if problem:
        if _in_ci():
            pytest.fail(problem)
        pytest.skip(problem)
    assert url is not None
    return url


@pytest.fixture
def postgres_url(postgres_admin_url: str):
    """A brand-new, empty Postgres database for one test, dropped afterwards."""
    import uuid

    import sqlalchemy as sa
    from sqlalchemy.engine import make_url

    name = f"mlb_assets_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(postgres_admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_admin_url).set(database=name).render_as_string(hide_password=False)
    yield url
    from mlb_assets.lib.warehouse.engine import cached_engine

    cached_engine.cache_clear()
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'warehouse.sqlite'}"


@pytest.fixture(params=["sqlite", "postgres"])
def warehouse_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs once on embedded SQLite and once on Postgres."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


# --- parsed real archives, once per session (parsing the .rda alone takes seconds) ----


@pytest.fixture(scope="session")
def pinnacle_cache_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where ``pinnacle_2016`` keeps its parquet cache (filled on first use)."""
    return tmp_path_factory.mktemp("pinnacle-cache")


@pytest.fixture(scope="session")
def pinnacle_2016(archive_dir: Path, pinnacle_cache_dir: Path):
    """``MLB2016.rda`` parsed once per session, cached as parquet in a session temp dir."""
    from mlb_assets.lib.archives.pinnacle import read_pinnacle

    rda = archive_dir / "cran-pinnacle.data" / "MLB2016.rda"
    return read_pinnacle(rda, cache_dir=pinnacle_cache_dir)


@pytest.fixture(scope="session")
def sbr_2016(archive_dir: Path):
    """The 2016 season workbook, parsed once."""
    from mlb_assets.lib.archives.sbr import read_workbook

    return read_workbook(archive_dir / "sbr" / "mlb-odds-2016.xlsx", 2016)


@pytest.fixture(scope="session")
def retrosheet_2016(archive_dir: Path):
    """Retrosheet's 2016 game log, parsed once."""
    from mlb_assets.lib.archives.retrosheet import read_gamelog

    return read_gamelog(archive_dir / "retrosheet" / "gl2016.zip")


@pytest.fixture(scope="session")
def sbr_workbooks(archive_dir: Path):
    """Every season workbook in the mirror, parsed once: ``{season: WorkbookArchive}``."""
    from mlb_assets.lib.archives.catalog import ArchiveCatalog
    from mlb_assets.lib.archives.sbr import read_workbook

    catalog = ArchiveCatalog(archive_dir)
    return {
        season: read_workbook(catalog.workbook_path(season), season)
        for season, sources in catalog.seasons().items()
        if "sbr" in sources
    }
