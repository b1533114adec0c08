"""Where the project keeps its state: explicit values only.

The values come from ``mlb_assets.config`` (the one reader of the environment); this module
turns them into paths and URLs. ``MLB_ASSETS_HOME`` holds the SQLite warehouse, the local
Dagster instance, the MLflow store, downloaded archives and backups.
"""

from __future__ import annotations

import os
from pathlib import Path

DEFAULT_HOME = Path("~/.mlb_assets")
GAME_TIMEZONE = "America/New_York"

# Postgres-only DDL and the reporting views live beside the package, in the repository's sql/.
# An installed (non-editable) package has no repository around it: the container images copy
# sql/ next to the code and set MLB_ASSETS_SQL_DIR, which ``config.prepare_process`` applies.
_REPOSITORY_SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
_sql_dir = _REPOSITORY_SQL_DIR


def sql_dir() -> Path:
    return _sql_dir


def set_sql_dir(path: Path) -> None:
    global _sql_dir
    _sql_dir = Path(path).expanduser().resolve()


def home_dir(value: str | os.PathLike[str] | None = None) -> Path:
    """The state directory (``value``, else the default), created on first use."""
    path = Path(value or DEFAULT_HOME).expanduser().resolve()
    path.mkdir(parents=True, exist_ok=True)
    return path


def embedded_database_url(home: Path) -> str:
    return f"sqlite:///{home / 'warehouse.sqlite'}"


def database_url(value: str | None = None, home: Path | None = None) -> str:
    """The warehouse URL: the explicit value, or the embedded SQLite file in ``home``."""
    return value or embedded_database_url(home or home_dir())


def archive_dir(value: str | os.PathLike[str] | None = None) -> Path | None:
    """The local mirror of the public archives, when one is given."""
    return Path(value).expanduser().resolve() if value else None
