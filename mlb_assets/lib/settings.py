"""Where the project keeps its state, read from the environment.

Every setting has an embedded default so that a fresh machine needs no configuration:
``MLB_ASSETS_HOME`` holds the SQLite warehouse, the local Dagster instance, the MLflow
store, downloaded archives and backups.
"""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "MLB_ASSETS_HOME"
DATABASE_URL_ENV = "MLB_ASSETS_DATABASE_URL"
ARCHIVE_DIR_ENV = "MLB_ASSETS_ARCHIVE_DIR"
SQL_DIR_ENV = "MLB_ASSETS_SQL_DIR"
DEFAULT_HOME = Path("~/.mlb_assets")
GAME_TIMEZONE = "America/New_York"

# Postgres-only DDL and the reporting views live beside the package, in the repository's sql/.
# An installed (non-editable) package has no repository around it: the container images copy
# sql/ next to the code and point MLB_ASSETS_SQL_DIR at it.
SQL_DIR = Path(os.environ.get(SQL_DIR_ENV) or Path(__file__).resolve().parents[2] / "sql")


def home_dir(value: str | os.PathLike[str] | None = None) -> Path:
    """The state directory, created on first use."""
    raw = value or os.environ.get(HOME_ENV) or DEFAULT_HOME
    path = Path(raw).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def embedded_database_url(home: Path) -> str:
    return f"sqlite:///{home / 'warehouse.sqlite'}"


def database_url(value: str | None = None, home: Path | None = None) -> str:
    """The warehouse URL: the explicit value, ``MLB_ASSETS_DATABASE_URL``, or embedded SQLite."""
    url = value or os.environ.get(DATABASE_URL_ENV)
    return url or embedded_database_url(home or home_dir())


def archive_dir(value: str | None = None) -> Path | None:
    """The local mirror of the public archives, when one is configured."""
    raw = value or os.environ.get(ARCHIVE_DIR_ENV)
    return Path(raw).expanduser().resolve() if raw else None
