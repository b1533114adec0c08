"""Fixtures for running the asset graph in process against a real warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlb_assets.resources.archive import ArchiveResource
from mlb_assets.resources.live import (
    BettingSplitsResource,
    IngestionResource,
    MlbStatsResource,
    OddsApiResource,
)
from mlb_assets.resources.models import H2OResource, MlflowResource
from mlb_assets.resources.warehouse import WarehouseResource


@pytest.fixture(scope="session")
def state_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One MLB_ASSETS_HOME for the session, so the parsed-archive cache is shared."""
    return tmp_path_factory.mktemp("mlb_assets_home")


def make_resources(
    database_url: str, archive_dir: Path | None, home: Path, **overrides: object
) -> dict[str, object]:
    """Resources for an in-process run; ``overrides`` replace any of them by name."""
    resources: dict[str, object] = {
        "warehouse": WarehouseResource(database_url=database_url, home=str(home)),
        "archive": ArchiveResource(
            archive_dir=str(archive_dir) if archive_dir else None, home=str(home)
        ),
        "ingestion": IngestionResource(),
        "odds_api": OddsApiResource(api_key="unused-in-archive-mode"),
        "mlb_stats": MlbStatsResource(),
        "splits": BettingSplitsResource(),
        "mlflow": MlflowResource(home=str(home)),
        "h2o": H2OResource(max_mem="2G"),
    }
    return {**resources, **overrides}
