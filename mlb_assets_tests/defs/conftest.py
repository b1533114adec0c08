"""Fixtures for running the asset graph in process against a real warehouse."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlb_assets.resources import resources_for


@pytest.fixture(scope="session")
def state_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One MLB_ASSETS_HOME for the session, so the parsed-archive cache is shared."""
    return tmp_path_factory.mktemp("mlb_assets_home")


def make_resources(
    database_url: str, archive_dir: Path | None, home: Path, **overrides: object
) -> dict[str, object]:
    """Resources for an in-process run; ``overrides`` replace any of them by name."""
    return resources_for(
        database_url, str(archive_dir) if archive_dir else None, str(home), **overrides
    )
