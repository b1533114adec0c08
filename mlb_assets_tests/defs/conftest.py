"""Fixtures for running the asset graph in process against a real warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlb_assets.resources.archive import ArchiveResource
from mlb_assets.resources.warehouse import WarehouseResource


@pytest.fixture(scope="session")
def state_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One MLB_ASSETS_HOME for the session, so the parsed-archive cache is shared."""
    return tmp_path_factory.mktemp("mlb_assets_home")


def make_resources(database_url: str, archive_dir: Path, home: Path) -> dict[str, object]:
    return {
        "warehouse": WarehouseResource(database_url=database_url, home=str(home)),
        "archive": ArchiveResource(archive_dir=str(archive_dir), home=str(home)),
    }
