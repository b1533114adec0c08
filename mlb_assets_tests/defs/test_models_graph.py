"""Features, both AutoML engines, the champion and the walk-forward evaluation through the
graph, on a small real slice (April-May 2016) with tiny time budgets on CPU."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from mlb_assets.lib.models.registry import champion_version
from mlb_assets.lib.models.tracking import configure
from mlb_assets.lib.warehouse.engine import create_warehouse_engine
from mlb_assets.lib.warehouse.load import read_frame
from mlb_assets.lib.warehouse.schema import game_features, model_evaluation, model_evidence
from mlb_assets.resources.models import MlflowResource
from mlb_assets_tests.environments import clean_environment, environment_without_the_project

pytestmark = [pytest.mark.archive, pytest.mark.slow]

# ``trained`` (conftest): April-May 2016 backfilled, both engines trained on April only.


def _metadata(result, key: str) -> dict:  # type: ignore[no-untyped-def]
    (event,) = [
        e for e in result.get_asset_materialization_events() if e.asset_key.to_user_string() == key
    ]
    return {k: v.value for k, v in event.materialization.metadata.items()}


def test_stored_features_match_the_training_set(trained: dict[str, object]) -> None:
    home = Path(str(trained["home"]))
    frame = pd.read_parquet(home / "datasets" / "training_set.parquet")
    with create_warehouse_engine(str(trained["url"])).connect() as connection:
        stored = read_frame(connection, sa.select(game_features))
    wide = stored.pivot(index="game_id", columns="name", values="value")
    common = [c for c in wide.columns if c in frame.columns]
    assert len(common) > 40
    joined = frame.set_index("game_id")[common].astype(float).loc[wide.index]
    pd.testing.assert_frame_equal(wide[common], joined, check_names=False)


def test_both_engines_registered_and_champion_is_the_best(trained: dict[str, object]) -> None:
    result = trained["result"]
    h2o, autogluon = _metadata(result, "h2o_model"), _metadata(result, "autogluon_model")
    assert h2o["device"] == "cpu" and autogluon["device"] == "cpu"
    first, second = sorted([h2o, autogluon], key=lambda m: int(m["version"]))
    assert first["promoted_to_champion"] is True  # the first version always becomes champion
    better = second["val_log_loss"] < first["val_log_loss"]
    assert second["promoted_to_champion"] is better  # the alias moves only on improvement
    settings = MlflowResource(home=str(trained["home"])).settings()
    version = champion_version(configure(settings), "mlb_home_win")
    expected = second["version"] if better else first["version"]
    assert str(version.version) == str(expected)


def test_evaluation_reports_engines_and_market(trained: dict[str, object]) -> None:
    with create_warehouse_engine(str(trained["url"])).connect() as connection:
        rows = read_frame(connection, sa.select(model_evaluation))
    meta = _metadata(trained["result"], "model_evaluation")
    rows = rows[rows["evaluation_id"] == meta["evaluation_id"]]
    overall = rows[rows["period"] == "all"].set_index("predictor")
    predictors = {"h2o", "autogluon", "champion", "market_decision", "market_close"}
    assert set(overall.index) == predictors
    assert (overall["n"] == overall.loc["market_decision", "n"]).all()
    assert set(rows["period"]) == {"all", "2016-05"}  # April has no earlier games to learn from
    assert "the market at decision time" in meta["verdict"] and "95% CI" in meta["verdict"]


def test_the_champion_that_bets_is_scored_against_the_market(trained: dict[str, object]) -> None:
    """The evidence row is the champion's own: its version, its out-of-sample games (May,
    after its April training data), with an interval that contains its mean."""
    with create_warehouse_engine(str(trained["url"])).connect() as connection:
        evidence = read_frame(connection, sa.select(model_evidence))
        rows = read_frame(connection, sa.select(model_evaluation))
    settings = MlflowResource(home=str(trained["home"])).settings()
    version = champion_version(configure(settings), "mlb_home_win")
    # The warehouse is shared by the session: other tests add evidence rows of their own.
    meta = _metadata(trained["result"], "model_evaluation")
    (row,) = evidence[evidence["evaluation_id"] == meta["evaluation_id"]].to_dict("records")
    rows = rows[rows["evaluation_id"] == meta["evaluation_id"]]
    assert (row["model_name"], row["model_version"]) == ("mlb_home_win", str(version.version))
    champion = rows[(rows["predictor"] == "champion") & (rows["period"] == "2016-05")].iloc[0]
    assert row["n_games"] == champion["n"] > 300
    assert row["model_log_loss"] == pytest.approx(champion["log_loss"])
    assert row["diff_ci_low"] <= row["diff_mean"] <= row["diff_ci_high"]
    assert row["diff_mean"] == pytest.approx(row["model_log_loss"] - row["market_log_loss"])
    assert meta["champion"] == f"mlb_home_win v{version.version}"
    assert meta["champion_diff_ci_high"] == pytest.approx(row["diff_ci_high"])


def test_models_start_from_the_market(trained: dict[str, object]) -> None:
    """Each engine is anchored on the market: it does not see the moneyline's own prices,
    and its blend with the market was fit on games it did not learn from."""
    for asset in ("h2o_model", "autogluon_model"):
        meta = _metadata(trained["result"], asset)
        offered = meta["features_offered"]
        assert offered and not [c for c in offered if c.startswith(("ml_open_", "ml_decision_"))]
        assert "season" not in offered
        assert abs(meta["val_log_loss"] - meta["val_market_log_loss"]) < 0.05


def test_champion_scores_identically_outside_the_checkout(
    trained: dict[str, object], tmp_path: Path
) -> None:
    home = Path(str(trained["home"]))
    frame = pd.read_parquet(home / "datasets" / "training_set.parquet").tail(25)
    features = tmp_path / "features.parquet"
    out = tmp_path / "fresh_predictions.parquet"
    frame.to_parquet(features)
    settings = MlflowResource(home=str(home)).settings()
    python = environment_without_the_project(tmp_path / "venv")
    # Only MLflow's API: the model brings its own code (code_paths).
    script = (
        "import importlib.util, mlflow, pandas as pd\n"
        "assert importlib.util.find_spec('mlb_assets') is None, 'mlb_assets is importable'\n"
        "model = mlflow.pyfunc.load_model('models:/mlb_home_win@champion')\n"
        f"frame = pd.read_parquet({str(features)!r})\n"
        "cols = model.metadata.get_input_schema().input_names()\n"
        "probs = model.predict(frame[cols].astype(float))['prob']\n"
        f"probs.to_frame().to_parquet({str(out)!r})\n"
    )
    environment = clean_environment(
        MLFLOW_TRACKING_URI=settings.resolved_tracking_uri,
        MLFLOW_REGISTRY_URI=settings.resolved_registry_uri,
    )
    fresh = subprocess.run(
        [str(python), "-c", script],
        cwd=tmp_path,  # not the checkout: its directory would make mlb_assets importable
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert fresh.returncode == 0, fresh.stderr[-3000:]
    from mlb_assets.lib.models.registry import load_champion

    here = load_champion("mlb_home_win", settings)
    cols = here.metadata.get_input_schema().input_names()
    expected = here.predict(frame[cols].astype(float))["prob"].to_numpy()
    got = pd.read_parquet(out)["prob"].to_numpy()
    assert len(got) == 25
    assert got == pytest.approx(expected, abs=1e-9)
