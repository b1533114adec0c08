"""Fixtures for running the asset graph in process against a real warehouse."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import dagster as dg
import pandas as pd
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


def crafted_games(game_id: str, day: date) -> pd.DataFrame:
    """One made-up scheduled game (SLN at PIT, 17:05 UTC) for replayed live-feed tests."""
    return pd.DataFrame(
        [
            {
                "game_id": game_id,
                "season": day.year,
                "game_date": day,
                "game_number": 0,
                "away_team": "SLN",
                "home_team": "PIT",
                "start_time_utc": pd.Timestamp(f"{day} 17:05", tz="UTC"),
                "away_pitcher": "A Wainwright",
                "home_pitcher": "F Liriano",
                "away_score": pd.NA,
                "home_score": pd.NA,
                "day_night": "D",
                "status": "scheduled",
                "sources": "crafted",
            }
        ]
    ).astype({"away_score": "Int64", "home_score": "Int64"})


# A small real slice with tiny AutoML budgets on CPU: April-May 2016, models trained on the
# games before May only, so that May's predictions and picks are out of sample.
MODELS_START, MODELS_END = date(2016, 4, 3), date(2016, 5, 31)
TRAIN_BEFORE = "2016-05-01"
TINY = {"time_budget_seconds": 8, "seed": 7, "device": "cpu"}


@pytest.fixture(scope="session")
def trained(archive_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The slice backfilled, both engines trained, champion chosen, walk-forward run."""
    from mlb_assets.runner import run_models, run_season_backfill

    home = tmp_path_factory.mktemp("models")
    url = f"sqlite:///{home / 'warehouse.sqlite'}"
    resources = make_resources(url, archive_dir, home)
    assert run_season_backfill(MODELS_START, MODELS_END, resources=resources, quiet=True).success
    result = run_models(
        resources=resources,
        training={**TINY, "train_before": TRAIN_BEFORE},
        evaluation={**TINY, "season": 2016, "engines": ["h2o", "autogluon"]},
        quiet=True,
    )
    assert result.success
    # A totals model too (AutoGluon only, for time), so that both markets are priced.
    from mlb_assets.defs.models.assets import autogluon_model

    totals = dg.materialize(
        [autogluon_model],
        resources=resources,
        partition_key="total_over",
        run_config={"ops": {"autogluon_model": {"config": {**TINY, "train_before": TRAIN_BEFORE}}}},
    )
    assert totals.success
    return {"url": url, "home": home, "result": result, "resources": resources}
