"""Resources shared by every domain, configured from the environment through ``dg.EnvVar``."""

from __future__ import annotations

import os

import dagster as dg

from mlb_assets.lib.settings import ARCHIVE_DIR_ENV, DATABASE_URL_ENV, HOME_ENV
from mlb_assets.resources.archive import ArchiveResource
from mlb_assets.resources.warehouse import WarehouseResource


def env_or_default(name: str, default: str | None = None) -> dg.EnvVar | str | None:
    """``dg.EnvVar(name)`` when the variable is set, else the embedded default.

    Dagster fails on an ``EnvVar`` that is unset; the embedded defaults are what make a fresh
    machine work without configuration. Values stay out of the UI either way.
    """
    return dg.EnvVar(name) if os.environ.get(name) else default


def build_resources() -> dict[str, dg.ConfigurableResource]:
    home = env_or_default(HOME_ENV)
    return {
        "warehouse": WarehouseResource(database_url=env_or_default(DATABASE_URL_ENV), home=home),
        "archive": ArchiveResource(archive_dir=env_or_default(ARCHIVE_DIR_ENV), home=home),
    }
